"""Export dialog: a video preset (range: whole cut or in/out) or the timeline for another editor
(OpenTimelineIO, Final Cut Pro XML, CMX 3600 EDL, through OpenTimelineIO's adapters), output path,
progress with ETA, cancel, and opening the folder afterwards."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import tr
from desktop.models.timecode import timecode
from desktop.services.exporter import ExportJob
from engine.errors import ShotloomError
from engine.render.export import check_output

PRESET_LABELS = {
    "h264": "H.264 MP4",
    "h265": "H.265 / HEVC MP4",
    "prores": "ProRes MOV",
    "vp9": "VP9 WebM",
    "gif": "Animated GIF",
    "png": "PNG image sequence",
}


TIMELINES = {"otio": ".otio", "fcp_xml": ".xml", "edl": ".edl"}
"""Timeline formats by the extension engine.project.otio_io writes them under."""


def timeline_labels() -> dict[str, str]:
    return {"otio": tr("Timeline: OpenTimelineIO (.otio)"), "fcp_xml": tr("Timeline: Final Cut Pro XML (.xml)"),
            "edl": tr("Timeline: CMX 3600 EDL (.edl, picture only)")}


def presets() -> list[tuple[str, str]]:
    from engine.media import PRESETS

    return [(name, PRESET_LABELS.get(name, name)) for name in PRESETS] + list(timeline_labels().items())


def extension(preset: str) -> str:
    from engine.media import PRESETS

    return TIMELINES[preset] if preset in TIMELINES else PRESETS[preset].extension


class ExportDialog(QDialog):
    jobCreated = Signal(object)  # the ExportJob, before it starts

    def __init__(self, project, transport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(tr("Export"))
        self.setMinimumWidth(520)
        self.project = project
        self.transport = transport
        self.job: ExportJob | None = None
        self.result_path: Path | None = None

        self.preset = QComboBox(self)
        for name, label in presets():
            self.preset.addItem(label, name)

        self.whole = QRadioButton(self)
        self.in_out = QRadioButton(self)
        group = QButtonGroup(self)
        group.addButton(self.whole)
        group.addButton(self.in_out)
        self.whole.setChecked(True)
        has_range = transport.mark_in is not None or transport.mark_out is not None
        self.in_out.setEnabled(has_range)
        if has_range:
            self.in_out.setChecked(True)
        range_row = QHBoxLayout()
        range_row.addWidget(self.whole)
        range_row.addWidget(self.in_out)
        range_row.addStretch(1)

        self.path = QLineEdit(self)
        self.browse = QPushButton(self)
        self.browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        default_dir = Path(project.path).parent if project is not None else Path.home()
        name = project.name if project is not None else "export"
        self.path.setText(str(default_dir / f"{name}{extension(self.current_preset())}"))

        self.open_after = QCheckBox(self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.preset_label, self.range_label, self.path_label = QLabel(self), QLabel(self), QLabel(self)
        self.form.addRow(self.preset_label, self.preset)
        self.form.addRow(self.range_label, range_row)
        self.form.addRow(self.path_label, path_row)
        self.form.addRow("", self.open_after)

        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton(tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.folder_button = self.buttons.addButton(tr("Open Folder"), QDialogButtonBox.ButtonRole.ActionRole)
        self.folder_button.setVisible(False)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        self.folder_button.clicked.connect(self.open_folder)

        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addSpacing(8)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.retranslate()
        self.preset.currentIndexChanged.connect(self._fix_extension)
        self.whole.toggled.connect(lambda _on: self._show_ready())

    def retranslate(self) -> None:
        self.preset_label.setText(tr("Format:"))
        self.range_label.setText(tr("Range:"))
        self.path_label.setText(tr("Output:"))
        self.whole.setText(tr("Whole cut"))
        rate = self.transport.rate
        a = self.transport.mark_in if self.transport.mark_in is not None else 0
        b = self.transport.mark_out if self.transport.mark_out is not None else self.transport.last()
        if self.transport.mark_in is None and self.transport.mark_out is None:
            self.in_out.setText(tr("In to out (set them with I and O)"))
        else:
            self.in_out.setText(tr("In to out ({start} – {end})").format(
                start=timecode(a, rate), end=timecode(b, rate)))
        self.browse.setText(tr("Browse…"))
        self.open_after.setText(tr("Open the folder when done"))
        self._show_ready()

    def is_timeline(self) -> bool:
        return self.current_preset() in TIMELINES

    def _show_ready(self) -> None:
        if self.job is not None and self.job.running:
            return
        if self.is_timeline():
            shots = len(self.project.shots()) if self.project is not None else 0
            self.status.setText(tr("Writes the timeline ({n} shots) for another editor; the media stays where "
                                   "it is.").format(n=shots))
            return
        first, end = self.frame_range() or (0, self.transport.length)
        frames = end - first
        self.status.setText(tr("Ready to export {frames} frames ({length}).").format(
            frames=frames, length=timecode(frames, self.transport.rate)))

    def current_preset(self) -> str:
        return self.preset.currentData()

    def frame_range(self) -> tuple[int, int] | None:
        if not self.in_out.isChecked():
            return None
        a = self.transport.mark_in if self.transport.mark_in is not None else 0
        b = self.transport.mark_out if self.transport.mark_out is not None else self.transport.last()
        return a, b + 1  # the out point is the last frame shown, inclusive

    def _fix_extension(self) -> None:
        timeline = self.is_timeline()
        has_range = self.transport.mark_in is not None or self.transport.mark_out is not None
        self.whole.setEnabled(not timeline)
        self.in_out.setEnabled(not timeline and has_range)
        self._show_ready()
        ext = extension(self.current_preset())
        path = Path(self.path.text())
        if ext:
            path = path.with_suffix(ext)
        elif path.suffix:
            path = path.with_suffix("")
        self.path.setText(str(path))

    def _browse(self) -> None:
        ext = extension(self.current_preset())
        if ext:
            chosen, _ = QFileDialog.getSaveFileName(self, tr("Export To"), self.path.text(), f"*{ext}")
        else:
            chosen = QFileDialog.getExistingDirectory(self, tr("Export To"), str(Path(self.path.text()).parent))
        if chosen:
            self.path.setText(chosen)

    # -- running --------------------------------------------------------------------------------
    def start(self) -> None:
        if self.job is not None and self.job.running:
            return
        out = Path(self.path.text()).expanduser()
        timeline = self.is_timeline()
        if timeline and out.suffix.lower() != extension(self.current_preset()):
            out = out.with_suffix(extension(self.current_preset()))
        try:  # never over a file the project reads, nor into a bundle (the engine's one check)
            check_output(self.project, out, None if timeline else self.current_preset())
        except ShotloomError as exc:
            self.status.setText(tr("Export failed: {message}").format(message=str(exc)))
            return
        self.job = ExportJob(self.project, out, None if timeline else self.current_preset(),
                             None if timeline else self.frame_range(), self)
        self.job.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self.job.succeeded.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self.job.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self.job.canceled.connect(self._on_canceled, Qt.ConnectionType.QueuedConnection)
        self._set_running(True)
        self.status.setText(tr("Exporting…"))
        self.progress.setValue(0)
        self.jobCreated.emit(self.job)
        self.job.start()

    def _set_running(self, running: bool) -> None:
        for w in (self.preset, self.whole, self.in_out, self.path, self.browse, self.export_button):
            w.setEnabled(not running)
        if not running:
            timeline = self.is_timeline()
            self.whole.setEnabled(not timeline)
            self.in_out.setEnabled(not timeline and (self.transport.mark_in is not None
                                                      or self.transport.mark_out is not None))
        self.cancel_button.setText(tr("Cancel") if running else tr("Close"))

    def _on_progress(self, done: int, total: int, eta: str) -> None:
        self.progress.setValue(int(100 * done / max(total, 1)))
        text = tr("Frame {done} of {total}").format(done=done, total=total)
        if eta:
            text += "  ·  " + tr("about {eta} left").format(eta=eta)
        self.status.setText(text)

    def _on_done(self, path: str) -> None:
        self.result_path = Path(path)
        self._set_running(False)
        self.progress.setValue(100)
        self.status.setText(tr("Exported to {path}").format(path=path))
        self.folder_button.setVisible(True)
        if self.open_after.isChecked():
            self.open_folder()

    def _on_failed(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(tr("Export failed: {message}").format(message=message))

    def _on_canceled(self) -> None:
        self._set_running(False)
        self.progress.setValue(0)
        self.status.setText(tr("Export canceled; no file was written."))

    def _cancel_or_close(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.status.setText(tr("Canceling…"))
        else:
            self.reject()

    def open_folder(self) -> None:
        if self.result_path is not None:
            folder = self.result_path if self.result_path.is_dir() else self.result_path.parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def reject(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.job.wait(10)
        super().reject()
