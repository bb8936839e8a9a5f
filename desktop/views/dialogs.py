"""Small dialogs: crash recovery, transition settings, save prompt."""

from __future__ import annotations

import datetime

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import tr


class RecoveryDialog(QDialog):
    """Offers the newer autosave of a project as a copy; the original stays as it is."""

    def __init__(self, info, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle(tr("Recover Unsaved Work"))
        self.info = info
        when = datetime.datetime.fromtimestamp(info.saved_at).strftime("%Y-%m-%d %H:%M:%S")
        text = QLabel(tr(
            "Shotloom found unsaved changes to “{name}” from {when}, newer than the saved project. "
            "It looks like the editor did not close normally.\n\n"
            "Open them as a copy next to the original? Your saved project is not changed.").format(
                name=info.name, when=when), self)
        text.setWordWrap(True)
        text.setMinimumWidth(420)
        self.buttons = QDialogButtonBox(self)
        self.recover_button = self.buttons.addButton(tr("Open Recovered Copy"),
                                                     QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = self.buttons.addButton(tr("Discard Autosave"),
                                                     QDialogButtonBox.ButtonRole.DestructiveRole)
        self.later_button = self.buttons.addButton(tr("Not Now"), QDialogButtonBox.ButtonRole.RejectRole)
        self.choice = "later"
        self.recover_button.clicked.connect(lambda: self._done("recover"))
        self.discard_button.clicked.connect(lambda: self._done("discard"))
        self.later_button.clicked.connect(lambda: self._done("later"))
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.buttons)

    def _done(self, choice: str) -> None:
        self.choice = choice
        self.accept() if choice != "later" else self.reject()


TRANSITIONS = (("crossfade", "Crossfade"), ("dip_black", "Dip to black"), ("dip_white", "Dip to white"))


class TransitionDialog(QDialog):
    def __init__(self, kind: str, frames: int, max_frames: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Transition"))
        self.kind = QComboBox(self)
        self.kind.addItem(tr("Cut (no transition)"), "cut")
        for key, label in TRANSITIONS:
            self.kind.addItem(tr(label), key)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.frames = QSpinBox(self)
        self.frames.setRange(1, max(1, max_frames))
        self.frames.setValue(min(max(1, frames), max(1, max_frames)))
        self.frames.setSuffix(" " + tr("frames"))
        form = QFormLayout()
        form.addRow(tr("Kind:"), self.kind)
        form.addRow(tr("Length:"), self.frames)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)


def ask_save(parent: QWidget, name: str) -> QMessageBox.StandardButton:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(tr("Unsaved Changes"))
    box.setText(tr("Save the changes to “{name}” before closing?").format(name=name))
    box.setInformativeText(tr("If you don't save, your changes since the last save are lost."))
    box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                           | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    return QMessageBox.StandardButton(box.exec())


class NewShotDialog(QDialog):
    """A new shot from a prompt: the prompt, the model and the length; optionally generate now."""

    def __init__(self, models: list[tuple[str, str]], model: str, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QPlainTextEdit

        super().__init__(parent)
        self.setObjectName("newShotDialog")
        self.setWindowTitle(tr("New Shot"))
        self.setMinimumWidth(460)
        self.prompt = QPlainTextEdit(self)
        self.prompt.setPlaceholderText(tr("What the shot shows, e.g. “a lighthouse at dusk, waves, slow push in”"))
        self.prompt.setFixedHeight(90)
        self.model = QComboBox(self)
        for model_id, label in models:
            self.model.addItem(label, model_id)
        self.model.setCurrentIndex(max(0, self.model.findData(model)))
        self.seconds = QDoubleSpinBox(self)
        self.seconds.setRange(0.1, 60.0)
        self.seconds.setValue(4.0)
        self.seconds.setSuffix(" s")
        self.generate_now = QCheckBox(tr("Generate it now"), self)
        self.generate_now.setChecked(True)
        form = QFormLayout()
        form.addRow(tr("Prompt:"), self.prompt)
        form.addRow(tr("Model:"), self.model)
        form.addRow(tr("Duration:"), self.seconds)
        form.addRow("", self.generate_now)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Add Shot"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
