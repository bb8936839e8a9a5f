"""What the editor's commands do to the project: shot edits (move, split, delete, duplicate,
transitions, trim drags) and imports (dialog, drops from the file manager, background probing).

A mixin of MainWindow: every change is one `Document.apply` call, so it is one undo step."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop.i18n import tr
from desktop.models.storyboard import MEDIA_MIME
from desktop.views.dialogs import TransitionDialog

VIDEO_FILTER = "Media (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.mxf *.mts *.png *.jpg *.jpeg *.tif *.tiff *.webp)"


class EditingMixin:
    # ------------------------------------------------------------------------------------------
    # edits
    def apply(self, edit, text: str, merge_key=None) -> bool:
        return self.document.apply(edit, text, merge_key)

    def move_shots(self, ids: list, row: int) -> bool:
        from engine.project import Composite, MoveShot

        order = [s.id for s in self.shots]
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
            self.storyboard.select_ids(moving)
        return ok

    def split_at_playhead(self) -> bool:
        from engine.project import SplitShot

        t = self.transport.frame
        shot = self.shot_at(t)
        if shot is None or t == shot.start:
            self.statusBar().showMessage(tr("The playhead is on a cut; move it inside a shot to split"), 6000)
            return False
        return self.apply(SplitShot(shot.id, t - shot.start), tr("Split Shot"))

    def delete_selected(self) -> bool:
        from engine.project import Composite, RemoveShot

        shots = self.selected_shots()
        if not shots:
            return False
        edits = [RemoveShot(s.id) for s in shots]
        return self.apply(edits[0] if len(edits) == 1 else Composite(edits),
                          tr("Delete Shot") if len(edits) == 1 else tr("Delete Shots"))

    def duplicate_selected(self) -> bool:
        from engine.project import Composite, InsertShot

        shots = self.selected_shots()
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
        prev = self.shots[shot.index - 1] if shot.index > 0 else None
        want = max(1, round(self.transport.rate / 2))
        limit = min(prev.frames if prev else want, max(1, shot.frames - 1))
        return max(1, min(want, limit))

    def set_transition_on_selected(self, kind: str) -> bool:
        from engine.project import SetTransition

        shots = [s for s in self.selected_shots() if s.index > 0]
        if not shots:
            self.statusBar().showMessage(tr("Select a shot after the first one to set its transition in"), 6000)
            return False
        shot = shots[0]
        frames = shot.transition_in.frames if shot.transition_in is not None else self.default_transition_frames(shot)
        label = tr("Clear Transition") if kind == "cut" else tr("Set Transition")
        return self.apply(SetTransition(shot.id, kind, frames if kind != "cut" else 0), label)

    def edit_transition(self, shot_id: str) -> None:
        from engine.project import SetTransition

        shot = next((s for s in self.shots if s.id == shot_id), None)
        if shot is None or shot.index == 0:
            return
        current = shot.transition_in
        kind = current.kind if current is not None else "crossfade"
        frames = current.frames if current is not None else self.default_transition_frames(shot)
        prev = self.shots[shot.index - 1]
        dialog = TransitionDialog(kind, frames, prev.frames, self)
        if dialog.exec():
            new_kind = dialog.kind.currentData()
            self.apply(SetTransition(shot.id, new_kind, dialog.frames.value() if new_kind != "cut" else 0),
                       tr("Set Transition"))

    def _on_trim_drag(self, shot_id: str, side: str, step: int, key) -> None:
        from engine.project import TrimShot

        if self.apply(TrimShot(shot_id, side, step), tr("Trim Shot"), merge_key=key):
            self.timeline.canvas.trim_accepted(step)

    def _on_transition_drag(self, shot_id: str, kind: str, frames: int, key) -> None:
        from engine.project import SetTransition

        self.apply(SetTransition(shot_id, kind, frames), tr("Set Transition"), merge_key=key)

    # ------------------------------------------------------------------------------------------
    # import
    def import_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, tr("Import Media"), str(Path.home()), VIDEO_FILTER)
        if paths:
            self.import_files(paths, len(self.shots))

    def import_files(self, paths: list, row: int = -1) -> None:
        if not paths or not self.ensure_project():
            return
        row = len(self.shots) if row < 0 else min(row, len(self.shots))
        self.importer.import_files([Path(p) for p in paths], row)

    def _on_import_started(self, job) -> None:
        self.import_label.setText(tr("Importing…"))
        self.import_label.show()
        self.import_bar.setRange(0, len(job.paths))
        self.import_bar.setValue(0)
        self.import_bar.show()
        job.progress.connect(self._on_import_progress, Qt.ConnectionType.QueuedConnection)

    def _on_import_progress(self, done: int, total: int, name: str) -> None:
        self.import_bar.setRange(0, total)
        self.import_bar.setValue(done)
        if name:
            self.import_label.setText(tr("Importing {name} ({n} of {total})").format(
                name=name, n=done + 1, total=total))

    def _on_imported(self, good: list, errors: list, row: int) -> None:
        from engine.project import Composite

        if not self.importer.busy:
            self.import_label.hide()
            self.import_bar.hide()
        project = self.document.project
        # import_as_shot built each edit (length, stills' length, insert position) off this thread.
        edits = [imported.edit for _path, imported in good]
        warnings = [line for _path, imported in good for line in imported.warnings]
        if edits and project is not None:
            text = tr("Import {n} Files").format(n=len(edits)) if len(edits) > 1 else tr("Import {name}").format(
                name=good[0][0].name)
            if self.apply(edits[0] if len(edits) == 1 else Composite(edits), text):
                for path, imported in good:
                    self.bin_model.add(path, imported.info)
                self._ensure_proxies()
                self.statusBar().showMessage(text.replace("&", ""), 4000)
        self.import_warnings = warnings
        if errors:
            self.import_errors = errors
            box = QMessageBox(QMessageBox.Icon.Warning, tr("Some Files Were Not Imported"),
                              "\n".join(errors + warnings), QMessageBox.StandardButton.Ok, self)
            box.setObjectName("importErrorBox")
            self.import_error_box = box
            box.open()
        elif warnings:  # imported, but the user should know what they will see (and not hear)
            box = QMessageBox(QMessageBox.Icon.Information, tr("Some Files Are Damaged"), "\n".join(warnings),
                              QMessageBox.StandardButton.Ok, self)
            box.setObjectName("importWarningBox")
            self.import_warning_box = box
            box.open()

    # ------------------------------------------------------------------------------------------
    # drops from the file manager anywhere on the window (or onto the timeline at a position)
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasFormat(MEDIA_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = self._dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.import_files(paths, len(self.shots))

    @staticmethod
    def _dropped_paths(mime) -> list[str]:
        if mime.hasFormat(MEDIA_MIME):
            return json.loads(bytes(mime.data(MEDIA_MIME)).decode())
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]

    def eventFilter(self, obj, event) -> bool:
        if obj is self.timeline.canvas:
            if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
                if event.mimeData().hasUrls() or event.mimeData().hasFormat(MEDIA_MIME):
                    event.acceptProposedAction()
                    return True
            elif event.type() == QEvent.Type.Drop:
                paths = self._dropped_paths(event.mimeData())
                if paths:
                    frame = self.timeline.canvas.frame_at(event.position().x())
                    row = sum(1 for s in self.shots if s.start + s.frames / 2 <= frame)
                    event.acceptProposedAction()
                    self.import_files(paths, row)
                    return True
        return super().eventFilter(obj, event)
