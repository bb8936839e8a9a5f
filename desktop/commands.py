"""What the editor's shot commands do to the project: move, split, delete, duplicate, transitions,
trim (ripple and roll) and transition drags, markers. Each is one `Document.apply` call, so one
undo step; refusals and hints go to `notify` (the status bar)."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from desktop.i18n import Label, tr


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
        ok = self.apply(edit, Label("Move Shot") if len(moving) == 1 else Label("Move Shots"))
        if ok:
            self.model.selection.set(moving)
        return ok

    def move_selected(self, step: int) -> bool:
        """Move the selected shots (or the shot under the playhead) one place earlier (-1) or later
        (+1). When the playhead was in a moved shot it moves with it."""
        shots = self.model.selected_shots()
        if not shots:
            return False
        order = [s.id for s in self.model.shots]
        rows = sorted(s.index for s in shots)
        if (step < 0 and rows[0] == 0) or (step > 0 and rows[-1] == len(order) - 1):
            self.notify(tr("The shot is already first") if step < 0 else tr("The shot is already last"))
            return False
        t = self.model.transport.frame
        under = self.model.shot_at(t)
        follow = under is not None and under.id in {s.id for s in shots}
        offset = t - under.start if follow else 0
        had_selection = bool(self.model.selection.ids)
        ok = self.move_shots([s.id for s in shots], rows[0] - 1 if step < 0 else rows[-1] + 2)
        if ok:
            if follow:
                self.model.transport.seek(self.model.shot(under.id).start + offset)
            if not had_selection:
                self.model.selection.set(())
        return ok

    def split_at_playhead(self) -> bool:
        from engine.project import SplitShot

        t = self.model.transport.frame
        shot = self.model.shot_at(t)
        if shot is None or t == shot.start:
            self.notify(tr("The playhead is on a cut; move it inside a shot to split"))
            return False
        return self.apply(SplitShot(shot.id, t - shot.start), Label("Split Shot"))

    def delete_selected(self) -> bool:
        from engine.project import Composite, RemoveShot

        shots = self.model.selected_shots()
        if not shots:
            return False
        edits = [RemoveShot(s.id) for s in shots]
        return self.apply(edits[0] if len(edits) == 1 else Composite(edits),
                          Label("Delete Shot") if len(edits) == 1 else Label("Delete Shots"))

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
        return self.apply(edits[0] if len(edits) == 1 else Composite(edits), Label("Duplicate Shot"))

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
        label = Label("Clear Transition") if kind == "cut" else Label("Set Transition")
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
                       Label("Set Transition"))

    def trim_step(self, shot_id: str, side: str, step: int, key) -> bool:
        from engine.project import TrimShot

        return self.apply(TrimShot(shot_id, side, step), Label("Trim Shot"), merge_key=key)

    def roll_step(self, earlier_id: str, later_id: str, step: int, key) -> bool:
        """Move the cut between two shots by `step` frames: the earlier shot's tail and the later
        shot's head together (the timeline keeps its length)."""
        from engine.project import Composite, TrimShot

        return self.apply(Composite([TrimShot(earlier_id, "out", step), TrimShot(later_id, "in", step)]),
                          Label("Roll Cut"), merge_key=key)

    # -- markers ---------------------------------------------------------------------------------
    def add_marker(self, name: str = "", colour: str = "GREEN") -> bool:
        from engine.project import AddMarker

        if self.model.project is None or self.model.transport.length == 0:
            return False
        frame = self.model.transport.frame
        if self.model.marker_at(frame) is not None:
            self.notify(tr("There is already a marker at this frame; double-click it to edit it"))
            return False
        return self.apply(AddMarker(frame, name or tr("Marker {n}").format(n=len(self.model.markers) + 1),
                                    colour), Label("Add Marker"))

    def delete_marker(self, marker_id: str | None = None) -> bool:
        """Delete a marker (the one at the playhead when none is named)."""
        from engine.project import RemoveMarker

        marker = self.model.marker(marker_id) if marker_id else self.model.marker_at(self.model.transport.frame)
        if marker is None:
            self.notify(tr("No marker at the playhead"))
            return False
        return self.apply(RemoveMarker(marker.id), Label("Delete Marker"))

    def set_marker(self, marker_id: str, **changes) -> bool:
        from engine.project import SetMarker

        return self.apply(SetMarker(marker_id, **changes), Label("Edit Marker"))

    def edit_marker(self, marker_id: str | None = None, parent=None) -> bool:
        """The marker dialog for a marker (the one at the playhead when none is named)."""
        from desktop.views.markers_panel import MarkerDialog

        marker = self.model.marker(marker_id) if marker_id else self.model.marker_at(self.model.transport.frame)
        if marker is None:
            self.notify(tr("No marker at the playhead; press M to add one"))
            return False
        dialog = MarkerDialog(marker, parent)
        self.marker_dialog = dialog
        try:
            if not dialog.exec():
                return False
            changes = dialog.changes(marker)
            return bool(changes) and self.set_marker(marker.id, **changes)
        finally:
            self.marker_dialog = None

    def marker_step(self, marker_id: str, frame: int, key) -> bool:
        from engine.project import SetMarker

        return self.apply(SetMarker(marker_id, frame=frame), Label("Move Marker"), merge_key=key)

    def go_to_marker(self, direction: int) -> bool:
        t = self.model.transport.frame
        frames = [m.frame for m in self.model.markers]
        target = max((f for f in frames if f < t), default=None) if direction < 0 else \
            min((f for f in frames if f > t), default=None)
        if target is None:
            self.notify(tr("No marker before the playhead") if direction < 0 else tr("No marker after the playhead"))
            return False
        self.model.transport.seek(target)
        return True

    def transition_step(self, shot_id: str, kind: str, frames: int, key) -> bool:
        from engine.project import SetTransition

        return self.apply(SetTransition(shot_id, kind, frames), Label("Set Transition"), merge_key=key)
