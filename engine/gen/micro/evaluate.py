"""What micro-ltx can do, measured through the engine as a user runs it (``run_generation``: the
catalog entry, the tasks' own conditioning, takes encoded to H.264 and read back).

Each function generates a few takes from shapes-world inputs whose truth is known and returns
plain numbers; ``tests/bench/bench_micro.py`` prints them over the full sets, the tests assert a
few cases loosely.

- ``text``: held-out captions (never seen whole in training); background colour, shape colour
  and direction of travel read back from the take must match the caption.
- ``image``: a frame of the world as the image; the take's first frame against it (PSNR), and the
  shape must then travel the caption's way.
- ``extend``: a clip of the world, extended forward and backward; the shape's centroid in the new
  frame next to the join against where the world puts it (pixels), and the direction it keeps.
- ``bridge``: the end of one clip and the start of a later one of the same scene; the bridge's
  first and last frames against A's last and B's first (PSNR).
- ``long_take``: a long take; colour drift of background and shape from the first second (CIE76
  delta E), the continuity inspector's drift curve and its verdict on every window join.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.gen.micro import MODEL_ID, components, world

FPS = Fraction(components.FPS)


@dataclass(frozen=True)
class Settings:
    model: str = MODEL_ID
    steps: int | None = None  # None: the catalog's default
    guidance: float | None = None
    dtype: str = "auto"


def _generate(request: dict, out: Path, settings: Settings):
    from engine.gen.runner import run_generation

    request = {"model": settings.model, "dtype": settings.dtype, **request}
    if settings.steps is not None:
        request["steps"] = settings.steps
    if settings.guidance is not None:
        request["guidance"] = settings.guidance
    return run_generation(request, out)


def read_take(path: Path) -> np.ndarray:
    from engine.media import FrameReader

    with FrameReader(path) as reader:
        return np.stack([reader.frame(i) for i in range(reader.frame_count)])


def write_clip(frames: np.ndarray, path: Path) -> Path:
    """Frames as an H.264 file at the model's rate (how a user's clip reaches the model)."""
    from engine.media import VideoWriter

    writer = VideoWriter(path, preset="h264", rate=FPS, size=(frames.shape[2], frames.shape[1]),
                         options={"crf": "12"})
    try:
        for frame in frames:
            writer.write(frame)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return path


def _case_scene(i: int, frames: int, *, free: bool = True) -> world.Scene:
    """A held-out combination, placed so that it travels ``frames`` frames without a bounce."""
    kind, colour, direction, background = world.held_out()[i % 24]
    rng = np.random.default_rng([1234, i])
    return world.scene_for(kind, colour, direction, background, frames=frames if free else 1, rng=rng)


# ---------------------------------------------------------------------------------------------


def text(root: Path, cases: int = 24, settings: Settings = Settings()) -> dict:
    """Generate one take per held-out caption and read it back."""
    hits = {"background": 0, "colour": 0, "direction": 0, "shape": 0, "all": 0}
    rows = []
    for i in range(cases):
        scene = _case_scene(i, 25)
        caption = scene.caption()
        take = _generate({"task": "text_to_video", "prompt": caption, "seed": i}, root / f"text_{i}", settings)
        reading = world.read_clip(read_take(take.master))
        m = reading.matches(scene)
        ok = m["background"] and m["colour"] and m["direction"]
        for key in ("background", "colour", "direction", "shape"):
            hits[key] += m[key]
        hits["all"] += ok
        rows.append({"caption": caption, "ok": ok, "read": f"{reading.colour} {reading.kind} moving "
                     f"{reading.direction} on {reading.background}"})
    return {"cases": cases, **{k: v / cases for k, v in hits.items()}, "rows": rows}


def image(root: Path, cases: int = 8, settings: Settings = Settings()) -> dict:
    """Image to video from the first frame of a world clip: first-frame PSNR and motion."""
    from engine.media import save_png

    psnrs, moved, reference = [], 0, []
    for i in range(cases):
        scene = _case_scene(i, 25)
        truth = scene.frames(25)
        png = save_png(truth[0], root / f"image_{i}.png")
        take = _generate({"task": "image_to_video", "prompt": scene.caption(), "image": str(png), "seed": i},
                         root / f"image_{i}", settings)
        frames = read_take(take.master)
        psnrs.append(world.psnr(frames[0], truth[0]))
        reference.append(world.psnr(read_take(write_clip(truth[:1], root / f"image_ref_{i}.mp4"))[0], truth[0]))
        reading = world.read_clip(frames)
        expected = world.read_clip(truth).displacement
        moved += reading.direction == scene.shapes[0].direction and reading.displacement >= 0.5 * expected
    return {"cases": cases, "first_frame_psnr": float(np.mean(psnrs)), "first_frame_psnr_min": float(np.min(psnrs)),
            "h264_ceiling_psnr": float(np.mean(reference)), "moves": moved / cases}


def _centroid(frame: np.ndarray, background: np.ndarray) -> np.ndarray | None:
    mask = world.shape_mask(frame, background)
    if mask.sum() < 8:
        return None
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean() + 0.5, ys.mean() + 0.5])


def extend(root: Path, cases: int = 8, settings: Settings = Settings(), *, seconds: float = 0.5) -> dict:
    """Extend world clips forward and backward; position error at the join and direction kept."""
    from engine.gen.catalog import get_model

    entry = get_model(settings.model)
    k = entry.frame_rule.multiple + 1
    new = entry.frame_rule.snap(k + round(seconds * components.FPS)) - k
    source_len = 17
    out = {}
    for direction in ("forward", "backward"):
        errors, kept, background, join_psnr = [], 0, 0, []
        for i in range(cases):
            # One straight run (no bounce) holds the source and the frames the extension should make.
            scene = _case_scene(i, source_len + new)
            truth_all = scene.frames(source_len + new)
            if direction == "forward":
                src, truth = truth_all[:source_len], truth_all[source_len:]
            else:
                src, truth = truth_all[new:], truth_all[:new]
            source = write_clip(src, root / f"extend_src_{direction}_{i}.mp4")
            take = _generate({"task": "extend", "prompt": scene.caption(), "direction": direction,
                              "source": {"path": str(source)}, "seconds": seconds, "seed": i},
                             root / f"extend_{direction}_{i}", settings)
            made = read_take(take.master)
            join_new, join_truth = (made[0], truth[0]) if direction == "forward" else (made[-1], truth[-1])
            bg = world.background_rgb(join_truth)
            c_new, c_truth = _centroid(join_new, bg), _centroid(join_truth, bg)
            errors.append(float(np.hypot(*(c_new - c_truth))) if c_new is not None and c_truth is not None
                          else math.inf)
            reading = world.read_clip(made)
            kept += reading.direction == scene.shapes[0].direction
            background += reading.background == scene.background
            join_psnr.append(world.psnr(join_new, join_truth))
        out[direction] = {"cases": cases, "frames": new, "join_error_px": float(np.median(errors)),
                          "join_error_px_max": float(np.max(errors)),
                          "within_2px": sum(e <= 2.0 for e in errors) / cases, "direction_kept": kept / cases,
                          "background_kept": background / cases, "join_psnr": float(np.mean(join_psnr))}
    return out


def bridge(root: Path, cases: int = 8, settings: Settings = Settings(), *, seconds: float = 0.5) -> dict:
    """Bridge the end of clip A and the start of a later clip B of the same scene."""
    from engine.gen.catalog import get_model

    entry = get_model(settings.model)
    k = entry.frame_rule.multiple + 1
    new = entry.frame_rule.snap(2 * k + round(seconds * components.FPS)) - 2 * k
    first, last, reference = [], [], []
    for i in range(cases):
        scene = _case_scene(i, 2 * k + new)
        frames = scene.frames(2 * k + new)
        a = write_clip(frames[:k], root / f"bridge_a_{i}.mp4")
        b = write_clip(frames[k + new:], root / f"bridge_b_{i}.mp4")
        take = _generate({"task": "bridge", "prompt": scene.caption(), "before": {"path": str(a)},
                          "after": {"path": str(b)}, "seconds": seconds, "seed": i}, root / f"bridge_{i}", settings)
        out = read_take(take.master)
        a_last, b_first = read_take(a)[-1], read_take(b)[0]
        first.append(world.psnr(out[0], a_last))
        last.append(world.psnr(out[-1], b_first))
        reference.append(world.psnr(frames[k], frames[k - 1]))
    return {"cases": cases, "frames": new, "first_psnr": float(np.mean(first)), "last_psnr": float(np.mean(last)),
            "min_psnr": float(min(min(first), min(last))),
            "world_adjacent_psnr": float(np.mean(reference))}


def long_take(root: Path, seconds: float = 60.0, settings: Settings = Settings(), *, seed: int = 0) -> dict:
    """A long take of one caption: colour drift from the first second, joins, the inspector's view."""
    from engine.analysis.check import check_frames
    from engine.analysis.seams import ShotSpan

    scene = _case_scene(seed, 25)
    take = _generate({"task": "long_take", "prompt": scene.caption(), "seconds": seconds, "seed": seed},
                     root / f"long_{seed}", settings)
    frames = read_take(take.master)
    info = take.recipe["long_take"]
    # Each window after the first adds its frames past the ones it was conditioned on.
    step = info["window_frames"] - info.get("context_frames", info.get("overlap_frames", 0))
    joins = tuple(range(step, len(frames), step))
    fps = int(components.FPS)
    first = frames[:fps]
    bg0 = np.median(np.stack([world.background_rgb(f) for f in first]), axis=0)
    shape0 = _shape_colour(first, bg0)
    bg_drift, shape_drift, lost = [], [], 0
    for s in range(0, len(frames) - fps + 1, fps):
        window = frames[s:s + fps]
        bg = np.median(np.stack([world.background_rgb(f) for f in window]), axis=0)
        bg_drift.append(world.lab_distance(bg, bg0))
        colour = _shape_colour(window, bg)
        if colour is None or shape0 is None:
            lost += 1
            continue
        shape_drift.append(world.lab_distance(colour, shape0))
    report = check_frames(iter(frames), [ShotSpan("take", 0, len(frames), joins)], total=len(frames),
                          drift_window=fps // 2)
    join_defects = [s for s in report.seams if s.window_join and s.defect]
    steps = []
    for f in range(1, len(frames)):
        a, b = _centroid(frames[f - 1], bg0), _centroid(frames[f], bg0)
        if a is not None and b is not None:
            steps.append((f, float(np.hypot(*(b - a)))))
    inside = [d for f, d in steps if f not in joins]
    at_joins = [d for f, d in steps if f in joins]
    return {"seconds": seconds, "frames": len(frames), "windows": info["windows"],
            "background_drift_max": float(max(bg_drift)), "shape_drift_max": float(max(shape_drift or [math.inf])),
            "seconds_without_shape": lost,
            "inspector_drift_max": float(max(report.drift[0].curve)) if report.drift else 0.0,
            "inspector_drifting": bool(report.drift and report.drift[0].drifting),
            "joins": len(joins), "join_defects": len(join_defects),
            "join_kinds": sorted({k for s in join_defects for k in s.kinds}),
            "motion_step_px": float(np.median(inside)) if inside else 0.0,
            "motion_step_at_joins_px_max": float(max(at_joins)) if at_joins else 0.0,
            "generate_s": take.recipe["timings"]["generate_s"]}


def _shape_colour(frames: np.ndarray, background: np.ndarray) -> np.ndarray | None:
    pixels = [f[world.shape_mask(f, background)] for f in frames]
    pixels = [p for p in pixels if len(p) >= 8]
    if not pixels:
        return None
    return np.median(np.concatenate(pixels).astype(np.float32), axis=0)
