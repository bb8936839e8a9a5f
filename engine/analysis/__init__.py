"""Continuity inspector: seam and drift metrics on rendered frames, and repairs.

The core (features, seams, check) works on plain (h, w, 3) uint8 RGB frames from any iterator;
``analyze_project`` renders a project's timeline through engine.render and scores it;
``engine.analysis.repair`` adds undoable repairs; ``engine.analysis.commands`` is the CLI.
"""

from engine.analysis.check import check_frames, check_series, seams_between
from engine.analysis.features import AnalysisConfig, FrameAnalyzer, FrameSeries, measure_frames
from engine.analysis.report import CheckReport, DriftReport, EventReport, SeamReport
from engine.analysis.seams import SeamSpec, ShotSpan, drift_curve, find_events, score_seams
from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds


def analyze_project(project, progress=None, cancel=None, **kwargs) -> CheckReport:
    """Check every seam and long take of a project (see engine.analysis.timeline)."""
    from engine.analysis.timeline import analyze_project as run

    return run(project, progress, cancel, **kwargs)


__all__ = [
    "DEFAULT_THRESHOLDS",
    "AnalysisConfig",
    "CheckReport",
    "DriftReport",
    "EventReport",
    "FrameAnalyzer",
    "FrameSeries",
    "SeamReport",
    "SeamSpec",
    "ShotSpan",
    "Thresholds",
    "analyze_project",
    "check_frames",
    "check_series",
    "drift_curve",
    "find_events",
    "measure_frames",
    "score_seams",
    "seams_between",
]
