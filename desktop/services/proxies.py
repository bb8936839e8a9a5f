"""Preview proxies: all-intra copies of long-GOP footage, built in the background so that random
frame requests stay fast. The export always reads the originals."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine.progress import CancelToken


class ProxyService(QObject):
    progress = Signal(int, int, str)
    built = Signal(str)  # media path whose proxy is now on disk
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._token = CancelToken()
        self._lock = threading.Lock()
        self._busy: set[str] = set()

    def ensure(self, project_path: Path, media: list[tuple[Path, bool]], height: int) -> None:
        """media: (path, is_video) pairs gathered on the UI thread; stills need no proxy."""
        from engine.render.proxies import proxy_path

        todo = []
        for path, is_video in media:
            if not is_video:
                continue
            try:
                target = proxy_path(project_path, path)
            except OSError:
                continue
            with self._lock:
                if target.exists() or str(target) in self._busy:
                    continue
                self._busy.add(str(target))
            todo.append((path, target))
        if todo:
            threading.Thread(target=self._run, args=(todo, height), daemon=True,
                             name="shotloom-proxies").start()

    def cancel(self) -> None:
        self._token.cancel()

    def _run(self, todo: list[tuple[Path, Path]], height: int) -> None:
        from engine.media import build_proxy

        for n, (media, target) in enumerate(todo):
            if self._token.canceled:
                return
            self.progress.emit(n, len(todo), media.name)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                build_proxy(media, target, height=height, cancel=self._token)
            except Exception as exc:  # noqa: BLE001 - the preview falls back to the original file
                self.failed.emit(f"{media}: no preview proxy ({exc}); the preview reads the original")
            else:
                self.built.emit(str(media))
            finally:
                with self._lock:
                    self._busy.discard(str(target))
        self.progress.emit(len(todo), len(todo), "")
