"""Export on a background thread with progress, ETA and cancel (engine.render.export does the work)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine.errors import Canceled, ShotloomError
from engine.progress import CancelToken


def eta_text(done: int, total: int, elapsed: float) -> str:
    """'0:42' left, from the average speed so far ('' until there is a basis)."""
    if done <= 0 or total <= 0 or elapsed <= 0.2:
        return ""
    left = elapsed * (total - done) / done
    minutes, seconds = divmod(int(round(left)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ExportJob(QObject):
    progress = Signal(int, int, str)  # done, total, ETA text
    succeeded = Signal(str)  # output path
    failed = Signal(str)  # one-line message
    canceled = Signal()

    def __init__(self, project, out: Path, preset: str, frame_range: tuple[int, int] | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.out = Path(out)
        self.preset = preset
        self.frame_range = frame_range
        self.token = CancelToken()
        self.started_at = 0.0
        self._thread = threading.Thread(target=self._run, name="shotloom-export", daemon=True)
        self._last_emit = 0.0

    def start(self) -> None:
        self.started_at = time.monotonic()
        self._thread.start()

    def cancel(self) -> None:
        self.token.cancel()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _report(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self._last_emit < 0.1:
            return  # at most ten updates a second reach the UI
        self._last_emit = now
        self.progress.emit(done, total, eta_text(done, total, now - self.started_at))

    def _run(self) -> None:
        from engine.render import export

        try:
            path = export(self.project, self.out, preset=self.preset, frame_range=self.frame_range,
                          progress=self._report, cancel=self.token)
        except Canceled:
            self.canceled.emit()
        except ShotloomError as exc:
            self.failed.emit(str(exc))
        except OSError as exc:
            self.failed.emit(f"{self.out}: could not be written ({exc.strerror or exc}); "
                             "check the folder and free space")
        else:
            self.succeeded.emit(str(path))
