"""Imports run in the background: each file is probed (and its first frame decoded) in a child
process, because a broken file can crash PyAV. A file that fails gets a clear message and nothing
changes; files that pass become shots in one undo step."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.services.background import BackgroundTask
from engine.errors import ShotloomError


def probe_files(task: BackgroundTask, paths: list[Path]) -> tuple[list, list]:
    """([(path, MediaInfo)], [one-line errors]) for the files, reporting each file by name."""
    from engine.media import probe_isolated

    good, errors = [], []
    total = len(paths)
    for i, path in enumerate(paths):
        if task.token.canceled:
            break
        task.report(i, total, path.name)
        try:
            if not path.is_file():
                raise ShotloomError(f"{path}: not a file; drop video or image files")
            info = probe_isolated(path)
            if not getattr(info, "has_video", True) and not getattr(info, "is_image", False):
                raise ShotloomError(f"{path}: has no picture; import a video or image file")
            good.append((path, info))
        except ShotloomError as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - whatever the child reports, name the file
            errors.append(f"{path}: could not be read ({exc}); check the file")
    task.report(total, total, "")
    return good, errors


class ImportService(QObject):
    """Starts imports and hands their results to the UI thread."""

    started = Signal(object)  # the BackgroundTask (with .paths and .row)
    finished = Signal(list, list, int)  # good [(path, info)], errors, insert row

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[BackgroundTask] = []

    def import_files(self, paths: list[Path], row: int) -> BackgroundTask:
        paths = [Path(p) for p in paths]
        task = BackgroundTask(lambda t: probe_files(t, paths), "import", self)
        task.paths, task.row = paths, row
        task.succeeded.connect(lambda result, t=task: self._done(t, *result))
        task.failed.connect(lambda message, t=task: self._done(t, [], [message]))
        self.jobs.append(task)
        self.started.emit(task)
        task.start()
        return task

    def _done(self, task: BackgroundTask, good: list, errors: list) -> None:
        if task in self.jobs:
            self.jobs.remove(task)
        self.finished.emit(good, errors, task.row)

    @property
    def busy(self) -> bool:
        return bool(self.jobs)
