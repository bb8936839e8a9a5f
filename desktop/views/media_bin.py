"""Media bin: the files imported into the project, with thumbnails and their probe information.
Drag a file onto the storyboard or the timeline to add it as a shot."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QSize, Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView

from desktop.i18n import tr
from desktop.models.storyboard import MEDIA_MIME
from desktop.services.background import BackgroundTask


def describe(info) -> str:
    if info is None:
        return tr("probing…")
    if getattr(info, "is_image", False):
        return tr("image · {w}×{h}").format(w=info.width, h=info.height)
    fps = info.fps
    rate = f"{float(fps):.3f}".rstrip("0").rstrip(".") if fps else "?"
    first = [f"{info.width}×{info.height}", f"{rate} fps"]
    second = [tr("{n} frames").format(n=info.frame_count), str(info.codec or "")]
    if getattr(info, "vfr", False):
        first.append("VFR")
    if getattr(info, "has_audio", False):
        second.append(tr("audio"))
    return " · ".join(p for p in first if p) + "\n" + " · ".join(p for p in second if p)


def _probe(path: Path):
    from engine.media import probe

    return probe(path)


class MediaBinModel(QAbstractListModel):
    def __init__(self, thumbnails, parent=None) -> None:
        super().__init__(parent)
        self.items: list[tuple[Path, object]] = []  # (path, MediaInfo | None | False)
        self.thumbnails = thumbnails
        thumbnails.ready.connect(self._thumb_ready)

    def clear(self) -> None:
        self.beginResetModel()
        self.items = []
        self.endResetModel()

    def add(self, path: Path, info=None) -> None:
        path = Path(path)
        for row, (p, _old) in enumerate(self.items):
            if p == path:
                if info is not None:
                    self.items[row] = (p, info)
                    self.dataChanged.emit(self.index(row), self.index(row))
                return
        self.beginInsertRows(QModelIndex(), len(self.items), len(self.items))
        self.items.append((path, info))
        self.endInsertRows()
        if info is None:
            # The bin shows what it cannot read as unreadable.
            task = BackgroundTask(lambda _t: _probe(path), "bin-probe", self)
            task.succeeded.connect(lambda result, p=str(path): self._probed(p, result))
            task.failed.connect(lambda _msg, p=str(path): self._probed(p, False))
            task.start()

    def _probed(self, path: str, info) -> None:
        for row, (p, _old) in enumerate(self.items):
            if str(p) == path:
                self.items[row] = (p, info)
                self.dataChanged.emit(self.index(row), self.index(row))

    def _thumb_ready(self, key) -> None:
        for row, (p, _i) in enumerate(self.items):
            if str(p) == key[0] and key[1] == 0:
                self.dataChanged.emit(self.index(row), self.index(row))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        path, info = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            detail = tr("unreadable") if info is False else describe(info)
            return f"{path.name}\n{detail}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(path)
        if role == Qt.ItemDataRole.DecorationRole:
            image = self.thumbnails.get(path, 0)
            if image is not None:
                return QIcon(QPixmap.fromImage(image))
        return None

    def flags(self, index: QModelIndex):
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [MEDIA_MIME]

    def mimeData(self, indexes) -> QMimeData:
        mime = QMimeData()
        paths = [str(self.items[i.row()][0]) for i in indexes if i.isValid()]
        mime.setData(MEDIA_MIME, json.dumps(paths).encode())
        return mime


class MediaBinView(QListView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("mediaBin")
        self.setIconSize(QSize(96, 56))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setUniformItemSizes(True)
        self.setSpacing(2)
