"""The frame server: decodes and composites preview frames on its own thread.

The UI thread only asks (`request`) and paints what comes back (`frameReady`). The newest request
replaces any older one still waiting (latest wins), frames are kept in an LRU cache bounded in
bytes, and while playing the thread reads ahead in the playing direction. It uses the same render
plan and compositor as export, so the preview shows exactly what will be exported.

A timeline frame is cached under what it is made of (its layers, their weights and the fill at the
project size), not under its position or the plan's revision: after an edit every frame whose
recipe did not change is still in the cache, wherever it now sits on the timeline.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from PySide6.QtCore import QObject, Signal

READ_AHEAD = 24


class FrameCache:
    """LRU of frames keyed by frame recipe content or (clip path, frame), bounded in bytes."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self.used = 0
        self._items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> np.ndarray | None:
        with self.lock:
            frame = self._items.get(key)
            if frame is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return frame

    def __contains__(self, key: Hashable) -> bool:
        with self.lock:
            return key in self._items

    def put(self, key: Hashable, frame: np.ndarray) -> None:
        with self.lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.used -= old.nbytes
            if frame.nbytes > self.budget:
                return
            self._items[key] = frame
            self.used += frame.nbytes
            while self.used > self.budget and self._items:
                _, dropped = self._items.popitem(last=False)
                self.used -= dropped.nbytes

    def set_budget(self, budget_bytes: int) -> None:
        with self.lock:
            self.budget = budget_bytes
            while self.used > self.budget and self._items:
                _, dropped = self._items.popitem(last=False)
                self.used -= dropped.nbytes

    def clear(self) -> None:
        with self.lock:
            self._items.clear()
            self.used = 0

    def __len__(self) -> int:
        return len(self._items)


