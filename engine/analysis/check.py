"""The inspector on plain frames: measure once, then score seams, events and drift."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

import numpy as np

from engine.analysis.features import AnalysisConfig, FrameSeries, measure_frames
from engine.analysis.report import CheckReport
from engine.analysis.seams import SeamSpec, ShotSpan, score_seams
from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds
from engine.progress import CancelToken, ProgressFn


def check_series(series: FrameSeries, shots: list[ShotSpan], seams: list[SeamSpec] | None = None, *,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS, drift_window: int = 12,
                 conform: np.ndarray | None = None) -> CheckReport:
    """Score a measured sequence (``conform``: steps that repeat or skip a source frame by design,
    see ``seams.Context``). Seams default to cuts between consecutive shots, plus the window joins
    inside each shot (continuous)."""
    if seams is None:
        seams = seams_between(shots)
    return score_seams(series, shots, seams, th=thresholds, drift_window=drift_window, conform=conform)


def seams_between(shots: list[ShotSpan]) -> list[SeamSpec]:
    seams = []
    for i, (a, b) in enumerate(pairwise(shots)):
        seams.append(SeamSpec(b.start, (a.id, b.id), expected="cut", cut_index=i))
    for s in shots:
        for off in s.window_joins:
            if 0 < off < s.frames:
                seams.append(SeamSpec(s.start + off, (s.id, s.id), expected="continuous", window_join=True,
                                      reason="long take"))
    return sorted(seams, key=lambda x: x.frame)


def check_frames(frames: Iterable[np.ndarray], shots: list[ShotSpan], seams: list[SeamSpec] | None = None, *,
                 total: int | None = None, config: AnalysisConfig | None = None,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS, drift_window: int = 12,
                 progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> CheckReport:
    """Measure frames from any iterator ((h, w, 3) uint8 RGB) once and report on them."""
    series = measure_frames(frames, total=total, config=config, progress=progress, cancel=cancel)
    return check_series(series, shots, seams, thresholds=thresholds, drift_window=drift_window)
