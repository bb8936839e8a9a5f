"""What the editor's shot commands do to the project: move, split, delete, duplicate, transitions,
trim and transition drags. Each is one `Document.apply` call, so one undo step; refusals and
hints go to `notify` (the status bar)."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from desktop.i18n import tr


class ShotCommands:
    def __init__(self, model, document, notify: Callable[[str], None]) -> None:
        self.model = model
        self.document = document
        self.notify = notify

    def apply(self, edit, text: str, merge_key: Hashable | None = None) -> bool:
        return self.document.apply(edit, text, merge_key)

    def move_shots(self, ids: list, row: int) -> bool:
        from engine.project import Composite, MoveShot

        order = [s.id for s in self.model.shots]
        moving = [i for i in order if i in ids]
        if not moving:
            return False
        others = [i for i in order if i not in moving]
        pos = row - sum(1 for i in order[:row] if i in moving)
        target = others[:pos] + moving + others[pos:]
        edits, current = [], list(order)
        for k, shot_id in enumerate(target):
            if current[k] != shot_id:
                edits.append(MoveShot(shot_id, k))
                current.remove(shot_id)
                current.insert(k, shot_id)
        if not edits:
            return False
        edit = edits[0] if len(edits) == 1 else Composite(edits)
        ok = self.apply(edit, tr("Move Shot") if len(moving) == 1 else tr("Move Shots"))
        if ok:
            self.model.selection.set(moving)
        return ok

    def split_at_playhead(self) -> bool:
        from engine.project import SplitShot

        t = self.model.transport.frame
        shot = self.model.shot_at(t)
        if shot is None or t == shot.start:
            self.notify(tr("The playhead is on a cut; move it inside a shot to split"))
            return False
        return self.apply(SplitShot(shot.id, t - shot.start), tr("Split Shot"))

    def delete_selected(self) -> bool:
        from engine.project import Composite, RemoveShot

        shots = self.model.selected_shots()
        if not shots:
            return False
        edits = [RemoveShot(s.id) for s in shots]
        return self.apply(edits[0] if len(edits) == 1 else Composite(edits),
                          tr("Delete Shot") if len(edits) == 1 else tr("Delete Shots"))

    def duplicate_selected(self) -> bool:
        from engine.project import Composite, InsertShot

        shots = self.model.selected_shots()
        if not shots:
            return False
        edits = []
        offset = 0
        for shot in sorted(shots, key=lambda s: s.index):
            active = next((t for t in shot.takes if t.active), None)
            edits.append(InsertShot(shot.index + 1 + offset, tr("{name} copy").format(name=shot.name),
                                    media_path=shot.media_path, source_in=shot.source_in, frames=shot.frames,
                                    recipe=shot.recipe,
                                    kind=(active.kind if active is not None and shot.media_path else None)))
            offset += 1
        return self.apply(edits[0] if len(edits) == 1 else Composite(edits), tr("Duplicate Shot"))

    def default_transition_frames(self, shot) -> int:
        shots = self.model.shots
        prev = shots[shot.index - 1] if shot.index > 0 else None
        want = max(1, round(self.model.transport.rate / 2))
        limit = min(prev.frames if prev else want, max(1, shot.frames - 1))
        return max(1, min(want, limit))

    def set_transition_on_selected(self, kind: str) -> bool:
        from engine.project import SetTransition

        shots = [s for s in self.model.selected_shots() if s.index > 0]
        if not shots:
            self.notify(tr("Select a shot after the first one to set its transition in"))
            return False
        shot = shots[0]
        frames = shot.transition_in.frames if shot.transition_in is not None else self.default_transition_frames(shot)
        label = tr("Clear Transition") if kind == "cut" else tr("Set Transition")
        return self.apply(SetTransition(shot.id, kind, frames if kind != "cut" else 0), label)

    def edit_transition(self, shot_id: str, parent=None) -> None:
        from desktop.views.dialogs import TransitionDialog
        from engine.project import SetTransition

        shot = self.model.shot(shot_id)
        if shot is None or shot.index == 0:
            return
        current = shot.transition_in
        kind = current.kind if current is not None else "crossfade"
        frames = current.frames if current is not None else self.default_transition_frames(shot)
        prev = self.model.shots[shot.index - 1]
        dialog = TransitionDialog(kind, frames, prev.frames, parent)
        if dialog.exec():
            new_kind = dialog.kind.currentData()
            self.apply(SetTransition(shot.id, new_kind, dialog.frames.value() if new_kind != "cut" else 0),
                       tr("Set Transition"))

    def trim_step(self, shot_id: str, side: str, step: int, key) -> bool:
        from engine.project import TrimShot

        return self.apply(TrimShot(shot_id, side, step), tr("Trim Shot"), merge_key=key)

    def transition_step(self, shot_id: str, kind: str, frames: int, key) -> bool:
        from engine.project import SetTransition

        return self.apply(SetTransition(shot_id, kind, frames), tr("Set Transition"), merge_key=key)
