"""Sound and picture in the real editor: a 1080p timeline with sound (long-GOP H.264 + AAC, played
through the editor's all-intra proxies) played at 24 fps for SECONDS.

Prints
- A/V sync: for every painted frame, the painted frame minus the frame being heard at that moment
  (the sound is playback's clock); its distribution in frames, and the share within ±1 frame;
- frames dropped per minute with sound, and without sound (the wall-clock playback, the baseline),
  in the same run.

Without a sound device (a server) the player consumes the mix in real time as a device would; the
mixing (the export's own AudioMixer) and the sync logic are the real ones, but a device's own
output latency is not in the figures.

    .venv/bin/python tests/bench/bench_av_sync.py [SECONDS]     (default 60)
"""

from __future__ import annotations

import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SHOTLOOM_HOME"] = tempfile.mkdtemp(prefix="shotloom-bench-home-")

from bench_gui_frames import make_window, proxies_ready  # noqa: E402 - after the environment is set
from bench_gui_playback import play as play_looped  # noqa: E402
from bench_gui_playback import report as report_drops  # noqa: E402
from gui_bench import pct, pump  # noqa: E402


def footage(work: Path, count: int = 2, frames: int = 96) -> list[Path]:
    from engine.media.synthetic import make_test_clip

    return [make_test_clip(work / f"talk{i}.mp4", frames=frames, rate=Fraction(24), size=(1920, 1080), seed=i,
                           gop=48, audio=True) for i in range(count)]


def play(app, win, seconds: float, audio: bool) -> tuple[list[float], tuple[int, int, float]]:
    """Offsets (painted frame - heard frame) and (painted, gaps, elapsed) of `seconds` of looped playback."""
    win.playback.audio = win.audio if audio else None
    offsets: list[float] = []

    def painted(frame: int) -> None:
        heard = win.audio.heard_frame() if audio else None
        if heard is not None:
            offsets.append(frame - heard)

    win.viewer.canvas.painted.connect(painted)
    try:
        return offsets, play_looped(app, win, seconds)
    finally:
        win.viewer.canvas.painted.disconnect(painted)


def report_sync(offsets: list[float]) -> None:
    if not offsets:
        print("A/V sync: no sound was heard", flush=True)
        return
    within = sum(abs(o) <= 1.0 for o in offsets) / len(offsets)
    print(f"A/V sync over {len(offsets)} painted frames (painted - heard, in frames): "
          f"min {min(offsets):+.2f}  p1 {pct(offsets, 0.01):+.2f}  p5 {pct(offsets, 0.05):+.2f}  "
          f"p50 {pct(offsets, 0.5):+.2f}  p95 {pct(offsets, 0.95):+.2f}  p99 {pct(offsets, 0.99):+.2f}  "
          f"max {max(offsets):+.2f};  within ±1 frame: {100 * within:.1f} %", flush=True)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    work = Path(tempfile.mkdtemp(prefix="shotloom-bench-"))
    clips = footage(work)
    app, win = make_window(work, clips, (1920, 1080), proxies=True)
    pump(app, lambda: proxies_ready(win), timeout=900)
    win._use_proxies()
    win.audio.deviceMissing.connect(lambda why: print(f"(no sound device: {why}; a real-time clock stands in)",
                                                      flush=True))
    offsets, played = play(app, win, seconds, audio=True)
    print(f"sound output: {win.audio.device_name or 'no device'}", flush=True)
    report_sync(offsets)
    report_drops("1080p via proxies, with sound", *played)
    _offsets, played = play(app, win, seconds, audio=False)
    report_drops("1080p via proxies, without sound (baseline)", *played)
    win._closing_ok = True
    win.close()


if __name__ == "__main__":
    main()
