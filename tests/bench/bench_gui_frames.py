"""Random frame requests in the real editor: time from a playhead move to the painted frame.

Case 1: a timeline of all-intra takes at 768x512 (target p95 <= 20 ms).
Case 2: imported long-GOP 1080p footage, through the all-intra proxies the editor builds in the
        background (target p95 <= 50 ms), with the same requests on the originals as the baseline.
The frame cache is emptied before every request, so each one is really decoded and composited.

    .venv/bin/python tests/bench/bench_gui_frames.py [REQUESTS]
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SHOTLOOM_HOME"] = tempfile.mkdtemp(prefix="shotloom-bench-home-")

from gui_bench import pump  # noqa: E402 - after the environment is set


def make_window(work: Path, clips: list[Path], size: tuple[int, int], proxies: bool):
    from desktop.app import build_window, create_app

    app = create_app()
    win = build_window()
    win.settings.proxies = proxies
    win.resize(1280, 800)
    win.show()
    win.new_project(work / f"bench-{size[0]}x{size[1]}.shotloom", size=size)
    win.import_files([str(c) for c in clips])
    pump(app, lambda: len(win.shots) == len(clips) and not win.importer.busy)
    return app, win


def proxies_ready(win) -> bool:
    from engine.render.proxies import proxy_path

    return all(proxy_path(win.document.project.path, s.media_path).exists() for s in win.shots)


def random_requests(app, win, count: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    canvas = win.viewer.canvas
    times = []
    last = win.transport.last()
    for _ in range(count):
        t = rng.randrange(0, last + 1)
        if t == win.transport.frame:
            t = (t + 1) % (last + 1)
        win.server.cache.clear()
        start = time.perf_counter()
        win.transport.seek(t)
        pump(app, lambda t=t: canvas.painted_index == t, timeout=30)
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(name: str, times: list[float], target: float | None = None) -> float:
    times = sorted(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    line = (f"{name}: n={len(times)} p50 {statistics.median(times):.1f} ms  p95 {p95:.1f} ms  "
            f"max {times[-1]:.1f} ms")
    if target is not None:
        line += f"   (target p95 <= {target:.0f} ms)"
    print(line, flush=True)
    return p95


def long_gop_1080p(work: Path, count: int = 2, frames: int = 96) -> list[Path]:
    from engine.media.synthetic import make_test_clip

    return [make_test_clip(work / f"camera{i}.mp4", frames=frames, rate=Fraction(24), size=(1920, 1080), seed=i,
                           gop=48, bframes=2) for i in range(count)]


def main() -> None:
    from engine.media.synthetic import make_test_clip

    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    work = Path(tempfile.mkdtemp(prefix="shotloom-bench-"))

    intra = [make_test_clip(work / f"take{i}.mp4", frames=48, rate=Fraction(24), size=(768, 512), seed=i, gop=1,
                            bframes=0) for i in range(3)]
    app, win = make_window(work, intra, (768, 512), proxies=False)
    random_requests(app, win, 5)  # open the readers once
    summary("all-intra takes 768x512, random frame -> painted", random_requests(app, win, requests), 20)
    win._closing_ok = True
    win.close()

    clips = long_gop_1080p(work)
    app, win = make_window(work, clips, (1920, 1080), proxies=True)
    start = time.monotonic()
    pump(app, lambda: proxies_ready(win), timeout=600)
    print(f"proxies for {len(clips)} long-GOP 1080p clips built in the background in "
          f"{time.monotonic() - start:.1f} s", flush=True)
    win._use_proxies()
    random_requests(app, win, 5)
    proxied = summary("long-GOP 1080p via proxies, random frame -> painted", random_requests(app, win, requests), 50)
    win.server.set_source_for(None)  # baseline: the same requests decoded from the originals
    random_requests(app, win, 3)
    original = summary("long-GOP 1080p originals (baseline), random frame -> painted",
                       random_requests(app, win, max(20, requests // 3)))
    print(f"proxies vs originals: p95 x{original / proxied:.1f} faster", flush=True)
    win._closing_ok = True
    win.close()


if __name__ == "__main__":
    main()
