"""Media bin: the files imported into the project, with thumbnails and their probe information.
Drag a file onto the storyboard or the timeline to add it as a shot."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QObject, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView

from desktop.i18n import tr
from desktop.models.storyboard import MEDIA_MIME


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


class _Prober(QObject):
    done = Signal(str, object)

    def probe(self, path: Path) -> None:
        threading.Thread(target=self._run, args=(path,), daemon=True, name="shotloom-bin-probe").start()

    def _run(self, path: Path) -> None:
        from engine.media import probe

        try:
            info = probe(path)
        except Exception:  # noqa: BLE001 - the bin shows what it cannot read as unreadable
            info = False
        self.done.emit(str(path), info)


class MediaBinModel(QAbstractListModel):
    def __init__(self, thumbnails, parent=None) -> None:
        super().__init__(parent)
        self.items: list[tuple[Path, object]] = []  # (path, MediaInfo | None | False)
        self.thumbnails = thumbnails
        thumbnails.ready.connect(self._thumb_ready)
        self._prober = _Prober(self)
        self._prober.done.connect(self._probed, Qt.ConnectionType.QueuedConnection)

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
            self._prober.probe(path)

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
