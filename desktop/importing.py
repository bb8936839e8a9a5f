"""Getting media into the project: the import dialog, files dropped from the file manager (on the
window, the storyboard or the timeline at a position), background probing with progress in the
status bar, and the shots made from what passed, in one undo step."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QProgressBar

from desktop.i18n import tr
from desktop.models.storyboard import MEDIA_MIME
from desktop.services.importer import ImportService

VIDEO_FILTER = "Media (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.mxf *.mts *.png *.jpg *.jpeg *.tif *.tiff *.webp)"


def dropped_paths(mime) -> list[str]:
    if mime.hasFormat(MEDIA_MIME):
        return json.loads(bytes(mime.data(MEDIA_MIME)).decode())
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]


class ImportController(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.service = ImportService(self)
        self.label = QLabel(window)
        self.bar = QProgressBar(window)
        self.bar.setMaximumWidth(180)
        self.bar.setTextVisible(False)
        self.label.hide()
        self.bar.hide()
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.error_box: QMessageBox | None = None
        self.warning_box: QMessageBox | None = None
        self.service.started.connect(self._on_started)
        self.service.finished.connect(self._on_imported)

    @property
    def busy(self) -> bool:
        return self.service.busy

    def dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.window, tr("Import Media"), str(Path.home()), VIDEO_FILTER)
        if paths:
            self.import_files(paths, len(self.window.model.shots))

    def import_files(self, paths: list, row: int = -1) -> None:
        if not paths or not self.window.ensure_project():
            return
        shots = self.window.model.shots
        row = len(shots) if row < 0 else min(row, len(shots))
        self.service.import_files(self.window.document.project, [Path(p) for p in paths], row)

    def _on_started(self, task) -> None:
        self.label.setText(tr("Importing…"))
        self.label.show()
        self.bar.setRange(0, len(task.paths))
        self.bar.setValue(0)
        self.bar.show()
        task.progress.connect(self._on_progress)
        task.stage.connect(lambda name, t=task: self._on_stage(t, name))

    def _on_progress(self, done: int, total: int, _eta: str) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)

    def _on_stage(self, task, name: str) -> None:
        n = task.paths.index(Path(name)) + 1 if Path(name) in task.paths else self.bar.value() + 1
        n = next((i + 1 for i, p in enumerate(task.paths) if p.name == name), n)
        self.label.setText(tr("Importing {name} ({n} of {total})").format(name=name, n=n, total=len(task.paths)))

    def _on_imported(self, good: list, errors: list, row: int) -> None:
        from engine.project import Composite

        win = self.window
        if not self.service.busy:
            self.label.hide()
            self.bar.hide()
        project = win.document.project
        # import_as_shot built each edit (length, a still's length, position) off this thread.
        edits = [imported.edit for _path, imported in good]
        warnings = [line for _path, imported in good for line in imported.warnings]
        if edits and project is not None:
            text = tr("Import {n} Files").format(n=len(edits)) if len(edits) > 1 else tr("Import {name}").format(
                name=good[0][0].name)
            if win.document.apply(edits[0] if len(edits) == 1 else Composite(edits), text):
                for path, imported in good:
                    win.bin_model.add(path, imported.info)
                win.ensure_proxies()
                win.notify(text.replace("&", ""), 4000)
            else:
                for _path, imported in good:
                    imported.discard()  # a copy made for an edit that was refused
        self.warnings = warnings
        if errors:
            self.errors = errors
            box = QMessageBox(QMessageBox.Icon.Warning, tr("Some Files Were Not Imported"),
                              "\n".join(errors + warnings), QMessageBox.StandardButton.Ok, win)
            box.setObjectName("importErrorBox")
            self.error_box = box
            box.open()
        elif warnings:  # imported, but the user should know what they will see (and not hear)
            box = QMessageBox(QMessageBox.Icon.Information, tr("Some Files Are Damaged"), "\n".join(warnings),
                              QMessageBox.StandardButton.Ok, win)
            box.setObjectName("importWarningBox")
            self.warning_box = box
            box.open()

    # -- drops onto the timeline at a position -----------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if event.mimeData().hasUrls() or event.mimeData().hasFormat(MEDIA_MIME):
                event.acceptProposedAction()
                return True
        elif event.type() == QEvent.Type.Drop:
            paths = dropped_paths(event.mimeData())
            if paths:
                frame = obj.frame_at(event.position().x())
                row = sum(1 for s in self.window.model.shots if s.start + s.frames / 2 <= frame)
                event.acceptProposedAction()
                self.import_files(paths, row)
                return True
        return False
