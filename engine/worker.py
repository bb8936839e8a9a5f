"""The engine worker: `python -m engine.worker [--db PATH]`.

A separate process that claims jobs from the SQLite queue, runs them (engine.jobs.tasks), writes
progress, heartbeats, previews and results to the queue, and prints one JSON event per line on
stdout. Commands arrive on stdin, one per line: `cancel JOB`, `shutdown`, `wake`.

Everything else a library prints goes to stderr, so stdout stays a clean event stream. A hard kill
is always safe: files are written in a hidden work folder renamed into place only when complete and
verified, and a job is marked succeeded only after that.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import Any, TextIO

from engine.errors import Canceled, GenerationError, ShotloomError
from engine.fsutil import fsync_dir, write_json_atomic
from engine.jobs import events as ev
from engine.jobs.apply import resolve_inputs
from engine.jobs.models import GenerationParams, Job, validate_params
from engine.jobs.queue import DEFAULT_STALE_AFTER, JobQueue, QueueBusyError, discard_work, own_ctime
from engine.jobs.tasks import TASKS, VERIFIERS, TaskSpec, memory_tiers
from engine.progress import CancelToken

RESULT_FILE = "job-result.json"


class DeviceLost(Exception):
    """The accelerator is unusable; the worker must exit so a fresh process starts."""


def is_out_of_memory(exc: BaseException) -> bool:
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    return "out of memory" in str(exc).lower()


def is_device_lost(exc: BaseException) -> bool:
    text = str(exc)
    return (
        type(exc).__name__ == "AcceleratorError"
        or "CUDA error" in text
        or "device-side assert" in text
        or "CUBLAS_STATUS" in text
        or "CUDNN_STATUS" in text
    )


def _free_accelerator_memory() -> None:
    torch = sys.modules.get("torch")
    if torch is None:
        return
    try:  # torch may still be importing in the device thread: then there is nothing to free yet
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except AttributeError:
        pass


def _rewrite_paths(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return new + value[len(old):] if value.startswith(old) else value
    if isinstance(value, list):
        return [_rewrite_paths(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _rewrite_paths(v, old, new) for k, v in value.items()}
    return value


def describe_device() -> ev.Device:
    """The accelerator (or CPU) generation runs on, with its free memory. Cheap: torch is asked
    only when a job has already loaded it; before that an NVIDIA GPU is read from nvidia-smi, so
    the worker's start (and its heartbeat) never waits on importing torch."""
    import importlib.util
    import platform
    import shutil
    import subprocess

    import psutil

    generation = importlib.util.find_spec("torch") is not None
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            if torch.cuda.is_available():
                free, total = torch.cuda.mem_get_info()
                return ev.Device(kind="cuda", name=torch.cuda.get_device_name(), total_bytes=int(total),
                                 free_bytes=int(free))
        except (AttributeError, RuntimeError):
            pass
    elif generation and shutil.which("nvidia-smi"):
        try:
            out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,memory.free",
                                  "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=10)
            name, total_mib, free_mib = (v.strip() for v in out.stdout.splitlines()[0].split(","))
            return ev.Device(kind="cuda", name=name, total_bytes=int(total_mib) << 20, free_bytes=int(free_mib) << 20)
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            pass
    ram = psutil.virtual_memory()
    cpu_name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore").splitlines():
            if line.startswith("model name"):
                cpu_name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return ev.Device(kind="cpu", name=cpu_name, total_bytes=ram.total, free_bytes=ram.available,
                     generation=generation)


