"""The open project's undo history: the Qt side of the engine's Project facade.

Widgets never mutate the project themselves: they call `Document.apply(edit, text)`, which applies
the edit through the facade (refused edits change nothing and surface as a message) and pushes one
undo command for the step of the project's history it made (desktop/undo.py). The editor model (Qt-free) follows the project
and tells the views what changed; `changed` re-emits its refreshes for Qt services (autosave).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from desktop.editor.model import EditorModel
from desktop.error_text import error_text
from desktop.i18n import Label
from desktop.undo import EditCommand
from engine.errors import ShotloomError


class Document(QObject):
    changed = Signal(object)  # editor model Refresh
    opened = Signal()  # a different project (or none) is now current
    dirtyChanged = Signal(bool)
    editRefused = Signal(str)  # one-line message for the status bar
    saved = Signal(Path)

    def __init__(self, model: EditorModel | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model if model is not None else EditorModel()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(lambda _clean: self.dirtyChanged.emit(self.dirty))
        self.edits_since_autosave = 0
        self.merging = False  # the edit being applied is a step of a drag (merged undo step)
        self._dirty_at_open = False
        self.model.changed.connect(self._on_change)

    @property
    def project(self) -> Any:
        return self.model.project

    # -- lifecycle -------------------------------------------------------------------------
    def set_project(self, project: Any, *, dirty: bool | None = None) -> None:
        self.undo_stack.clear()
        if project is not None and getattr(project, "history", None) is not None:
            self._load_history(project)
        self.undo_stack.setClean()
        self.edits_since_autosave = 0
        # A project opened from an autosave is unsaved work before any edit.
        self._dirty_at_open = bool(getattr(project, "dirty", False)) if dirty is None else dirty
        self.model.set_project(project)
        self.opened.emit()
        self.dirtyChanged.emit(self.dirty)

    def _load_history(self, project: Any) -> None:
        """The project's saved history as undo steps: pushed without applying anything (the
        document already is in that state), then the stack index set to where the history is."""
        from engine.project.history import load_undo_steps

        entries, index = load_undo_steps(project)
        commands = []
        for entry in entries:
            # Steps the editor made are recorded in English: shown in the UI's language when known.
            command = EditCommand(project, Label(entry.label), on_error=self.editRefused.emit)
            command.loading = True
            self.undo_stack.push(command)
            commands.append(command)
        self.undo_stack.setIndex(index)
        for command in commands:
            command.loading = False
            command._skip_redo = False

    def _on_change(self, refresh: Any) -> None:
        self.edits_since_autosave += 1
        self.changed.emit(refresh)
        self.dirtyChanged.emit(self.dirty)

    # -- editing ---------------------------------------------------------------------------
    def apply(self, edit: Any, text: Any, merge_key: Hashable | None = None) -> bool:
        """Apply one edit as one undo step (or merged into the previous step with the same key).
        `text` names the step: a Label (it follows the UI's language) or a translated str."""
        if self.project is None:
            return False
        self.merging = merge_key is not None
        try:
            label = text.english() if isinstance(text, Label) else str(text)
            self.project.apply(edit, label=label.replace("&", ""), merge_key=merge_key)
        except ShotloomError as exc:
            self.editRefused.emit(error_text(str(exc)))
            return False
        finally:
            self.merging = False
        merged = bool(getattr(getattr(self.project, "history", None), "last_merged", False))
        self.undo_stack.push(EditCommand(self.project, text, merge_key, merged=merged,
                                         on_error=self.editRefused.emit))
        return True

    def retranslate(self) -> None:
        """The undo steps' names in the UI's language (after it changed)."""
        for i in range(self.undo_stack.count()):
            command = self.undo_stack.command(i)
            if isinstance(command, EditCommand):
                command.retranslate()

    def mark_dirty(self) -> None:
        """Unsaved changes that are not an undo step (a project reloaded from disk keeps none)."""
        self._dirty_at_open = True
        self.dirtyChanged.emit(self.dirty)

    # -- saving ----------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        if self.project is None:
            return False
        # The undo stack knows when undo/redo has come back to the saved document.
        return (not self.undo_stack.isClean()) or self._dirty_at_open

    def discard_changes(self) -> None:
        """The user chose not to keep the unsaved changes (they are about to be closed)."""
        self._dirty_at_open = False
        self.undo_stack.setClean()
        self.dirtyChanged.emit(self.dirty)

    def save_done(self) -> None:
        """The project was just saved (by the project service): the document is clean."""
        self._dirty_at_open = False
        self.undo_stack.setClean()
        self.dirtyChanged.emit(self.dirty)
        self.saved.emit(Path(self.project.path))

    @property
    def title(self) -> str:
        return self.project.name if self.project is not None else ""
