"""Playback of a 1080p timeline at 24 fps in the real editor: frames dropped per minute.

The timeline is long-GOP 1080p footage played through the editor's all-intra proxies (the normal
preview path), and, as the baseline in the same run, from the original files.

    .venv/bin/python tests/bench/bench_gui_playback.py [SECONDS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_gui_frames import long_gop_1080p, make_window, proxies_ready, pump


def play(app, win, seconds: float) -> tuple[int, int, float]:
    win.transport.seek(0)
    win.registry["loop"].setChecked(True)  # loop the whole timeline for as long as we measure
    pump(app, lambda: win.viewer.canvas.painted_index == 0, timeout=30)
    win.playback.dropped = win.playback.shown = 0
    win.playback.play()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        app.processEvents()
        time.sleep(0.001)
    win.playback.pause()
    return win.playback.shown, win.playback.dropped, time.perf_counter() - start


def report(name: str, shown: int, _gaps: int, elapsed: float) -> None:
    # Dropped = frames the clock called for that never reached the screen (late, skipped, or lost
    # while the loop wrapped around).
    expected = round(elapsed * 24)
    dropped = max(0, expected - shown)
    per_minute = dropped * 60 / elapsed
    print(f"{name}: {elapsed:.1f} s at 24 fps, {expected} frames due, {shown} painted, {dropped} dropped "
          f"= {per_minute:.0f} dropped/min ({100 * dropped / max(1, expected):.1f} %)", flush=True)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 15.0
    work = Path(tempfile.mkdtemp(prefix="shotloom-bench-"))
    clips = long_gop_1080p(work, count=2, frames=96)
    app, win = make_window(work, clips, (1920, 1080), proxies=True)
    pump(app, lambda: proxies_ready(win), timeout=600)
    win._use_proxies()
    report("1080p via proxies", *play(app, win, seconds))
    win.server.set_source_for(None)
    win.server.cache.clear()
    report("1080p originals (baseline)", *play(app, win, seconds))
    win._closing_ok = True
    win.close()


if __name__ == "__main__":
    main()
