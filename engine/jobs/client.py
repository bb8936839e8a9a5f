"""The engine client (Qt-free; the editor and the CLI use it): runs the worker process, submits and
cancels jobs, and delivers the worker's events (iterator or callbacks).

A monitor thread notices a dead worker within a second (process poll) or a hung one (no event for
`hang_after` seconds, then it is killed), marks its running job `interrupted`, and starts a fresh
worker, which resumes the interrupted job unless it has already been tried `max_attempts` times.
"""

from __future__ import annotations

import os
import queue as queue_mod
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel

from engine.errors import ShotloomError
from engine.jobs import events as ev
from engine.jobs.models import Job, JobError
from engine.jobs.queue import JobQueue
from engine.paths import user_data_dir

EventCallback = Callable[[Any], None]
_REPO_ROOT = Path(__file__).resolve().parents[2]


class EngineClient:
    def __init__(
        self,
        db_path: Path | str | None = None,
        *,
        python: str | None = None,
        kinds: Iterable[str] | None = None,
        auto_restart: bool = True,
        resume_interrupted: bool = True,
        max_attempts: int = 3,
        heartbeat: float = 1.0,
        hang_after: float = 20.0,
        poll: float = 0.25,
        exit_when_idle: bool = False,
        log_path: Path | None = None,
        project: str | Path | None = None,
        farm: str | None = None,
    ) -> None:
        self.project = str(project) if project is not None else None
        self.farm = farm
        """A farm's URL: the worker is then engine.farm.agent, which runs generations there."""
        self.queue = JobQueue(db_path)
        self.db_path = self.queue.path
        self.python = python or sys.executable
        self.kinds = list(kinds) if kinds else None
        self.auto_restart = auto_restart
        self.resume_interrupted = resume_interrupted
        self.max_attempts = max_attempts
        self.heartbeat = heartbeat
        self.hang_after = hang_after
        self.poll = poll
        self.exit_when_idle = exit_when_idle
        self.log_path = log_path or (user_data_dir() / "logs" / "worker.log")
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.RLock()
        self._stopping = False
        self._last_seen = 0.0
        self._callbacks: list[EventCallback] = []
        self._events: queue_mod.Queue[Any] = queue_mod.Queue()
        self._restarts: list[float] = []
        self._monitor: threading.Thread | None = None
        self._closed = threading.Event()
        self.worker_exits: list[int | None] = []
        self.gave_up = False
        """True when the worker ended and will not be restarted (fatal error, too many restarts)."""

    # -- worker process ------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _command(self) -> list[str]:
        module = "engine.farm.agent" if self.farm else "engine.worker"
        cmd = [self.python, "-m", module, "--db", str(self.db_path), "--exit-on-eof",
               "--heartbeat", str(self.heartbeat), "--poll", str(self.poll)]
        if self.kinds:
            cmd += ["--kinds", ",".join(self.kinds)]
        if self.project:
            cmd += ["--project", self.project]
        if self.exit_when_idle:
            cmd.append("--exit-when-idle")
        if self.farm:
            cmd += ["--farm", self.farm]
        return cmd

    def start(self) -> None:
        """Starts the worker (no-op when it runs) and the monitor thread."""
        with self._lock:
            self._stopping = False
            self.gave_up = False
            if not self.running:
                self._spawn()
            if self._monitor is None or not self._monitor.is_alive():
                self._closed.clear()
                self._monitor = threading.Thread(target=self._watch, daemon=True, name="engine-client-monitor")
                self._monitor.start()

    def _spawn(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO_ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        # OpenMP threads that wait by spinning hold a core between torch's parallel sections; on a
        # machine without a GPU that core is the one the editor's UI and viewer need.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as log:
            try:
                proc = subprocess.Popen(
                    self._command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                    bufsize=1, env=env, cwd=str(_REPO_ROOT),
                )
            except OSError as exc:
                raise JobError(f"The engine worker could not be started with {self.python} ({exc}); "
                               "check the Shotloom installation.") from None
        self._proc = proc
        self._last_seen = time.monotonic()
        threading.Thread(target=self._read, args=(proc,), daemon=True, name=f"engine-client-read-{proc.pid}").start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            event = ev.decode(line)
            if event is None:
                continue
            if proc is self._proc:
                self._last_seen = time.monotonic()
            self._dispatch(event)

    def _dispatch(self, event: Any) -> None:
        self._events.put(event)
        for fn in list(self._callbacks):
            try:
                fn(event)
            except Exception as exc:  # noqa: BLE001 — a listener's bug must not stop event delivery
                print(f"shotloom: an event listener failed: {exc}", file=sys.stderr)

    def _watch(self) -> None:
        while not self._closed.wait(0.2):
            with self._lock:
                proc = self._proc
                if proc is None or self._stopping:
                    continue
                code = proc.poll()
                if code is None and time.monotonic() - self._last_seen > self.hang_after:
                    proc.kill()  # hung: no heartbeat for hang_after seconds
                    code = proc.wait()
                if code is None:
                    continue
                try:
                    self._handle_exit(proc, code)
                except ShotloomError as exc:  # the queue itself failed (damaged, locked for long)
                    self._proc = None
                    self.gave_up = True
                    self._dispatch(ev.WorkerExited(pid=proc.pid, exit_code=code, restarting=False))
                    print(f"shotloom: the engine worker stopped and was not restarted: {exc}", file=sys.stderr)

    def _handle_exit(self, proc: subprocess.Popen[str], code: int) -> None:
        """The worker ended without being asked: its running job becomes interrupted; restart."""
        self.worker_exits.append(code)
        lost = self.queue.recover(pid=proc.pid)
        # A worker that lost its device marked its job interrupted itself before exiting.
        lost += [j for j in self.queue.list(status="interrupted") if j.worker_pid == proc.pid
                 and j.id not in {x.id for x in lost}]
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < 60]
        restart = self.auto_restart and len(self._restarts) < 5 and not (
            self.exit_when_idle and code == ev.EXIT_OK)
        if code == ev.EXIT_FATAL:
            restart = False  # it could not open the queue; a restart would fail the same way
        if restart and self.resume_interrupted:
            for job in lost:
                if job.attempts < self.max_attempts:
                    self.queue.retry(job.id)
        self._proc = None
        self.gave_up = not restart
        self._dispatch(ev.WorkerExited(pid=proc.pid, exit_code=code, interrupted=[j.id for j in lost],
                                       restarting=restart))
        if restart:
            self._restarts.append(now)
            self._spawn()

    def _send(self, line: str) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            return
        try:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the monitor notices the exit

    def stop(self, timeout: float = 10.0) -> int | None:
        """Asks the worker to shut down (a running job ends `interrupted`, resumable); kills it
        after `timeout` seconds. Returns its exit code."""
        with self._lock:
            self._stopping = True
            proc = self._proc
        code = None
        if proc is not None:
            self._send("shutdown")
            try:
                code = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
                self.queue.recover(pid=proc.pid)
            if proc.stdin:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        self._closed.set()
        if self._monitor is not None and self._monitor is not threading.current_thread():
            self._monitor.join(timeout=2)
        self._proc = None
        return code

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self.queue.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- jobs ----------------------------------------------------------------------------------

    def submit(self, kind: str, params: dict[str, Any] | BaseModel, **kwargs: Any) -> Job:
        job = self.queue.submit(kind, params, **kwargs)
        self._send("wake")
        return job

    def cancel(self, job_id: str) -> Job:
        """Canceled at once when queued; when running, the worker stops within one step."""
        job = self.queue.cancel(job_id)
        if job.status == "running":
            self._send(f"cancel {job.id}")
        return job

    def set_kinds(self, kinds: Iterable[str]) -> None:
        """The job kinds the worker claims from now on (kept for its restarts); a job it runs
        already finishes. An empty list: it claims nothing."""
        self.kinds = list(kinds)
        self._send("kinds " + ",".join(self.kinds))

    def subscribe(self, fn: EventCallback) -> Callable[[], None]:
        """Calls fn(event) from the reader thread for every event; returns an unsubscribe function."""
        self._callbacks.append(fn)
        return lambda: self._callbacks.remove(fn) if fn in self._callbacks else None

    def events(self, timeout: float | None = None) -> Iterator[Any]:
        """Yields events as they arrive; stops after `timeout` seconds without one."""
        while True:
            try:
                yield self._events.get(timeout=timeout)
            except queue_mod.Empty:
                return

    def wait(self, job_ids: Iterable[str], *, timeout: float | None = None,
             on_event: EventCallback | None = None) -> dict[str, Job]:
        """Blocks until every job is finished (succeeded, failed, canceled) or interrupted with no
        worker left to resume it; returns them as the queue has them."""
        ids = list(job_ids)
        deadline = None if timeout is None else time.monotonic() + timeout
        last_check = 0.0
        while True:
            try:
                event = self._events.get(timeout=0.1)
                if on_event is not None:
                    on_event(event)
            except queue_mod.Empty:
                pass
            now = time.monotonic()
            if now - last_check >= 0.25:
                last_check = now
                jobs = self._jobs(ids)
                resumable = self.auto_restart and self.resume_interrupted and not self.gave_up
                # An interrupted job nobody will pick up (its worker died before this client
                # started, or another program's did): resume it here rather than wait forever.
                stuck = [j for j in jobs.values() if j.status == "interrupted" and resumable
                         and j.attempts < self.max_attempts]
                if stuck:
                    for job in stuck:
                        try:
                            self.queue.retry(job.id)
                        except JobError:
                            pass  # the monitor thread resumed it first
                    self._send("wake")
                    jobs = self._jobs(ids)
                if all(j.status in ("succeeded", "failed", "canceled")
                       or (j.status == "interrupted" and (not resumable or j.attempts >= self.max_attempts))
                       for j in jobs.values()):
                    return jobs
                if self.gave_up and not self.running:
                    return jobs
            if deadline is not None and now > deadline:
                return self._jobs(ids)

    def _jobs(self, ids: list[str]) -> dict[str, Job]:
        found = self.queue.get_many(ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise JobError(f"Job {missing[0]} is no longer in the queue (removed by another program).")
        return {i: found[i] for i in ids}
