"""Scores seams, finds defects and scene boundaries inside shots and draws drift curves from a
``FrameSeries``.

Knows nothing of projects: a timeline is described by ``ShotSpan``s (frame ranges) and the joins
between them by ``SeamSpec``s, each with what the join is meant to be:

- ``continuous``: B continues A (an extension and its source, a bridge and its neighbours, the
  windows of a long take, two pieces of one recording). Every continuity defect counts there:
  colour, flash, black, frozen, dropped/duplicated, motion and jump (the picture jumps in position
  or motion: a stretch of the scene is missing).
- ``cut``: unrelated shots. Only what is wrong with it as a cut counts (a flash, a black frame).
- ``transition``: a mix the user asked for. The mix itself is never flagged.

Steps that repeat or skip a source frame because a take was conformed to another rate are known
(``conform``) and never count as dropped or frozen. Hard changes of picture inside a shot are
scene boundaries (a cut inside an imported clip), reported as such and never as drift.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from engine.analysis.features import FrameSeries
from engine.analysis.report import CheckReport, DriftReport, EventReport, SceneReport, SeamReport
from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds

ATTACH = 3  # an event within this many frames of a seam belongs to the seam
TREND = 8  # frames either side used for the local colour trend and motion
NEAR = 6  # steps either side that a step is compared with
MAX_FLASH = 4
EXPECTED = ("continuous", "cut", "transition")
CUT_KINDS = ("flash", "black")  # what can be wrong with a cut or a transition
WARNING_SCORE = 0.7  # a seam scoring this close to a threshold is shown as a warning


@dataclass(frozen=True)
class ShotSpan:
    id: str
    start: int  # first frame in the analysed sequence
    frames: int
    window_joins: tuple[int, ...] = ()  # offsets (from start) where generation windows join


@dataclass(frozen=True)
class SeamSpec:
    frame: int  # first frame of the later shot
    shots: tuple[str, str]
    transition: tuple[str, int] | None = None  # (kind, frames) mixing over [frame - frames, frame)
    expected: str = "cut"  # "continuous" | "cut" | "transition" (a transition set wins)
    window_join: bool = False
    cut_index: int | None = None  # the seam's number among the timeline's cuts (what `repair` takes)
    reason: str = ""  # why it is expected so ("extend", "bridge", "same source", "long take" ...)

    @property
    def kind(self) -> str:
        return "transition" if self.transition is not None and self.transition[1] > 0 else self.expected


@dataclass
class Event:
    kind: str
    start: int
    frames: int
    score: float  # raw / threshold
    raw: float
    extra: dict = field(default_factory=dict)

    @property
    def end(self) -> int:
        return self.start + self.frames


def _nanmedian(values: np.ndarray, axis: int | None = None):
    """np.nanmedian without the warning for an all-NaN slice (that is NaN, and handled)."""
    if values.size == 0:
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=axis)


def _off_path(run: np.ndarray, pre: np.ndarray, post: np.ndarray) -> float:
    """How far the run's colours leave the straight path from ``pre`` to ``post`` in Lab (the
    path a cut or a fade takes); the least of its frames."""
    v = post - pre
    vv = float(v @ v)
    t = np.clip(((run - pre) @ v) / vv, 0.0, 1.0) if vv > 1e-9 else np.zeros(len(run))
    nearest = pre + t[:, None] * v
    return float(np.linalg.norm(run - nearest, axis=1).min())


def hist_change(series: FrameSeries, t: int) -> float:
    """Share of the colour histogram that moved in the step into frame t (0: same colours, 1: none shared)."""
    return float(0.5 * np.abs(series.hist[t] - series.hist[t - 1]).sum())


def _ratio(values: np.ndarray, t: int, near: np.ndarray, floor: float) -> float:
    ref = _nanmedian(values[near]) if near.size else np.nan
    if not np.isfinite(values[t]):
        return 0.0
    if not np.isfinite(ref):
        ref = floor
    return float(values[t] / max(ref, floor))


def scene_changes(series: FrameSeries, th: Thresholds, ignore: np.ndarray | None = None) -> np.ndarray:
    """Bool per step: the step into frame t does not continue the picture (a cut), judged by what
    the flow cannot explain and by the colours, against the steps around it."""
    n = len(series)
    w = series.warp_err
    out = np.zeros(n, bool)
    for t in range(1, n):
        if not np.isfinite(w[t]) or w[t] < th.scene_warp or (ignore is not None and ignore[t]):
            continue
        around = np.r_[w[max(1, t - 4):t], w[t + 1:t + 5]]
        ref = _nanmedian(around)
        if np.isfinite(ref) and w[t] < th.scene_ratio * ref:
            continue
        if series.changed[t] >= th.scene_changed or hist_change(series, t) >= th.scene_hist:
            out[t] = True
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each run of True."""
    runs = []
    t, n = 0, len(mask)
    while t < n:
        if mask[t]:
            s = t
            while t < n and mask[t]:
                t += 1
            runs.append((s, t - s))
        else:
            t += 1
    return runs


@dataclass
class Context:
    """Where the continuity of the sequence is broken on purpose or by design.

    ``boundary[t]``: the step into frame t crosses a cut, a transition or a scene boundary (motion
    is never compared across it); ``quiet[t]``: frame t is inside a transition's mix;
    ``conform[t]``: the step into frame t repeats or skips a source frame by design;
    ``continuous[t]``: the step into frame t is a join meant to be continuous."""

    boundary: np.ndarray
    quiet: np.ndarray
    conform: np.ndarray
    continuous: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Context:
        z = np.zeros(n, bool)
        return cls(z.copy(), z.copy(), z.copy(), z.copy())

    @property
    def segment(self) -> np.ndarray:
        return np.cumsum(self.boundary | self.quiet)


