"""Continuity inspector on real footage: recall and false alarms per kind, and speed at 1080p. Prints its figures.

    .venv/bin/python tests/bench/bench_analysis_real.py            # 4 rounds per set (a few minutes)
    .venv/bin/python tests/bench/bench_analysis_real.py --rounds 8 --seed0 4000   # steadier figures (304 cases a set)
    .venv/bin/python tests/bench/bench_analysis_real.py --rounds 2 --no-speed
    .venv/bin/python tests/bench/bench_analysis_real.py --seed0 1000 --no-speed   # other cases of the same footage

Sets (engine.analysis.footage, engine.analysis.synthetic):
  calibration  real footage the thresholds were chosen on (vtest 0-399, box; still, panning and handheld cameras)
  held-out     real footage never used to choose them (vtest 400-794, cup, tree)
  generated    the synthetic set of the tests (textured pans with shapes and grain)
  scan         every other frame of the calibration clips split as a clean join (false alarms only)
Per kind: cases with it, recall (found / cases with it) and false-alarm rate (cases without it said
to have it / cases without it). The floor asked for: recall >= 0.95 at <= 5 % false alarms on the
held-out set, for every kind. Speed: the measurement pass on 1920x1080 frames (real footage scaled
up), and `analyze_project` on a 1080p H.264 timeline (decode + composite + measure + score) as a
multiple of real time, cold and with every shot cached.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.analysis.evaluation import KINDS, check_case, tally
from engine.analysis.features import measure_frames
from engine.analysis.footage import clip_frames, make_real_cases
from engine.analysis.synthetic import make_cases, make_long_take

FLOOR_RECALL, FLOOR_FALSE = 0.95, 0.05


def quality(cases, title: str) -> dict:
    t = time.perf_counter()
    reports = [check_case(c, measure_frames(c.frames)) for c in cases]
    elapsed = time.perf_counter() - t
    rows = tally(cases, reports)
    print(f"\n{title}: {len(cases)} cases, {sum(len(c.frames) for c in cases)} frames, {elapsed:.1f} s")
    print(f"  {'kind':<8} {'cases':>5} {'recall':>7} {'false alarms':>13}   floor")
    for kind in (*KINDS, "seam"):
        row = rows[kind]
        n = row.tp + row.fn
        if n == 0 and row.fp == 0:
            continue
        ok = "ok" if (n == 0 or row.recall >= FLOOR_RECALL) and row.false_alarm_rate <= FLOOR_FALSE else "BELOW"
        print(f"  {kind:<8} {n:>5} {row.recall:>7.3f} {row.false_alarm_rate:>8.3f} ({row.fp:>2})   {ok}"
              + (f"   missed: {', '.join(row.misses[:4])}" if row.misses else "")
              + (f"   false: {', '.join(row.false[:4])}" if row.false else ""))
    return rows


def scan() -> None:
    """False alarms per kind over every other frame of the calibration clips split as a clean join."""
    from collections import Counter

    import numpy as np

    from engine.analysis.footage import SIDE, scan_joins, scan_sources
    from engine.analysis.seams import SeamSpec, ShotSpan, score_seams

    t = time.perf_counter()
    said: Counter = Counter()
    joins = 0
    for src in scan_sources():
        series = measure_frames(np.array(src.frame(i)) for i in range(src.length))
        for f in scan_joins(src):
            report = score_seams(series.slice(f - SIDE, f + SIDE), [ShotSpan("A", 0, SIDE), ShotSpan("B", SIDE, SIDE)],
                                 [SeamSpec(SIDE, ("A", "B"), expected="continuous")])
            joins += 1
            said.update(report.seams[0].kinds)
    rates = ", ".join(f"{k} {v / joins:.3f} ({v})" for k, v in sorted(said.items())) or "none"
    print(f"\ncalibration scan (every other frame of vtest 0-399 and box split as a clean join; still, panning "
          f"and handheld cameras): {joins} joins, {time.perf_counter() - t:.0f} s; false alarms: {rates}")


def speed(seconds: int) -> None:
    from engine.analysis import analyze_project
    from engine.media import VideoWriter
    from engine.project import InsertShot, Project

    size = (1920, 1080)
    base = [cv2.resize(f, size, interpolation=cv2.INTER_CUBIC) for f in clip_frames("cup")[:48]]
    n = 240
    t = time.perf_counter()
    measure_frames(base[i % len(base)] for i in range(n))
    fps = n / (time.perf_counter() - t)
    print(f"\nmeasurement pass, 1920x1080 frames in memory: {fps:.1f} frames/s = {fps / 24:.1f} x real time at 24 fps")

    rate = 24
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        frames = seconds * rate
        per_shot = frames // 4
        project = Project.create(tmp / "bench", fps=Fraction(rate), size=size)
        for k in range(4):
            path = tmp / f"shot{k}.mp4"
            with VideoWriter(path, preset="h264", rate=Fraction(rate), size=size,
                             options={"preset": "ultrafast", "crf": "20"}) as writer:
                for i in range(per_shot):
                    writer.write(base[(i + 7 * k) % len(base)])
            project.apply(InsertShot(index=k, name=f"shot {k}", media_path=path))
        t = time.perf_counter()
        analyze_project(project)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        report = analyze_project(project)
        warm = time.perf_counter() - t
    dur = project.duration / rate
    print(f"analyze_project, {dur:.0f} s 1080p H.264 timeline (4 shots): cold {cold:.1f} s = {dur / cold:.1f} x real "
          f"time; cached {warm:.2f} s = {dur / warm:.0f} x ({report.cached_shots} of 4 shots from the cache)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--no-scan", action="store_true")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--seed0", type=int, default=0,
                        help="first seed of the real cases (another value draws cases never looked at)")
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (shared machine; wall clock), "
          f"OpenCV {cv2.__version__}")
    held = quality(make_real_cases("held_out", args.rounds, seed0=args.seed0),
                   f"HELD-OUT real footage (thresholds never tuned on it), seeds from {args.seed0}")
    quality(make_real_cases("calibration", args.rounds, seed0=args.seed0),
            f"calibration real footage (thresholds chosen on it), seeds from {args.seed0}")
    generated = make_cases(args.rounds * 2) + [make_long_take(s, drifting=d) for s in range(args.rounds * 2)
                                              for d in (False, True)]
    quality(generated, "generated set")
    below = [k for k, r in held.items() if k != "seam" and (r.tp + r.fn) and
             (r.recall < FLOOR_RECALL or r.false_alarm_rate > FLOOR_FALSE)]
    print(f"\nheld-out floor (recall >= {FLOOR_RECALL}, false alarms <= {FLOOR_FALSE:.0%}): "
          + ("met for every kind" if not below else f"NOT met for {', '.join(below)}"))
    if not args.no_scan:
        scan()
    if not args.no_speed:
        speed(args.seconds)


if __name__ == "__main__":
    main()
