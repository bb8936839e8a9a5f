"""One helper for work off the UI thread: progress with an ETA, partial results, cancel, and a
one-line message when it fails (Anki's CollectionOp/QueryOp). Imports, exports, proxies and
probes all run through it.

    task = BackgroundTask(lambda t: export(..., progress=t.report, cancel=t.token), "export", parent)
    task.progress.connect(...); task.succeeded.connect(...); task.start()

The function gets the task: `task.report(done, total, message)` (throttled to ten updates a
second, the last one always delivered), `task.token` (a CancelToken to check at every step) and
`task.item(obj)` (a partial result, e.g. one proxy of several). Signals are emitted on the work
thread and reach slots of UI objects queued, on the UI thread.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.errors import Canceled, ShotloomError
from engine.progress import CancelToken, eta_text


def os_error_text(exc: OSError, what: Any) -> str:
    return f"{what}: could not be written ({exc.strerror or exc}); check the folder and free space"


class BackgroundTask(QObject):
    progress = Signal(int, int, str)  # done, total, ETA text
    stage = Signal(str)  # the message of the latest report, when it changed
    item = Signal(object)  # a partial result
    succeeded = Signal(object)  # the function's result
    failed = Signal(str)  # one line
    canceled = Signal()
    ended = Signal()  # after any of the three above

    def __init__(self, fn: Callable[[BackgroundTask], Any], name: str, parent: QObject | None = None, *,
                 describe_error: Callable[[BaseException], str | None] | None = None,
                 interval: float = 0.1) -> None:
        super().__init__(parent)
        self.fn = fn
        self.name = name
        self.token = CancelToken()
        self.describe_error = describe_error
        self.interval = interval
        self.started_at = 0.0
        self.result: Any = None
        self.error: str | None = None
        self._last = 0.0
        self._message = ""
        self._thread = threading.Thread(target=self._run, name=f"shotloom-{name}", daemon=True)

    # -- UI thread -----------------------------------------------------------------------------
    def start(self) -> BackgroundTask:
        self.started_at = time.monotonic()
        self._thread.start()
        return self

    def cancel(self) -> None:
        self.token.cancel()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- work thread ---------------------------------------------------------------------------
    def report(self, done: int, total: int, message: str = "", *_: Any, **__: Any) -> None:
        now = time.monotonic()
        if message and message != self._message:
            self._message = message
            self.stage.emit(message)
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        self.progress.emit(int(done), int(total), eta_text(done, total, now - self.started_at))

    def emit_item(self, value: Any) -> None:
        self.item.emit(value)

    def _run(self) -> None:
        try:
            self._work()
        except RuntimeError as exc:
            # The task's owner (a window being closed) was deleted while it ran: nobody is left to
            # tell. Anything else is a bug and is raised.
            if "deleted" not in str(exc):
                raise

    def _work(self) -> None:
        try:
            self.result = self.fn(self)
        except Canceled:
            self.canceled.emit()
        except Exception as exc:  # noqa: BLE001 - every failure becomes one line for the user
            message = self.describe_error(exc) if self.describe_error is not None else None
            if message is None:
                if isinstance(exc, ShotloomError):
                    message = str(exc)
                else:
                    traceback.print_exc(file=sys.stderr)
                    message = f"{self.name} failed unexpectedly ({type(exc).__name__}: {exc})"
            self.error = message.splitlines()[0] if message else type(exc).__name__
            self.failed.emit(self.error)
        else:
            if self.token.canceled:
                self.canceled.emit()
            else:
                self.succeeded.emit(self.result)
        self.ended.emit()