def _near(t: int, n: int, ok: np.ndarray, segment: np.ndarray, reach: int = NEAR) -> np.ndarray:
    idx = np.r_[max(1, t - reach):t, t + 1:min(n, t + reach + 1)]
    return idx[ok[idx] & (segment[idx] == segment[t])]


def find_events(series: FrameSeries, ctx: Context | None = None, *,
                th: Thresholds = DEFAULT_THRESHOLDS) -> list[Event]:
    """Flash, black, frozen and dropped/duplicated frames anywhere in the sequence.

    Steps across a boundary of ``ctx`` say nothing about motion, frames inside a mix are black or
    bright on purpose, and conform steps are expected repeats or skips (see ``Context``)."""
    ctx = ctx or Context.empty(len(series))
    colour = colour_events(series, ctx.quiet, th)
    return sorted(colour + motion_events(series, ctx, _event_frames(colour, len(series)), th),
                  key=lambda e: e.start)


def _event_frames(events: list[Event], n: int) -> np.ndarray:
    out = np.zeros(n, bool)
    for e in events:
        if e.kind in ("flash", "black", "frozen"):
            out[e.start:e.end] = True
    return out


def colour_events(series: FrameSeries, quiet: np.ndarray, th: Thresholds) -> list[Event]:
    """Black frames and flashes (1-4 frames off the colour path between their sides)."""
    n = len(series)
    events: list[Event] = []

    for s, k in _runs(series.black & ~quiet):
        events.append(Event("black", s, k, 10.0, float(series.luma[s:s + k].mean())))

    # Flash: a run of 1-4 frames far from both its sides in colour.
    lab = series.lab_mean
    cands = []
    for a in range(1, n - 1):
        if quiet[a] or series.black[a]:
            continue
        pre_idx = [i for i in range(max(0, a - 3), a) if not series.black[i]]
        if not pre_idx:
            continue
        pre = np.median(lab[pre_idx], axis=0)
        for k in range(1, MAX_FLASH + 1):
            if a + k >= n or series.black[a + k - 1] or quiet[a + k - 1]:
                break
            post_idx = [i for i in range(a + k, min(n, a + k + 3)) if not series.black[i]]
            if not post_idx:
                break
            post = np.median(lab[post_idx], axis=0)
            d = _off_path(lab[a:a + k], pre, post)
            if d >= th.flash_delta_e:
                cands.append((d, a, k))
    taken = np.zeros(n, bool)
    for d, a, k in sorted(cands, key=lambda c: (-c[0], -c[2])):
        if taken[a:a + k].any():
            continue
        taken[a:a + k] = True
        events.append(Event("flash", a, k, float(d / th.flash_delta_e), float(d)))
    return events


def motion_events(series: FrameSeries, ctx: Context, bad: np.ndarray, th: Thresholds,
                  scene: np.ndarray | None = None) -> list[Event]:
    """Frozen, duplicated and skipped frames, judged against the motion around them in the same
    segment (``bad``: flash and black frames, whose steps say nothing about motion). ``scene``: the
    segments of one scene (without the jumps found at continuous joins: the motion on either side
    of a jump is the same scene's, so a hold must stop it too); the segments by default."""
    n = len(series)
    quiet, conform = ctx.quiet, ctx.conform
    events: list[Event] = []

    # A step touching a flash/black frame, a boundary or a conform repeat says nothing about motion.
    step_ok = np.ones(n, bool)
    step_ok[0] = False
    step_ok[1:] &= ~bad[1:] & ~bad[:-1]
    step_ok &= ~ctx.boundary & ~quiet & ~conform
    motion = np.where(step_ok, series.flow_hi, np.nan)
    ndiff = np.where(step_ok, series.ndiff, np.nan)
    segment = ctx.segment

    # Frozen and duplicated: steps without motion in a shot that moves.
    still = np.zeros(n, bool)
    ref_motion = np.full(n, np.nan)
    ref_diff = np.full(n, np.nan)
    ref_mean = np.full(n, np.nan)
    mean_flow = np.where(step_ok, series.flow_mag, np.nan)
    for t in range(1, n):
        if not step_ok[t]:
            continue
        lo, hi = max(1, t - 24), t + 25
        same = segment[lo:hi] == segment[t]
        window = motion[lo:hi][same]
        window = window[np.isfinite(window)]
        if window.size < 3:
            continue
        ref = float(np.percentile(window, 80))
        ref_motion[t] = ref
        ref_mean[t] = float(np.nanpercentile(mean_flow[lo:hi][same], 80))
        ref_diff[t] = float(np.nanpercentile(ndiff[lo:hi][same], 80))
        # Without motion, and without change beyond noise (a still moment of live footage keeps
        # changing a little; a repeated picture does not), or with no motion at all.
        if ref >= th.frozen_min_motion and motion[t] < th.frozen_flow_ratio * ref and (
                ndiff[t] < th.duplicate_diff_ratio * ref_diff[t] or mean_flow[t] < 0.5 * th.frozen_flow_ratio * ref_mean[t]):
            still[t] = True
    # A conform repeat inside a hold is part of the hold.
    for s, k in _runs(still | (conform & ~ctx.boundary)):
        real = still[s:s + k]
        if not real.any():
            continue
        if not _stops_motion(motion, still, segment if scene is None else scene, s, k, th):
            # As slow as the steps just before or just after it: footage that moves little until
            # something fast comes (a hand coming into a still shot), not a picture that stopped.
            continue
        ratio = float(np.nanmedian(motion[s:s + k][real] / ref_motion[s:s + k][real]))
        if int(real.sum()) >= th.frozen_min_steps:
            # k still steps: frames s-1 .. s+k-1 show the same picture
            events.append(Event("frozen", s - 1, k + 1, min(10.0, th.frozen_flow_ratio / max(ratio, 1e-3)),
                                ratio))
        else:
            score = min(10.0, th.frozen_flow_ratio / max(ratio, 1e-3))
            events.append(Event("dropped", s - 1, k + 1, score, ratio, {"duplicated": k}))

    # Dropped: one step moving more than every step around it and changing the picture more than
    # they usually do (frames skipped; footage whose own steps are uneven, a judder, hides a skip
    # of one frame, and is not flagged all along).
    moving = np.where(still, np.nan, motion)
    for t in range(1, n):
        if not step_ok[t] or still[t] or not np.isfinite(motion[t]):
            continue
        near = _near(t, n, step_ok & ~still, segment)
        if np.sum(near < t) < 3 or np.sum(near > t) < 3 or float(np.median(moving[near])) < th.frozen_min_motion * 0.5:
            continue
        flow_r = float(motion[t] / max(float(np.max(moving[near])), th.dropped_floor))
        diff_r = _ratio(series.ndiff, t, near, th.jump_ndiff_floor)
        raw = min(flow_r / th.dropped_flow_ratio, diff_r / th.dropped_diff_ratio)
        if raw >= 1.0 and _ratio(series.warp_err, t, near, th.jump_warp_floor) < th.jump_warp_ratio:
            events.append(Event("dropped", t - 1, 2, raw, flow_r, {"skip": True}))
    return events


