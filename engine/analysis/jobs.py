"""The continuity analysis as a worker job (kind ``analyze``, see engine.jobs.tasks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.progress import CancelToken, ProgressFn


def run_analysis(project_path: Path, *, drift_window: int | None = None, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None, timeline: Path | None = None) -> dict[str, Any]:
    """Analyse a saved project (read only: only its disposable cache/ is written) and keep the
    report in cache/check.json. ``timeline``: a snapshot of the project's document to analyse
    instead of its project.otio (an editor's unsaved timeline). Returns a summary the queue
    stores as the job's result."""
    from engine.analysis.timeline import REPORT_NAME, analyze_project, save_report
    from engine.project import Project

    project = Project.open(project_path, from_file=timeline)
    report = analyze_project(project, progress=progress, cancel=cancel, drift_window=drift_window)
    save_report(project, report)
    return {"report": str(project.cache_dir / REPORT_NAME), "frames": report.frames, "seams": len(report.seams),
            "defects": len(report.defects), "kinds": sorted(report.found_kinds()),
            "measured_shots": report.measured_shots, "cached_shots": report.cached_shots}
