"""Media bin: every file of the project, with thumbnails and their probe information: the media
imported into the bin (kept whether or not a shot uses it), the imported and generated takes of the
shots, and loose takes (finished after their shot was deleted). It follows the editor model.

Drag a file onto the storyboard or the timeline to add it as a shot; drop files from the file
manager here to import them without making shots (reported to the source as a copy)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView

from desktop.i18n import tr
from desktop.models.storyboard import MEDIA_MIME
from desktop.services.background import BackgroundTask

KINDS = ("imported", "generated", "loose")


def describe(info) -> str:
    if info is None:
        return tr("probing…")
    if getattr(info, "is_image", False):
        return tr("image · {w}×{h}").format(w=info.width, h=info.height)
    if not getattr(info, "has_video", True):
        try:
            seconds = float(Fraction(str(getattr(info, "duration", "0"))))
        except (ValueError, ZeroDivisionError):
            seconds = 0.0
        return tr("sound only") + (f" · {seconds:.1f} s" if seconds else "")
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


@dataclass(frozen=True)
class BinEntry:
    path: Path
    kind: str  # "imported" | "generated" | "loose"
    label: str  # what it is in the project ("in the bin", "Shot 3 · take 2")
    item_id: str | None = None  # the media bin item, for files imported into the bin


def entries(editor) -> list[BinEntry]:
    """What the bin lists, in order: bin files, then each shot's takes, then loose takes; a file
    appears once."""
    from desktop.views.takes_panel import ordered_takes

    out: dict[str, BinEntry] = {}
    for item in editor.bin:
        out.setdefault(str(item.path), BinEntry(Path(item.path), "imported", tr("imported"), item.id))
    for shot in editor.shots:
        takes = ordered_takes(shot) if len(shot.takes) > 1 else shot.takes
        for n, take in enumerate(takes, 1):
            if take.path is None:
                continue
            label = shot.name if len(shot.takes) == 1 else tr("{shot} · take {n}").format(shot=shot.name, n=n)
            kind = "generated" if take.kind == "generated" else "imported"
            entry = out.get(str(take.path))
            if entry is None:
                out[str(take.path)] = BinEntry(Path(take.path), kind, label)
            elif entry.kind == "imported" and entry.item_id is not None:
                out[str(take.path)] = BinEntry(entry.path, "imported", tr("used by {shot}").format(shot=label),
                                               entry.item_id)
    project = editor.project
    loose = getattr(project, "loose_takes", None) if project is not None else None
    for take in (loose() if callable(loose) else ()):
        out.setdefault(str(take.path), BinEntry(Path(take.path), "loose",
                                                tr("loose take of {shot}").format(shot=take.shot_name or "?")))
    return list(out.values())


class MediaBinModel(QAbstractListModel):
    def __init__(self, editor, thumbnails, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor  # EditorModel
        self.items: list[BinEntry] = []
        self.info: dict[str, object] = {}  # path -> MediaInfo | None (probing) | False (unreadable)
        self.thumbnails = thumbnails
        thumbnails.ready.connect(self._thumb_ready)
        editor.opened.connect(self.refresh)
        editor.changed.connect(lambda r: self.refresh() if r.bin or r.order or r.takes else None)

    @property
    def paths(self) -> list[Path]:
        return [e.path for e in self.items]

    def remember(self, path: Path, info) -> None:
        """Probe information already known (the import probed the file)."""
        self.info[str(path)] = info
        self._changed(str(path))

    def refresh(self) -> None:
        fresh = entries(self.editor) if self.editor.project is not None else []
        if fresh == self.items:
            return
        self.beginResetModel()
        self.items = fresh
        self.endResetModel()
        for entry in fresh:
            self._probe(entry.path)

    def retranslate(self) -> None:
        """The labels in the UI's language (after it changed)."""
        self.items = []
        self.refresh()

    def _probe(self, path: Path) -> None:
        key = str(path)
        if key in self.info:
            return
        self.info[key] = None
        # The bin shows what it cannot read as unreadable.
        task = BackgroundTask(lambda _t: _probe(path), "bin-probe", self)
        task.succeeded.connect(lambda result, p=key: self.remember(p, result))
        task.failed.connect(lambda _msg, p=key: self.remember(p, False))
        task.start()

    def _changed(self, key: str) -> None:
        for row, entry in enumerate(self.items):
            if str(entry.path) == key:
                self.dataChanged.emit(self.index(row), self.index(row))

    def _thumb_ready(self, key) -> None:
        if key[1] == 0:
            self._changed(key[0])

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        entry = self.items[index.row()]
        info = self.info.get(str(entry.path))
        if role == Qt.ItemDataRole.DisplayRole:
            detail = tr("unreadable") if info is False else describe(info)
            # Imported files speak for themselves; takes say which shot they belong to.
            label = "" if entry.kind == "imported" else entry.label + "\n"
            return f"{entry.path.name}\n{label}{detail}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.path}\n{entry.label}"
        if role == Qt.ItemDataRole.DecorationRole:
            if info is not None and info is not False and not getattr(info, "has_video", True):
                return None
            image = self.thumbnails.get(entry.path, 0)
            if image is not None:
                return QIcon(QPixmap.fromImage(image))
        return None

    def flags(self, index: QModelIndex):
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [MEDIA_MIME]

    def mimeData(self, indexes) -> QMimeData:
        mime = QMimeData()
        paths = [str(self.items[i.row()].path) for i in indexes if i.isValid()]
        mime.setData(MEDIA_MIME, json.dumps(paths).encode())
        return mime


class MediaBinView(QListView):
    filesDropped = Signal(list)  # paths from the file manager: import them into the bin

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("mediaBin")
        self.setIconSize(QSize(96, 56))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setUniformItemSizes(True)
        self.setSpacing(2)

    def startDrag(self, actions) -> None:
        # A bin file dragged to the storyboard is copied into the cut, never moved out of the bin.
        super().startDrag(Qt.DropAction.CopyAction)

    def dragEnterEvent(self, event) -> None:
        self.dragMoveEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls() and event.source() is None:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        self.filesDropped.emit(paths)