HOLD_SIDE = 6  # steps either side of a still run whose motion it must stop


def _stops_motion(motion: np.ndarray, still: np.ndarray, segment: np.ndarray, s: int, k: int,
                  th: Thresholds) -> bool:
    """Whether the still steps s..s+k-1 stop a motion that goes on right before and right after
    them: their motion is under ``frozen_flow_ratio`` x the median motion of the HOLD_SIDE steps
    on each side that has any (in the same segment; still steps there count: a stretch that moves
    as little as the run, only not quite as still, is no motion that stops). A window's busiest
    steps are no reference on their own: a shot that moves slowly and then fast has slow steps
    well under its busiest ones without anything stopping."""
    n = len(motion)
    run = motion[s:s + k][still[s:s + k]]
    run = run[np.isfinite(run)]
    level = float(np.median(run)) if run.size else 0.0
    sides = []
    for idx in (np.arange(max(1, s - HOLD_SIDE), s), np.arange(s + k, min(n, s + k + HOLD_SIDE))):
        idx = idx[segment[idx] == segment[s]] if idx.size else idx
        vals = motion[idx] if idx.size else np.array([])
        vals = vals[np.isfinite(vals)]
        if vals.size >= 2:
            sides.append(float(np.median(vals)))
    return not sides or level < th.frozen_flow_ratio * min(sides)


def _side_frames(lo: int, hi: int, excluded: np.ndarray) -> list[int]:
    return [i for i in range(max(lo, 0), hi) if not excluded[i]]


def _colour_jump(series: FrameSeries, pre: list[int], post: list[int], at: float) -> float:
    lab = series.lab_mean
    slopes = []
    for side in (pre, post):
        for a, b in pairwise(side):
            if b == a + 1:
                slopes.append(lab[b] - lab[a])
    slope = np.median(np.asarray(slopes), axis=0) if slopes else np.zeros(3)
    lv_pre = np.median(lab[pre] + slope * (at - np.asarray(pre))[:, None], axis=0)
    lv_post = np.median(lab[post] + slope * (at - np.asarray(post))[:, None], axis=0)
    return float(np.linalg.norm(lv_pre - lv_post))


def _grid(series: FrameSeries, steps: list[int]) -> np.ndarray:
    return _nanmedian(series.flow_grid[steps], axis=0).reshape(-1)


def reversal(series: FrameSeries, f: int, lo: int, hi: int, ok: np.ndarray) -> tuple[float, float, float]:
    """(back2 ratio, step ratio, two-step ratio) at the join into frame f: how much frame f differs
    from frame f-2 against how much frames two apart usually differ around the join (near 0: frame
    f shows again what f-2 showed, the picture goes back the way it came); the join's own step
    against the usual step (near 0 the join repeats a frame instead: a duplicate, not a reversal);
    and how much more frames two apart differ than neighbours (about 1: the differences are noise
    and say nothing about time; 1.5-2: they measure motion, so a join that differs by more than
    frames two apart skipped frames)."""
    n = len(series)
    if not (1 < f < n) or not np.isfinite(series.back2[f]):
        return np.nan, np.nan, np.nan
    near = _reversal_near(f, lo, hi, ok)
    if len(near) < 3:
        return np.nan, np.nan, np.nan
    ref = max(float(_nanmedian(series.back2[near])), REVERSAL_FLOOR)
    step = max(float(_nanmedian(series.ndiff[near])), REVERSAL_FLOOR)
    return float(series.back2[f] / ref), float(series.ndiff[f] / step), ref / step


def _reversal_near(f: int, lo: int, hi: int, ok: np.ndarray) -> list[int]:
    """The steps around the join into frame f whose two-frame differences stay inside one side."""
    return [t for t in range(max(lo + 2, f - NEAR), min(hi, f + NEAR + 1))
            if t not in (f, f + 1) and ok[t] and ok[t - 1]]


