"""Repairs for a seam. Each one is an undoable project edit that adds something; no media file is
ever rewritten.

- ``color``: a new take of shot B graded to match shot A at the seam (Lab mean/std transfer,
  optionally ramped back to B's own grade over n frames).
- ``blend``: a new take of shot B whose first n visible frames are optical-flow interpolated from
  A's last clean frame to B's frame n, replacing a hard cut or a flash at B's head (classical
  interpolation, no model). The rest of B is copied; undo brings the old take back.
- ``bridge``: a pending generated shot between A and B, made by the generation engine's own
  ``generated_shot_edit(task="bridge")`` (the same as ``shotloom shot add --task bridge``) and
  rendered later by ``shotloom generate``/``render``; undone by removing that shot.

New takes hold only the repaired shot's visible range plus ``HANDLES`` frames either side (a colour
match of a 152-frame shot writes about 176 frames, not its whole source file). They are written
into a partial folder beside ``media/generated/<take-id>/`` with a ``recipe.json`` describing the
repair (and ``repair_of``: the recording and the source frame of the take's frame 0, so the join
keeps its meaning), published whole, then placed by one undoable edit: the take added, the shot's
in-point moved onto the same picture in it, made active. ``prepare`` makes a repair and returns
that edit (the editor applies it through its document, one undo step, after writing the take off
the UI thread); ``repair`` makes and applies it (the command line).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from engine.errors import ShotloomError
from engine.progress import CancelToken, ProgressFn

if TYPE_CHECKING:
    from engine.project import Edit, Project, ShotInfo

METHODS = ("color", "blend", "bridge")
MASTER_NAME = "master.mp4"
HANDLES = 12  # frames kept either side of a repaired shot's visible range (room to trim or mix)
AUDIO_RATE = 48000


class RepairError(ShotloomError):
    """A repair was refused (nothing was changed)."""


@dataclass
class RepairResult:
    method: str
    shot_id: str  # the shot that got a new take, or the new bridge shot
    take_id: str | None
    path: Path | None
    inverse: Edit  # apply it to undo
    message: str


# ----------------------------------------------------------------------------- colour transfer

def _lab(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame.astype(np.float32) * (1.0 / 255.0), cv2.COLOR_RGB2Lab)


def _rgb(lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    return np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)


def lab_stats(frames: Iterable[np.ndarray], max_width: int = 256, edge: str | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel Lab mean and std over frames: the median over frames (one odd frame, a
    flash, does not set the grade), or with ``edge`` "end"/"start" the value extrapolated along
    the frames' own trend to just after the last / just before the first frame (what a viewer
    sees at the seam)."""
    means, stds = [], []
    for f in frames:
        h, w = f.shape[:2]
        if w > max_width:
            f = cv2.resize(f, (max_width, max(2, h * max_width // w)), interpolation=cv2.INTER_AREA)
        m, s = cv2.meanStdDev(_lab(f))
        means.append(m.ravel())
        stds.append(s.ravel())
    if not means:
        raise RepairError("no frames to measure the colour of")
    if edge is None or len(means) < 3:
        return np.median(means, axis=0), np.median(stds, axis=0)
    at = len(means) - 0.5 if edge == "end" else -0.5
    out = []
    for values in (np.asarray(means), np.asarray(stds)):
        slope = np.median(np.diff(values, axis=0), axis=0)
        t = np.arange(len(values))[:, None]
        out.append(np.median(values + slope * (at - t), axis=0))
    return out[0], out[1]


def colour_transfer(frame: np.ndarray, src: tuple[np.ndarray, np.ndarray], dst: tuple[np.ndarray, np.ndarray],
                    weight: float = 1.0) -> np.ndarray:
    """Map a frame's Lab statistics from ``src`` (mean, std) to ``dst``, by ``weight`` (0..1)."""
    if weight <= 0:
        return frame
    lab = _lab(frame)
    mu_s, sd_s = src
    mu_d, sd_d = dst
    gain = np.clip(sd_d / np.maximum(sd_s, 1e-3), 0.25, 4.0).astype(np.float32)
    mapped = (lab - mu_s.astype(np.float32)) * gain + mu_d.astype(np.float32)
    if weight < 1:
        mapped = lab + (mapped - lab) * np.float32(weight)
    return _rgb(mapped)


def colour_match(head: list[np.ndarray], ref: tuple[np.ndarray, np.ndarray]
                 ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(source stats, target stats) for ``colour_transfer`` taking the ``head`` frames to ``ref``.

    A second pass corrects the target by what the first one missed: clipping to the RGB gamut
    and the non-linear Lab round trip leave part of a large shift undone."""
    cur = lab_stats(head, edge="start")
    achieved = lab_stats([colour_transfer(f, cur, ref) for f in head], edge="start")
    mean = ref[0] + (ref[0] - achieved[0])
    std = ref[1] * np.clip(ref[1] / np.maximum(achieved[1], 1e-3), 0.5, 2.0)
    return cur, (mean, std)


def ramp_weight(i: int, start: int, ramp: int) -> float:
    """Full correction up to ``start`` (B's first visible frame); with ramp > 0 it fades to none
    over the next ``ramp`` frames."""
    if ramp <= 0 or i <= start:
        return 1.0
    return max(0.0, 1.0 - (i - start) / ramp)


# ----------------------------------------------------------------------------- flow interpolation

def _flow(a: np.ndarray, b: np.ndarray, max_width: int = 512) -> np.ndarray:
    """Dense flow from a to b (pixels of the full frame), computed on grey copies ≤ max_width."""
    h, w = a.shape[:2]
    scale = min(1.0, max_width / w)
    size = (max(8, int(w * scale)), max(8, int(h * scale)))
    ga = cv2.cvtColor(cv2.resize(a, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    gb = cv2.cvtColor(cv2.resize(b, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = dis.calc(ga, gb, None)
    if scale < 1.0:
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / scale
    return flow


def flow_interpolate(a: np.ndarray, b: np.ndarray, alphas: list[float]) -> list[np.ndarray]:
    """Frames between a (alpha 0) and b (alpha 1): each side warped part of the way along the
    flow towards the other, then mixed."""
    f_ab = _flow(a, b)
    f_ba = _flow(b, a)
    h, w = a.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    af, bf = a.astype(np.float32), b.astype(np.float32)
    out = []
    for alpha in alphas:
        wa = cv2.remap(af, gx + alpha * f_ba[..., 0], gy + alpha * f_ba[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
        wb = cv2.remap(bf, gx + (1 - alpha) * f_ab[..., 0], gy + (1 - alpha) * f_ab[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
        out.append(np.clip(wa * (1 - alpha) + wb * alpha + 0.5, 0, 255).astype(np.uint8))
    return out


def clean_tail_frame(frames: list[np.ndarray]) -> int:
    """Index of the last frame in ``frames`` that is not a colour outlier (a flash, a black frame)
    against the median of them all."""
    means = np.array([cv2.meanStdDev(_lab(cv2.resize(f, (64, max(2, f.shape[0] * 64 // f.shape[1])))))[0].ravel()
                      for f in frames])
    med = np.median(means, axis=0)
    for i in range(len(frames) - 1, -1, -1):
        if np.linalg.norm(means[i] - med) < 8.0:
            return i
    return len(frames) - 1


# ----------------------------------------------------------------------------- project side

def _neighbours(project: Project, seam: int) -> tuple[ShotInfo, ShotInfo, int]:
    """(shot A, shot B, cut frame) for a seam given as an index into the cuts or a cut frame."""
    from engine.render import build_plan

    cuts = build_plan(project).cuts
    if not cuts:
        raise RepairError(f"{project.path.name} has no seams (it needs at least two shots)")
    by_frame = [c for c in cuts if c[0] == seam]
    if by_frame:
        frame, a, b = by_frame[0]
    elif 0 <= seam < len(cuts):
        frame, a, b = cuts[seam]
    else:
        frames = ", ".join(str(c[0]) for c in cuts[:8]) + (" ..." if len(cuts) > 8 else "")
        raise RepairError(f"seam {seam} is neither a seam number 0..{len(cuts) - 1} nor a cut frame ({frames}); "
                          f"see shotloom check")
    return project.shot(a), project.shot(b), frame


def _need_media(shot: ShotInfo) -> Path:
    if shot.media_path is None:
        raise RepairError(f"shot {shot.name!r} ({shot.id}) has no media yet; generate it before repairing this seam")
    if not Path(shot.media_path).exists():
        raise RepairError(f"{shot.media_path}: the media of shot {shot.name!r} is missing; relink it first")
    return Path(shot.media_path)


def take_range(project: Project, shot: ShotInfo, frame_count: int, handles: int = HANDLES) -> tuple[int, int]:
    """The source frames a repaired take of ``shot`` holds: the visible range plus ``handles``
    frames either side where the media has them (at least the length of the transition into the
    shot before it, which mixes frames from before its first visible one)."""
    before = max(handles, shot.transition_in.frames if shot.transition_in else 0)
    first = max(0, shot.source_in - before)
    end = min(frame_count, shot.source_in + shot.frames + handles)
    return first, end


def _write_take(project: Project, shot: ShotInfo, frame_fn: Callable[[int, np.ndarray], np.ndarray],
                recipe: dict, progress: ProgressFn | None, cancel: CancelToken | None,
                handles: int = HANDLES) -> tuple[str, Path, int]:
    """Write a new take of ``shot`` holding only its visible range plus handles (see
    ``take_range``): each source frame through ``frame_fn`` (source index, frame) -> frame, with
    the audio of that range. The take folder is filled under a partial name and published whole.
    Returns (take id, master path, the source frame the take's frame 0 shows)."""
    from engine.fsutil import make_partial_dir, publish_dir, write_json_atomic
    from engine.media import FrameReader, VideoWriter, read_audio

    src = _need_media(shot)
    take_id = uuid.uuid4().hex
    final = project.media_dir / "generated" / take_id
    temp = make_partial_dir(final)
    try:
        with FrameReader(src, rate=project.fps) as reader:
            first, end = take_range(project, shot, reader.frame_count, handles)
            audio = read_audio(src)
            w, h = reader.size
            writer = VideoWriter(temp / MASTER_NAME, preset="h264", rate=project.fps, size=(w - w % 2, h - h % 2),
                                 audio_rate=AUDIO_RATE if audio is not None else None)
            try:
                total = end - first
                for k, i in enumerate(range(first, end)):
                    if cancel is not None:
                        cancel.raise_if_canceled()
                    frame = frame_fn(i, reader.frame(i))
                    writer.write(np.ascontiguousarray(frame[: h - h % 2, : w - w % 2]))
                    if progress is not None and (k % 12 == 0 or k == total - 1):
                        progress(k + 1, total, "writing the repaired take")
                if audio is not None:
                    per_frame = Fraction(AUDIO_RATE) / project.fps
                    writer.write_audio(np.ascontiguousarray(
                        audio[:, int(first * per_frame):int(end * per_frame)]))
                writer.close()
            except BaseException:
                writer.abort()
                raise
        recipe = {**recipe, "repair_of": {"media": str(src), "offset": first, "frames": end - first,
                                          "from_take": shot.take_id}}
        write_json_atomic(temp / "recipe.json", recipe, indent=2)
        publish_dir(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return take_id, final / MASTER_NAME, first


def placement(shot: ShotInfo, take_id: str, path: Path, recipe: dict, offset: int) -> Edit:
    """One undoable edit placing a repaired take that starts at source frame ``offset``: added,
    the shot's in-point moved onto the same picture in it (its length and place unchanged), made
    active."""
    from engine.project import AddTake, Composite, SetActiveTake, TrimShot

    edits: list = [AddTake(shot.id, take_id, path, recipe=recipe, kind="generated", activate=False)]
    if offset:
        # Move the in-point by -offset on both sides: same length, the picture of the new take.
        edits += [TrimShot(shot.id, "in", -offset), TrimShot(shot.id, "out", -offset)]
    edits.append(SetActiveTake(shot.id, take_id))
    return Composite(tuple(edits))


def _take_recipe(master: Path) -> dict:
    import json

    return json.loads((master.parent / "recipe.json").read_text(encoding="utf-8"))


def _visible(reader_path: Path, project: Project, indices: list[int]) -> list[np.ndarray]:
    from engine.media import FrameReader

    with FrameReader(reader_path, rate=project.fps) as reader:
        last = reader.frame_count - 1
        return [reader.frame(min(max(i, 0), last)) for i in indices]


@dataclass
class PreparedRepair:
    """A repair made but not yet placed: ``edit`` is the one project edit that places it (a new
    take, or a pending bridge shot). The command line applies it at once; the editor applies it
    through its document, as one undo step. ``discard`` removes the files of a repair that is not
    applied (a take written for nothing)."""

    method: str
    shot_id: str  # the shot that gets a new take, or the new bridge shot
    take_id: str | None
    path: Path | None
    edit: Edit
    message: str

    def discard(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path.parent, ignore_errors=True)


def prepare_color(project: Project, seam: int, *, ramp: int = 0, measure: int = 8,
                  progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> PreparedRepair:
    """Write a take of shot B graded to match shot A at the seam (not placed yet)."""
    a, b, frame = _neighbours(project, seam)
    pa, pb = _need_media(a), _need_media(b)
    k = max(1, min(measure, a.frames, b.frames))
    ref = lab_stats(_visible(pa, project, list(range(a.source_in + a.frames - k, a.source_in + a.frames))),
                    edge="end")
    cur, target = colour_match(_visible(pb, project, list(range(b.source_in, b.source_in + k))), ref)
    recipe = {"task": "repair_color", "seam_frame": frame, "from_take": b.take_id, "match_shot": a.id,
              "ramp_frames": ramp, "source_lab": {"mean": cur[0].tolist(), "std": cur[1].tolist()},
              "target_lab": {"mean": target[0].tolist(), "std": target[1].tolist()},
              "reference_lab": {"mean": ref[0].tolist(), "std": ref[1].tolist()}}
    take_id, path, offset = _write_take(
        project, b, lambda i, f: colour_transfer(f, cur, target, ramp_weight(i, b.source_in, ramp)),
        recipe, progress, cancel)
    moved = float(np.linalg.norm(cur[0] - ref[0]))
    return PreparedRepair("color", b.id, take_id, path, placement(b, take_id, path, _take_recipe(path), offset),
                          f"shot {b.name!r}: new take {take_id} graded to match {a.name!r} (moved delta E {moved:.1f})")


def prepare_blend(project: Project, seam: int, *, frames: int = 8, progress: ProgressFn | None = None,
                  cancel: CancelToken | None = None) -> PreparedRepair:
    """Write a take of B whose first ``frames`` visible frames are a flow interpolation from A's
    last clean frame to B's frame ``frames`` (not placed yet)."""
    a, b, frame = _neighbours(project, seam)
    pa, pb = _need_media(a), _need_media(b)
    if frames < 1 or frames >= b.frames:
        raise RepairError(f"--frames {frames} must be between 1 and {b.frames - 1} (the length of shot {b.name!r})")
    tail_idx = list(range(a.source_in + max(0, a.frames - 6), a.source_in + a.frames))
    tail = _visible(pa, project, tail_idx)
    start = tail[clean_tail_frame(tail)]
    target = _visible(pb, project, [b.source_in + frames])[0]
    if start.shape != target.shape:
        from engine.media import conform_frame

        start = conform_frame(start, (target.shape[1], target.shape[0]), "fit")
    alphas = [(j + 1) / (frames + 1) for j in range(frames)]
    between = flow_interpolate(start, target, alphas)
    first = b.source_in

    def fn(i: int, f: np.ndarray) -> np.ndarray:
        return between[i - first] if first <= i < first + frames else f

    recipe = {"task": "repair_blend", "seam_frame": frame, "from_take": b.take_id, "blend_from_shot": a.id,
              "frames": frames, "method": "DIS optical flow, bidirectional warp and mix"}
    take_id, path, offset = _write_take(project, b, fn, recipe, progress, cancel)
    return PreparedRepair("blend", b.id, take_id, path, placement(b, take_id, path, _take_recipe(path), offset),
                          f"shot {b.name!r}: new take {take_id} opens with {frames} frames flowing in from {a.name!r}")


def prepare_bridge(project: Project, seam: int, *, prompt: str | None = None, model: str | None = None,
                   seconds: float | None = None) -> PreparedRepair:
    """A pending generated bridge between A and B (the generation engine renders it later)."""
    a, b, _ = _neighbours(project, seam)
    _need_media(a)
    _need_media(b)
    from engine.gen.takes import generated_shot_edit

    kwargs = {"prompt": prompt or _bridge_prompt(a, b), "task": "bridge", "between": (a.id, b.id),
              "seconds": seconds, "name": f"bridge {a.name} > {b.name}"[:60]}
    if model:
        kwargs["model"] = model
    shot_id, edit = generated_shot_edit(project, **kwargs)
    return PreparedRepair("bridge", shot_id, None, None, edit,
                          f"bridge shot {shot_id} added between {a.name!r} and {b.name!r}; "
                          f"generate it with `shotloom generate {project.path} {shot_id}`")


def prepare(project: Project, seam: int, method: str, *, frames: int | None = None, ramp: int = 0,
            prompt: str | None = None, model: str | None = None, seconds: float | None = None,
            progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> PreparedRepair:
    """Make a repair of ``method`` (one of METHODS) for a seam, ready to be placed by its edit."""
    if method == "color":
        return prepare_color(project, seam, ramp=ramp, progress=progress, cancel=cancel)
    if method == "blend":
        return prepare_blend(project, seam, frames=frames or 8, progress=progress, cancel=cancel)
    if method == "bridge":
        return prepare_bridge(project, seam, prompt=prompt, model=model, seconds=seconds)
    raise RepairError(f"repair method {method!r} is not one of {', '.join(METHODS)}")


def _placed(project: Project, made: PreparedRepair) -> RepairResult:
    try:
        inverse = project.apply(made.edit)
    except BaseException:
        made.discard()
        raise
    return RepairResult(made.method, made.shot_id, made.take_id, made.path, inverse, made.message)


def repair_color(project: Project, seam: int, *, ramp: int = 0, measure: int = 8,
                 progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> RepairResult:
    """Grade shot B to match shot A at the seam; a new take of B."""
    return _placed(project, prepare_color(project, seam, ramp=ramp, measure=measure, progress=progress,
                                          cancel=cancel))


def repair_blend(project: Project, seam: int, *, frames: int = 8, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None) -> RepairResult:
    """Replace B's first ``frames`` visible frames by a flow interpolation; a new take of B."""
    return _placed(project, prepare_blend(project, seam, frames=frames, progress=progress, cancel=cancel))


def repair_bridge(project: Project, seam: int, *, prompt: str | None = None, model: str | None = None,
                  seconds: float | None = None) -> RepairResult:
    """Queue a generated bridge between A and B: a pending shot the generation engine renders."""
    return _placed(project, prepare_bridge(project, seam, prompt=prompt, model=model, seconds=seconds))


def _bridge_prompt(a: ShotInfo, b: ShotInfo) -> str:
    from engine.analysis.timeline import generation_spec

    pa = generation_spec(a).get("prompt") or a.name
    pb = generation_spec(b).get("prompt") or b.name
    return f"one continuous shot moving smoothly from {pa} to {pb}"


def repair(project: Project, seam: int, method: str, **kwargs) -> RepairResult:
    """Make and place a repair (``prepare``'s arguments); its ``inverse`` undoes it."""
    return _placed(project, prepare(project, seam, method, **kwargs))
