"""The engine adapter: owns the job client (engine.jobs.client.EngineClient, which runs the
worker process) and turns its typed events into Qt signals on the UI thread.

The worker starts in the background after the window is on screen (the window is usable before
it is ready). The SQLite queue is the durable truth: the panels read jobs from it, and what the
pipe says only makes them arrive sooner. When the worker dies the client marks its job
interrupted and starts a fresh worker, which resumes the job; this adapter says so.

Generation runs on this machine or on a farm (`render_on`): on a farm, a second worker process,
engine.farm.agent, claims the generation jobs from the same queue and runs them remotely, while
this machine's worker keeps the rest (analysis, proxies). A farm job is a queue job like any other:
the same panels, the same events, the same one-edit result path.

The editor process never imports torch (nor Ray): the device is what the worker reports.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.i18n import tr

STATES = ("off", "starting", "idle", "busy", "restarting", "error")
_FARM_SILENT = ("hello", "device", "heartbeat", "bye", "worker_exited")
"""The farm agent's process events: the farm's own status readout covers them (desktop.services.farm)."""


def local_kinds(farm_url: str | None) -> list[str] | None:
    """The job kinds this machine's worker claims: all of them, or all but generation when a farm
    renders."""
    if not farm_url:
        return None
    from typing import get_args

    from engine.jobs.models import GENERATION_KINDS, JobKind

    return [k for k in get_args(JobKind) if k not in GENERATION_KINDS]


def project_key(path: Path | str) -> str:
    """How jobs name their project (the engine's rule)."""
    from engine.jobs.apply import project_key as key

    return key(path)


class EngineService(QObject):
    stateChanged = Signal(str, str)  # state, detail ("2/5" while busy, the reason of an error)
    deviceChanged = Signal(str)  # "NVIDIA H200 · 120 GiB free", "CPU"
    event = Signal(object)  # every worker event, typed (engine.jobs.events), on the UI thread
    jobsChanged = Signal()  # the queue changed (submit, progress, end, reorder, pause)
    workerDied = Signal(str)  # one line: what happened and what the editor does about it
    failedToStart = Signal(str)
    farmEvent = Signal(object)  # the farm agent's events, reaching the UI thread queued
    farmAgentChanged = Signal()  # the farm agent started, stopped, or could not use the farm

    def __init__(self, db_path: Path | str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.client: Any = None
        self.queue: Any = None  # the UI thread's own connection (reads never wait for the worker)
        self.state = "off"
        self.detail = ""
        self.device = ""
        self.generation_available = True
        self.device_kind = ""  # "cuda", "mps" or "cpu" once the worker says
        self.free_bytes: int | None = None  # free memory of the worker's device, when it reports it
        self.worker_pid: int | None = None
        self._batch_done = 0
        self._lock = threading.Lock()
        self._starting: threading.Thread | None = None
        self._unsubscribe = None
        self.farm_url: str | None = None  # where generation runs: None here, else this farm
        self.farm_client: Any = None  # the EngineClient of the farm agent (engine.farm.agent)
        self._draining: list[Any] = []  # farm agents that finish their jobs and claim no more
        self._farm_starting: threading.Thread | None = None
        # The queue is the durable truth; the worker's events only make news arrive sooner. A job
        # whose event never came (a worker killed between its commit and its message, another
        # program's worker, `shotloom render --queue`) shows within a tick of this watch.
        self._queue_state: tuple | None = None
        self._watch = QTimer(self)
        self._watch.setInterval(500)
        self._watch.timeout.connect(self._check_queue)
        self.event.connect(self._on_event)
        self.farmEvent.connect(self._on_farm_event)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Open the queue and start the worker, off the UI thread."""
        with self._lock:
            if self.client is not None or self._starting is not None:
                return
            self._set_state("starting")
            self._starting = threading.Thread(target=self._start, name="shotloom-engine-start", daemon=True)
            self._starting.start()

    def _start(self) -> None:
        try:
            from engine.jobs.client import EngineClient
            from engine.jobs.queue import JobQueue

            client = EngineClient(self.db_path, kinds=local_kinds(self.farm_url))
            queue = JobQueue(client.db_path, timeout=5.0)
            self._unsubscribe = client.subscribe(self.event.emit)  # emitted on the reader thread, queued here
            client.start()
            if self.farm_url:
                self._farm_starting = threading.current_thread()  # render_on waits for this one
            self.client, self.queue = client, queue
            if self.farm_url:
                self._start_farm(self.farm_url)
        except Exception as exc:  # noqa: BLE001 - the editor keeps working without its engine
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.failedToStart.emit(message)
            self.event.emit(_StartFailed(message))
            return
        finally:
            self._starting = None
        self.event.emit(_Started())

    def wait_ready(self, timeout: float = 30.0) -> bool:
        """Block until the queue is open (tests, shutdown)."""
        end = time.monotonic() + timeout
        while self.queue is None and time.monotonic() < end:
            thread = self._starting
            if thread is None and self.client is None:
                return False
            time.sleep(0.01)
        return self.queue is not None

    def stop(self) -> None:
        starting = self._starting
        if starting is not None:
            starting.join(timeout=30)
        farm_url, self.farm_url = self.farm_url, None  # no farm agent starts from now on
        starting = self._farm_starting
        if starting is not None and starting is not threading.current_thread():
            starting.join(timeout=30)
        for farm in [self.farm_client, *self._draining]:
            if farm is not None:
                farm.close()  # detaches: the farm keeps rendering; a retry fetches the take
        self.farm_client, self._draining, self.farm_url = None, [], farm_url
        client, self.client = self.client, None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if client is not None:
            client.close()  # a running job ends interrupted, resumed by the next worker
        self._watch.stop()
        if self.queue is not None:
            self.queue.close()
            self.queue = None
        self._set_state("off")

    @property
    def ready(self) -> bool:
        return self.queue is not None

    # -- jobs --------------------------------------------------------------------------------
    def submit_shots(self, project: Any, shots: list) -> tuple[list, list]:
        """Jobs for these shots (pending or stale) in dependency order: (jobs to wait for, succeeded
        jobs whose take is not in the project yet)."""
        from engine.jobs.commands import submit_shots

        waiting, done = submit_shots(project, self.queue, shots)
        self._wake()
        self.jobsChanged.emit()
        self._refresh_state()
        return waiting, done

    def submit_analysis(self, project: Any, timeline: Path | None = None) -> Any:
        """Queue the continuity analysis (job kind ``analyze``) of a project, of its timeline as
        ``timeline`` (a snapshot of the editor's document) has it; returns the job."""
        params = {"project": str(project.path), "timeline": str(timeline) if timeline is not None else None}
        job = self.queue.submit("analyze", params, project=project_key(project.path))
        self._wake()
        self.jobsChanged.emit()
        self._refresh_state()
        return job

    def submit_job(self, project: Any, kind: str, params: Any, *, shot: str | None = None,
                   out_dir: Path | None = None) -> Any:
        """Queue one job of ``project`` (a finishing job: upscale, interpolate); returns it."""
        job = self.queue.submit(kind, params, project=project_key(project.path), shot=shot, out_dir=out_dir)
        self._wake()
        self.jobsChanged.emit()
        self._refresh_state()
        return job

    def jobs(self, project: Any | None = None) -> list:
        if self.queue is None:
            return []
        return self.queue.list(project=project_key(project.path) if project is not None else None)

    def job(self, job_id: str):
        return self.queue.get(job_id)

    def cancel(self, job_id: str) -> None:
        # A farm agent sees the queue's cancel flag within a tick and cancels the farm job too.
        if self.client is not None:
            self.client.cancel(job_id)
        else:
            self.queue.cancel(job_id)
        self.jobsChanged.emit()
        self._refresh_state()

    def retry(self, job_id: str) -> None:
        self.queue.retry(job_id)
        self._wake()
        self.jobsChanged.emit()
        self._refresh_state()

    def remove(self, job_id: str) -> None:
        self.queue.remove(job_id)
        self.jobsChanged.emit()

    def move(self, job_id: str, position: int) -> None:
        self.queue.move(job_id, position)
        self.jobsChanged.emit()

    @property
    def paused(self) -> bool:
        return bool(self.queue is not None and self.queue.paused)

    def pause(self) -> None:
        self.queue.pause()
        self.jobsChanged.emit()
        self._refresh_state()

    def resume(self) -> None:
        self.queue.resume()
        self._wake()
        self.jobsChanged.emit()
        self._refresh_state()

    # -- where generation runs ----------------------------------------------------------------
    def render_on(self, farm_url: str | None) -> None:
        """Generation runs on this machine (None) or on the farm at `farm_url` from now on. A job
        already rendering finishes where it is; nothing here waits on a process or the network."""
        if farm_url == self.farm_url:
            if farm_url and self.ready and not self._farm_busy_starting() and (
                    self.farm_client is None or self.farm_client.gave_up):
                self._restart_farm()  # the farm answers again: start the agent that could not use it
            return
        self.farm_url = farm_url
        if self.client is not None:
            self.client.set_kinds(local_kinds(farm_url) or _all_kinds())
        old, self.farm_client = self.farm_client, None
        if old is not None:
            old.set_kinds([])  # it finishes the farm jobs it runs, then stops (_stop_drained)
            self._draining.append(old)
        if farm_url and self.ready:
            self._restart_farm()
        self._stop_drained()
        self.farmAgentChanged.emit()
        self._wake()

    def _farm_busy_starting(self) -> bool:
        thread = self._farm_starting
        return thread is not None and thread.is_alive()

    def _restart_farm(self) -> None:
        url = self.farm_url
        old, self.farm_client = self.farm_client, None
        self._farm_starting = threading.Thread(
            target=lambda: (old.close() if old is not None else None, self._start_farm(url)),
            name="shotloom-farm-start", daemon=True)
        self._farm_starting.start()

    def _start_farm(self, url: str | None) -> None:
        """The farm agent (a process), on a work thread."""
        from engine.jobs.client import EngineClient
        from engine.jobs.models import GENERATION_KINDS

        if not url or url != self.farm_url:
            return
        try:
            client = EngineClient(self.db_path, farm=url, kinds=list(GENERATION_KINDS))
            client.subscribe(self.farmEvent.emit)
            client.start()
        except Exception as exc:  # noqa: BLE001 - this machine's engine goes on; the farm's status says more
            self.workerDied.emit(tr("The farm's agent could not start: {why}").format(why=str(exc).splitlines()[0]))
            self.farmEvent.emit(_FarmStarted())
            return
        if url != self.farm_url:  # the choice changed while it started
            client.set_kinds([])
            self._draining.append(client)
        else:
            self.farm_client = client
        self.farmEvent.emit(_FarmStarted())

    def _stop_drained(self) -> None:
        """Farm agents that were told to claim nothing stop once their last farm job ended."""
        if not self._draining or self.queue is None:
            return
        running = self.queue.list(status="running")
        for agent in list(self._draining):
            if not any(j.worker_pid == agent.pid for j in running):
                self._draining.remove(agent)
                threading.Thread(target=agent.close, name="shotloom-farm-stop", daemon=True).start()

    def farm_job(self, job: Any) -> bool:
        """Whether a running job is rendered by a farm."""
        from engine.farm.protocol import AGENT_WORKER_PREFIX

        return bool(job is not None and job.worker_id and job.worker_id.startswith(AGENT_WORKER_PREFIX))

    def _on_farm_event(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        if kind in ("_farm_started", "worker_exited"):
            self.farmAgentChanged.emit()
            if kind == "worker_exited":
                self.jobsChanged.emit()
        elif kind not in _FARM_SILENT:
            self.event.emit(event)  # job events: the same path as the local worker's
            if kind in ("succeeded", "failed", "canceled", "interrupted"):
                self._stop_drained()

    def kill_worker(self) -> None:
        """Kill the worker process hard (what a crash does); the client restarts it."""
        client = self.client
        proc = getattr(client, "_proc", None)
        if proc is not None:
            proc.kill()

    def _wake(self) -> None:
        for client in (self.client, self.farm_client):
            send = getattr(client, "_send", None)
            if callable(send):
                send("wake")  # the worker would also find the job at its next poll

    # -- events (UI thread) ----------------------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        if kind == "hello":
            self.worker_pid = event.pid
            lower_priority(event.pid)
            self._refresh_state()
        elif kind == "device":
            self.free_bytes = event.free_bytes
            self.device_kind = event.kind
            self.generation_available = event.generation
            self._set_device(device_text(event))
        elif kind == "_started":
            self._watch.start()
            self.jobsChanged.emit()
            self._refresh_state()
        elif kind == "_start_failed":
            self._set_state("error", event.message)
        elif kind == "worker_exited":
            if event.restarting:
                self._set_state("restarting")
                jobs = ", ".join(j[:8] for j in event.interrupted)
                self.workerDied.emit(
                    f"The engine stopped unexpectedly (exit code {event.exit_code}); restarting it"
                    + (f" — job {jobs} resumes" if jobs else ""))
            elif self.client is not None:
                self._set_state("error", f"the engine stopped (exit code {event.exit_code}) and was not restarted")
                self.workerDied.emit(f"The engine stopped (exit code {event.exit_code}) and could not be "
                                     "restarted; see the worker log in the Shotloom data folder")
            self.jobsChanged.emit()
        elif kind in ("claimed", "succeeded", "failed", "canceled", "interrupted", "memory_tier"):
            if kind in ("succeeded", "failed", "canceled"):
                self._batch_done += 1
            self.jobsChanged.emit()
            self._refresh_state()

    def _check_queue(self) -> None:
        from engine.errors import ShotloomError

        if self.queue is None:
            return
        try:
            state = self.queue.changes()
        except ShotloomError:
            return  # busy or unreadable for a moment: the next tick asks again
        if state != self._queue_state:
            self._queue_state = state
            self.jobsChanged.emit()
            self._refresh_state()

    def _refresh_state(self) -> None:
        if self.queue is None or self.state == "error":
            return
        if self.client is not None and not self.client.running and self.state == "restarting":
            return
        counts = self.queue.counts()
        active = counts.get("queued", 0) + counts.get("running", 0)
        if self.worker_pid is None and self.client is not None and not self.client.running:
            self._set_state("starting")
        elif active == 0 or (counts.get("running", 0) == 0 and self.paused):
            self._batch_done = 0
            self._set_state("idle", "paused" if self.paused else "")
        else:
            self._set_state("busy", f"{self._batch_done + 1}/{self._batch_done + active}")

    def _set_state(self, state: str, detail: str = "") -> None:
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            self.stateChanged.emit(state, detail)

    def _set_device(self, device: str) -> None:
        if device != self.device:
            self.device = device
            self.deviceChanged.emit(device)


def lower_priority(pid: int) -> None:
    """The worker yields the CPU to the editor: with generation on the CPU (no GPU) it would
    otherwise take every core from the viewer and the UI thread; on a GPU it barely uses the CPU."""
    import psutil  # the queue needs it too

    try:
        proc = psutil.Process(pid)
        if hasattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS"):
            proc.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)  # Windows
        else:
            proc.nice(max(proc.nice(), 10))
    except (OSError, psutil.Error):
        pass  # not ours to change (another user's process) or already gone


def _all_kinds() -> list[str]:
    from typing import get_args

    from engine.jobs.models import JobKind

    return list(get_args(JobKind))


class _Started:
    type = "_started"


class _FarmStarted:
    type = "_farm_started"


class _StartFailed:
    type = "_start_failed"

    def __init__(self, message: str) -> None:
        self.message = message


def _gib(n: int | None) -> str:
    return f"{n / 2**30:.0f} GiB" if n else ""


def device_text(event: Any) -> str:
    """The status bar's device: "NVIDIA H200 · 131 GiB free", "CPU · 12 GiB free"."""
    if not event.generation:
        return tr("no generation (light install)")
    name = "CPU" if event.kind == "cpu" else event.name
    free = _gib(event.free_bytes)
    return f"{name} · {tr('{free} free').format(free=free)}" if free else name