REVERSAL_FLOOR = 0.3  # normalised grey levels: below this two frames are the same picture (noise)
CAMERA_SIDE = 4  # steps each side whose camera motion is compared
CAMERA_REACH = 12  # steps each side in which the camera's own changes are measured


def camera_change(series: FrameSeries, f: int, lo: int, hi: int, ok: np.ndarray,
                  gap: int = 0) -> tuple[float, float]:
    """(change, usual change) of the camera's motion at the join into frame f: the distance between
    the mean camera motion (``flow_med``) of the CAMERA_SIDE steps just before and just after it
    (the join's own step left out: a skip or a repeat is not a change of motion), and the most the
    same measure changes between two such windows next to each other inside one side, up to
    CAMERA_REACH steps away (what the camera does by itself: a hand's wobble moves the windows'
    means too). A turn, a reversal or a stall of the camera changes it at once by far more.
    ``gap``: frames missing at the join (a skip): the windows compared inside the sides are then as
    far apart in time as those across the join (a hand's shake changes more over a longer time)."""
    v = series.flow_med
    k = CAMERA_SIDE

    def window(start: int) -> np.ndarray | None:
        steps = range(start, start + k)
        if start < lo + 1 or start + k > hi or not all(ok[t] for t in steps):
            return None
        return v[start:start + k].mean(axis=0)

    pre, post = window(f - k), window(f + 1)
    if pre is None or post is None:
        return np.nan, np.nan
    nulls = []
    for start in [*range(f - k - CAMERA_REACH - gap, f - 2 * k - gap + 1), *range(f + 1, f + 1 + CAMERA_REACH - k)]:
        first, second = window(start), window(start + k + gap)
        if first is not None and second is not None:
            nulls.append(float(np.linalg.norm(second - first)))
    return float(np.linalg.norm(post - pre)), max(nulls) if nulls else np.nan


@dataclass
class Trajectory:
    """What the points moving across a continuous join do, from the trajectory fields of the
    series (each point's motion compared with its own motion the steps before).

    ``speed``: how far points travel in the join's step, against their usual step around the join
    (1 steady; a skip of k frames is about k + 1, whatever the speeds of the things that move; a
    recording whose own steps are uneven, 1 and 2 frames, is at most about 2). ``turn``: the cosine
    between the motion just after the join and just before it, the join's own step left out (1 the
    same way, 0 a right-angle turn, -1 a reversal). ``steady``: the same cosine over the steps
    around the join (how much the motion keeps its way by itself: a handheld shake or a crowd
    keeps it less)."""

    speed: float = np.nan
    turn: float = np.nan
    steady: float = np.nan
    step: float = np.nan  # the join's step against the step before it (0: the picture repeats; <0: reversed)


def trajectory(series: FrameSeries, f: int, lo: int, hi: int, ok: np.ndarray) -> Trajectory:
    """The ``Trajectory`` at the join into frame f, from the steps in (lo, hi) that ``ok`` allows."""
    n = len(series)
    scale, scale2, turn2 = series.flow_scale, series.flow_scale2, series.flow_turn2
    if not (0 < f < n - 1 and ok[f - 1]):
        return Trajectory()

    def log(v: float) -> float:
        return float(np.log(max(v, 0.05)))

    # Levels (log speed) of the steps around the join, chained point by point: step f-1 is 0,
    # the steps before follow back from it; step f+1 is linked to f-1 across the join.
    levels = []
    level = 0.0
    for t in range(f - 1, max(lo + 1, f - NEAR) - 1, -1):
        if t < f - 1:
            if not (ok[t] and ok[t + 1] and np.isfinite(scale[t + 1])):
                break
            level -= log(scale[t + 1])
        levels.append(level)
    if f + 1 < hi and ok[f + 1] and np.isfinite(scale2[f + 1]):
        level = log(scale2[f + 1])
        levels.append(level)
        for t in range(f + 2, min(hi, f + NEAR + 1)):
            if not (ok[t] and np.isfinite(scale[t])):
                break
            level += log(scale[t])
            levels.append(level)
    speed = float(np.exp(log(scale[f]) - np.median(levels))) if len(levels) >= 3 and np.isfinite(scale[f]) else np.nan
    around = [t for t in range(max(lo + 2, f - NEAR), min(hi, f + NEAR + 1))
              if t not in (f, f + 1) and ok[t] and ok[t - 1] and np.isfinite(turn2[t])]
    steady = float(np.median(turn2[around])) if len(around) >= 3 else np.nan
    return Trajectory(speed, float(turn2[f + 1]) if f + 1 < hi and ok[f + 1] else np.nan, steady, float(scale[f]))


