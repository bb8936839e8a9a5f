"""Opening, creating, saving and recovering projects, and keeping them ours while open.

The editor is the project's one writer while it has it open: the bundle's ownership lock is taken
on open (a second writer is refused with one line naming the holder) and released on close. The
project file is watched: when it changes from outside (another program that ignored the lock, a
sync tool), `changedOutside` fires and the window offers to reload; a save never overwrites such a
change silently (`ProjectChangedError` from the facade, or the check here).

Widget-free: the window shows the dialogs and messages.
"""

from __future__ import annotations

import inspect
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from desktop.services import autosave as autosave_mod
from engine.errors import ProjectError

WRITER = "shotloom-gui"
PROJECT_FILE = "project.otio"


class ProjectChangedOutside(ProjectError):
    """project.otio was changed by another program since the editor read or saved it."""


def _accepts_writer(fn: Any) -> bool:
    try:
        return "writer" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def retitle(bundle: Path, name: str | None = None) -> None:
    """Give the project in `bundle` the name of its folder (a copy keeps the original's name
    otherwise, and its window title would say so)."""
    from engine.project import Project, RenameProject

    name = name or Path(bundle).name.removesuffix(".shotloom")
    project = Project.open(bundle, writer=WRITER)
    try:
        if project.name != name:
            project.apply(RenameProject(name))
            project.save()
    finally:
        project.close()


class ProjectService(QObject):
    changedOutside = Signal(Path)  # the project file, changed by another program

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Any = None
        self._stamp: tuple[int, int] | None = None
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_event)
        self._watcher.directoryChanged.connect(self._on_file_event)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self._check_outside)
        self._reported: tuple[int, int] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def open(self, path: Path | str, *, from_file: Path | None = None) -> Any:
        """The project at `path`, locked for this editor. ShotloomError (one line) when it cannot be
        opened or another program holds it."""
        from engine.project import Project

        kwargs: dict[str, Any] = {}
        if from_file is not None:
            kwargs["from_file"] = from_file
        if _accepts_writer(Project.open):
            kwargs["writer"] = WRITER
        return Project.open(path, **kwargs)

    def create(self, path: Path | str, fps: Fraction | int | str | None = None,
               size: tuple[int, int] | None = None) -> Any:
        from engine.project import Project

        kwargs: dict[str, Any] = {}
        if fps is not None:
            kwargs["fps"] = fps
        if size is not None:
            kwargs["size"] = size
        if _accepts_writer(Project.create):
            kwargs["writer"] = WRITER
        return Project.create(path, **kwargs)

    def adopt(self, project: Any) -> None:
        """`project` is now the open one: release the previous one, watch this one's file."""
        if self.project is not None and self.project is not project:
            self.release(self.project)
        self.project = project
        self._watch()

    def close(self) -> None:
        if self.project is not None:
            self.release(self.project)
        self.project = None
        self._watch()

    @staticmethod
    def release(project: Any) -> None:
        close = getattr(project, "close", None)
        if callable(close):
            try:
                close()
            except OSError:
                pass  # the lock file went away with its folder; nothing is held any more

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> None:
        """Atomic save. ProjectChangedOutside when the file changed from outside since it was read
        or saved here: the user then reloads it or saves this version under another name."""
        project = self.project
        if self.changed_outside():
            raise ProjectChangedOutside(
                f"{Path(project.path) / PROJECT_FILE} was changed by another program since it was opened; "
                "reload it or save your version under another name (File › Save As)")
        try:
            project.save()
        except ProjectError as exc:
            if type(exc).__name__ == "ProjectChangedError":
                raise ProjectChangedOutside(str(exc)) from None
            raise
        self._remember()

    def changed_outside(self) -> bool:
        project = self.project
        if project is None:
            return False
        check = getattr(project, "changed_on_disk", None)
        if callable(check):
            return bool(check())
        stamp = _file_stamp(Path(project.path) / PROJECT_FILE)
        return self._stamp is not None and stamp is not None and stamp != self._stamp

    def save_as(self, path: Path) -> Path:
        """A copy of the bundle (without its cache) holding the current document; returns its path.
        The copy is complete before it gets its name."""
        project = self.project
        if not path.name.endswith(".shotloom"):
            path = path.with_name(path.name + ".shotloom")
        if path.exists():
            raise ProjectError(f"{path} already exists; pick another name")
        # The engine's Save As: a partial folder published whole; it sweeps what killed ones left.
        saved = project.save_copy(path)
        retitle(saved)
        return saved

    # -- recovery ----------------------------------------------------------------------------
    @staticmethod
    def pending_recovery(project: Any):
        return autosave_mod.pending_recovery(project.path, project.id)

    @staticmethod
    def startup_recovery(open_id: str | None):
        """Autosaves left by a crash of projects that are not open now (and still exist)."""
        return [info for info in autosave_mod.pending_recovery()
                if info.project_id != open_id and info.project_path.is_dir()]

    @staticmethod
    def recover_as_copy(info) -> Path:
        """The recovered work as a copy beside the original, named (and titled) "NAME (recovered)"."""
        copy = autosave_mod.recover_as_copy(info)
        retitle(copy)
        autosave_mod.discard(info.project_id)
        return copy

    @staticmethod
    def discard_autosave(project_id: str) -> None:
        autosave_mod.discard(project_id)

    # -- watching ----------------------------------------------------------------------------
    def _remember(self) -> None:
        if self.project is not None:
            self._stamp = _file_stamp(Path(self.project.path) / PROJECT_FILE)
            self._reported = None

    def _watch(self) -> None:
        old = self._watcher.files() + self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        self._stamp = None
        self._reported = None
        if self.project is None:
            return
        bundle = Path(self.project.path)
        # The file itself, and its folder: an atomic save by another program replaces the file
        # (a new inode), which ends a watch on the old one.
        self._watcher.addPaths([str(bundle / PROJECT_FILE), str(bundle)])
        self._remember()

    def _on_file_event(self, _path: str) -> None:
        if self.project is None:
            return
        target = str(Path(self.project.path) / PROJECT_FILE)
        if target not in self._watcher.files() and Path(target).exists():
            self._watcher.addPath(target)
        self._debounce.start()

    def _check_outside(self) -> None:
        if self.project is None or not self.changed_outside():
            return
        stamp = _file_stamp(Path(self.project.path) / PROJECT_FILE)
        if stamp == self._reported:
            return  # already asked about this version of the file
        self._reported = stamp
        self.changedOutside.emit(Path(self.project.path) / PROJECT_FILE)