class FrameServer(QObject):
    """frameReady(channel, frame, image) is emitted on the server thread and delivered queued.

    channel "main" is the timeline at the playhead; "a" and "b" are clips for A/B compare.
    """

    frameReady = Signal(str, int, object)  # channel, frame index, ndarray (h, w, 3) RGB
    frameFailed = Signal(str, int, str)  # channel, frame index, one-line message

    def __init__(self, cache_bytes: int = 512 * 2**20, parent: QObject | None = None,
                 source_for: Callable[[Path], Path] | None = None) -> None:
        super().__init__(parent)
        self.cache = FrameCache(cache_bytes)
        self._cond = threading.Condition()
        self._pending: dict[str, tuple] = {}  # channel -> request (latest wins per channel)
        self._plan = None
        self._playing = 0  # -1 backward, 0 stopped, +1 forward
        self._ahead_from: int | None = None
        self._stop = False
        self._source_for = source_for
        self._display: tuple[int, int] | None = None  # the viewer's size in device pixels
        # Started on first use, so that decoding libraries load after the window is on screen.
        self._thread: threading.Thread | None = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="shotloom-frame-server", daemon=True)
            self._thread.start()

    # -- UI thread API -----------------------------------------------------------------------
    def set_plan(self, plan) -> None:
        self._ensure_thread()
        with self._cond:
            self._plan = plan
            self._ahead_from = None
            self._cond.notify()

    @staticmethod
    def key(plan, t: int, display) -> tuple:
        """The cache key of timeline frame t: the content of its recipe at the project size."""
        recipe = plan.at(t)
        w, h = plan.size
        # Only a frame bigger than the viewer is reduced; a smaller one is the same at any viewer size.
        reduced = display if display is not None and (w > display[0] or h > display[1]) else None
        return ("plan", recipe.layers, recipe.fill, recipe.fill_weight, plan.size, reduced)

    def set_display_size(self, size: tuple[int, int] | None) -> None:
        """Frames bigger than this are delivered reduced to fit (the viewer never scales down)."""
        self._display = tuple(size) if size else None

    def set_source_for(self, source_for: Callable[[Path], Path] | None) -> None:
        with self._cond:
            self._source_for = source_for
            self._plan_dirty = True
            self._cond.notify()

    def request(self, t: int, channel: str = "main") -> None:
        """Ask for timeline frame t; a cached frame is delivered at once. Channel "main" is the
        playhead (read-ahead follows it); "onion" is the ghosted previous frame."""
        self._ensure_thread()
        plan = self._plan
        if plan is None or not 0 <= t < plan.frames:
            return
        frame = self.cache.get(self.key(plan, t, self._display))
        if frame is not None:
            with self._cond:
                self._pending.pop(channel, None)
                if channel == "main" and self._playing:
                    self._ahead_from = t
                    self._cond.notify()
            self.frameReady.emit(channel, t, frame)
            return
        with self._cond:
            self._pending[channel] = ("plan", t, self._display)
            if channel == "main":
                self._ahead_from = t if self._playing else None
            self._cond.notify()

    def request_clip(self, channel: str, path: Path, index: int, rate, size) -> None:
        self._ensure_thread()
        key = ("clip", str(path), index, size)
        frame = self.cache.get(key)
        if frame is not None:
            self.frameReady.emit(channel, index, frame)
            return
        with self._cond:
            self._pending[channel] = ("clip", Path(path), index, rate, size)
            self._cond.notify()

    def set_playing(self, direction: int) -> None:
        with self._cond:
            self._playing = direction
            if not direction:
                self._ahead_from = None
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- server thread -----------------------------------------------------------------------
    _plan_dirty = False

    def _run(self) -> None:
        import numpy as np

        from engine.render import Compositor

        self._np = np

        compositor = None
        compositor_plan = None
        clip_readers: dict[tuple, object] = {}
        while True:
            with self._cond:
                while not self._stop and not self._pending and self._ahead_from is None:
                    self._cond.wait()
                if self._stop:
                    break
                plan = self._plan
                if self._pending:
                    channel = "main" if "main" in self._pending else next(iter(self._pending))
                    job = self._pending.pop(channel)
                    ahead = None
                else:
                    channel, job = "", None
                    ahead = self._ahead_from
                source_for = self._source_for
                rebuild = self._plan_dirty
                self._plan_dirty = False
            if rebuild and compositor is not None:
                compositor.close()  # sources changed (a proxy appeared): reopen the readers
                compositor = None
                compositor_plan = None
            if plan is not None and plan is not compositor_plan:
                if compositor is not None and (compositor.plan.rate, compositor.plan.size) == (
                        plan.rate, plan.size):
                    compositor.plan = plan  # keep open readers: the sources rarely change
                else:
                    if compositor is not None:
                        compositor.close()
                    compositor = Compositor(plan, source_for)
                compositor_plan = plan
            if job is not None and job[0] == "plan":
                _, t, display = job
                if plan is None or not 0 <= t < plan.frames:
                    continue
                self._serve_plan(compositor, plan, t, channel, display)
            elif job is not None:
                self._serve_clip(clip_readers, channel, job)
            elif ahead is not None and plan is not None and compositor is not None:
                self._read_ahead(compositor, plan, ahead)
        if compositor is not None:
            compositor.close()
        for reader in clip_readers.values():
            reader.close()

    def _fit(self, frame, display):
        """Frames larger than the viewer are reduced here, off the UI thread, so that painting is a
        1:1 copy; smaller ones are left exact and scaled up when painted."""
        if display is None:
            return self._np.ascontiguousarray(frame)
        h, w = frame.shape[:2]
        dw, dh = display
        scale = min(dw / w, dh / h)
        if scale >= 1.0:
            return self._np.ascontiguousarray(frame)
        import cv2

        # Halve with INTER_AREA (OpenCV's fast integer path) while more than halving is left, then
        # finish with INTER_LINEAR: nearly the quality of INTER_AREA at a fraction of its cost.
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        while frame.shape[1] // 2 >= size[0] and frame.shape[0] // 2 >= size[1]:
            frame = cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2), interpolation=cv2.INTER_AREA)
        return self._np.ascontiguousarray(cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR))

    def _serve_plan(self, compositor, plan, t: int, channel: str, display=None) -> None:
        key = self.key(plan, t, display)
        frame = self.cache.get(key)
        if frame is None:
            try:
                frame = self._fit(compositor.frame(t), display)
            except Exception as exc:  # noqa: BLE001 - a bad frame must not kill the server thread
                self.frameFailed.emit(channel, t, str(exc))
                return
            self.cache.put(key, frame)
        self.frameReady.emit(channel, t, frame)

    def _read_ahead(self, compositor, plan, start: int) -> None:
        """Fill the cache in the playing direction until a request arrives or READ_AHEAD is met."""
        direction = self._playing or 1
        t = start
        for _ in range(READ_AHEAD):
            t += direction
            if not 0 <= t < plan.frames:
                break
            with self._cond:
                if self._pending or self._stop or self._plan is not plan or not self._playing:
                    return
            display = self._display
            key = self.key(plan, t, display)
            if key in self.cache:
                continue
            try:
                self.cache.put(key, self._fit(compositor.frame(t), display))
            except Exception:  # noqa: BLE001
                break
            if self.cache.used > self.cache.budget * 0.9:
                break
        with self._cond:
            if self._ahead_from == start:
                self._ahead_from = None

    def _serve_clip(self, readers: dict, channel: str, job: tuple) -> None:
        from engine.media import FrameReader, conform_frame

        _, path, index, rate, size = job
        key = ("clip", str(path), index, size)
        frame = self.cache.get(key)
        if frame is None:
            try:
                reader = readers.get((path, rate))
                if reader is None:
                    reader = readers[(path, rate)] = FrameReader(path, rate=rate)
                frame = reader.frame(min(max(index, 0), reader.frame_count - 1))
                if (frame.shape[1], frame.shape[0]) != tuple(size):
                    frame = conform_frame(frame, size, "fit")
                frame = self._np.ascontiguousarray(frame)
            except Exception as exc:  # noqa: BLE001 - a bad frame must not kill the server thread
                self.frameFailed.emit(channel, index, str(exc))
                return
            self.cache.put(key, frame)
        self.frameReady.emit(channel, index, frame)
