"""Imports run in the background through the engine's import_as_shot: each file is probed once in
a child process (a broken file can crash PyAV), which also measures its length, off the UI thread.
A file that fails gets a clear message and nothing changes; files that pass become shots in one
undo step, with a warning for the ones that have damaged frames or lost sound."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from engine.errors import ShotloomError


class ImportJob(QObject):
    progress = Signal(int, int, str)  # done, total, file name
    probed = Signal(object, list, list)  # job, [(path, ImportedShot)], [one-line errors]

    def __init__(self, paths: list[Path], row: int, project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = [Path(p) for p in paths]
        self.row = row
        self.project = project
        self.canceled = False
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="shotloom-import", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.canceled = True

    def _run(self) -> None:
        from engine.project.importing import import_as_shot

        good, errors = [], []
        total = len(self.paths)
        for i, path in enumerate(self.paths):
            if self.canceled:
                break
            self.progress.emit(i, total, path.name)
            try:
                good.append((path, import_as_shot(self.project, path, index=self.row + len(good))))
            except ShotloomError as exc:
                errors.append(str(exc))
            except Exception as exc:  # noqa: BLE001 - whatever the child reports, name the file
                errors.append(f"{path}: could not be read ({exc}); check the file")
        self.progress.emit(total, total, "")
        self.probed.emit(self, good, errors)


class ImportService(QObject):
    """Starts ImportJobs and hands their results to the UI thread."""

    started = Signal(object)  # ImportJob
    finished = Signal(list, list, int)  # good [(path, ImportedShot)], errors, insert row

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[ImportJob] = []

    def import_files(self, paths: list[Path], row: int) -> ImportJob:
        # The window's open project: its rate sets the shots' lengths.
        project = self.parent().document.project
        job = ImportJob(paths, row, project, self)
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
