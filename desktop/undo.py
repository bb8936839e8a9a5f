"""One generic undo command for every edit: it applies an edit through the project facade and keeps
the inverse the facade returns. Drags merge into one step by sharing a merge key."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from PySide6.QtGui import QUndoCommand

MERGE_ID = 0x5307


class EditCommand(QUndoCommand):
    """redo() applies the forward edits in order; undo() applies their inverses in reverse.

    Each application returns the exact inverse of what it did, so after an undo the stored forward
    edits are the ones the facade handed back: redo re-applies exactly what was undone.
    """

    def __init__(self, project: Any, edit: Any, inverse: Any, text: str,
                 merge_key: Hashable | None = None) -> None:
        """`edit` has already been applied (so a refused edit never reaches the stack) and
        `inverse` is what the facade returned; the stack's first redo() therefore does nothing."""
        super().__init__(text)
        self.project = project
        self.forward: list[Any] = [edit]
        self.inverse: list[Any] = [inverse]
        self.merge_key = merge_key
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        inverses = []
        for edit in self.forward:
            inverses.append(self.project.apply(edit))
        self.inverse = inverses

    def undo(self) -> None:
        forwards = []
        for edit in reversed(self.inverse):
            forwards.append(self.project.apply(edit))
        self.forward = list(reversed(forwards))

    def id(self) -> int:
        return MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or other.merge_key != self.merge_key:
            return False
        # `other` has already been applied (QUndoStack.push calls redo before merging).
        self.forward.extend(other.forward)
        self.inverse.extend(other.inverse)
        return True
