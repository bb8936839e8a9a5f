"""Imports run in the background through the engine's import_as_shot: each file is probed once in
a child process (a broken file can crash PyAV), which also measures its length, off the UI thread.
A file that fails gets a clear message and nothing changes; files that pass become shots in one
undo step, with a warning for the ones that have damaged frames or lost sound."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.services.background import BackgroundTask
from engine.errors import ShotloomError


def import_files_as_shots(task: BackgroundTask, project, paths: list[Path], row: int) -> tuple[list, list]:
    """([(path, ImportedShot)], [one-line errors]) for the files, reporting each file by name; the
    shots go in at `row`, one after the other."""
    from engine.project.importing import import_as_shot

    good, errors = [], []
    total = len(paths)
    for i, path in enumerate(paths):
        if task.token.canceled:
            break
        task.report(i, total, path.name)
        try:
            good.append((path, import_as_shot(project, path, index=row + len(good))))
        except ShotloomError as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - whatever the child reports, name the file
            errors.append(f"{path}: could not be read ({exc}); check the file")
    task.report(total, total, "")
    return good, errors


def probe_files(task: BackgroundTask, paths: list[Path]) -> tuple[list, list]:
    """([(path, MediaInfo)], [one-line errors]): each file probed in a child process, for the media
    bin (a file without picture is welcome there: sound goes on the audio track)."""
    from engine.media import probe_isolated

    good, errors = [], []
    total = len(paths)
    for i, path in enumerate(paths):
        if task.token.canceled:
            break
        task.report(i, total, path.name)
        if not path.is_file():
            errors.append(f"{path}: {'a folder' if path.is_dir() else 'not found'}; import media files")
            continue
        try:
            good.append((path, probe_isolated(path)))
        except ShotloomError as exc:
            errors.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - whatever the child reports, name the file
            errors.append(f"{path}: could not be read ({exc}); check the file")
    task.report(total, total, "")
    return good, errors


class ImportService(QObject):
    """Starts imports and hands their results to the UI thread."""

    started = Signal(object)  # the BackgroundTask (with .paths and .row)
    finished = Signal(list, list, int)  # good [(path, ImportedShot)], errors, insert row
    probed = Signal(list, list)  # for the media bin: good [(path, MediaInfo)], errors

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[BackgroundTask] = []

    def import_files(self, project, paths: list[Path], row: int) -> BackgroundTask:
        """Import into `project` (its rate sets the shots' lengths) at `row`."""
        paths = [Path(p) for p in paths]
        return self._start(lambda t: import_files_as_shots(t, project, paths, row), paths, row)

    def probe_for_bin(self, paths: list[Path]) -> BackgroundTask:
        """Probe files for the media bin only (`probed` answers; no shots are made)."""
        paths = [Path(p).expanduser().absolute() for p in paths]
        return self._start(lambda t: probe_files(t, paths), paths, None)

    def _start(self, fn, paths: list[Path], row: int | None) -> BackgroundTask:
        task = BackgroundTask(fn, "import", self)
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
        if task.row is None:
            self.probed.emit(good, errors)
        else:
            self.finished.emit(good, errors, task.row)

    @property
    def busy(self) -> bool:
        return bool(self.jobs)