class _JobProgress:
    """The progress callback a runner gets: events a few times a second, queue writes (which also
    carry the heartbeat and bring back a cancel request) at most five times a second."""

    def __init__(self, worker: Worker, job: Job, token: CancelToken) -> None:
        self.worker, self.job, self.token = worker, job, token
        self._last_event = 0.0
        self._last_db = 0.0
        self._last_preview = 0.0
        self.preview_path: Path | None = None

    def __call__(self, done: int, total: int, message: str = "", *args: Any, **kwargs: Any) -> None:
        now = time.monotonic()
        final = total > 0 and done >= total
        if final or now - self._last_event >= 0.1:
            self._last_event = now
            self.worker.emit(ev.Progress(job=self.job.id, done=int(done), total=int(total), message=message))
        if final or now - self._last_db >= 0.2:
            self._last_db = now
            fraction = done / total if total else 0.0
            try:
                why = self.worker.queue.report(self.job.id, self.worker.worker_id, progress=fraction,
                                               message=message or f"{done}/{total}")
                if why:
                    self.worker.stop_current(self.job.id, why)
            except QueueBusyError:
                pass  # progress is advisory; the next report carries it
        preview = kwargs.get("preview")
        if preview:
            self.preview(preview)

    def preview_frame(self, frame: Any) -> None:
        """A denoising preview (RGB uint8 array) from the generation engine: saved as this job's
        preview PNG (replaced atomically, at most twice a second) and announced."""
        now = time.monotonic()
        if now - self._last_preview < 0.5:
            return
        self._last_preview = now
        from engine.media import save_png
        from engine.paths import user_cache_dir

        folder = user_cache_dir() / "previews"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            path = save_png(frame, folder / f"{self.job.id}.png")
            self.preview_path = Path(path)
        except (ShotloomError, ValueError, OSError) as exc:
            print(f"shotloom worker: preview skipped ({exc})", file=sys.stderr, flush=True)
            return
        self.preview(path)

    def preview(self, path: str | Path) -> None:
        try:
            self.worker.queue.report(self.job.id, self.worker.worker_id, preview=str(path))
        except QueueBusyError:
            pass
        self.worker.emit(ev.Preview(job=self.job.id, path=str(path)))


