"""The GPU actor: one per GPU (`num_gpus=1`), long-lived, so pipelines stay warm across jobs.

It runs the same job runners as the local worker (engine.jobs.tasks.TASKS: a plain function of
params, output folder, progress, cancel) in a scratch folder of its node, and returns the finished
files with their SHA-256. What it reports travels to the dispatcher actor as it happens: progress,
preview frames, and checkpoints (a long take's finished windows), so a job whose node dies resumes
on another one.

Cancel: `ray.cancel` on a running actor task only sets a flag that the task's own thread can read
(`get_runtime_context().is_canceled()`); helper threads cannot see it. So the runner runs in a
helper thread and the task's thread bridges the flag to the engine's CancelToken, which the denoise
loop checks at every step.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path, PurePosixPath
from typing import Any

import ray

from engine.errors import Canceled, ShotloomError
from engine.farm.protocol import INPUT_PREFIX, TAKE_MARK, FileEntry, input_name, retarget
from engine.jobs.models import GENERATION_KINDS, GenerationParams, validate_params
from engine.progress import CancelToken

CHECKPOINTS: dict[str, tuple[str, ...]] = {
    "noop": ("take",),  # the diagnostics task keeps its finished steps in its output folder
    **{kind: (".take.steps",) for kind in GENERATION_KINDS},  # the engine's resumable windows
}
"""What a running job has finished so far, per kind: folders under its scratch folder."""

REPORT_EVERY = 0.2
CHECKPOINT_EVERY = 1.0
PREVIEW_EVERY = 1.0


def _safe_relative(rel: str) -> bool:
    path = PurePosixPath(rel)
    return bool(rel) and not path.is_absolute() and ".." not in path.parts and "\\" not in rel


class _Reporter:
    """The runner's progress callback on the GPU node: progress, previews and checkpoints go to the
    dispatcher (fire and forget, throttled)."""

    def __init__(self, dispatcher: Any, job_id: str, attempt: int, work: Path, kind: str) -> None:
        self.dispatcher, self.job_id, self.attempt, self.work, self.kind = dispatcher, job_id, attempt, work, kind
        self.done = 0
        self._last_report = 0.0
        self._last_sync = time.monotonic()
        self._last_preview = 0.0
        self._seen: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int, message: str = "", *args: Any, **kwargs: Any) -> None:
        self.done = int(done)
        now = time.monotonic()
        if now - self._last_report >= REPORT_EVERY or (total and done >= total):
            self._last_report = now
            self.dispatcher.report.remote(self.job_id, self.attempt, int(done), int(total), message)
        if now - self._last_sync >= CHECKPOINT_EVERY:
            self.sync()

    def note(self, message: str) -> None:
        self.dispatcher.report.remote(self.job_id, self.attempt, self.done, 0, message)

    def preview(self, path: str | Path) -> None:
        self.dispatcher.preview.remote(self.job_id, self.attempt, Path(path).read_bytes())

    def preview_frame(self, frame: Any) -> None:
        now = time.monotonic()
        if now - self._last_preview < PREVIEW_EVERY:
            return
        self._last_preview = now
        from engine.media import save_png

        try:
            self.preview(save_png(frame, self.work / "preview.png"))
        except (ShotloomError, ValueError, OSError):
            pass  # a preview is a courtesy; the job goes on

    def sync(self) -> None:
        """Sends the checkpoint files that changed (and names those that went) since the last sync."""
        with self._lock:
            self._last_sync = time.monotonic()
            changed: dict[str, bytes] = {}
            present: set[str] = set()
            for root in CHECKPOINTS.get(self.kind, ()):
                base = self.work / root
                if not base.is_dir():
                    continue
                for path in base.rglob("*"):
                    if not path.is_file() or path.name.endswith(".tmp") or ".partial" in path.name:
                        continue
                    rel = path.relative_to(self.work).as_posix()
                    try:
                        st = path.stat()
                        stamp = (st.st_size, st.st_mtime_ns)
                        present.add(rel)
                        if self._seen.get(rel) != stamp:
                            changed[rel] = path.read_bytes()
                            self._seen[rel] = stamp
                    except OSError:
                        continue  # replaced while we looked: the next sync has it
            removed = [rel for rel in self._seen if rel not in present]
            for rel in removed:
                del self._seen[rel]
            if changed or removed:
                self.dispatcher.checkpoint.remote(self.job_id, self.attempt, changed, removed)


class GpuWorker:
    """Created by the dispatcher, one per GPU of each node (see engine.farm.dispatcher)."""

    def __init__(self, worker_id: str, dispatcher: Any) -> None:
        self.id = worker_id
        self.dispatcher = dispatcher
        self.node = ray.get_runtime_context().get_node_id()
        self.host = socket.gethostname()
        self.scratch = Path(tempfile.gettempdir()) / "shotloom-farm" / worker_id
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.model: str | None = None
        self.models_ready: set[str] = set()
        self.jobs_run = 0
        self.last_stop: dict[str, Any] | None = None

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "node": self.node, "host": self.host, "pid": os.getpid(),
                "gpu_ids": [str(g) for g in ray.get_gpu_ids()], "model": self.model, "jobs_run": self.jobs_run,
                "last_stop": self.last_stop}

    def run(self, job_id: str, attempt: int, kind: str, params: dict[str, Any], inputs: dict[str, bytes],
            checkpoint: dict[str, bytes]) -> dict[str, Any]:
        """Runs one job; returns {"status": "succeeded", "result", "files"} or canceled / failed /
        device_lost with the reason. Never raises for the job's own failures."""
        context = ray.get_runtime_context()
        token = CancelToken()
        box: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: box.update(outcome=self._run(job_id, attempt, kind, params, inputs,
                                                                              checkpoint, token)),
                                  daemon=True, name=f"farm-job-{job_id[:8]}")
        thread.start()
        while thread.is_alive():
            if not token.canceled and context.is_canceled():
                token.cancel()  # the bridge: Ray's flag, seen here, becomes the engine's cancel token
            thread.join(0.05)
        return box.get("outcome") or {"status": "failed", "error": "the job's thread ended without an outcome"}

    def _run(self, job_id: str, attempt: int, kind: str, params: dict[str, Any], inputs: dict[str, bytes],
             checkpoint: dict[str, bytes], token: CancelToken) -> dict[str, Any]:
        from engine.jobs.tasks import TASKS, VERIFIERS
        from engine.worker import is_device_lost, is_out_of_memory

        work = self.scratch / job_id
        shutil.rmtree(work, ignore_errors=True)
        (work / "inputs").mkdir(parents=True)
        reporter = _Reporter(self.dispatcher, job_id, attempt, work, kind)
        try:
            local: dict[str, str] = {}
            for name, data in inputs.items():
                base = input_name(name)
                if base is None:
                    return {"status": "failed", "error": f"input {name!r} is not named {INPUT_PREFIX}<name>"}
                (work / "inputs" / base).write_bytes(data)
                local[name] = str(work / "inputs" / base)
            for rel, data in checkpoint.items():
                if _safe_relative(rel):
                    (work / rel).parent.mkdir(parents=True, exist_ok=True)
                    (work / rel).write_bytes(data)
            reporter._seen = {rel: _stamp(work / rel) for rel in checkpoint if (work / rel).is_file()}
            spec = validate_params(kind, retarget(params, local, {}))
            out_dir = work / "take"
            out_dir.mkdir(exist_ok=True)
            if isinstance(spec, GenerationParams):
                self._ensure_model(str(spec.request.get("model")), reporter)
            result = TASKS[kind].runner(spec, out_dir, reporter, token)
            VERIFIERS[kind](result, out_dir)
            back = {path: name for name, path in local.items()}
            result = retarget(result, back, {str(out_dir): TAKE_MARK})
            files = self._collect(out_dir, back)
            self.jobs_run += 1
            if isinstance(spec, GenerationParams):
                self.model = str(spec.request.get("model"))
            return {"status": "succeeded", "result": result, "files": files}
        except Canceled:
            self.last_stop = {"job": job_id, "done": reporter.done, "canceled": True, "time": time.time()}
            return {"status": "canceled", "done": reporter.done}
        except Exception as exc:  # noqa: BLE001 — every failure is the job's outcome; the actor lives on
            error = str(exc) if isinstance(exc, ShotloomError) else f"{type(exc).__name__}: {exc}"
            error = error.splitlines()[0] if error else type(exc).__name__
            if is_device_lost(exc) and not is_out_of_memory(exc):
                return {"status": "device_lost", "error": error}
            return {"status": "failed", "error": error}
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _ensure_model(self, model_id: str, reporter: _Reporter) -> None:
        """The model is on this node before the job starts: present already, or downloaded now."""
        if model_id in self.models_ready:
            return
        from engine.gen.catalog import get_model
        from engine.gen.loading import download_model, resolve_model

        entry = get_model(model_id)
        try:
            resolve_model(entry)
        except ShotloomError:
            reporter.note(f"downloading model {model_id} on {self.host}")
            download_model(entry)
        self.models_ready.add(model_id)

    def _collect(self, out_dir: Path, back: dict[str, str]) -> list[dict[str, Any]]:
        """The take's files, its recipe rewritten to name the job's inputs as submitted (never this
        node's folders), each with its size and SHA-256."""
        import hashlib
        import json

        recipe = out_dir / "recipe.json"
        if recipe.is_file():
            data = retarget(json.loads(recipe.read_text(encoding="utf-8")), back, {str(out_dir): TAKE_MARK})
            recipe.write_text(json.dumps(data, indent=2), encoding="utf-8")
        files = []
        for path in sorted(out_dir.iterdir(), key=lambda p: (p.name == "recipe.json", p.name)):
            if not path.is_file() or path.name.startswith("."):
                continue
            data = path.read_bytes()
            entry = FileEntry(name=path.name, size=len(data), sha256=hashlib.sha256(data).hexdigest())
            files.append({**entry.model_dump(), "data": data})
        return files


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


RemoteGpuWorker = ray.remote(GpuWorker)
