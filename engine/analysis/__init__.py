"""Continuity inspector: seam and drift metrics on rendered frames, and repairs.

The core (features, seams, check) works on plain (h, w, 3) uint8 RGB frames from any iterator;
``analyze_project`` renders a project's timeline through engine.render (only the shots that
changed since the last run: ``engine.analysis.cache``) and scores every join by what it is meant
to be (``join_expectation``: continuous, cut or transition). Its ``CheckReport`` is what the
editor shows: ``seams`` (typed records: frame, shots, expected, kinds, severity clean / warning /
defect, score, defect frames), ``events`` and ``scenes`` inside shots, ``drift`` curves per shot;
``load_report`` reads the last one back while the timeline is unchanged. ``engine.analysis.repair``
adds undoable repairs; ``engine.analysis.commands`` is the CLI; the worker runs it as job kind
``analyze`` (``engine.analysis.jobs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import lazy_names

_HOMES = {
    **dict.fromkeys(("check_frames", "check_series", "seams_between"), "engine.analysis.check"),
    **dict.fromkeys(("AnalysisConfig", "FrameAnalyzer", "FrameSeries", "measure_frames"), "engine.analysis.features"),
    **dict.fromkeys(("CheckReport", "DriftReport", "EventReport", "SceneReport", "SeamReport"),
                    "engine.analysis.report"),
    **dict.fromkeys(("SeamSpec", "ShotSpan", "drift_curve", "find_events", "score_seams"), "engine.analysis.seams"),
    **dict.fromkeys(("DEFAULT_THRESHOLDS", "Thresholds"), "engine.analysis.thresholds"),
}

if TYPE_CHECKING:
    from engine.analysis.check import check_frames, check_series, seams_between
    from engine.analysis.features import AnalysisConfig, FrameAnalyzer, FrameSeries, measure_frames
    from engine.analysis.report import CheckReport, DriftReport, EventReport, SceneReport, SeamReport
    from engine.analysis.seams import SeamSpec, ShotSpan, drift_curve, find_events, score_seams
    from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds

__getattr__, __dir__ = lazy_names(__name__, _HOMES)


def analyze_project(project, progress=None, cancel=None, **kwargs) -> CheckReport:
    """Check every seam and long take of a project (see engine.analysis.timeline)."""
    from engine.analysis.timeline import analyze_project as run

    return run(project, progress, cancel, **kwargs)


def load_report(project) -> CheckReport | None:
    """The last report saved for the project's timeline as it is now, or None."""
    from engine.analysis.timeline import load_report as load

    return load(project)


__all__ = [
    "DEFAULT_THRESHOLDS",
    "AnalysisConfig",
    "CheckReport",
    "DriftReport",
    "EventReport",
    "FrameAnalyzer",
    "FrameSeries",
    "SceneReport",
    "SeamReport",
    "SeamSpec",
    "ShotSpan",
    "Thresholds",
    "analyze_project",
    "check_frames",
    "check_series",
    "drift_curve",
    "find_events",
    "load_report",
    "measure_frames",
    "score_seams",
    "seams_between",
]
