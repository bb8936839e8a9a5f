"""The new-project dialog and the project settings: frame size and rate from presets (or custom,
checked by the engine's own rules as they are typed), and later how media of another shape fills the
frame (letterbox or crop)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.error_text import error_text
from desktop.i18n import tr

CUSTOM = "custom"


def size_presets() -> tuple:
    return (
        ((768, 512), tr("3:2, LTX-Video's size")),
        ((832, 480), tr("Wan 480p")),
        ((1280, 720), tr("HD 720p")),
        ((1920, 1080), tr("Full HD 1080p")),
        ((3840, 2160), tr("4K UHD")),
        ((1080, 1920), tr("Vertical 9:16 (phones)")),
        ((1080, 1080), tr("Square 1:1")),
        ((512, 512), tr("Square, small")),
    )


def rate_presets() -> tuple:
    def fps(rate: str) -> str:
        return tr("{rate} fps").format(rate=rate)

    return (
        (Fraction(24000, 1001), fps("23.976")),
        (Fraction(24), fps("24")),
        (Fraction(25), tr("25 fps (PAL)")),
        (Fraction(30000, 1001), tr("29.97 fps (NTSC)")),
        (Fraction(30), fps("30")),
        (Fraction(50), fps("50")),
        (Fraction(60000, 1001), fps("59.94")),
        (Fraction(60), fps("60")),
    )


def find_data(combo: QComboBox, value) -> int:
    """The row whose data equals `value` (QComboBox.findData cannot compare Python tuples or
    Fractions), or -1."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)


def rate_text(fps: Fraction) -> str:
    return f"{float(fps):.3f}".rstrip("0").rstrip(".")


class FormatForm(QWidget):
    """Frame size and rate: a preset or custom values, refused in place with the engine's reason."""

    changed = Signal()

    def __init__(self, size: tuple[int, int], fps: Fraction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.size_combo = QComboBox(self)
        self.size_combo.setObjectName("sizePreset")
        for (w, h), label in size_presets():
            self.size_combo.addItem(f"{w}×{h} · {label}", (w, h))
        self.size_combo.addItem(tr("Custom…"), CUSTOM)
        self.width_box, self.height_box = QSpinBox(self), QSpinBox(self)
        for box, name in ((self.width_box, "customWidth"), (self.height_box, "customHeight")):
            box.setObjectName(name)
            box.setRange(1, 20000)
            box.setSingleStep(16)
            box.setSuffix(" px")
        self.width_box.setValue(size[0])
        self.height_box.setValue(size[1])
        custom_size = QWidget(self)
        row = QHBoxLayout(custom_size)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.width_box)
        row.addWidget(QLabel("×", custom_size))
        row.addWidget(self.height_box)
        row.addStretch(1)
        self.custom_size = custom_size

        self.rate_combo = QComboBox(self)
        self.rate_combo.setObjectName("ratePreset")
        for fps_value, label in rate_presets():
            self.rate_combo.addItem(label, fps_value)
        self.rate_combo.addItem(tr("Custom…"), CUSTOM)
        self.rate_edit = QLineEdit(self)
        self.rate_edit.setObjectName("customRate")
        self.rate_edit.setPlaceholderText(tr("e.g. 12, 48 or 30000/1001"))
        self.error = QLabel(self)
        self.error.setObjectName("formatError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #e0685a;")

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(tr("Frame size:"), self.size_combo)
        form.addRow("", custom_size)
        form.addRow(tr("Frame rate:"), self.rate_combo)
        form.addRow("", self.rate_edit)
        form.addRow("", self.error)
        self.select(size, fps)
        self.size_combo.currentIndexChanged.connect(self._preset_changed)
        self.rate_combo.currentIndexChanged.connect(self._preset_changed)
        self.width_box.valueChanged.connect(self._check)
        self.height_box.valueChanged.connect(self._check)
        self.rate_edit.textChanged.connect(self._check)

    def select(self, size: tuple[int, int], fps: Fraction) -> None:
        i = find_data(self.size_combo, tuple(size))
        self.size_combo.setCurrentIndex(i if i >= 0 else self.size_combo.count() - 1)
        self.width_box.setValue(size[0])
        self.height_box.setValue(size[1])
        i = find_data(self.rate_combo, Fraction(fps))
        self.rate_combo.setCurrentIndex(i if i >= 0 else self.rate_combo.count() - 1)
        if i < 0:
            self.rate_edit.setText(f"{fps.numerator}/{fps.denominator}" if fps.denominator != 1 else str(fps))
        self._preset_changed()

    def _preset_changed(self) -> None:
        self.custom_size.setVisible(self.size_combo.currentData() == CUSTOM)
        self.rate_edit.setVisible(self.rate_combo.currentData() == CUSTOM)
        self._check()

    def values(self) -> tuple[tuple[int, int], Fraction]:
        """(size, fps) as chosen; ValueError (the engine's one line) when a custom value is refused."""
        from engine.project.model import parse_fps, parse_size

        size = self.size_combo.currentData()
        if size == CUSTOM:
            size = (self.width_box.value(), self.height_box.value())
        fps = self.rate_combo.currentData()
        if fps == CUSTOM:
            text = self.rate_edit.text().strip()
            if not text:
                raise ValueError(tr("Type a frame rate, e.g. 24 or 30000/1001"))
            fps = parse_fps(text)
        return parse_size(size), parse_fps(fps)

    def valid(self) -> bool:
        try:
            self.values()
        except ValueError:
            return False
        return True

    def _check(self) -> None:
        try:
            self.values()
        except ValueError as exc:
            text = error_text(str(exc))
            self.error.setText(text[:1].upper() + text[1:])
            self.error.show()
        else:
            self.error.clear()
            self.error.hide()
        self.changed.emit()


