"""The open project as seen by the editor: the Qt side of the engine's Project facade.

Widgets never mutate the project themselves: they call `Document.apply(edit, text)`, which applies
the edit through the facade (refused edits change nothing and surface as a message) and pushes one
generic undo command holding the returned inverse. The facade's change events are re-emitted as a
Qt signal so every view refreshes from the same record (Anki's operations, napari's adapters).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from desktop.undo import EditCommand
from engine.errors import ShotloomError


class Document(QObject):
    changed = Signal(object)  # engine Change record
    opened = Signal()  # a different project (or none) is now current
    dirtyChanged = Signal(bool)
    editRefused = Signal(str)  # one-line message for the status bar
    saved = Signal(Path)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Any = None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(lambda _clean: self.dirtyChanged.emit(self.dirty))
        self._unsubscribe = None
        self.edits_since_autosave = 0
        self._dirty_at_open = False

    # -- lifecycle -------------------------------------------------------------------------
    def set_project(self, project: Any) -> None:
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:  # noqa: BLE001 - an old project going away must not block the new one
                pass
        self._unsubscribe = None
        self.project = project
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.edits_since_autosave = 0
        # A project opened from an autosave is unsaved work before any edit.
        self._dirty_at_open = bool(getattr(project, "dirty", False))
        if project is not None:
            token = project.subscribe(self._on_change)
            self._unsubscribe = token if callable(token) else None
        self.opened.emit()
        self.dirtyChanged.emit(self.dirty)

    def _on_change(self, change: Any) -> None:
        self.edits_since_autosave += 1
        self.changed.emit(change)
        self.dirtyChanged.emit(self.dirty)

    # -- editing ---------------------------------------------------------------------------
    def apply(self, edit: Any, text: str, merge_key: Hashable | None = None) -> bool:
        """Apply one edit as one undo step (or merged into the previous step with the same key)."""
        if self.project is None:
            return False
        try:
            inverse = self.project.apply(edit)
        except ShotloomError as exc:
            self.editRefused.emit(str(exc))
            return False
        self.undo_stack.push(EditCommand(self.project, edit, inverse, text, merge_key))
        return True

    # -- saving ----------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        if self.project is None:
            return False
        # The undo stack knows when undo/redo has come back to the saved document.
        return (not self.undo_stack.isClean()) or self._dirty_at_open

    def save(self) -> None:
        self.project.save()
        self._dirty_at_open = False
        self.undo_stack.setClean()
        self.dirtyChanged.emit(self.dirty)
        self.saved.emit(Path(self.project.path))

    @property
    def title(self) -> str:
        return self.project.name if self.project is not None else ""
