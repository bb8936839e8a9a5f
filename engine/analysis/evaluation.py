"""Recall and false alarms of the inspector on cases with known ground truth (generated or real
footage); used by the tests and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.analysis.check import check_series
from engine.analysis.features import FrameSeries, measure_frames
from engine.analysis.report import CheckReport
from engine.analysis.seams import SeamSpec, ShotSpan
from engine.analysis.synthetic import SEAM_KINDS, Case
from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds

KINDS = (*SEAM_KINDS, "scene", "drift")


def case_layout(case: Case) -> tuple[list[ShotSpan], list[SeamSpec]]:
    n = len(case.frames)
    if case.seam >= n:  # one shot: a long take, or a clip holding a cut
        return [ShotSpan("take", 0, n)], []
    shots = [ShotSpan("A", 0, case.seam), ShotSpan("B", case.seam, n - case.seam)]
    expected = case.expected or "cut"
    return shots, [SeamSpec(case.seam, ("A", "B"), case.transition, expected, cut_index=0)]


def check_case(case: Case, series: FrameSeries | None = None, th: Thresholds = DEFAULT_THRESHOLDS,
               drift_window: int = 12) -> CheckReport:
    series = series if series is not None else measure_frames(case.frames)
    shots, seams = case_layout(case)
    return check_series(series, shots, seams, thresholds=th, drift_window=drift_window)


def found(report: CheckReport) -> set[str]:
    """Every kind a report names: defects at seams and inside shots, drift, scene boundaries."""
    kinds = report.found_kinds()
    if report.scenes:
        kinds.add("scene")
    return kinds


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def false_alarm_rate(self) -> float:
        """Share of the cases without this kind that were said to have it."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    def add(self, truth: bool, said: bool, name: str) -> None:
        if truth and said:
            self.tp += 1
        elif said:
            self.fp += 1
            self.false.append(name)
        elif truth:
            self.fn += 1
            self.misses.append(name)
        else:
            self.tn += 1


def tally(cases: list[Case], reports: list[CheckReport]) -> dict[str, Tally]:
    """Per kind over every case: found when the report names the kind anywhere (a seam, an event
    or a scene boundary inside a shot, drift); named without being injected is a false alarm.
    ``seam``: the verdict on the join (any defect or none) for the cases that have one."""
    out = {k: Tally() for k in (*KINDS, "seam")}
    for case, report in zip(cases, reports):
        said = found(report)
        for k in KINDS:
            out[k].add(k in case.kinds, k in said, case.name)
        if case.seam < len(case.frames):
            flagged = any(s.defect for s in report.seams) or bool(report.events)
            out["seam"].add(bool(case.kinds - {"scene", "drift"}), flagged, case.name)
    return out
