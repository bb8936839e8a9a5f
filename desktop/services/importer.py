"""Imports run in the background: each file is probed (and its first frame decoded) in a child
process, because a broken file can crash PyAV. A file that fails gets a clear message and nothing
changes; files that pass become shots in one undo step."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from engine.errors import ShotloomError


class ImportJob(QObject):
    progress = Signal(int, int, str)  # done, total, file name
    probed = Signal(object, list, list)  # job, [(path, MediaInfo)], [one-line errors]

    def __init__(self, paths: list[Path], row: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = [Path(p) for p in paths]
        self.row = row
        self.canceled = False
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="shotloom-import", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.canceled = True

    def _run(self) -> None:
        from engine.media import probe_isolated

        good, errors = [], []
        total = len(self.paths)
        for i, path in enumerate(self.paths):
            if self.canceled:
                break
            self.progress.emit(i, total, path.name)
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
        self.progress.emit(total, total, "")
        self.probed.emit(self, good, errors)


class ImportService(QObject):
    """Starts ImportJobs and hands their results to the UI thread."""

    started = Signal(object)  # ImportJob
    finished = Signal(list, list, int)  # good [(path, info)], errors, insert row

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[ImportJob] = []

    def import_files(self, paths: list[Path], row: int) -> ImportJob:
        job = ImportJob(paths, row, self)
        job.probed.connect(self._done, Qt.ConnectionType.QueuedConnection)
        self.jobs.append(job)
        self.started.emit(job)
        job.start()
        return job

    def _done(self, job: ImportJob, good: list, errors: list) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        self.finished.emit(good, errors, job.row)

    @property
    def busy(self) -> bool:
        return bool(self.jobs)
