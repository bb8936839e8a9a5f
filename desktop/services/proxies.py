"""Preview proxies: all-intra copies of long-GOP footage, built in the background so that random
frame requests stay fast. The export always reads the originals."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.services.background import BackgroundTask


class ProxyService(QObject):
    built = Signal(str)  # media path whose proxy is now on disk
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self.tasks: list[BackgroundTask] = []

    def ensure(self, project_path: Path, media: list[tuple[Path, bool]], height: int) -> None:
        """media: (path, is_video) pairs gathered on the UI thread; stills need no proxy."""
        from engine.gen.runner import scrub_copy
        from engine.render.proxies import proxy_path

        todo = []
        for path, is_video in media:
            if not is_video or scrub_copy(path) is not None:  # a take brings its own all-intra copy
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
            task = BackgroundTask(lambda t: self._run(t, todo, height), "proxies", self)
            task.item.connect(self._on_item)
            task.ended.connect(lambda t=task: self.tasks.remove(t) if t in self.tasks else None)
            self.tasks.append(task)
            task.start()

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()

    def _on_item(self, item: tuple[str, str | None]) -> None:
        media, error = item
        if error is None:
            self.built.emit(media)
        else:
            self.failed.emit(error)

    def _run(self, task: BackgroundTask, todo: list[tuple[Path, Path]], height: int) -> None:
        from engine.media import build_proxy

        for n, (media, target) in enumerate(todo):
            if task.token.canceled:
                return
            task.report(n, len(todo), media.name)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                build_proxy(media, target, height=height, cancel=task.token)
            except Exception as exc:  # noqa: BLE001 - the preview falls back to the original file
                if not task.token.canceled:
                    task.emit_item((str(media), f"{media}: no preview proxy ({exc}); the preview reads the original"))
            else:
                task.emit_item((str(media), None))
            finally:
                with self._lock:
                    self._busy.discard(str(target))
        task.report(len(todo), len(todo), "")
