"""Settings: theme, language, preview cache size and the keymap (every command by its name,
remappable). A key another command already uses is never taken silently: the dialog offers to swap
the two commands' keys, or puts the old keys back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.actions import SPECS
from desktop.i18n import tr
from desktop.services.settings import Settings


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, registry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(tr("Settings"))
        self.resize(620, 520)
        self.settings = settings
        self.registry = registry

        tabs = QTabWidget(self)
        general = QWidget(tabs)
        form = QFormLayout(general)
        self.theme = QComboBox(general)
        self.theme.addItem(tr("Dark"), "dark")
        self.theme.addItem(tr("Light"), "light")
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        self.language = QComboBox(general)
        self.language.addItem(tr("System language"), "system")
        self.language.addItem("English", "en")
        self.language.addItem("简体中文", "zh_CN")
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.cache = QSpinBox(general)
        self.cache.setRange(32, 65536)
        self.cache.setSingleStep(128)
        self.cache.setSuffix(" MB")
        self.cache.setValue(settings.cache_mb)
        form.addRow(tr("Theme:"), self.theme)
        form.addRow(tr("Language:"), self.language)
        form.addRow(tr("Preview cache:"), self.cache)
        note = QLabel(tr("The preview keeps recently shown frames in memory up to this size."), general)
        note.setWordWrap(True)
        form.addRow("", note)
        tabs.addTab(general, tr("General"))

        keys = QWidget(tabs)
        keys_layout = QVBoxLayout(keys)
        self.table = QTableWidget(len(SPECS), 2, keys)
        self.table.setHorizontalHeaderLabels([tr("Command"), tr("Keys")])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.editors: dict[str, QKeySequenceEdit] = {}
        self._keys: dict[str, list[str]] = {}  # the keys each command had before its editor changed
        self.conflict_box: QMessageBox | None = None
        self.swap_button = None
        for row, spec in enumerate(SPECS):
            item = self.table.model().index(row, 0)
            self.table.model().setData(item, registry.name(spec.id))
            current = ", ".join(registry.keys(spec.id))
            edit = QKeySequenceEdit(QKeySequence(current), self.table)
            edit.setObjectName(f"keys_{spec.id}")
            self.editors[spec.id] = edit
            self._keys[spec.id] = self.keys_of(spec.id)
            edit.editingFinished.connect(lambda action_id=spec.id: self._key_edited(action_id))
            self.table.setCellWidget(row, 1, edit)
        reset = QPushButton(tr("Restore Default Keys"), keys)
        reset.clicked.connect(self._reset_keys)
        self.conflicts = QLabel(keys)
        self.conflicts.setWordWrap(True)
        keys_layout.addWidget(self.table, 1)
        keys_layout.addWidget(self.conflicts)
        keys_layout.addWidget(reset, 0, Qt.AlignmentFlag.AlignRight)
        tabs.addTab(keys, tr("Keyboard"))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(buttons)

    def _reset_keys(self) -> None:
        for spec in SPECS:
            self.editors[spec.id].setKeySequence(QKeySequence(", ".join(spec.keys)))
            self._keys[spec.id] = self.keys_of(spec.id)
        self.conflicts.clear()

    def keys_of(self, action_id: str) -> list[str]:
        """The keys in a command's editor, each as portable text ("Ctrl+K")."""
        seq = self.editors[action_id].keySequence()
        return [QKeySequence(seq[i].toCombined()).toString(QKeySequence.SequenceFormat.PortableText)
                for i in range(seq.count())]

    def _set_keys(self, action_id: str, keys: list[str]) -> None:
        editor = self.editors[action_id]
        editor.blockSignals(True)
        editor.setKeySequence(QKeySequence(", ".join(keys)))
        editor.blockSignals(False)
        self._keys[action_id] = self.keys_of(action_id)

    def _key_edited(self, action_id: str) -> None:
        """A command got new keys: if one is another command's, offer to swap, else undo the change."""
        if self.conflict_box is not None:
            # The key editor can report one edit twice (its timer, then the focus the question takes):
            # the question already asked answers both.
            return
        keys = self.keys_of(action_id)
        old = self._keys.get(action_id, [])
        for key in keys:
            if key in old:
                continue
            other = next((spec.id for spec in SPECS if spec.id != action_id and key in self._keys[spec.id]), None)
            if other is not None:
                self._offer_swap(action_id, other, key, keys, old)
                return
        self._keys[action_id] = keys
        self.conflicts.clear()

    def _offer_swap(self, action_id: str, other: str, key: str, keys: list[str], old: list[str]) -> None:
        name, other_name = self.registry.name(action_id), self.registry.name(other)
        box = QMessageBox(QMessageBox.Icon.Question, tr("Key Already Used"), tr(
            "{key} is already the key of “{other}”.").format(key=QKeySequence(key).toString(
                QKeySequence.SequenceFormat.NativeText), other=other_name), QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("keyConflictBox")
        given = ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in old) \
            or tr("no key")
        box.setInformativeText(tr("Swap: “{name}” gets {key}, and “{other}” gets {given}. Cancel keeps the keys "
                                  "as they were.").format(name=name, key=key, other=other_name, given=given))
        self.swap_button = box.addButton(tr("Swap Keys"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)

        def done(_result: int) -> None:
            if box.clickedButton() is self.swap_button:
                other_keys = [k for k in self._keys[other] if k not in keys] + [k for k in old if k not in keys]
                self._set_keys(other, other_keys)
                self._keys[action_id] = keys
                self.conflicts.setText(tr("“{name}” now has {key}; “{other}” has {given}.").format(
                    name=name, key=key, other=other_name, given=", ".join(other_keys) or tr("no key")))
            else:
                self._set_keys(action_id, old)
                self.conflicts.setText(tr("{key} stays with “{other}”.").format(key=key, other=other_name))
            self.conflict_box = None

        box.finished.connect(done)
        self.conflict_box = box
        box.open()

    def done(self, result: int) -> None:
        """Closing the dialog answers a pending swap question with Cancel, so no box outlives it."""
        if self.conflict_box is not None:
            self.conflict_box.reject()
        super().done(result)

    def keymap(self) -> dict[str, list[str]]:
        """Only the keys that differ from the defaults are stored."""
        out = {}
        for spec in SPECS:
            seq = self.editors[spec.id].keySequence()
            keys = [seq[i].toCombined() for i in range(seq.count())]
            texts = [QKeySequence(k).toString(QKeySequence.SequenceFormat.PortableText) for k in keys]
            defaults = tuple(QKeySequence(k).toString(QKeySequence.SequenceFormat.PortableText) for k in spec.keys)
            if tuple(texts) != defaults:
                out[spec.id] = texts
        return out

    def apply_to(self, settings: Settings) -> None:
        settings.theme = self.theme.currentData()
        settings.language = self.language.currentData()
        settings.cache_mb = self.cache.value()
        settings.keymap = self.keymap()
