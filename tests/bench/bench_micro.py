"""What the shipped micro-ltx reaches, through the engine (``engine.gen.micro.evaluate``).

    .venv/bin/python tests/bench/bench_micro.py                  # every score, 60 s long take
    .venv/bin/python tests/bench/bench_micro.py --only text --cases 6 --dtype float32

Targets (issue 13): text >= 90 % of 24 held-out captions with background colour, shape colour and
direction right; image to video first frame >= 25 dB and the shape moves; extend forward and
backward within 2 px of the world's trajectory at the join, direction kept; bridge >= 22 dB at
both ends; a 60 s long take whose colours stay near the first second's and whose window joins the
continuity inspector passes. Each line also prints a reference the model cannot beat (the H.264
round trip of the image; two adjacent frames of the world itself) and the seconds it took.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PARTS = ("text", "image", "extend", "bridge", "long_take")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=PARTS, action="append")
    parser.add_argument("--cases", type=int, help="cases per part (default: 24 captions, 8 of the others)")
    parser.add_argument("--seconds", type=float, default=60.0, help="long take length")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    parser.add_argument("--steps", type=int)
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON too")
    args = parser.parse_args()

    import os

    from engine.gen.micro import evaluate

    home = Path(tempfile.mkdtemp(prefix="bench_micro_"))
    os.environ.setdefault("SHOTLOOM_HOME", str(home / "home"))
    settings = evaluate.Settings(dtype=args.dtype, steps=args.steps)
    results = {}
    for part in args.only or PARTS:
        root = home / part
        root.mkdir()
        c0, w0 = time.process_time(), time.perf_counter()
        if part == "long_take":
            res = evaluate.long_take(root, args.seconds, settings)
        else:
            kwargs = {"cases": args.cases} if args.cases else {}
            res = getattr(evaluate, part)(root, settings=settings, **kwargs)
        res["cpu_s"], res["wall_s"] = round(time.process_time() - c0, 1), round(time.perf_counter() - w0, 1)
        results[part] = res
        print(_line(part, res), flush=True)
    if args.json:
        print(json.dumps(results, indent=1))
    return 0


def _line(part: str, r: dict) -> str:
    t = f"[{r['cpu_s']:.0f} s cpu, {r['wall_s']:.0f} s wall]"
    if part == "text":
        misses = "; ".join(f"{row['caption']} -> {row['read']}" for row in r["rows"] if not row["ok"])
        return (f"text: {100 * r['all']:.0f} % of {r['cases']} held-out captions right (target >= 90 %): "
                f"background {100 * r['background']:.0f} %, shape colour {100 * r['colour']:.0f} %, "
                f"direction {100 * r['direction']:.0f} % (shape kind {100 * r['shape']:.0f} %) {t}"
                + (f"\n  missed: {misses}" if misses else ""))
    if part == "image":
        return (f"image to video: first frame {r['first_frame_psnr']:.1f} dB mean, {r['first_frame_psnr_min']:.1f} "
                f"min (target >= 25; the image's own H.264 round trip: {r['h264_ceiling_psnr']:.1f}); the shape "
                f"moves the caption's way in {100 * r['moves']:.0f} % of {r['cases']} {t}")
    if part == "extend":
        return "\n".join(
            f"extend {d}: join {r[d]['join_error_px']:.2f} px median, {r[d]['join_error_px_max']:.2f} max from the "
            f"world's trajectory (target <= 2); {100 * r[d]['within_2px']:.0f} % within 2 px; direction kept "
            f"{100 * r[d]['direction_kept']:.0f} % of {r[d]['cases']} ({r[d]['frames']} new frames); the new frame at the "
            f"join {r[d]['join_psnr']:.1f} dB against the world's, background kept {100 * r[d]['background_kept']:.0f} %"
            for d in ("forward", "backward")) + f" {t}"
    if part == "bridge":
        return (f"bridge: first frame {r['first_psnr']:.1f} dB against A's last, last frame {r['last_psnr']:.1f} dB "
                f"against B's first, worst {r['min_psnr']:.1f} (target >= 22; two adjacent frames of the world: "
                f"{r['world_adjacent_psnr']:.1f}) over {r['cases']} bridges of {r['frames']} frames {t}")
    return (f"long take {r['seconds']:.0f} s ({r['frames']} frames, {r['windows']} windows): colour drift from the "
            f"first second, max delta E: background {r['background_drift_max']:.1f}, shape "
            f"{r['shape_drift_max']:.1f} ({r['seconds_without_shape']} s without a shape); inspector drift "
            f"{r['inspector_drift_max']:.1f} ({'drifting' if r['inspector_drifting'] else 'steady'}); window joins "
            f"flagged {r['join_defects']}/{r['joins']} {r['join_kinds'] or ''}; shape step at joins max "
            f"{r['motion_step_at_joins_px_max']:.1f} px vs {r['motion_step_px']:.1f} px a frame "
            f"(generation {r['generate_s']:.0f} s) {t}")


if __name__ == "__main__":
    raise SystemExit(main())