def _trajectory_kinds(traj: Trajectory, th: Thresholds, kinds: set[str], scores: dict[str, float],
                      raw: dict[str, float]) -> None:
    """Dropped frames and motion turns at a continuous join, from how its points move (see
    ``Trajectory``): a step that carries them ``skip_speed`` times their usual step, or none of it
    (a repeated picture), the same way on both sides (frames skipped or repeated); or motion that
    turns away (cosine under ``turn_cosine``) where it otherwise keeps its way."""
    same_way = np.isfinite(traj.turn) and traj.turn >= th.skip_turn
    if np.isfinite(traj.speed):
        raw["skip_speed"] = traj.speed
        if same_way:
            # Points carried jump_speed x their usual step or more, the same way: that many frames
            # are missing, a stretch of the scene and no longer a few dropped frames (the flow of a
            # pan still follows a second removed, so the warp error alone does not show it).
            jump = traj.speed / th.jump_speed
            scores["jump"] = max(scores.get("jump", 0.0), jump)
            if jump >= 1.0:
                kinds.add("jump")
        # The step beyond steady motion (speed 1) against the threshold's.
        score = max(0.0, (traj.speed - 1.0) / (th.skip_speed - 1.0)) if same_way else 0.0
        if same_way and np.isfinite(traj.step) and abs(traj.step) < th.hold_step:
            score = max(score, min(10.0, th.hold_step / max(abs(traj.step), 1e-3)))
        scores["dropped"] = max(scores.get("dropped", 0.0), score)
        if score >= 1.0:
            kinds.add("dropped")
    if np.isfinite(traj.turn) and np.isfinite(traj.steady) and traj.steady >= th.turn_steady:
        # Where the motion keeps its way around the join, the points' own motion turning is a
        # motion defect (1 - cosine, against the threshold's).
        raw["turn"] = traj.turn
        raw["steady"] = traj.steady
        score = (1.0 - traj.turn) / (1.0 - th.turn_cosine)
        scores["motion"] = max(scores.get("motion", 0.0), score)
        if score >= 1.0:
            kinds.add("motion")


def _few_missing(traj: Trajectory, far: float, th: Thresholds) -> bool:
    """Whether a join's trajectories and its change against frames 8 apart (``lag_change``) agree
    on a skip of a few frames: points carried skip_speed to jump_speed x their usual step, the same
    way, and the picture changed less than frames 8 apart differ (skip_lag_ratio)."""
    return bool(np.isfinite(traj.speed) and np.isfinite(traj.turn) and traj.turn >= th.skip_turn
                and th.skip_speed <= traj.speed < th.jump_speed and np.isfinite(far) and far < th.skip_lag_ratio)


def _warp_only(traj: Trajectory | None, far: float, th: Thresholds) -> bool:
    """Whether a jump rests on the warp error alone: the join changes the picture less than
    jump_lag_ratio x frames 8 apart, and the trajectories do not carry the points jump_speed x."""
    by_speed = traj is not None and np.isfinite(traj.speed) and traj.speed >= th.jump_speed
    return not by_speed and not (np.isfinite(far) and far >= th.jump_lag_ratio)


def _steady(traj: Trajectory | None, th: Thresholds) -> bool:
    """Whether the moving points cross the join at their usual step, the same way (nothing missing)."""
    return bool(traj is not None and np.isfinite(traj.speed) and np.isfinite(traj.turn)
                and traj.speed < th.skip_speed and traj.turn >= th.skip_turn)


def _camera_and_reversal(series: FrameSeries, f: int, lo: int, hi: int, ok: np.ndarray, th: Thresholds,
                         kinds: set[str], scores: dict[str, float], raw: dict[str, float], gap: int = 0) -> None:
    """Motion at a continuous join from the camera's motion (``camera_change``: a change far beyond
    the camera's own step-to-step change) and from a reversal (``reversal``: the join shows again
    the frame before last)."""
    change, usual = camera_change(series, f, lo, hi, ok, gap)
    if np.isfinite(change) and np.isfinite(usual):
        raw["camera"] = change
        raw["camera_usual"] = usual
        score = change / (th.camera_ratio * max(usual, th.camera_floor)) if change >= th.camera_min else 0.0
        scores["motion"] = max(scores.get("motion", 0.0), score)
        if score >= 1.0:
            kinds.add("motion")
    back, step, moving = reversal(series, f, lo, hi, ok)
    near = _reversal_near(f, lo, hi, ok)
    flow = _ratio(series.flow_mag, f, np.array(near, int), th.dropped_floor) if near else 0.0
    if np.isfinite(back) and moving >= th.skip_moving and flow >= th.skip_diff:
        # More change in the join's one step than frames two apart usually show, and more motion
        # than usual: frames are missing (a grade that changes at the join changes the picture, not
        # the motion).
        # ... and more than any step around it (a recording's own uneven steps are not skips).
        most = max(float(np.nanmax(series.ndiff[near])), REVERSAL_FLOOR) if near else np.nan
        raw["skip_diff"] = step / moving
        raw["skip_most"] = float(series.ndiff[f]) / most
        score = min(step / moving / th.skip_diff, raw["skip_most"] / th.skip_diff)
        scores["dropped"] = max(scores.get("dropped", 0.0), score)
        if score >= 1.0:
            kinds.add("dropped")
    if np.isfinite(back) and step >= th.reverse_step:
        raw["back2"] = back
        score = min(10.0, th.reverse_back2 / max(back, 1e-3))
        scores["motion"] = max(scores.get("motion", 0.0), score)
        if score >= 1.0:
            kinds.add("motion")


def _step_ok(series: FrameSeries, ctx: Context, event_frames: np.ndarray) -> np.ndarray:
    n = len(series)
    ok = np.ones(n, bool)
    ok[0] = False
    ok[1:] &= ~event_frames[1:] & ~event_frames[:-1]
    return ok & ~ctx.boundary & ~ctx.quiet & ~ctx.conform & np.isfinite(series.warp_err)


