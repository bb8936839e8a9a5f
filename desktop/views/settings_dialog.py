"""Settings: theme, language, preview cache size and the keymap (every action, remappable)."""

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
        for row, spec in enumerate(SPECS):
            item = self.table.model().index(row, 0)
            self.table.model().setData(item, registry[spec.id].text().replace("&", ""))
            current = ", ".join(registry.keys(spec.id))
            edit = QKeySequenceEdit(QKeySequence(current), self.table)
            self.editors[spec.id] = edit
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
