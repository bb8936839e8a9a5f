"""Thumbnails decoded on a background thread and kept in memory; `ready(key)` says one arrived."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

WIDTH = 192


class ThumbnailService(QObject):
    ready = Signal(object)  # key (path str, index)
    _done = Signal(object, object)  # key, QImage (server thread -> UI thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._images: dict[tuple[str, int], QImage | None] = {}
        self._queue: queue.Queue = queue.Queue()
        self._done.connect(self._store, Qt.ConnectionType.QueuedConnection)
        self._thread: threading.Thread | None = None  # started on the first request

    def get(self, path: Path, index: int) -> QImage | None:
        """The thumbnail if ready; otherwise None and it is queued."""
        key = (str(path), int(index))
        if key in self._images:
            return self._images[key]
        self._images[key] = None
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="shotloom-thumbnails", daemon=True)
            self._thread.start()
        self._queue.put(key)
        return None

    def _store(self, key, image) -> None:
        self._images[key] = image
        self.ready.emit(key)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)

    def _run(self) -> None:
        from engine.media import thumbnail

        while True:
            key = self._queue.get()
            if key is None:
                return
            path, index = key
            try:
                frame = thumbnail(Path(path), index, width=WIDTH)
            except Exception:  # noqa: BLE001 - a bad file shows a blank card; the import reported it
                continue
            h, w, _ = frame.shape
            image = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_RGB888).copy()
            self._done.emit(key, image)
