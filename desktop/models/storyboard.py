"""The storyboard's list model: one row per shot, in timeline order, following the editor model
(a reorder resets it; any other edit repaints only the rows its change names).

It gives dragged cards their data (`mimeData`: the shots' ids); the view handles drops. The model
itself never changes the project.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, Qt
from PySide6.QtGui import QImage

SHOT_MIME = "application/x-shotloom-shot-ids"
MEDIA_MIME = "application/x-shotloom-media-paths"

ShotRole = Qt.ItemDataRole.UserRole + 1
ThumbRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3  # what the card shows: the engine's state or the document's
JobRole = Qt.ItemDataRole.UserRole + 4  # JobState of a shot being generated, or None


class StoryboardModel(QAbstractListModel):
    def __init__(self, editor, thumbnails, parent=None) -> None:
        super().__init__(parent)
        self.editor = editor  # EditorModel
        self.shots: list = []
        self.rows: dict[str, int] = {}
        self.thumbnails = thumbnails  # ThumbnailService
        self.rate = None
        thumbnails.ready.connect(self._thumb_ready)
        editor.opened.connect(self._reset)
        editor.changed.connect(self._on_change)
        editor.jobsChanged.connect(self._repaint)

    def _reset(self) -> None:
        self.beginResetModel()
        self.shots = list(self.editor.shots)
        self.rows = {s.id: i for i, s in enumerate(self.shots)}
        self.rate = self.editor.project.fps if self.editor.project is not None else None
        self.endResetModel()

    def _on_change(self, refresh) -> None:
        if refresh.order:
            self._reset()
            return
        self.shots = list(self.editor.shots)
        self._repaint(refresh.rows)

    def _repaint(self, ids) -> None:
        for shot_id in ids:
            row = self.rows.get(shot_id)
            if row is not None:
                self.dataChanged.emit(self.index(row), self.index(row))

    def _thumb_ready(self, key) -> None:
        for row, shot in enumerate(self.shots):
            if self.thumb_key(shot) == key:
                self.dataChanged.emit(self.index(row), self.index(row), [ThumbRole])

    @staticmethod
    def thumb_key(shot):
        if shot.media_path is None:
            return None
        return (str(shot.media_path), int(shot.source_in))

    # -- Qt model API ---------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.shots)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.shots):
            return None
        shot = self.shots[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return shot.name
        if role == Qt.ItemDataRole.ToolTipRole:
            media = shot.media_path.name if shot.media_path else "—"
            job = self.editor.jobs.get(shot.id)
            extra = f"\n{job.message}" if job is not None and job.message else ""
            return f"{shot.name}\n{media}\n{shot.frames} frames · {self.editor.status(shot)}{extra}"
        if role == ShotRole:
            return shot
        if role == StatusRole:
            return self.editor.status(shot)
        if role == JobRole:
            return self.editor.jobs.get(shot.id)
        if role == ThumbRole:
            key = self.thumb_key(shot)
            if key is None:
                return None
            image: QImage | None = self.thumbnails.get(Path(key[0]), key[1])
            return image
        return None

    def flags(self, index: QModelIndex):
        base = Qt.ItemFlag.ItemIsEnabled
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        return base

    def mimeTypes(self) -> list[str]:
        return [SHOT_MIME]

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        mime.setData(SHOT_MIME, json.dumps([self.shots[r].id for r in rows]).encode())
        return mime
