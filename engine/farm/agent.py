"""The creator's side of a farm: `python -m engine.farm.agent --farm URL [worker options]`.

A worker process like `engine.worker` (the same command line, the same JSON events on stdout, the
same SQLite queue, so EngineClient, `shotloom render` and the editor drive it unchanged) whose
runner is remote: a farm job is a queue job whose runner runs on the farm. Several jobs are in
flight at once (one thread per job, `--jobs`), so a storyboard spreads over the farm's GPUs.

Per job, in the job's work folder (the same hidden folder a local run writes to):

1. The recipe is validated by the same request models as locally; every file it names (a bridge's
   neighbours, an extension's source, a start image) must be in the project bundle or be media the
   project references. They are uploaded (deduplicated by SHA-256) and the recipe names them
   `inputs/<name>`.
2. The submission's idempotency key is written to `farm-job.json` before it is sent, so a client
   that dies or loses its connection (a laptop that sleeps) picks the same farm job up again.
3. Events become the worker's progress and preview events; the queue's heartbeat keeps running.
4. The take's files are downloaded with resume and checked against the SHA-256 the GPU node
   computed; the worker then decodes them (verify_take), renames the folder into place and marks
   the job succeeded. The result's paths name the creator's files again, so the take lands through
   the same one-edit result path as a local job (engine.jobs.apply.result_edit).

Cancel by the user cancels the farm job (Ray's cancel, bridged to the denoise loop). A shutdown of
this process only detaches: the farm keeps rendering and the next `shotloom render` fetches it.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, TextIO

from engine.errors import Canceled, GenerationError, ShotloomError
from engine.farm.client import CorruptDownload, FarmClient, FarmNotFound, file_sha256
from engine.farm.protocol import (
    AGENT_WORKER_PREFIX,
    FARM_KINDS,
    TAKE_MARK,
    FarmJob,
    JobSubmit,
    recipe_files,
    retarget,
    set_at,
)
from engine.farm.security import FarmError
from engine.fsutil import write_bytes_atomic, write_json_atomic
from engine.jobs import events as ev
from engine.jobs.models import GenerationParams, Job
from engine.jobs.tasks import TaskSpec
from engine.progress import CancelToken
from engine.worker import Worker, add_worker_arguments, events_stdout

STATE_FILE = "farm-job.json"
"""In the job's folder: which farm job renders it (and, when done, what it returned). Kept in the
finished take folder as a record of where the take was made."""
OFFLINE_LIMIT = 600.0
"""Seconds without reaching the farm before a job gives up (it is picked up again on retry)."""


class _Lines:
    """One stdout shared by several workers: each event line is written whole."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.lock = out, threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            return self.out.write(text)

    def flush(self) -> None:
        with self.lock:
            self.out.flush()


