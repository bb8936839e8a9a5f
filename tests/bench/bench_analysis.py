"""Continuity inspector benchmark: analysis speed and detection quality. Prints its figures.

    .venv/bin/python tests/bench/bench_analysis.py            # everything (a few minutes)
    .venv/bin/python tests/bench/bench_analysis.py --quick    # smaller runs

Speed: frames per second of the measurement pass on in-memory frames at 768x512 and 1920x1080
(the part the inspector adds), and of `analyze_project` on a real H.264 timeline at 768x512
(decode + composite + measure + score), as a ratio against decoding the same files alone and
against real time (24 fps). Quality: precision and recall per kind on the generated set used by
the tests (200 seams + 20 long takes), on a harder set (subtler defects, heavier grain and
JPEG), on held-out long takes for drift, and the calibration margin of each threshold (the highest raw value on clean joins
against the lowest on injected defects).
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
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.analysis.evaluation import check_case, tally
from engine.analysis.features import AnalysisConfig, measure_frames
from engine.analysis.synthetic import FrameSpec, Scene, make_cases, make_long_take, render_specs
from engine.analysis.thresholds import DEFAULT_THRESHOLDS

RATE = 24


def scene_frames(size: tuple[int, int], n: int, seed: int = 0) -> list[np.ndarray]:
    scene = Scene(seed, size, speed=6.0)
    return render_specs({0: scene}, [FrameSpec(0, float(i), i) for i in range(n)])


def bench_measure(size: tuple[int, int], frames: int, preset: str) -> float:
    # Rendering 1080p scenes is slower than analysing them: render a few, upscale, cycle.
    base = scene_frames((min(size[0], 768), min(size[1], 512)), 48)
    if base[0].shape[1::-1] != size:
        base = [cv2.resize(f, size, interpolation=cv2.INTER_CUBIC) for f in base]
    stream = (base[i % len(base)] for i in range(frames))
    t = time.perf_counter()
    measure_frames(stream, config=AnalysisConfig(flow_preset=preset))
    return frames / (time.perf_counter() - t)


def bench_project(seconds: int, shots: int) -> dict:
    from engine.analysis import analyze_project
    from engine.media import FrameReader, VideoWriter
    from engine.project import InsertShot, Project

    size = (768, 512)
    per_shot = seconds * RATE // shots
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        paths = []
        for k in range(shots):
            scene = Scene(100 + k, size, speed=3.0)
            path = tmp / f"shot{k}.mp4"
            with VideoWriter(path, preset="h264", rate=Fraction(RATE), size=size,
                             options={"preset": "ultrafast", "crf": "20"}) as writer:
                for i in range(per_shot):
                    writer.write(render_specs({0: scene}, [FrameSpec(0, float(i), i)], grain=1.0)[0])
            paths.append(path)
        made = time.perf_counter() - t0
        project = Project.create(tmp / "bench", fps=Fraction(RATE), size=size)
        for k, path in enumerate(paths):
            project.apply(InsertShot(index=k, name=f"shot {k}", media_path=path))
        total = project.duration

        t = time.perf_counter()
        for path in paths:
            with FrameReader(path, rate=Fraction(RATE)) as reader:
                for i in range(reader.frame_count):
                    reader.frame(i)
        decode_s = time.perf_counter() - t

        t = time.perf_counter()
        report = analyze_project(project)
        analyze_s = time.perf_counter() - t
    return {"frames": total, "seconds": total / RATE, "made_s": made, "decode_s": decode_s,
            "analyze_s": analyze_s, "seams": len(report.seams), "defects": len(report.defects)}


def quality(cases, title: str) -> None:
    t = time.perf_counter()
    reports = [check_case(c, measure_frames(c.frames)) for c in cases]
    elapsed = time.perf_counter() - t
    frames = sum(len(c.frames) for c in cases)
    print(f"\n{title}: {len(cases)} cases, {frames} frames at 128x96, measured and scored in {elapsed:.1f} s")
    print(f"  {'kind':<8} {'cases':>5} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}")
    for kind, row in tally(cases, reports).items():
        n = row.tp + row.fn
        print(f"  {kind:<8} {n:>5} {row.tp:>4} {row.fp:>4} {row.fn:>4} {row.precision:>9.3f} {row.recall:>7.3f}"
              + (f"   missed e.g. {', '.join(row.misses[:3])}" if row.misses else "")
              + (f"   false e.g. {', '.join(row.false[:3])}" if row.false else ""))
    return reports


def margins(cases, reports) -> None:
    """Per score: highest on clean joins vs lowest on the injected kind (both / threshold)."""
    print("\ncalibration margins (score = raw / threshold; a clean max < 1 <= defect min separates):")
    clean_max: dict[str, float] = {}
    defect_min: dict[str, float] = {}
    for case, report in zip(cases, reports):
        if case.seam >= len(case.frames):
            d = report.drift[0].score
            key = "drift"
            if case.drifting:
                defect_min[key] = min(defect_min.get(key, 1e9), d)
            else:
                clean_max[key] = max(clean_max.get(key, 0.0), d)
            continue
        seam = report.seams[0]
        for kind in ("color", "motion"):
            if kind in seam.scores:
                if kind in case.kinds:
                    defect_min[kind] = min(defect_min.get(kind, 1e9), seam.scores[kind])
                elif not case.kinds:
                    clean_max[kind] = max(clean_max.get(kind, 0.0), seam.scores[kind])
        for kind in ("flash", "frozen", "dropped", "black"):
            if kind in case.kinds:
                defect_min[kind] = min(defect_min.get(kind, 1e9), seam.scores.get(kind, 0.0))
        if not case.kinds:
            warp = seam.raw.get("scene_warp", 0.0) / DEFAULT_THRESHOLDS.scene_warp
            key = "scene(cut)" if case.name.startswith("clean_cut") else "scene(cont.)"
            if key == "scene(cut)":
                defect_min[key] = min(defect_min.get(key, 1e9), warp)
            elif case.transition is None:
                clean_max[key] = max(clean_max.get(key, 0.0), warp)
    clean_events = {k: 0 for k in ("flash", "frozen", "dropped", "black")}
    n_clean = 0
    for case, report in zip(cases, reports):
        if case.seam < len(case.frames) and not case.kinds:
            n_clean += 1
            for kind in report.found_kinds() & set(clean_events):
                clean_events[kind] += 1
    for key in ("color", "motion", "drift"):
        print(f"  {key:<8} clean max {clean_max.get(key, float('nan')):6.2f}   defect min "
              f"{defect_min.get(key, float('nan')):6.2f}")
    for key, count in clean_events.items():
        print(f"  {key:<8} clean joins with such an event {count}/{n_clean}   defect min "
              f"{defect_min.get(key, float('nan')):6.2f}")
    print(f"  scene    continuing joins max {clean_max.get('scene(cont.)', float('nan')):.2f}   "
          f"cuts to another scene min {defect_min.get('scene(cut)', float('nan')):.2f}  (warp error / "
          f"{DEFAULT_THRESHOLDS.scene_warp})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (the machine is shared; "
          f"figures are wall clock), OpenCV {cv2.__version__}, threads {cv2.getNumThreads()}")

    n = 240 if args.quick else 480
    print("\nmeasurement pass on in-memory frames (flow on a <=256 px grey copy):")
    for size in ((768, 512), (1920, 1080)):
        for preset in ("ultrafast", "fast"):
            fps = bench_measure(size, n if size[0] < 1000 else n // 2, preset)
            print(f"  {size[0]}x{size[1]} DIS {preset:<9} {fps:7.1f} frames/s = {fps / RATE:5.1f} x real time at 24 fps")

    seconds = 20 if args.quick else 60
    r = bench_project(seconds, 6)
    decode_fps = r["frames"] / r["decode_s"]
    fps = r["frames"] / r["analyze_s"]
    print(f"\nanalyze_project on a {r['seconds']:.0f} s 768x512 H.264 timeline ({r['frames']} frames, 6 shots, "
          f"{r['seams']} seams):")
    print(f"  decode only          {r['decode_s']:6.1f} s  {decode_fps:6.1f} frames/s")
    print(f"  check (decode+composite+measure+score) {r['analyze_s']:6.1f} s  {fps:6.1f} frames/s = "
          f"{r['seconds'] / r['analyze_s']:.1f} x real time; {r['analyze_s'] / r['decode_s']:.2f} x the decode "
          f"alone")

    rounds = 5 if args.quick else 10
    cases = make_cases(rounds)
    cases += [make_long_take(s, drifting=d) for s in range(rounds) for d in (False, True)]
    reports = quality(cases, "generated set (the tests' set)")
    margins(cases, reports)
    hard = make_cases(rounds, hard=True, seed0=1000)
    quality(hard, "hard set (subtle defects: colour dE 4-9, flash 20-40 %, 1 dropped frame, 45-180 deg turns, "
                  "holds of 4-5 frames; grain 3, JPEG 40-60)")
    takes = 20 if args.quick else 40
    held = [make_long_take(s, drifting=d) for s in range(200, 200 + takes) for d in (False, True)]
    quality(held, f"held-out long takes ({takes} steady + {takes} drifting by dE 10-25, seeds not used to "
                  f"calibrate)")
    print("\nthresholds:")
    for line in DEFAULT_THRESHOLDS.explain():
        print(f"  {line}")


if __name__ == "__main__":
    main()
