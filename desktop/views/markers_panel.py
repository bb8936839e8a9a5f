"""The marker list: every marker of the timeline with its colour, time, name and note. Click one to
go there; rename it in place; right-click for its colour; Delete removes it. Every change is a
project edit (undoable, saved). Also the small dialog that edits one marker."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import tr
from desktop.models.timecode import timecode
from desktop.views.timeline import marker_colour


def colour_names() -> dict[str, str]:
    return {"RED": tr("Red"), "ORANGE": tr("Orange"), "YELLOW": tr("Yellow"), "GREEN": tr("Green"),
            "CYAN": tr("Cyan"), "BLUE": tr("Blue"), "PURPLE": tr("Purple"), "MAGENTA": tr("Magenta"),
            "PINK": tr("Pink"), "WHITE": tr("White"), "BLACK": tr("Black")}


def swatch(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(marker_colour(colour))
    return QIcon(pixmap)


class MarkerDialog(QDialog):
    def __init__(self, marker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("markerDialog")
        self.setWindowTitle(tr("Marker"))
        self.setMinimumWidth(380)
        self.name = QLineEdit(marker.name, self)
        self.colour = QComboBox(self)
        for key, label in colour_names().items():
            self.colour.addItem(swatch(key), label, key)
        self.colour.setCurrentIndex(max(0, self.colour.findData(str(marker.colour).upper())))
        self.note = QPlainTextEdit(marker.note, self)
        self.note.setFixedHeight(80)
        form = QFormLayout()
        form.addRow(tr("Name:"), self.name)
        form.addRow(tr("Colour:"), self.colour)
        form.addRow(tr("Note:"), self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def changes(self, marker) -> dict:
        out = {}
        if self.name.text() != marker.name:
            out["name"] = self.name.text()
        if self.colour.currentData() != str(marker.colour).upper():
            out["colour"] = self.colour.currentData()
        if self.note.toPlainText() != marker.note:
            out["note"] = self.note.toPlainText()
        return out


class MarkersPanel(QWidget):
    def __init__(self, model, commands, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("markersPanel")
        self.model = model
        self.commands = commands
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("markerTable")
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.itemChanged.connect(self._edited)
        self.table.currentCellChanged.connect(lambda row, *_: self._go(row))
        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = QPushButton(self)
        self.delete_button = QPushButton(self)
        self.add_button.clicked.connect(lambda: self.commands.add_marker())
        self.delete_button.clicked.connect(self.delete_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        # Delete in the list deletes the marker, not the shot (the window's Delete key).
        self.table.installEventFilter(self)
        self._filling = False
        self.ids: list[str] = []
        model.opened.connect(self.refresh)
        model.changed.connect(lambda r: self.refresh() if r.markers or r.project else None)
        self.retranslate()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.table and event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) \
                and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.table.state() != \
                QAbstractItemView.State.EditingState:
            event.accept()
            if event.type() == QEvent.Type.KeyPress:
                self.delete_current()
            return True
        return super().eventFilter(obj, event)

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([tr("Time"), tr("Name"), tr("Note")])
        self.empty.setText(tr("No markers yet. Press M to mark the frame at the playhead."))
        self.add_button.setText(tr("Add at Playhead"))
        self.delete_button.setText(tr("Delete"))
        self.refresh()

    def refresh(self) -> None:
        markers = self.model.markers
        rate = self.model.transport.rate
        current = self.current_id()
        self._filling = True
        self.table.setRowCount(len(markers))
        self.ids = [m.id for m in markers]
        for row, marker in enumerate(markers):
            when = QTableWidgetItem(swatch(marker.colour), timecode(marker.frame, rate))
            when.setFlags(when.flags() & ~Qt.ItemFlag.ItemIsEditable)
            when.setToolTip(tr("Frame {frame}").format(frame=marker.frame))
            self.table.setItem(row, 0, when)
            self.table.setItem(row, 1, QTableWidgetItem(marker.name))
            self.table.setItem(row, 2, QTableWidgetItem(marker.note))
        if current in self.ids:
            self.table.setCurrentCell(self.ids.index(current), 1)
        self._filling = False
        self.empty.setVisible(not markers)
        self.delete_button.setEnabled(bool(markers))

    def current_id(self) -> str | None:
        row = self.table.currentRow()
        return self.ids[row] if 0 <= row < len(self.ids) else None

    def _go(self, row: int) -> None:
        if not self._filling and 0 <= row < len(self.ids):
            marker = self.model.marker(self.ids[row])
            if marker is not None:
                self.model.transport.seek(marker.frame)

    def _edited(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() not in (1, 2) or not 0 <= item.row() < len(self.ids):
            return
        marker = self.model.marker(self.ids[item.row()])
        if marker is None:
            return
        field = "name" if item.column() == 1 else "note"
        if item.text() != getattr(marker, field):
            self.commands.set_marker(marker.id, **{field: item.text()})

    def delete_current(self) -> None:
        marker_id = self.current_id()
        if marker_id is not None:
            self.commands.delete_marker(marker_id)

    def _menu(self, pos) -> None:
        row = self.table.rowAt(pos.y())
        if not 0 <= row < len(self.ids):
            return
        marker_id = self.ids[row]
        menu = QMenu(self)
        colours = menu.addMenu(tr("Colour"))
        for key, label in colour_names().items():
            colours.addAction(swatch(key), label).triggered.connect(
                lambda _=False, k=key: self.commands.set_marker(marker_id, colour=k))
        menu.addAction(tr("Edit…")).triggered.connect(lambda: self.commands.edit_marker(marker_id, self))
        menu.addAction(tr("Delete")).triggered.connect(lambda: self.commands.delete_marker(marker_id))
        self._context_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