def build_context(n: int, seams: list[SeamSpec], conform: np.ndarray | None, series: FrameSeries,
                  th: Thresholds, colour: list[Event] | None = None) -> tuple[Context, np.ndarray]:
    """The context of a sequence and its scene boundaries (steps inside shots that cut; steps
    touching a flash or black frame of ``colour`` are none)."""
    ctx = Context.empty(n)
    if conform is not None:
        ctx.conform[:] = conform[:n]
    for seam in seams:
        f = seam.frame
        if not 0 < f < n:
            continue
        if seam.kind == "transition":
            length = seam.transition[1]
            ctx.quiet[max(0, f - length):f] = True
            ctx.boundary[max(1, f - length):min(n, f + 1)] = True
        elif seam.kind == "cut":
            ctx.boundary[f] = True
        else:
            ctx.continuous[f] = True
    flagged = _event_frames(colour or [], n) | series.black
    touching = flagged.copy()
    touching[1:] |= flagged[:-1]
    scenes = scene_changes(series, th, ignore=ctx.boundary | ctx.continuous | ctx.quiet | touching)
    ctx.boundary |= scenes
    return ctx, scenes


def _bounds(seams: list[SeamSpec], f: int, n: int) -> tuple[int, int]:
    """The frames between the seams either side of the seam at ``f``."""
    frames = [s.frame for s in seams]
    return max((b for b in frames if b < f), default=0), min((b for b in frames if b > f), default=n)


def _jump(series: FrameSeries, f: int, seam: SeamSpec, seams: list[SeamSpec], ok: np.ndarray,
          flagged: np.ndarray, th: Thresholds) -> tuple[float, bool, float]:
    """(warp error of the step across ``f`` / the steps around it, whether that is a jump, and
    the join's change against frames LAG apart: ``lag_change``)."""
    lo, hi = _bounds(seams, f, len(series))
    pre = [t for t in range(max(lo + 1, f - NEAR), f) if ok[t]]
    post = [t for t in range(f + 1, min(hi, f + NEAR + 1)) if ok[t]]
    # Against the steps around it, or most of the busier side: a hold or a still stretch on one
    # side is no reference.
    warp = series.warp_err
    sides = max(_nanmedian(warp[pre]) if pre else 0.0, _nanmedian(warp[post]) if post else 0.0)
    ref = max(_nanmedian(warp[pre + post]) if pre + post else 0.0, 0.6 * sides, th.jump_warp_floor)
    ratio = float(warp[f] / ref) if np.isfinite(warp[f]) else 0.0
    if flagged[f] or flagged[f - 1]:  # a flash or black frame at the join: the step says nothing
        return ratio, False, np.nan
    # The picture moved somewhere the flow cannot follow (a colour jump alone leaves the motion as it was).
    flow = _ratio(series.flow_hi, f, np.array(pre + post, int), th.dropped_floor)
    scene = bool(warp[f] >= th.scene_warp and (
        series.changed[f] >= th.scene_changed or hist_change(series, f) >= th.scene_hist))
    far = lag_change(series, f, lo, hi, ok)
    raw_far = np.isfinite(far) and far >= th.jump_lag_ratio and ratio >= th.jump_lag_warp
    return ratio, bool((ratio >= th.jump_warp_ratio or raw_far) and flow >= th.jump_flow_ratio
                       or (scene and not pre + post)), far


LAG_REACH = 12  # steps each side whose LAG-frame differences are the reference


def lag_change(series: FrameSeries, f: int, lo: int, hi: int, ok: np.ndarray) -> float:
    """How much the join into frame f changes the picture against how much frames LAG apart differ
    inside either side (the frame pairs LAG apart that the join does not separate, up to LAG_REACH
    steps away): about 1 or more when the join is missing LAG frames or more (a stretch of the
    scene), well under 1 for a skip of 2-3 frames. NaN without such pairs."""
    from engine.analysis.features import LAG

    n = len(series)
    steps = [t for t in range(max(lo + LAG, f - LAG_REACH), f) if ok[t]]
    steps += [t for t in range(f + LAG, min(hi, n, f + LAG + LAG_REACH)) if ok[t]]
    vals = series.back_lag[steps] if steps else np.array([])
    vals = vals[np.isfinite(vals)]
    if vals.size < 3 or not np.isfinite(series.ndiff[f]):
        return np.nan
    return float(series.ndiff[f] / max(float(np.median(vals)), REVERSAL_FLOOR))


