"""The frame server: latest request wins, byte-bounded LRU cache, exact frames off the UI thread."""

from __future__ import annotations

import threading

import numpy as np
from editor_helpers import import_and_wait, make_project, shown_frame, wait_for


def test_cache_is_bounded_in_bytes_and_lru():
    from desktop.preview.frame_server import FrameCache

    frame = np.zeros((10, 10, 3), np.uint8)  # 300 bytes
    cache = FrameCache(1000)
    for k in range(3):
        cache.put(k, frame)
    assert cache.get(0) is not None  # 0 is now the most recent
    cache.put(3, frame)
    assert 0 in cache and 3 in cache and 1 not in cache
    assert cache.used <= 1000
    cache.set_budget(300)
    assert len(cache) == 1 and 3 in cache


def test_latest_request_wins_and_ui_thread_never_decodes(qtbot, window, footage, tmp_path):
    from engine.media import FrameReader

    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    decoding_threads = set()
    original = FrameReader.frame

    def spy(self, *args, **kwargs):
        decoding_threads.add(threading.current_thread().name)
        return original(self, *args, **kwargs)

    FrameReader.frame = spy
    try:
        served = []
        win.server.frameReady.connect(lambda ch, t, f: served.append(t))
        for t in range(5, 45):
            win.transport.seek(t)  # a burst: only the newest matters
        assert shown_frame(qtbot, win, 44) == 20  # frame 44 = clip1 frame 20
        # Far fewer frames were decoded than requested in the burst.
        assert len(served) < 40
        assert decoding_threads and threading.main_thread().name not in decoding_threads
        # Playing reads ahead: frames after the playhead land in the cache.
        win.transport.seek(0)
        win.playback.play()
        wait_for(qtbot, lambda: win.transport.frame >= 12, timeout=20)
        win.playback.pause()
        assert win.playback.shown > 0
    finally:
        FrameReader.frame = original