class FarmWorker(Worker):
    """A queue worker whose runner sends the job to a farm and brings its take back."""

    def __init__(self, db_path: Path | None, farm: str, *, primary: bool = True, token: str | None = None,
                 **kwargs: Any) -> None:
        tasks = {kind: TaskSpec(self._run_remote, uses_out_dir=True) for kind in FARM_KINDS}
        kwargs.setdefault("kinds", list(FARM_KINDS))
        super().__init__(db_path, tasks=tasks, **kwargs)
        self.client = FarmClient(farm, token)
        self.primary = primary
        self._job: Job | None = None
        self._status_cache: tuple[float, Any] | None = None

    def run_job(self, job: Job) -> None:
        self._job = job
        try:
            super().run_job(job)
        finally:
            self._job = None

    def _report_device(self) -> None:
        if not self.primary:
            return
        try:
            status = self._status()
        except ShotloomError as exc:
            print(f"shotloom farm agent: {exc}", file=sys.stderr, flush=True)
            return
        ready = sum(1 for w in status.workers if w.state in ("idle", "busy"))
        self.emit(ev.Device(kind="farm", name=f"farm {self.client.url}: {len(status.nodes)} node(s), "
                                             f"{status.gpus} GPU(s), {ready} worker(s) ready"))

    def _status(self) -> Any:
        now = time.monotonic()
        if self._status_cache is None or now - self._status_cache[0] > 30:
            self._status_cache = (now, self.client.status())
        return self._status_cache[1]

    # -- the runner -----------------------------------------------------------------------------

    def _run_remote(self, params: Any, out_dir: Path, progress: Any, cancel: CancelToken) -> dict[str, Any]:
        job = self._job
        assert job is not None
        state_path = out_dir / STATE_FILE
        state = _read_state(state_path)
        if state.get("result") is not None and state.get("url") == self.client.url:
            return state["result"]  # downloaded before this process was stopped; the worker verifies it
        farm_job = self._attach(state)
        if farm_job is None:
            state = {"url": self.client.url, "key": f"{job.id}.{secrets.token_hex(4)}"}
            write_json_atomic(state_path, state)  # before sending: a retry finds the same farm job
            submission, state["inputs"] = self._submission(job, params, state["key"], progress)
            cancel.raise_if_canceled()
            farm_job = self.client.submit(submission)
            state["job"] = farm_job.id
            write_json_atomic(state_path, state)
        try:
            farm_job = self._follow(job, farm_job, progress, cancel)
            self.client.download(farm_job, out_dir, progress=progress, cancel=cancel)
        except Canceled:
            if not self._detaching(job):
                self._cancel_on_farm(farm_job)
            raise
        except CorruptDownload:
            # Once may be the network; twice, the farm's copy: the next attempt renders it again.
            state["corrupt"] = int(state.get("corrupt", 0)) + 1
            if state["corrupt"] >= 2:
                state.pop("job", None)
            write_json_atomic(state_path, state)
            raise
        inputs = state.get("inputs") or {}
        result = retarget(farm_job.result or {}, inputs, {TAKE_MARK: str(out_dir)})
        recipe = out_dir / "recipe.json"
        if recipe.is_file() and inputs:  # name the creator's files again, as a local take's recipe does
            data = retarget(json.loads(recipe.read_text(encoding="utf-8")), inputs, {TAKE_MARK: str(out_dir)})
            write_bytes_atomic(recipe, json.dumps(data, indent=2).encode("utf-8"))
        state.update(result=result, farm={"job": farm_job.id, "host": farm_job.host, "node": farm_job.node,
                                          "attempts": farm_job.attempts})
        write_json_atomic(state_path, state)
        try:
            self.client.forget(farm_job.id)  # the take is here now; the farm may free its disk
        except FarmError:
            pass  # the farm deletes it after its keep time anyway
        return result

    def _detaching(self, job: Job) -> bool:
        """True when the process stops (shutdown) or the job was taken from it: the farm job goes on."""
        return self._shutdown_cancel or job.id in self._lost

    def _attach(self, state: dict[str, Any]) -> FarmJob | None:
        """The farm job a previous attempt started, when it can still give a take."""
        if state.get("url") != self.client.url or not state.get("job"):
            return None
        try:
            farm_job = self.client.job(state["job"])
        except FarmNotFound:
            return None
        return farm_job if farm_job.status in ("queued", "running", "succeeded") else None

    def _cancel_on_farm(self, farm_job: FarmJob) -> None:
        try:
            self.client.cancel(farm_job.id)
            self.client.wait(farm_job.id, timeout=30)
            self.client.forget(farm_job.id)
        except FarmError:
            pass  # the farm drops it on its own; the local job is canceled either way

    def _submission(self, job: Job, params: Any, key: str, progress: Any) -> tuple[JobSubmit, dict[str, str]]:
        """The job as the farm takes it: its parameters, with each file the recipe names uploaded
        and renamed `inputs/<name>`. Returns it and the map from those names back to the files."""
        data = params.model_dump(mode="json")
        inputs: dict[str, str] = {}
        names: dict[str, str] = {}
        if isinstance(params, GenerationParams):
            from engine.gen.requests import parse_request

            try:
                request_model = parse_request(params.request)
            except ValueError as exc:
                from engine.farm.recipes import invalid_because

                raise GenerationError(f"the stored generation request is invalid: {invalid_because(exc)}") from None
            request = json.loads(json.dumps(params.request))
            allowed = _ProjectFiles(job.project)
            limit = self._status().max_upload_bytes
            for loc, path in recipe_files(request_model):
                original = str(path)
                real = Path(path).expanduser().resolve()
                allowed.check(real, loc)
                size = real.stat().st_size
                if size > limit:
                    raise GenerationError(f"{real} is {size / (1 << 20):.0f} MB, over the farm's limit of "
                                          f"{limit / (1 << 20):.0f} MB per input; trim the source clip or raise the "
                                          "limit on the farm (`shotloom farm serve --max-upload-mb`).")
                sha = file_sha256(real)
                name = f"inputs/{sha[:16]}{real.suffix.lower()}"
                self.client.upload(real, sha, progress=progress)
                set_at(request, loc, name)
                inputs[name], names[name] = sha, original
            data["request"] = request
        label = f"{Path(job.project).name}:{(job.shot or '')[:8]}" if job.project else job.kind
        return JobSubmit(key=key, kind=job.kind, params=data, inputs=inputs, label=label[:200]), names  # type: ignore[arg-type]

    def _follow(self, job: Job, farm_job: FarmJob, progress: Any, cancel: CancelToken) -> FarmJob:
        """Follows the farm job until it is finished, turning its events into this job's."""
        after, done, total = 0, 0, 0
        last_contact = time.monotonic()
        backoff = 0.5
        while True:
            if cancel.canceled:
                raise Canceled("canceled by the user")
            try:
                events, after, farm_job = self.client.events(farm_job.id, after, wait=1.0)
                last_contact, backoff = time.monotonic(), 0.5
            except FarmNotFound:
                raise GenerationError(f"the farm {self.client.url} no longer knows job {farm_job.id}; "
                                      "render the shot again.") from None
            except FarmError as exc:
                if time.monotonic() - last_contact > OFFLINE_LIMIT:
                    raise GenerationError(f"lost contact with the farm for {OFFLINE_LIMIT / 60:.0f} minutes ({exc}); "
                                          "`shotloom render` again picks the job up where the farm has it.") from None
                _sleep(cancel, backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            for event in events:
                if event.type == "progress":
                    if event.total:
                        done, total = event.done, event.total
                    progress(done, total, event.message)
                elif event.type == "preview":
                    self._preview(job, farm_job, progress)
                elif event.type == "started":
                    progress(done, total, f"on the farm: {event.host or event.node[:8]} (attempt {event.attempt})")
                elif event.type == "retrying":
                    progress(done, total, f"on the farm: {event.reason}; running again elsewhere")
            if farm_job.status == "succeeded":
                return farm_job
            if farm_job.status == "failed":
                raise GenerationError(f"the farm could not render it: {farm_job.error or 'failed'}")
            if farm_job.status == "canceled":
                raise Canceled("canceled on the farm")

    def _preview(self, job: Job, farm_job: FarmJob, progress: Any) -> None:
        from engine.paths import user_cache_dir

        try:
            data = self.client.preview(farm_job.id)
        except FarmError:
            return
        folder = user_cache_dir() / "previews"
        folder.mkdir(parents=True, exist_ok=True)
        path = write_bytes_atomic(folder / f"{job.id}.png", data)
        progress.preview_path = path  # removed by the worker when the job ends
        progress.preview(path)


def _in_lora_library(path: Path) -> bool:
    """A LoRA file of this machine's library (engine.gen.loras), which a shot's recipe may load."""
    from engine.gen.loras import library_dir

    return path.parent == library_dir().resolve() and path.suffix == ".safetensors"


class _ProjectFiles:
    """Which files a recipe may send to a farm: those inside the project bundle, media the project
    references (imported footage kept where it was) and the LoRA files of this machine's library."""

    def __init__(self, project: str | None) -> None:
        self.root = Path(project).resolve() if project else None
        self._media: set[Path] | None = None

    def _referenced(self) -> set[Path]:
        if self._media is None:
            from engine.project import Project

            assert self.root is not None
            proj = Project.open(self.root)
            self._media = {Path(t.path).resolve() for s in proj.shots() for t in s.takes if t.path}
            self._media |= {Path(t.path).resolve() for t in proj.loose_takes() if t.path}
        return self._media

    def check(self, path: Path, loc: Any) -> None:
        from engine.farm.protocol import describe_loc

        if self.root is None:
            raise GenerationError(f"the recipe names {path} ({describe_loc(loc)}) but the job has no project; "
                                  "a farm job reads only files of its project.")
        if not path.is_relative_to(self.root) and path not in self._referenced() and not _in_lora_library(path):
            raise GenerationError(f"the recipe names {path} ({describe_loc(loc)}), which is outside the project "
                                  f"{self.root.name} and not media it uses; import the file into the project first.")
        if not path.is_file():
            raise GenerationError(f"{path} ({describe_loc(loc)}) is missing; put it back or change the shot's recipe.")


def _sleep(cancel: CancelToken, seconds: float) -> None:
    end = time.monotonic() + seconds
    while not cancel.canceled and time.monotonic() < end:
        time.sleep(0.05)


def _read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# -- the process ----------------------------------------------------------------------------------

def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m engine.farm.agent", description=__doc__.splitlines()[0])
    parser.add_argument("--farm", required=True, help="the farm's URL (token: SHOTLOOM_FARM_TOKEN or saved)")
    parser.add_argument("--jobs", type=int, default=None, help="jobs in flight at once (default: 2 per farm worker)")
    add_worker_arguments(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    out = _Lines(events_stdout())
    kinds = [k.strip() for k in args.kinds.split(",")] if args.kinds else list(FARM_KINDS)
    unknown = [k for k in kinds if k not in FARM_KINDS]
    if unknown:
        print(f"shotloom farm agent: a farm does not run {unknown[0]!r} jobs; use {', '.join(FARM_KINDS)}.",
              file=sys.stderr)
        return 2
    try:
        probe = FarmClient(args.farm)
        status = probe.status()
        jobs = args.jobs or min(32, max(2, 2 * len([w for w in status.workers if w.state != "lost"])))
        base = args.worker_id or f"{AGENT_WORKER_PREFIX}{uuid.uuid4().hex[:8]}"
        workers = [FarmWorker(args.db, args.farm, primary=i == 0, worker_id=f"{base}-{i}", kinds=kinds,
                              exit_when_idle=args.exit_when_idle, poll=args.poll, heartbeat=args.heartbeat,
                              stale_after=args.stale_after, out=out, project=args.project)  # type: ignore[arg-type]
                   for i in range(jobs)]
    except ShotloomError as exc:
        print(f"shotloom farm agent: {exc}", file=sys.stderr, flush=True)
        out.write(ev.encode(ev.Bye(reason=str(exc), exit_code=ev.EXIT_FATAL)) + "\n")
        out.flush()
        return ev.EXIT_FATAL

    def shutdown(*_: Any) -> None:
        for worker in workers:
            worker.shutdown()

    signal.signal(signal.SIGTERM, shutdown)

    def read_commands() -> None:
        for line in sys.stdin:
            for worker in workers:
                worker.command(line)
        if args.exit_on_eof:
            shutdown()

    threading.Thread(target=read_commands, daemon=True, name="farm-agent-commands").start()
    codes: list[int] = []
    threads = [threading.Thread(target=lambda w=w: codes.append(w.run()), name=f"farm-agent-{i}")
               for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        shutdown()
        for thread in threads:
            thread.join(30)
        return 130
    return max(codes, default=0)


if __name__ == "__main__":
    sys.exit(main())
