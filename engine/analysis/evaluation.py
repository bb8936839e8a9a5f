"""Precision and recall of the inspector on generated cases (used by tests and the benchmark)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.analysis.check import check_series
from engine.analysis.features import FrameSeries, measure_frames
from engine.analysis.report import CheckReport
from engine.analysis.seams import SeamSpec, ShotSpan
from engine.analysis.synthetic import SEAM_KINDS, Case
from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds


def case_layout(case: Case) -> tuple[list[ShotSpan], list[SeamSpec]]:
    n = len(case.frames)
    if case.seam >= n:  # a long take
        return [ShotSpan("take", 0, n)], []
    shots = [ShotSpan("A", 0, case.seam), ShotSpan("B", case.seam, n - case.seam)]
    return shots, [SeamSpec(case.seam, ("A", "B"), case.transition, case.expect_continuity, cut_index=0)]


def check_case(case: Case, series: FrameSeries | None = None, th: Thresholds = DEFAULT_THRESHOLDS,
               drift_window: int = 12) -> CheckReport:
    series = series if series is not None else measure_frames(case.frames)
    shots, seams = case_layout(case)
    return check_series(series, shots, seams, thresholds=th, drift_window=drift_window)


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def tally(cases: list[Case], reports: list[CheckReport]) -> dict[str, Tally]:
    """Per kind: a case counts as found when its report names the kind anywhere (seam or event
    inside a shot); every kind reported that was not injected is a false positive. ``seam`` is
    the verdict on the join (defect or not) and ``drift`` the verdict on long takes."""
    out = {k: Tally() for k in (*SEAM_KINDS, "seam", "drift")}
    for case, report in zip(cases, reports):
        found = report.found_kinds()
        if case.seam >= len(case.frames):
            kinds_true = {"drift"} if case.drifting else set()
            universe = ("drift",)
        else:
            kinds_true = set(case.kinds)
            universe = SEAM_KINDS
            found.discard("drift")
            t = out["seam"]
            flagged = any(s.defect for s in report.seams) or bool(report.events)
            if flagged and kinds_true:
                t.tp += 1
            elif flagged:
                t.fp += 1
                t.false.append(case.name)
            elif kinds_true:
                t.fn += 1
                t.misses.append(case.name)
        for k in universe:
            t = out[k]
            if k in kinds_true and k in found:
                t.tp += 1
            elif k in found:
                t.fp += 1
                t.false.append(case.name)
            elif k in kinds_true:
                t.fn += 1
                t.misses.append(case.name)
    return out