def score_seams(series: FrameSeries, shots: list[ShotSpan], seams: list[SeamSpec], *,
                th: Thresholds = DEFAULT_THRESHOLDS, drift_window: int = 12,
                offset: int = 0, conform: np.ndarray | None = None) -> CheckReport:
    """The full report for a measured sequence: seams, events and scene boundaries inside shots,
    drift per shot. ``offset`` is added to every frame number reported (the timeline frame of
    series index 0); ``conform`` marks the steps a rate conform repeats or skips."""
    n = len(series)
    quiet = np.zeros(n, bool)
    for seam in seams:
        if seam.kind == "transition":
            quiet[max(0, seam.frame - seam.transition[1]):seam.frame] = True
    colour = colour_events(series, quiet, th)
    ctx, scenes = build_context(n, seams, conform, series, th, colour)
    colour_frames = _event_frames(colour, n)
    # Jumps first: the motion before and after a jump is not one motion (no frozen or dropped
    # frames are judged across it).
    jumps = {}
    scene = ctx.segment
    ok = _step_ok(series, ctx, colour_frames)
    for seam in seams:
        f = seam.frame
        if seam.kind == "continuous" and 0 < f < n:
            jumps[f] = _jump(series, f, seam, seams, ok, colour_frames, th)
            if jumps[f][1]:
                ctx.boundary[f] = True
    events = sorted(colour + motion_events(series, ctx, colour_frames, th, scene), key=lambda e: e.start)
    event_frames = _event_frames(events, n)
    step_ok = _step_ok(series, ctx, event_frames)

    bounds = sorted({0, n, *(s.frame for s in seams)})
    used: set[int] = set()
    seam_reports = []
    for seam in seams:
        f = seam.frame
        lo = max((b for b in bounds if b < f), default=0)
        hi = min((b for b in bounds if b > f), default=n)
        expected = seam.kind
        tlen = seam.transition[1] if expected == "transition" else 0
        scores: dict[str, float] = {}
        raw: dict[str, float] = {}
        kinds: set[str] = set()
        defect_frames: set[int] = set()
        allowed = set(CUT_KINDS) if expected != "continuous" else None

        win_lo, win_hi = f - tlen - ATTACH, f + ATTACH
        for i, e in enumerate(events):
            if e.end > win_lo and e.start < win_hi and (allowed is None or e.kind in allowed):
                used.add(i)
                kinds.add(e.kind)
                scores[e.kind] = max(scores.get(e.kind, 0.0), e.score)
                raw[e.kind] = e.raw
                defect_frames.update(range(e.start, e.end))

        step = f if 0 < f < n else None
        raw["scene_warp"] = float(series.warp_err[step]) if step is not None and np.isfinite(
            series.warp_err[step]) else 0.0
        scene_change = False
        if step is not None:
            scene_change = bool(series.warp_err[step] >= th.scene_warp and (
                series.changed[step] >= th.scene_changed or hist_change(series, step) >= th.scene_hist))
        if expected == "continuous" and step is not None:
            jump, is_jump, far = jumps[f]
            raw["jump"] = jump
            scores["jump"] = jump / th.jump_warp_ratio
            if np.isfinite(far):
                raw["jump_lag"] = far
            if is_jump:
                kinds.add("jump")
                defect_frames.add(f)
            pre = _side_frames(max(lo, f - TREND), f, event_frames)
            post = _side_frames(f, min(hi, f + TREND), event_frames)
            if pre and post:
                colour = _colour_jump(series, pre, post, f - 0.5)
                raw["color"] = colour
                scores["color"] = colour / th.color_delta_e
                if colour >= th.color_delta_e:
                    kinds.add("color")
                    defect_frames.add(f)
            pre_steps = [t for t in range(max(lo + 1, f - TREND + 1), f) if step_ok[t]]
            post_steps = [t for t in range(f + 1, min(hi, f + TREND)) if step_ok[t]]
            _camera_and_reversal(series, f, lo, hi, step_ok, th, kinds, scores, raw)
            moving = [t for t in pre_steps + post_steps if np.isfinite(series.flow_hi[t])]
            traj = None
            if moving and float(np.median(series.flow_hi[moving])) >= th.trajectory_min_speed:
                traj = trajectory(series, f, lo, hi, step_ok)
                if ctx.conform[f]:  # the join repeats or skips a frame by design (a rate conform)
                    traj = Trajectory(turn=traj.turn, steady=traj.steady)
                _trajectory_kinds(traj, th, kinds, scores, raw)
                if "jump" in kinds and _few_missing(traj, far, th):
                    # The warp error says the picture is elsewhere, but the moving points are
                    # followed across the join at a few steps' worth, the same way, and it changes
                    # the picture less than 8 frames do: a few frames are missing, not a stretch.
                    kinds.discard("jump")
                    kinds.add("dropped")
                    scores["dropped"] = max(scores.get("dropped", 0.0), 1.0)
                if {"dropped", "motion"} <= kinds and _few_missing(traj, 0.0, th):
                    # Frames skipped at the join: the camera's motion on either side is then that
                    # many frames further apart; a motion defect must hold against what the camera
                    # does over that time too.
                    again: set[str] = set()
                    _camera_and_reversal(series, f, lo, hi, step_ok, th, again, {}, {},
                                         gap=round(traj.speed) - 1)
                    _trajectory_kinds(traj, th, again, {}, {})
                    if "motion" not in again:
                        kinds.discard("motion")
                if {"dropped", "motion"} & kinds:
                    defect_frames.add(f)
            if "jump" in kinds and _warp_only(traj, far, th) and raw["scene_warp"] < th.scene_warp and (
                    "frozen" in kinds or ("color" in kinds and _steady(traj, th))):
                # The warp error alone called it a jump, against the steps around it, while the
                # content goes on (under scene_warp), and it is explained otherwise: a hold at the
                # join leaves that side no moving steps to compare with, and a grade that changes at
                # the join leaves warp error where the points go on at their usual step.
                kinds.discard("jump")
            if "jump" in kinds:
                # The picture is elsewhere after the seam: that is the defect; the colour and motion
                # of other content, and the step the flow cannot follow, are part of it.
                for k in ("color", "motion", "dropped"):
                    kinds.discard(k)
            if "motion" in kinds and "dropped" in kinds:
                # A turn or reversal makes one slow step at the seam: the motion defect.
                dup = [e for e in events if e.kind == "dropped" and "duplicated" in e.extra
                       and e.end > win_lo and e.start < win_hi]
                skip = [e for e in events if e.kind == "dropped" and "skip" in e.extra
                        and e.end > win_lo and e.start < win_hi]
                if dup and not skip:
                    kinds.discard("dropped")
            if "color" in kinds and scores.get("dropped", 0.0) < 1.5:
                # A grade that changes at the join changes the picture and moves the flow: the step
                # that changes more than those around it is the colour jump's.
                kinds.discard("dropped")
            if {"flash", "black"} & kinds:
                # A flash or black frame at the join: the steps across it say nothing about motion.
                kinds.discard("motion")
                kinds.discard("dropped")
            if "frozen" in kinds:
                # The step out of a hold and the stop of the motion are the hold.
                if scores.get("dropped", 0) < 1.5:
                    kinds.discard("dropped")
                kinds.discard("motion")
        considered = [v for k, v in scores.items() if allowed is None or k in allowed]
        score = max([scores[k] for k in kinds] or considered or [0.0])
        severity = "defect" if kinds else ("warning" if score >= WARNING_SCORE else "clean")
        seam_reports.append(SeamReport(
            frame=f + offset, shots=list(seam.shots), defect=bool(kinds), kinds=sorted(kinds),
            score=round(float(score), 3), scores={k: round(float(v), 3) for k, v in scores.items()},
            raw={k: round(float(v), 4) for k, v in raw.items()}, scene_change=scene_change,
            intended_cut=expected != "continuous", transition=seam.transition[0] if expected == "transition" else None,
            window_join=seam.window_join, cut_index=seam.cut_index, expected=expected, severity=severity,
            reason=seam.reason, defect_frames=sorted(x + offset for x in defect_frames)))

    def shot_at(frame: int) -> str | None:
        return next((s.id for s in shots if s.start <= frame < s.start + s.frames), None)

    inside = []
    for i, e in enumerate(events):
        if i in used or e.kind == "dropped":
            # An uneven step inside one recording is the recording's own (a handheld jerk, a
            # capture's judder, its repeated frames): dropped and duplicated frames are judged at
            # continuous joins only; holds of 3 frames and more are reported everywhere.
            continue
        inside.append(EventReport(frame=e.start + offset, frames=e.frames, shot=shot_at(e.start), kind=e.kind,
                                  score=round(e.score, 3)))
    scene_reports = [SceneReport(frame=int(t) + offset, shot=shot_at(int(t)),
                                 score=round(float(series.warp_err[t] / th.scene_warp), 3))
                     for t in np.flatnonzero(scenes)]

    drift = [drift_curve(series, s, window=drift_window, th=th, excluded=event_frames | ctx.quiet, offset=offset,
                         scenes=[int(t) for t in np.flatnonzero(scenes) if s.start < t < s.start + s.frames])
             for s in shots if s.frames >= 2 * drift_window]
    return CheckReport(frames=n, seams=seam_reports, events=inside, scenes=scene_reports, drift=drift, thresholds=th)


