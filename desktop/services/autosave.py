"""Autosave: every minute and every 25 edits, the open project is written to the user data folder,
keyed by project id, never over the user's file (Shotcut's rule). A clean save or a deliberate
discard removes it; one still there when a project opens is work a crash left behind, which the
recovery dialog offers as a copy beside the original.

An autosave is offered whenever it differs from project.otio, whatever the two files' times say:
a command may have saved the project after the editor autosaved, and the autosave still holds
edits that file lacks. Each autosave records the digest of the project.otio it was based on, so
the offer can say when the file was changed since (`Autosave.changed_since`). Writes go through
engine.fsutil (partial files swept when the next editor run opens a project)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from engine import paths
from engine.errors import ShotloomError

DOCUMENT = "project.otio"


@dataclass(frozen=True)
class Autosave:
    folder: Path
    project_id: str
    project_path: Path
    name: str
    saved_at: float
    based_on: str | None = None
    """sha256 of the project.otio the autosaved document was based on (None: not recorded)."""

    @property
    def document(self) -> Path:
        return self.folder / DOCUMENT

    @property
    def changed_since(self) -> float | None:
        """When project.otio was changed after the edits in this autosave began (by a save elsewhere,
        a command), as a time stamp; None when it is still the file they were based on (or that is
        unknown)."""
        if self.based_on is None:
            return None
        current = _digest_of(Path(self.project_path) / DOCUMENT)
        if current == self.based_on:
            return None
        return saved_time(self.project_path) or None

    @property
    def note(self) -> str:
        """One sentence for the recovery offer when the saved project changed since (else "")."""
        when = self.changed_since
        if when is None:
            return ""
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
        return (f"The saved project was changed at {stamp}, after these edits began; the recovered copy "
                "holds the autosaved edits without those changes.")


def autosave_folder(project_id: str) -> Path:
    return paths.autosave_dir() / project_id


def _digest_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def read_autosave(folder: Path) -> Autosave | None:
    try:
        meta = json.loads((folder / "autosave.json").read_text(encoding="utf-8"))
        if not (folder / DOCUMENT).is_file():
            return None
        based_on = meta.get("based_on")
        return Autosave(folder, str(meta["project_id"]), Path(meta["project_path"]), str(meta["name"]),
                        float(meta["saved_at"]), based_on if isinstance(based_on, str) else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def saved_time(project_path: Path) -> float:
    try:
        return (Path(project_path) / DOCUMENT).stat().st_mtime
    except OSError:
        return 0.0


def pending_recovery(project_path: Path | None = None, project_id: str | None = None) -> list[Autosave]:
    """Autosaves holding edits their project's saved file lacks (for one project, or all of them):
    every autosave whose document differs from project.otio, however old it is."""
    found = []
    root = paths.autosave_dir()
    folders = [root / project_id] if project_id else sorted(p for p in root.iterdir() if p.is_dir())
    for folder in folders:
        info = read_autosave(folder)
        if info is None:
            continue
        if project_path is not None and Path(project_path).resolve() != info.project_path.resolve():
            continue
        if _digest_of(info.document) != _digest_of(info.project_path / DOCUMENT):
            found.append(info)
    return found


def discard(project_id: str) -> None:
    shutil.rmtree(autosave_folder(project_id), ignore_errors=True)


def recover_as_copy(info: Autosave) -> Path:
    """A copy of the original bundle with the autosaved document in it, next to the original:
    'NAME (recovered).shotloom'. The user's own bundle is never touched."""
    from engine.project.project import copy_bundle

    original = info.project_path
    parent = original.parent
    # A copy of a recovered copy is "NAME (recovered 2)", never "NAME (recovered) (recovered)".
    stem = re.sub(r" \(recovered(?: \d+)?\)$", "", original.name.removesuffix(".shotloom"))
    target = parent / f"{stem} (recovered).shotloom"
    n = 2
    while target.exists():
        target = parent / f"{stem} (recovered {n}).shotloom"
        n += 1
    try:
        text = info.document.read_text(encoding="utf-8")
    except OSError as exc:
        raise ShotloomError(f"{info.document}: the autosave cannot be read ({exc.strerror or exc})") from None
    # The document refers to media inside the bundle by relative paths: the copy holds the
    # bundle's media (not its disposable cache) so those paths resolve in it too.
    return copy_bundle(original, target, text)


class AutosaveService(QObject):
    saved = Signal(Path)
    failed = Signal(str)

    def __init__(self, document, seconds: int = 60, edits: int = 25, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.edits = edits
        self.timer = QTimer(self)
        self.timer.setInterval(seconds * 1000)
        self.timer.timeout.connect(self.autosave_if_needed)
        self.timer.start()
        # Edits that are steps of a drag are saved once the drag pauses, not in the middle of it.
        self.settle = QTimer(self)
        self.settle.setSingleShot(True)
        self.settle.setInterval(1000)
        self.settle.timeout.connect(self.autosave_if_needed)
        self._revision_saved: int | None = None
        document.changed.connect(self._on_change)
        document.opened.connect(self._on_opened)
        document.saved.connect(lambda _p: self.discard())
        self._swept = False

    def configure(self, seconds: int, edits: int) -> None:
        self.edits = edits
        self.timer.setInterval(seconds * 1000)

    def _on_opened(self) -> None:
        project = self.document.project
        self._revision_saved = getattr(project, "revision", None) if project is not None else None
        if not self._swept:  # once per editor run, when the first project opens (not at start-up)
            self._swept = True
            from engine.fsutil import sweep_debris

            sweep_debris(paths.autosave_dir(), recursive=True)  # autosaves a killed editor was writing

    def _on_change(self, _change) -> None:
        if self.document.edits_since_autosave >= self.edits:
            if self.document.merging:
                self.settle.start()
            else:
                self.autosave_if_needed()

    def autosave_if_needed(self) -> Path | None:
        project = self.document.project
        if project is None or not self.document.dirty:
            return None
        if project.revision == self._revision_saved and self.document.edits_since_autosave == 0:
            return None
        return self.autosave()

    def autosave(self) -> Path | None:
        from engine.fsutil import write_json_atomic  # not at start-up

        project = self.document.project
        folder = autosave_folder(project.id)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            project.save_to(folder / DOCUMENT)
            write_json_atomic(folder / "autosave.json", {
                "project_id": project.id, "project_path": str(Path(project.path).resolve()),
                "name": project.name, "saved_at": time.time(), "revision": project.revision,
                "based_on": getattr(project, "disk_digest", None),
            }, indent=2)
        except (OSError, ShotloomError) as exc:
            self.failed.emit(f"{folder}: autosave failed ({exc}); save your work with Ctrl+S")
            return None
        self._revision_saved = project.revision
        self.document.edits_since_autosave = 0
        self.saved.emit(folder)
        return folder

    def discard(self) -> None:
        project = self.document.project
        if project is not None:
            discard(project.id)
        self._revision_saved = getattr(project, "revision", None)
        self.document.edits_since_autosave = 0