class NewProjectDialog(QDialog):
    """Name, folder, frame size and rate of a new project."""

    def __init__(self, folder: Path, parent: QWidget | None = None, *, size=(768, 512), fps=Fraction(24)) -> None:
        super().__init__(parent)
        self.setObjectName("newProjectDialog")
        self.setWindowTitle(tr("New Project"))
        self.setMinimumWidth(520)
        self.name = QLineEdit(self)
        self.name.setObjectName("projectName")
        n = 1
        while (folder / f"Untitled {n}.shotloom").exists():
            n += 1
        self.name.setText(f"Untitled {n}" if n > 1 else "Untitled")
        self.name.selectAll()
        self.folder = QLineEdit(str(folder), self)
        self.folder.setObjectName("projectFolder")
        browse = QPushButton(tr("Browse…"), self)
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.folder, 1)
        where.addWidget(browse)
        self.format = FormatForm(tuple(size), Fraction(fps), self)
        self.problem = QLabel(self)
        self.problem.setObjectName("projectProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #e0685a;")
        form = QFormLayout()
        form.addRow(tr("Name:"), self.name)
        form.addRow(tr("Folder:"), where)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(tr("Create Project"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.format)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        for signal in (self.name.textChanged, self.folder.textChanged, self.format.changed):
            signal.connect(self._check)
        self._check()

    def path(self) -> Path:
        name = self.name.text().strip()
        return Path(self.folder.text()).expanduser() / (name if name.endswith(".shotloom") else f"{name}.shotloom")

    def _check(self) -> None:
        name = self.name.text().strip()
        problem = ""
        if not name:
            problem = tr("Give the project a name")
        elif any(c in name for c in "/\\:"):
            problem = tr("A project name cannot contain / \\ or :")
        elif not Path(self.folder.text()).expanduser().is_dir():
            problem = tr("The folder {folder} does not exist").format(folder=self.folder.text())
        elif self.path().exists():
            problem = tr("{path} already exists; pick another name").format(path=self.path())
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.ok.setEnabled(not problem and self.format.valid())

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, tr("Folder for the Project"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)


class ProjectSettingsDialog(QDialog):
    """The open project's name, size, rate and fit. A new rate conforms the cut (every shot keeps
    its length in seconds); a new size letterboxes or crops media of another shape."""

    def __init__(self, project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("projectSettingsDialog")
        self.setWindowTitle(tr("Project Settings"))
        self.setMinimumWidth(520)
        self.project = project
        self.name = QLineEdit(project.name, self)
        self.name.setObjectName("projectName")
        self.format = FormatForm(tuple(project.size), Fraction(project.fps), self)
        self.fit_box = QWidget(self)
        fit_row = QVBoxLayout(self.fit_box)
        fit_row.setContentsMargins(0, 0, 0, 0)
        self.letterbox = QRadioButton(tr("Letterbox: show all of it, with bars"), self.fit_box)
        self.letterbox.setObjectName("fitLetterbox")
        self.crop = QRadioButton(tr("Crop: fill the frame, cutting the edges"), self.fit_box)
        self.crop.setObjectName("fitCrop")
        group = QButtonGroup(self)
        group.addButton(self.letterbox)
        group.addButton(self.crop)
        (self.crop if getattr(project, "fit", "fit") == "fill" else self.letterbox).setChecked(True)
        fit_row.addWidget(self.letterbox)
        fit_row.addWidget(self.crop)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setObjectName("formatNote")
        form = QFormLayout()
        form.addRow(tr("Name:"), self.name)
        form2 = QFormLayout()
        form2.addRow(tr("Media of another shape:"), self.fit_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.format)
        layout.addLayout(form2)
        layout.addWidget(self.note)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.format.changed.connect(self._check)
        self.name.textChanged.connect(self._check)
        self._check()

    def fit(self) -> str:
        return "fill" if self.crop.isChecked() else "fit"

    def _check(self) -> None:
        ok = self.format.valid() and bool(self.name.text().strip())
        self.ok.setEnabled(ok)
        notes = []
        if ok:
            size, fps = self.format.values()
            if fps != self.project.fps:
                notes.append(tr("The frame rate changes from {old} to {new} fps: every shot, transition, sound "
                                "and marker keeps its place and length in seconds.").format(
                                    old=rate_text(self.project.fps), new=rate_text(fps)))
            if tuple(size) != tuple(self.project.size):
                notes.append(tr("Media of another shape is letterboxed or cropped to the new size as chosen "
                                "below."))
        self.note.setText("\n\n".join(notes))
        self.note.setVisible(bool(notes))

    def edit(self):
        """The one edit that applies the dialog (None when nothing changed)."""
        from engine.project import Composite, RenameProject, SetProjectFormat

        size, fps = self.format.values()
        edits = []
        name = self.name.text().strip()
        if name != self.project.name:
            edits.append(RenameProject(name))
        if (fps, tuple(size), self.fit()) != (self.project.fps, tuple(self.project.size),
                                              getattr(self.project, "fit", "fit")):
            edits.append(SetProjectFormat(fps=fps if fps != self.project.fps else None,
                                          size=tuple(size), fit=self.fit()))
        if not edits:
            return None
        return edits[0] if len(edits) == 1 else Composite(edits)