def drift_curve(series: FrameSeries, shot: ShotSpan, *, window: int = 12, th: Thresholds = DEFAULT_THRESHOLDS,
                excluded: np.ndarray | None = None, offset: int = 0, scenes: list[int] | None = None) -> DriftReport:
    """Distance of each window of a shot from the first window of its scene.

    Two colour measures, both delta E of a window's mean from the first window's:
    ``stats`` compares the per-frame Lab medians (moves when the grade drifts, but also when the
    camera shows other things); ``aligned`` accumulates the Lab change of the same content step by
    step (each frame against the previous one warped along the flow: moves when the grade drifts,
    but also when content moves through fixed lighting). A grade drift moves both, so the curve
    is the smaller of the two. ``structure``: L2 distance of the mean gradient-orientation
    histogram from the first window's, and ``sharpness`` (Laplacian variance relative to the first
    window: below 1 the take goes soft) are reported, not used for the verdict.

    ``scenes``: frames where a new scene starts inside the shot (a cut in an imported clip); the
    curve starts again from 0 there, and no window spans a boundary."""
    excluded = np.zeros(len(series), bool) if excluded is None else excluded
    lo, hi = shot.start, shot.start + shot.frames
    steps = series.aligned_dlab[lo:hi].copy()
    steps[0] = 0.0
    bad = excluded[lo:hi].copy()
    bad[1:] |= excluded[lo:hi - 1]
    steps[bad | ~np.all(np.isfinite(steps), axis=1)] = 0.0
    cumulative = np.cumsum(steps, axis=0)
    curve, stats, aligned, structure, sharp, starts, scene_starts = [], [], [], [], [], [], []
    score = 0.0
    edges = [lo, *sorted(t for t in (scenes or []) if lo < t < hi), hi]
    for seg_lo, seg_hi in pairwise(edges):
        first = None
        seg_curve = []
        for s in range(seg_lo, seg_hi - window + 1, window):
            idx = [i for i in range(s, s + window) if not excluded[i]] or list(range(s, s + window))
            m = np.median(series.lab_median[idx], axis=0)
            c = cumulative[s - lo:s - lo + window].mean(axis=0)
            h = series.structure[s:s + window].mean(axis=0)
            k = float(np.median(series.sharpness[idx]))
            if first is None:
                first = (m, c, h, max(k, 1e-6))
                scene_starts.append(len(curve))
            d_stats = float(np.linalg.norm(m - first[0]))
            d_aligned = float(np.linalg.norm(c - first[1]))
            stats.append(round(d_stats, 3))
            aligned.append(round(d_aligned, 3))
            seg_curve.append(round(min(d_stats, d_aligned), 3))
            structure.append(round(float(np.linalg.norm(h - first[2])), 4))
            sharp.append(round(k / first[3], 3))
            starts.append(s + offset)
        curve.extend(seg_curve)
        # A drift is gradual and persistent: the curve ends high and mostly rises. Content that
        # comes and goes (a pan over other colours) moves it up and down.
        if len(seg_curve) > 2:
            rising = float(np.mean(np.diff(seg_curve) > 0))
            score = max(score, min(seg_curve[-1] / th.drift_delta_e, rising / th.drift_rising))
    return DriftReport(shot=shot.id, curve=curve, stats=stats, aligned=aligned, structure=structure,
                       sharpness=sharp, window=window, starts=starts, scene_starts=scene_starts,
                       drifting=bool(score >= 1.0), score=round(float(score), 3))
