"""Scores seams, finds defects inside shots and draws drift curves from a ``FrameSeries``.

Knows nothing of projects: a timeline is described by ``ShotSpan``s (frame ranges) and the seams
between them by ``SeamSpec``s (where the later shot starts, the transition set on it, whether the
two shots are meant to continue each other).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from engine.analysis.features import FrameSeries
from engine.analysis.report import CheckReport, DriftReport, EventReport, SeamReport
from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds

ATTACH = 3  # an event within this many frames of a seam belongs to the seam
TREND = 8  # frames either side used for the local colour trend and motion
MAX_FLASH = 4


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
    expect_continuity: bool | None = None  # True: B continues A; False: a cut; None: judge by content
    window_join: bool = False
    cut_index: int | None = None  # the seam's number among the timeline's cuts (what `repair` takes)


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


def scene_changes(series: FrameSeries, th: Thresholds) -> np.ndarray:
    """Bool per step: the step into frame t does not continue the picture (a cut)."""
    n = len(series)
    w = series.warp_err
    out = np.zeros(n, bool)
    for t in range(1, n):
        if not np.isfinite(w[t]) or w[t] < th.scene_warp:
            continue
        around = np.r_[w[max(1, t - 4):t], w[t + 1:t + 5]]
        ref = _nanmedian(around)
        if not np.isfinite(ref) or w[t] >= th.scene_ratio * ref:
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


def find_events(series: FrameSeries, *, quiet: np.ndarray | None = None,
                th: Thresholds = DEFAULT_THRESHOLDS, cuts: np.ndarray | None = None,
                conform: np.ndarray | None = None) -> list[Event]:
    """Flash, black, frozen and dropped/duplicated frames anywhere in the sequence.

    ``quiet`` marks frames inside transitions (a dip to black is black on purpose); ``cuts`` marks
    steps that are intended cuts (their jump is not a dropped frame); ``conform`` marks steps
    that repeat or skip a source frame because the media's rate differs from the timeline's
    (expected, by timestamp: not a defect)."""
    n = len(series)
    quiet = np.zeros(n, bool) if quiet is None else quiet
    conform = np.zeros(n, bool) if conform is None else conform
    cuts = scene_changes(series, th) if cuts is None else cuts
    events: list[Event] = []

    black = series.black & ~quiet
    for s, k in _runs(black):
        events.append(Event("black", s, k, 10.0, float(series.luma[s:s + k].mean())))
    bad = series.black.copy()

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
    bad |= taken

    # A step touching a flash/black frame or a cut says nothing about motion.
    step_ok = np.ones(n, bool)
    step_ok[0] = False
    step_ok[1:] &= ~bad[1:] & ~bad[:-1]
    step_ok &= ~cuts & ~quiet & ~conform
    flow = np.where(step_ok, series.flow_mag, np.nan)
    ndiff = np.where(step_ok, series.ndiff, np.nan)
    # Motion is only compared within one scene: a cut to a still shot is not a frozen frame.
    scene_id = np.cumsum(cuts | quiet)

    # Frozen and duplicated: steps without motion in a shot that moves.
    still = np.zeros(n, bool)
    ref_motion = np.full(n, np.nan)
    ref_diff = np.full(n, np.nan)
    for t in range(1, n):
        if not step_ok[t]:
            continue
        lo, hi = max(1, t - 24), t + 25
        same = scene_id[lo:hi] == scene_id[t]
        window = flow[lo:hi][same]
        window = window[np.isfinite(window)]
        if window.size < 3:
            continue
        ref = float(np.percentile(window, 80))
        dwin = ndiff[lo:hi][same]
        ref_motion[t] = ref
        ref_diff[t] = float(np.nanpercentile(dwin, 80))
        if ref >= th.frozen_min_motion and flow[t] < th.frozen_flow_ratio * ref:
            still[t] = True
    # A conform repeat inside a hold is part of the hold.
    for s, k in _runs(still | (conform & ~cuts)):
        real = still[s:s + k]
        if not real.any():
            continue
        ratio = float(np.nanmedian(flow[s:s + k][real] / ref_motion[s:s + k][real]))
        if int(real.sum()) >= th.frozen_min_steps:
            # k still steps: frames s-1 .. s+k-1 show the same picture
            events.append(Event("frozen", s - 1, k + 1, min(10.0, th.frozen_flow_ratio / max(ratio, 1e-3)),
                                ratio))
        else:
            dratio = float(np.nanmax(ndiff[s:s + k][real] / ref_diff[s:s + k][real]))
            if ratio < th.duplicate_flow_ratio and dratio < th.duplicate_diff_ratio:
                score = min(10.0, th.duplicate_flow_ratio / max(ratio, 1e-3))
                events.append(Event("dropped", s - 1, k + 1, score, ratio, {"duplicated": k}))

    # Dropped: one step much larger than its neighbours (held steps are no reference).
    moving = np.where(still, np.nan, flow)
    for t in range(1, n):
        if not step_ok[t] or still[t] or not np.isfinite(flow[t]):
            continue
        idx = np.r_[max(1, t - 4):t, t + 1:min(n, t + 5)]
        around = moving[idx][scene_id[idx] == scene_id[t]]
        around = around[np.isfinite(around)]
        if around.size < 2:
            continue
        ref = float(np.median(around))
        if ref < th.frozen_min_motion * 0.5:
            continue
        ratio = float(flow[t] / ref)
        if ratio >= th.dropped_flow_ratio:
            events.append(Event("dropped", t - 1, 2, ratio / th.dropped_flow_ratio, ratio, {"skip": True}))
    events.sort(key=lambda e: e.start)
    return events


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


def _motion_change(series: FrameSeries, pre_steps: list[int], post_steps: list[int],
                   th: Thresholds) -> tuple[float, float]:
    g_pre = _nanmedian(series.flow_grid[pre_steps], axis=0)
    g_post = _nanmedian(series.flow_grid[post_steps], axis=0)
    if not (np.all(np.isfinite(g_pre)) and np.all(np.isfinite(g_post))):
        return 0.0, 0.0
    change = float(np.sqrt(np.mean(np.sum((g_post - g_pre) ** 2, axis=-1))))
    speed = max(float(np.sqrt(np.mean(np.sum(g_pre ** 2, axis=-1)))),
                float(np.sqrt(np.mean(np.sum(g_post ** 2, axis=-1)))))
    return change / (speed + 0.5), speed


def score_seams(series: FrameSeries, shots: list[ShotSpan], seams: list[SeamSpec], *,
                th: Thresholds = DEFAULT_THRESHOLDS, drift_window: int = 12,
                offset: int = 0, conform: np.ndarray | None = None) -> CheckReport:
    """The full report for a measured sequence: seams, events inside shots, drift per shot.

    ``offset`` is added to every frame number reported (the timeline frame of series index 0)."""
    n = len(series)
    quiet = np.zeros(n, bool)
    for seam in seams:
        if seam.transition is not None:
            quiet[max(0, seam.frame - seam.transition[1]):seam.frame] = True
    cuts = scene_changes(series, th)
    events = find_events(series, quiet=quiet, th=th, cuts=cuts, conform=conform)
    event_frames = np.zeros(n, bool)
    for e in events:
        if e.kind in ("flash", "black", "frozen"):
            event_frames[e.start:e.end] = True
    step_bad = np.zeros(n, bool)
    step_bad[1:] = event_frames[1:] | event_frames[:-1]
    step_bad[0] = True

    bounds = sorted({0, n, *(s.frame for s in seams)})
    used = set()
    seam_reports = []
    for seam in seams:
        f = seam.frame
        lo = max(b for b in bounds if b < f) if any(b < f for b in bounds) else 0
        hi = min(b for b in bounds if b > f) if any(b > f for b in bounds) else n
        tlen = seam.transition[1] if seam.transition else 0
        scores: dict[str, float] = {}
        raw: dict[str, float] = {}
        kinds: set[str] = set()
        defect_frames: set[int] = set()

        win_lo, win_hi = f - tlen - ATTACH, f + ATTACH
        for i, e in enumerate(events):
            if e.end > win_lo and e.start < win_hi:
                used.add(i)
                kinds.add(e.kind)
                scores[e.kind] = max(scores.get(e.kind, 0.0), e.score)
                raw[e.kind] = e.raw
                defect_frames.update(range(e.start, e.end))

        sc_steps = [t for t in range(max(lo + 1, f - 2), min(hi, f + 3)) if t < n]
        scene_change = bool(any(cuts[t] for t in sc_steps)) if sc_steps else False
        raw["scene_warp"] = float(np.nanmax(series.warp_err[sc_steps])) if sc_steps else 0.0
        intended = seam.transition is not None or (scene_change and seam.expect_continuity is not True)

        if not intended:
            pre = _side_frames(max(lo, f - TREND), f, event_frames)
            post = _side_frames(f, min(hi, f + TREND), event_frames)
            if pre and post:
                jump = _colour_jump(series, pre, post, f - 0.5)
                raw["color"] = jump
                scores["color"] = jump / th.color_delta_e
                if jump >= th.color_delta_e:
                    kinds.add("color")
                    defect_frames.add(f)
            pre_steps = [t for t in range(max(lo + 1, f - TREND + 1), f) if not step_bad[t]]
            post_steps = [t for t in range(f + 1, min(hi, f + TREND)) if not step_bad[t]]
            if len(pre_steps) >= 2 and len(post_steps) >= 2:
                change, speed = _motion_change(series, pre_steps, post_steps, th)
                raw["motion"] = change
                scores["motion"] = change / th.motion_change
                if change >= th.motion_change and speed >= th.motion_min_speed:
                    kinds.add("motion")
                    defect_frames.add(f)
        if "motion" in kinds and "dropped" in kinds:
            # A turn or reversal makes one slow step at the seam; it is the motion defect, not a
            # duplicated frame.
            dup = [e for e in events if e.kind == "dropped" and "duplicated" in e.extra
                   and e.end > win_lo and e.start < win_hi]
            skip = [e for e in events if e.kind == "dropped" and "skip" in e.extra
                    and e.end > win_lo and e.start < win_hi]
            if dup and not skip:
                kinds.discard("dropped")
                scores.pop("dropped", None)
        if "frozen" in kinds and "dropped" in kinds:
            scores_d = scores.get("dropped", 0)
            if scores_d < 1.5:  # the step out of a hold is part of the hold
                kinds.discard("dropped")
                scores.pop("dropped", None)
        score = max([scores[k] for k in kinds] or [v for v in scores.values()] or [0.0])
        seam_reports.append(SeamReport(
            frame=f + offset, shots=list(seam.shots), defect=bool(kinds), kinds=sorted(kinds),
            score=round(float(score), 3), scores={k: round(float(v), 3) for k, v in scores.items()},
            raw={k: round(float(v), 4) for k, v in raw.items()}, scene_change=scene_change,
            intended_cut=bool(intended), transition=seam.transition[0] if seam.transition else None,
            window_join=seam.window_join, cut_index=seam.cut_index,
            defect_frames=sorted(x + offset for x in defect_frames)))

    inside = []
    for i, e in enumerate(events):
        if i in used:
            continue
        shot = next((s.id for s in shots if s.start <= e.start < s.start + s.frames), None)
        inside.append(EventReport(frame=e.start + offset, frames=e.frames, shot=shot, kind=e.kind,
                                  score=round(e.score, 3)))

    drift = [drift_curve(series, s, window=drift_window, th=th, excluded=event_frames | quiet, offset=offset)
             for s in shots if s.frames >= 2 * drift_window]
    return CheckReport(frames=n, seams=seam_reports, events=inside, drift=drift, thresholds=th)


def drift_curve(series: FrameSeries, shot: ShotSpan, *, window: int = 12, th: Thresholds = DEFAULT_THRESHOLDS,
                excluded: np.ndarray | None = None, offset: int = 0) -> DriftReport:
    """Distance of each window of a shot from its first window.

    Two colour measures, both delta E of a window's mean from the first window's:
    ``stats`` compares the per-frame Lab medians (moves when the grade drifts, but also when the
    camera shows other things); ``aligned`` accumulates the Lab change of the same content step by
    step (each frame against the previous one warped along the flow: moves when the grade drifts,
    but also when content moves through fixed lighting). A grade drift moves both, so the curve
    is the smaller of the two. ``structure``: L2 distance of the mean gradient-orientation
    histogram from the first window's, and ``sharpness`` (Laplacian variance relative to the first
    window: below 1 the take goes soft) are reported, not used for the verdict."""
    excluded = np.zeros(len(series), bool) if excluded is None else excluded
    lo, hi = shot.start, shot.start + shot.frames
    steps = series.aligned_dlab[lo:hi].copy()
    steps[0] = 0.0
    bad = excluded[lo:hi].copy()
    bad[1:] |= excluded[lo:hi - 1]
    steps[bad | ~np.all(np.isfinite(steps), axis=1)] = 0.0
    cumulative = np.cumsum(steps, axis=0)
    curve, stats, aligned, structure, sharp, starts = [], [], [], [], [], []
    first = None
    for s in range(lo, hi - window + 1, window):
        idx = [i for i in range(s, s + window) if not excluded[i]] or list(range(s, s + window))
        m = np.median(series.lab_median[idx], axis=0)
        c = cumulative[s - lo:s - lo + window].mean(axis=0)
        h = series.structure[s:s + window].mean(axis=0)
        k = float(np.median(series.sharpness[idx]))
        if first is None:
            first = (m, c, h, max(k, 1e-6))
        d_stats = float(np.linalg.norm(m - first[0]))
        d_aligned = float(np.linalg.norm(c - first[1]))
        stats.append(round(d_stats, 3))
        aligned.append(round(d_aligned, 3))
        curve.append(round(min(d_stats, d_aligned), 3))
        structure.append(round(float(np.linalg.norm(h - first[2])), 4))
        sharp.append(round(k / first[3], 3))
        starts.append(s + offset)
    # A drift is gradual and persistent: the curve ends high and mostly rises. Content that comes
    # and goes (a pan over other colours) moves it up and down.
    rising = float(np.mean(np.diff(curve) > 0)) if len(curve) > 1 else 0.0
    score = min(curve[-1] / th.drift_delta_e, rising / th.drift_rising) if curve else 0.0
    return DriftReport(shot=shot.id, curve=curve, stats=stats, aligned=aligned, structure=structure,
                       sharpness=sharp, window=window, starts=starts, drifting=bool(score >= 1.0), score=round(float(score), 3))
