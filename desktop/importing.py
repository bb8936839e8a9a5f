"""Getting media into the project: the import dialog, files dropped from the file manager (on the
window, the storyboard or the timeline at a position, or the media bin), background probing with
progress in the status bar, and the shots made from what passed (the files kept in the media bin
too), in one undo step. Importing into the media bin alone makes no shots.

Drops from outside are always reported to their source as a copy: a file manager that honoured
"move" could delete the user's original."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QProgressBar

from desktop.i18n import Label, tr
from desktop.models.storyboard import MEDIA_MIME
from desktop.services.importer import ImportService

VIDEO_SUFFIXES = ("mp4", "m4v", "mov", "qt", "mkv", "webm", "avi", "wmv", "asf", "flv", "f4v", "mpg", "mpeg",
                  "m2v", "mpe", "vob", "ts", "m2ts", "mts", "m2t", "tod", "mxf", "3gp", "3g2", "ogv", "dv", "y4m",
                  "gif", "nut", "rm", "rmvb", "divx", "hevc", "h264", "264")
IMAGE_SUFFIXES = ("png", "jpg", "jpeg", "tif", "tiff", "webp", "bmp", "exr", "dpx", "tga")
AUDIO_SUFFIXES = ("wav", "mp3", "m4a", "aac", "flac", "ogg", "opus", "aif", "aiff", "wma", "ac3")


def file_filter(with_audio: bool = False) -> str:
    """The import dialog's filter: every common video and image format (upper case too), and "All
    files": whatever PyAV can open imports, and the probe says clearly what cannot."""
    def patterns(suffixes) -> str:
        return " ".join(f"*.{s} *.{s.upper()}" for s in suffixes)

    media = VIDEO_SUFFIXES + IMAGE_SUFFIXES + (AUDIO_SUFFIXES if with_audio else ())
    return ";;".join([tr("Media files") + f" ({patterns(media)})", tr("Video") + f" ({patterns(VIDEO_SUFFIXES)})",
                      tr("Images") + f" ({patterns(IMAGE_SUFFIXES)})"]
                     + ([tr("Sound") + f" ({patterns(AUDIO_SUFFIXES)})"] if with_audio else [])
                     + [tr("All files") + " (*)"])


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
        self.service.probed.connect(self._on_probed_for_bin)

    @property
    def busy(self) -> bool:
        return self.service.busy

    def dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.window, tr("Import Media"), str(Path.home()), file_filter())
        if paths:
            self.import_files(paths, len(self.window.model.shots))

    def bin_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.window, tr("Import to Media Bin"), str(Path.home()),
                                                file_filter(with_audio=True))
        if paths:
            self.import_to_bin(paths)

    def import_to_bin(self, paths: list) -> None:
        """Import files into the media bin only (no shots), probed in the background."""
        if not paths or not self.window.ensure_project():
            return
        self.service.probe_for_bin([Path(p) for p in paths])

    def _bin_edits(self, paths) -> list:
        """AddBinItem edits for the files not in the media bin yet."""
        from engine.project import AddBinItem

        known = {str(item.path) for item in self.window.model.bin}
        edits, seen = [], set()
        for path in paths:
            key = str(Path(path).absolute())
            if key not in known and key not in seen:
                seen.add(key)
                edits.append(AddBinItem(Path(path).absolute()))
        return edits

    def _on_probed_for_bin(self, good: list, errors: list) -> None:
        from engine.project import Composite

        win = self.window
        if not self.service.busy:
            self.label.hide()
            self.bar.hide()
        edits = self._bin_edits([path for path, _info in good])
        if edits and win.document.project is not None:
            text = Label("Import {n} Files to the Media Bin", n=len(edits)) if len(edits) > 1 else \
                Label("Import {name} to the Media Bin", name=Path(edits[0].path).name)
            if win.document.apply(edits[0] if len(edits) == 1 else Composite(edits), text):
                for path, info in good:
                    win.bin_model.remember(path, info)
                win.notify(str(text), 4000)
        elif good and not errors:
            win.notify(tr("Already in the media bin"), 4000)
        if errors:
            self.errors = errors
            self._show_errors(errors)

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
            text = Label("Import {n} Files", n=len(edits)) if len(edits) > 1 else Label(
                "Import {name}", name=good[0][0].name)
            # The files stay in the media bin even when their shots are deleted later.
            edits = self._bin_edits([imported.media_path for _path, imported in good]) + edits
            if win.document.apply(edits[0] if len(edits) == 1 else Composite(edits), text):
                for _path, imported in good:
                    win.bin_model.remember(imported.media_path, imported.info)
                win.ensure_proxies()
                win.notify(str(text).replace("&", ""), 4000)
            else:
                for _path, imported in good:
                    imported.discard()  # a copy made for an edit that was refused
        self.warnings = warnings
        if errors:
            self.errors = errors
            self._show_errors(errors + warnings)
        elif warnings:  # imported, but the user should know what they will see (and not hear)
            box = QMessageBox(QMessageBox.Icon.Information, tr("Some Files Are Damaged"), "\n".join(warnings),
                              QMessageBox.StandardButton.Ok, win)
            box.setObjectName("importWarningBox")
            self.warning_box = box
            box.open()

    def _show_errors(self, lines: list) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, tr("Some Files Were Not Imported"), "\n".join(lines),
                          QMessageBox.StandardButton.Ok, self.window)
        box.setObjectName("importErrorBox")
        self.error_box = box
        box.open()

    # -- drops onto the timeline at a position -----------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if event.mimeData().hasUrls() or event.mimeData().hasFormat(MEDIA_MIME):
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
                return True
        elif event.type() == QEvent.Type.Drop:
            paths = dropped_paths(event.mimeData())
            if paths:
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
                self.import_files(paths, obj.drop_row(event.position().x()))
                return True
        return False