class Worker:
    def __init__(
        self,
        db_path: Path | None,
        *,
        worker_id: str | None = None,
        kinds: list[str] | None = None,
        exit_when_idle: bool = False,
        exit_on_eof: bool = False,
        poll: float = 0.25,
        heartbeat: float = 1.0,
        stale_after: float = DEFAULT_STALE_AFTER,
        out: TextIO | None = None,
        project: str | None = None,
        tasks: dict[str, TaskSpec] | None = None,
    ) -> None:
        self.project = project
        self.tasks = tasks or TASKS
        """How each kind runs: locally (engine.jobs.tasks) or elsewhere (engine.farm.agent)."""
        self.worker_id = worker_id or f"w-{uuid.uuid4().hex[:12]}"
        self.kinds = kinds or list(self.tasks)
        self.exit_when_idle = exit_when_idle
        self.exit_on_eof = exit_on_eof
        self.poll = poll
        self.heartbeat_every = heartbeat
        self.stale_after = stale_after
        self._out = out or sys.stdout
        self._out_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._current: tuple[str, CancelToken] | None = None
        self._current_lock = threading.Lock()
        self._shutdown_cancel = False
        self._lost: set[str] = set()
        self._active_progress: _JobProgress | None = None
        self.pid = os.getpid()
        self.ctime = own_ctime()
        self.queue = JobQueue(db_path)
        self.db_path = self.queue.path

    # -- output and commands -------------------------------------------------------------------

    def emit(self, event: Any) -> None:
        line = ev.encode(event)
        with self._out_lock:
            try:
                self._out.write(line + "\n")
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass  # a listener that went away does not stop the work; the queue has the truth

    def command(self, line: str) -> None:
        parts = line.strip().split()
        if not parts:
            return
        if parts[0] == "{":
            return
        verb = parts[0].lower()
        if verb == "cancel" and len(parts) > 1:
            with self._current_lock:
                if self._current and self._current[0].startswith(parts[1]):
                    self._current[1].cancel()
        elif verb == "shutdown":
            self.shutdown()
        elif verb == "wake":
            self._wake.set()
        elif verb == "kinds":
            # Which kinds it claims from now on (the editor's "render on" choice moves generation
            # to a farm and back); a running job finishes here. No kinds: it claims nothing.
            wanted = [k for k in (parts[1].split(",") if len(parts) > 1 else []) if k]
            self.kinds = [k for k in wanted if k in self.tasks]
            self._wake.set()

    def stop_current(self, job_id: str, why: str) -> None:
        """Stops the running job at its next step: "cancel" (the user asked) or "lost" (the queue
        gave the job to someone else; its files are then not ours to touch)."""
        with self._current_lock:
            if self._current and self._current[0] == job_id:
                if why == "lost":
                    self._lost.add(job_id)
                self._current[1].cancel()

    def shutdown(self) -> None:
        """Stops after the current job; a running job is stopped and left `interrupted` (resumable)."""
        self._shutdown_cancel = True
        self._stop.set()
        self._wake.set()
        with self._current_lock:
            if self._current:
                self._current[1].cancel()

    def _read_commands(self, stream: TextIO) -> None:
        for line in stream:
            self.command(line)
        if self.exit_on_eof:
            self.shutdown()

    def _watch(self) -> None:
        """Heartbeats (queue and stdout) and cancel requests made through the queue by others."""
        queue = JobQueue(self.db_path)
        last_beat = 0.0
        while not self._stop.wait(0.1):
            with self._current_lock:
                current = self._current
            now = time.monotonic()
            beat = now - last_beat >= self.heartbeat_every
            try:
                if current is not None:
                    # A read every tick (cancel made by another program); a write per heartbeat.
                    why = (queue.report(current[0], self.worker_id) if beat
                           else queue.stop_reason(current[0], self.worker_id))
                    if why:
                        self.stop_current(current[0], why)
            except ShotloomError:
                pass
            if beat:
                last_beat = now
                self.emit(ev.Heartbeat(pid=self.pid, job=current[0] if current else None))
        queue.close()

    # -- main loop -----------------------------------------------------------------------------

    def run(self, commands: TextIO | None = None) -> int:
        self.emit(ev.Hello(pid=self.pid, worker_id=self.worker_id, db=str(self.db_path), kinds=self.kinds))
        for job in self.queue.recover(stale_after=self.stale_after):
            self.emit(ev.Interrupted(job=job.id, reason=job.message))
        threading.Thread(target=self._report_device, daemon=True, name="worker-device").start()
        if commands is not None:
            threading.Thread(target=self._read_commands, args=(commands,), daemon=True,
                             name="worker-commands").start()
        watcher = threading.Thread(target=self._watch, daemon=True, name="worker-heartbeat")
        watcher.start()
        code = ev.EXIT_OK
        reason = "shutdown"
        try:
            while not self._stop.is_set():
                try:
                    job = self.queue.claim(self.worker_id, pid=self.pid, ctime=self.ctime, kinds=self.kinds,
                                           project=self.project)
                except QueueBusyError as exc:
                    print(f"shotloom worker: {exc} Waiting.", file=sys.stderr, flush=True)
                    continue
                if job is None:
                    if self.exit_when_idle and self._idle():
                        reason = "idle"
                        break
                    self._wake.wait(self.poll)
                    self._wake.clear()
                    continue
                self.run_job(job)
        except DeviceLost as exc:
            code, reason = ev.EXIT_DEVICE_LOST, f"device lost: {exc}"
        finally:
            self._stop.set()
            watcher.join(timeout=2)
            self.emit(ev.Bye(reason=reason, exit_code=code))
            self.queue.close()
        return code

    def _report_device(self) -> None:
        try:
            self.emit(describe_device())
        except Exception as exc:  # noqa: BLE001 — a driver problem must not stop the worker; jobs report it
            print(f"shotloom worker: cannot describe the device ({exc})", file=sys.stderr, flush=True)

    def _idle(self) -> bool:
        """Nothing left this worker could ever claim: no queued jobs, or queued ones blocked while
        nothing runs anywhere (paused queue, dependency interrupted)."""
        counts = self.queue.counts(project=self.project)
        return counts.get("queued", 0) == 0 or counts.get("running", 0) == 0

    def _finish(self, job: Job, status: str, **kwargs: Any) -> bool:
        active = self._active_progress
        if active is not None and active.preview_path is not None:
            # The take (or nothing, after a cancel) replaces the live preview, before anyone hears.
            active.preview_path.unlink(missing_ok=True)
        for _ in range(20):
            try:
                return self.queue.finish(job.id, self.worker_id, status, **kwargs)  # type: ignore[arg-type]
            except QueueBusyError:
                time.sleep(0.5)
        return False

    def run_job(self, job: Job) -> None:
        token = CancelToken()
        with self._current_lock:
            self._current = (job.id, token)
        self.emit(ev.Claimed(job=job.id, kind=job.kind, attempt=job.attempts, project=job.project, shot=job.shot))
        work = job.work_dir
        try:
            spec = self.tasks[job.kind]
            params = validate_params(job.kind, job.params)
            if isinstance(params, GenerationParams) and params.inputs:
                # Sources made by the jobs this one depends on (a bridge's new neighbours).
                deps = self.queue.get_many(params.inputs.values())
                params = resolve_inputs(params, {i: j.result or {} for i, j in deps.items()})
            if job.memory_tier and hasattr(params, "memory_tier"):
                params = params.model_copy(update={"memory_tier": job.memory_tier})
            progress = self._active_progress = _JobProgress(self, job, token)
            # At once, before the model loads: whoever waits sees the job start (total 0: not known yet).
            progress(0, 0, "preparing")
            if spec.uses_out_dir:
                result = self._run_in_folder(job, spec, params, progress, token)
            else:
                result = self._run_with_tiers(job, spec, params, Path(job.out_dir or "."), progress, token)
            if self._finish(job, "succeeded", result=result, message="done"):
                self.emit(ev.Succeeded(job=job.id, result=result))
        except Canceled:
            if job.id in self._lost:
                # Declared interrupted by a client (this worker looked hung): leave state and files
                # to whoever resumes the job.
                self.emit(ev.Interrupted(job=job.id, reason="the job was taken from this worker"))
            elif self._shutdown_cancel:
                if self._finish(job, "interrupted", message="interrupted: the worker shut down; retry to resume"):
                    self.emit(ev.Interrupted(job=job.id, reason="worker shut down"))
            else:
                discard_work(work)
                if self._finish(job, "canceled", message="canceled"):
                    self.emit(ev.Canceled(job=job.id))
        except Exception as exc:  # noqa: BLE001 — every failure is recorded on its job; the worker lives on
            if is_device_lost(exc) and not is_out_of_memory(exc):
                why = f"the GPU became unusable ({exc}); a fresh worker resumes it"
                self._finish(job, "interrupted", message=f"interrupted: {why}")
                self.emit(ev.Interrupted(job=job.id, reason=why))
                raise DeviceLost(str(exc)) from None
            if isinstance(exc, ShotloomError):
                error = str(exc)
            else:
                error = f"{type(exc).__name__}: {exc}"
                traceback.print_exc(file=sys.stderr)
            if self._finish(job, "failed", error=error, message="failed"):
                self.emit(ev.Failed(job=job.id, error=error))
        finally:
            with self._current_lock:
                self._current = None
            self._active_progress = None
            if job.kind in ("generate", "extend", "bridge", "long_take"):
                self._report_device()  # free memory after the job, for the editor's fit checks

    def _run_in_folder(self, job: Job, spec: TaskSpec, params: Any, progress: _JobProgress,
                       token: CancelToken) -> dict[str, Any]:
        final, work = job.final_dir, job.work_dir
        assert final is not None and work is not None
        verify = VERIFIERS[job.kind]
        done_marker = final / RESULT_FILE
        if done_marker.exists():
            # A previous attempt finished its files but was killed before it could say so.
            result = json.loads(done_marker.read_text(encoding="utf-8"))
            verify(result, final)
            return result
        if final.exists():
            shutil.rmtree(final)  # never a complete job (no marker): not ours to trust
        result = spec.recover(params, work) if spec.recover is not None and work.is_dir() else None
        if result is None:
            if spec.recover is not None and work.exists():
                shutil.rmtree(work)  # this task keeps no state in its work folder; start clean
            work.mkdir(parents=True, exist_ok=True)
            result = self._run_with_tiers(job, spec, params, work, progress, token)
            self._record_engine_tiers(job, result)
        verify(result, work)
        result = _rewrite_paths(result, str(work), str(final))
        result["out_dir"] = str(final)
        write_json_atomic(work / RESULT_FILE, result, indent=None)
        os.rename(work, final)
        fsync_dir(final.parent)
        return result

    def _record_engine_tiers(self, job: Job, result: dict[str, Any]) -> None:
        """The generation engine walks memory tiers itself on out-of-memory; keep its walk on the job."""
        recipe = result.get("recipe")
        if not isinstance(recipe, dict):
            return
        tiers = memory_tiers()
        for attempt in recipe.get("oom_attempts") or []:
            tier = attempt.get("tier")
            lower = tiers[tiers.index(tier) + 1] if tier in tiers[:-1] else str(recipe.get("tier"))
            self.queue.set_memory_tier(job.id, lower, str(attempt.get("error", "out of memory")))
            self.emit(ev.MemoryTier(job=job.id, tier=lower, reason=f"out of memory at {tier}"))

    def _run_with_tiers(self, job: Job, spec: TaskSpec, params: Any, out_dir: Path,
                        progress: _JobProgress, token: CancelToken) -> dict[str, Any]:
        """Out of memory walks down the memory tiers, each tried once, each step recorded on the job."""
        tiers = memory_tiers()
        while True:
            try:
                return spec.runner(params, out_dir, progress, token)
            except Exception as exc:
                # The generation engine walks tiers itself and reports its last failure as a
                # GenerationError; only a raw out-of-memory is walked here.
                if isinstance(exc, ShotloomError) or not is_out_of_memory(exc) or not hasattr(params, "memory_tier"):
                    raise
                tier = params.memory_tier or tiers[0]
                index = tiers.index(tier) if tier in tiers else 0
                if index + 1 >= len(tiers):
                    raise GenerationError(
                        f"Job {job.id} ran out of memory even at the lowest memory tier {tier!r}; "
                        "lower the size or the number of frames, or close other GPU programs."
                    ) from None
                lower = tiers[index + 1]
                _free_accelerator_memory()
                self.queue.set_memory_tier(job.id, lower, f"out of memory at {tier}: {exc}")
                self.emit(ev.MemoryTier(job=job.id, tier=lower, reason=f"out of memory at {tier}"))
                params = params.model_copy(update={"memory_tier": lower})


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every worker process takes (this one, and the farm's agent)."""
    parser.add_argument("--db", type=Path, default=None, help="queue database (default: user data folder)")
    parser.add_argument("--id", dest="worker_id", default=None)
    parser.add_argument("--kinds", default=None, help="comma-separated job kinds to run (default: all)")
    parser.add_argument("--project", default=None, help="run only this project's jobs (its bundle path)")
    parser.add_argument("--exit-when-idle", action="store_true", help="exit when nothing is left to run")
    parser.add_argument("--exit-on-eof", action="store_true", help="shut down when stdin closes")
    parser.add_argument("--poll", type=float, default=0.25)
    parser.add_argument("--heartbeat", type=float, default=1.0)
    parser.add_argument("--stale-after", type=float, default=DEFAULT_STALE_AFTER)


def events_stdout() -> TextIO:
    """The event stream: the process's real stdout, kept for events; whatever libraries print from
    now on goes to stderr."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return out


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m engine.worker", description=__doc__.splitlines()[0])
    add_worker_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    events_out = events_stdout()
    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else None
    if kinds:
        unknown = [k for k in kinds if k not in TASKS]
        if unknown:
            print(f"shotloom worker: unknown job kind {unknown[0]!r}; use {', '.join(TASKS)}.", file=sys.stderr)
            return 2
    try:
        worker = Worker(args.db, worker_id=args.worker_id, kinds=kinds, exit_when_idle=args.exit_when_idle,
                        exit_on_eof=args.exit_on_eof, poll=args.poll, heartbeat=args.heartbeat,
                        stale_after=args.stale_after, out=events_out,
                        project=args.project)
        # SIGTERM (logout, service stop) is a shutdown: the running job ends interrupted, resumable.
        signal.signal(signal.SIGTERM, lambda *_: worker.shutdown())
        return worker.run(commands=sys.stdin)
    except ShotloomError as exc:
        print(f"shotloom worker: {exc}", file=sys.stderr, flush=True)
        events_out.write(ev.encode(ev.Bye(reason=str(exc), exit_code=ev.EXIT_FATAL)) + "\n")
        events_out.flush()
        return ev.EXIT_FATAL
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
