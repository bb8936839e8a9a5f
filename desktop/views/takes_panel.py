"""The takes panel: every take of the selected shot with its thumbnail, model, seed and time.

Set the active take (one undo step), compare two takes in the viewer (side by side or wipe, in
sync with the playhead), delete a take that is not active, and replay a take: queue the same
recipe again and report whether the frames came out identical.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import Label, tr

TakeRole = Qt.ItemDataRole.UserRole + 10


def ordered_takes(shot) -> list:
    """A shot's takes oldest first (Take 1 is the first one made), whatever their order in the file."""
    def made(take) -> float:
        try:
            return Path(take.path).stat().st_mtime
        except OSError:
            return float("inf")

    return sorted(shot.takes, key=made)


def take_summary(take, number: int) -> str:
    recipe = getattr(take, "recipe", None) or {}
    model = (recipe.get("model") or {}).get("id") if isinstance(recipe.get("model"), dict) else recipe.get("model")
    seed = recipe.get("seed")
    try:
        when = datetime.datetime.fromtimestamp(Path(take.path).stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        when = tr("file missing")
    first = tr("Take {n}").format(n=number) + (f"  ·  {tr('active')}" if getattr(take, "active", False) else "")
    if getattr(take, "shot_name", None):
        first = tr("“{name}” (deleted shot)").format(name=take.shot_name)
    if getattr(take, "kind", "generated") == "imported":
        return f"{first}\n{tr('imported')} · {Path(take.path).name}\n{when}"
    parts = [str(model or "?"), tr("seed {seed}").format(seed=seed) if seed is not None else ""]
    return f"{first}\n{' · '.join(p for p in parts if p)}\n{when}"


class TakesPanel(QWidget):
    compareRequested = Signal(object, object, str)  # take A path, take B path, "side" | "wipe"
    replayRequested = Signal(str, str)  # shot id, take id

    def __init__(self, model, document, thumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("takesPanel")
        self.model = model
        self.document = document
        self.thumbnails = thumbnails
        self.shot = None
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("takesList")
        self.list.setIconSize(QSize(96, 56))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.report = QLabel(self)
        self.report.setObjectName("replayReport")
        self.report.setWordWrap(True)
        self.report.hide()
        self.active_button = QPushButton(self)
        self.compare_button = QPushButton(self)
        self.wipe_button = QPushButton(self)
        self.delete_button = QPushButton(self)
        self.replay_button = QPushButton(self)
        for name, b in (("setActive", self.active_button), ("compare", self.compare_button),
                        ("wipe", self.wipe_button), ("deleteTake", self.delete_button),
                        ("replay", self.replay_button)):
            b.setObjectName(f"{name}Button")
        row1 = QHBoxLayout()
        row1.addWidget(self.active_button)
        row1.addWidget(self.delete_button)
        row1.addWidget(self.replay_button)
        row2 = QHBoxLayout()
        row2.addWidget(self.compare_button)
        row2.addWidget(self.wipe_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.report)

        self.active_button.clicked.connect(self.set_active)
        self.delete_button.clicked.connect(self.delete)
        self.replay_button.clicked.connect(self.replay)
        self.compare_button.clicked.connect(lambda: self.compare("side"))
        self.wipe_button.clicked.connect(lambda: self.compare("wipe"))
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(lambda _item: self.set_active())
        thumbnails.ready.connect(self._thumb_ready)
        model.selection.changed.connect(lambda _ids: self.show_shot())
        model.opened.connect(self.show_shot)
        model.changed.connect(lambda r: self.show_shot() if self.shot is not None and (
            self.shot.id in r.rows or r.order) else None)
        self.retranslate()

    def retranslate(self) -> None:
        self.active_button.setText(tr("Use This Take"))
        self.delete_button.setText(tr("Delete"))
        self.replay_button.setText(tr("Replay"))
        self.replay_button.setToolTip(tr("Generate this take's recipe again and check that the frames are identical"))
        self.compare_button.setText(tr("Compare Side by Side"))
        self.wipe_button.setText(tr("Compare with Wipe"))
        self.show_shot()

    # -- showing -------------------------------------------------------------------------------
    def show_shot(self) -> None:
        ids = self.model.selection.ids
        self.shot = self.model.shot(ids[0]) if len(ids) == 1 else None
        keep = {t.id for t in self.selected_takes()}
        self.list.clear()
        if self.shot is None:
            loose = self.loose_takes()
            self.title.setText(tr("Select one shot to see its takes.") if not loose else
                               tr("Select one shot to see its takes. Kept from deleted shots: {n}").format(
                                   n=len(loose)))
            for n, take in enumerate(loose, 1):
                item = QListWidgetItem(take_summary(take, n))
                item.setData(TakeRole, take)
                self._set_icon(item, take)
                self.list.addItem(item)
        else:
            takes = ordered_takes(self.shot)
            self.title.setText(tr("Takes of “{name}” ({n})").format(name=self.shot.name, n=len(takes)) if takes
                               else tr("“{name}” has no take yet; generate it (Ctrl+G)").format(name=self.shot.name))
            for n, take in enumerate(takes, 1):
                item = QListWidgetItem(take_summary(take, n))
                item.setData(TakeRole, take)
                if take.active:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self._set_icon(item, take)
                self.list.addItem(item)
                item.setSelected(take.id in keep)
        self._update_buttons()

    def loose_takes(self) -> list:
        """Takes whose shot was deleted while they were generated: kept in the bundle, listed here."""
        project = self.model.project
        loose = getattr(project, "loose_takes", None) if project is not None else None
        return list(loose()) if callable(loose) else []

    def _set_icon(self, item: QListWidgetItem, take) -> None:
        image = self.thumbnails.get(Path(take.path), 0) if Path(take.path).exists() else None
        if image is not None:
            item.setIcon(QIcon(QPixmap.fromImage(image)))

    def _thumb_ready(self, key) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            take = item.data(TakeRole)
            if take is not None and str(take.path) == key[0] and key[1] == 0:
                self._set_icon(item, take)

    def selected_takes(self) -> list:
        return [i.data(TakeRole) for i in self.list.selectedItems() if i.data(TakeRole) is not None]

    def _update_buttons(self) -> None:
        takes = self.selected_takes() if self.shot is not None else []
        one = len(takes) == 1
        self.active_button.setEnabled(one and not takes[0].active)
        self.delete_button.setEnabled(one and not takes[0].active)
        self.replay_button.setEnabled(one and takes[0].kind == "generated")
        self.compare_button.setEnabled(len(takes) == 2)
        self.wipe_button.setEnabled(len(takes) == 2)

    # -- actions -------------------------------------------------------------------------------
    def set_active(self) -> bool:
        from engine.project import SetActiveTake

        takes = self.selected_takes()
        if self.shot is None or len(takes) != 1 or takes[0].active:
            return False
        number = next(i for i, t in enumerate(ordered_takes(self.shot), 1) if t.id == takes[0].id)
        return self.document.apply(SetActiveTake(self.shot.id, takes[0].id),
                                   Label("Use Take {n} of “{name}”", n=number, name=self.shot.name))

    def delete(self) -> bool:
        from engine.project import RemoveTake

        takes = self.selected_takes()
        if self.shot is None or len(takes) != 1 or takes[0].active:
            return False
        number = next(i for i, t in enumerate(ordered_takes(self.shot), 1) if t.id == takes[0].id)
        return self.document.apply(RemoveTake(self.shot.id, takes[0].id),
                                   Label("Delete Take {n} of “{name}”", n=number, name=self.shot.name))

    def compare(self, mode: str) -> None:
        takes = self.selected_takes()
        if len(takes) == 2:
            self.compareRequested.emit(takes[0].path, takes[1].path, mode)

    def replay(self) -> None:
        takes = self.selected_takes()
        if self.shot is not None and len(takes) == 1:
            self.show_report(tr("Replaying take… the result is compared frame by frame when it is done."))
            self.replayRequested.emit(self.shot.id, takes[0].id)

    def show_report(self, text: str) -> None:
        self.report.setText(text)
        self.report.show()
