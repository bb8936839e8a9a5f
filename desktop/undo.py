"""The editor's undo commands are the project's history steps (engine.project.history): one
QUndoCommand per step, whose undo() and redo() ask the project to undo or redo its last step. The
history is kept in the bundle, so the steps a command-line `shotloom` made (or an earlier session
of the editor) are on the stack when the project opens, and what the editor undoes, `shotloom
undo` continues from. A drag merges into one step exactly when the history merges it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.errors import ShotloomError

MERGE_ID = 0x5307


class EditCommand(QUndoCommand):
    """A step of the project's history. Made after the step's edit was applied (a refused edit never
    reaches the stack) or loaded from the saved history, so the stack's first redo() does nothing."""

    def __init__(self, project: Any, text: Any, merge_key: Hashable | None = None, *, merged: bool = False,
                 on_error: Callable[[str], None] | None = None) -> None:
        """`text` is the step's name: a str, or a desktop.i18n.Label that follows the UI's language."""
        super().__init__(str(text))
        self.label = text
        self.project = project
        self.merge_key = merge_key
        self.merged = merged
        """The history joined this edit to the step before it (this command merges into that one)."""
        self.on_error = on_error
        self.loading = False
        """Set while the stack is rebuilt from the saved history: undo/redo then change nothing."""
        self._skip_redo = True

    def redo(self) -> None:
        if self._skip_redo or self.loading:
            self._skip_redo = False
            return
        self._walk(self.project.redo)

    def undo(self) -> None:
        if self.loading:
            return
        self._walk(self.project.undo)

    def _walk(self, step: Callable[[], Any]) -> None:
        try:
            step()
        except ShotloomError as exc:  # the document refused (changed from outside): say so, change nothing
            if self.on_error is not None:
                self.on_error(str(exc))

    def retranslate(self) -> None:
        self.setText(str(self.label))

    def id(self) -> int:
        return MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        return isinstance(other, EditCommand) and other.merged and other.merge_key == self.merge_key
