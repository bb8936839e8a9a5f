"""The inspector on a project: render the timeline once (the same compositor as export), measure
every frame, and score each cut and each window join inside long takes with its context."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.analysis.check import check_series
from engine.analysis.features import AnalysisConfig, measure_frames
from engine.analysis.report import CheckReport
from engine.analysis.seams import SeamSpec, ShotSpan
from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds
from engine.progress import CancelToken, ProgressFn

if TYPE_CHECKING:
    from engine.project import Project, ShotInfo

GEN_KEY = "shotloom_gen"  # where engine/gen keeps a shot's generation spec in its recipe
REPORT_NAME = "check.json"


def _recipes(shot: ShotInfo) -> list[dict]:
    out = []
    if isinstance(shot.recipe, dict):
        out.append(shot.recipe)
    for take in shot.takes:
        if take.active and isinstance(take.recipe, dict):
            out.append(take.recipe)
    return out


def generation_spec(shot: ShotInfo) -> dict:
    """The generation spec behind a shot (task, source shot, ...), or {} for imported footage."""
    for recipe in _recipes(shot):
        spec = recipe.get(GEN_KEY)
        if isinstance(spec, dict):
            return spec
        if isinstance(recipe.get("task"), str):
            return recipe
    return {}


def expects_continuity(a: ShotInfo, b: ShotInfo) -> bool | None:
    """True when B was made to continue A (an extension, a bridge, a split of one take): a
    jump there is a defect even if the content changes. None when nothing says so."""
    sa, sb = generation_spec(a), generation_spec(b)
    if sb.get("task") == "extend" and sb.get("source_shot") == a.id and sb.get("direction", "forward") == "forward":
        return True
    if sa.get("task") == "extend" and sa.get("source_shot") == b.id and sa.get("direction") == "backward":
        return True
    if sb.get("task") == "bridge" and (sb.get("between") or [None])[0] == a.id:
        return True
    if sa.get("task") == "bridge" and (sa.get("between") or [None, None])[-1] == b.id:
        return True
    if a.media_path is not None and a.media_path == b.media_path and b.source_in == a.source_in + a.frames:
        return True
    return None


def window_joins(shot: ShotInfo, fps: Fraction) -> tuple[int, ...]:
    """Offsets (in the shot's visible frames) where the windows of a generated long take join."""
    for recipe in _recipes(shot):
        info = recipe.get("long_take")
        if not isinstance(info, dict):
            continue
        try:
            count = int(info["windows"])
            stride = int(info["window_frames"]) - int(info.get("overlap_frames", 0))
            native = Fraction(str(recipe.get("native_fps") or fps))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue
        if count < 2 or stride <= 0:
            continue
        joins = []
        for k in range(1, count):
            at = round(Fraction(k * stride) * fps / native) - shot.source_in
            if 0 < at < shot.frames:
                joins.append(at)
        return tuple(joins)
    return ()


def project_layout(project: Project) -> tuple[list[ShotSpan], list[SeamSpec]]:
    """Shots and seams of a project's timeline (seams touching a pending shot are left out: there
    is nothing rendered to judge yet)."""
    from engine.render import build_plan

    plan = build_plan(project)
    shots = {s.id: s for s in project.shots()}
    spans = []
    for span in plan.spans:
        info = shots[span.shot_id]
        spans.append(ShotSpan(span.shot_id, span.start, span.frames, window_joins(info, project.fps)
                              if span.media_path is not None else ()))
    seams = []
    for index, (frame, a_id, b_id) in enumerate(plan.cuts):
        a, b = shots[a_id], shots[b_id]
        if a.media_path is None or b.media_path is None:
            continue
        tr = (b.transition_in.kind, b.transition_in.frames) if b.transition_in and b.transition_in.frames else None
        seams.append(SeamSpec(frame, (a_id, b_id), tr, expects_continuity(a, b), cut_index=index))
    for s in spans:
        for off in s.window_joins:
            seams.append(SeamSpec(s.start + off, (s.id, s.id), None, True, window_join=True))
    seams.sort(key=lambda x: x.frame)
    return spans, seams


def analyze_project(project: Project, progress: ProgressFn | None = None, cancel: CancelToken | None = None, *,
                    config: AnalysisConfig | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS,
                    drift_window: int | None = None) -> CheckReport:
    """Check every seam and long take of a project's timeline; frames are decoded once."""
    from engine.render import Compositor, build_plan

    plan = build_plan(project)
    spans, seams = project_layout(project)
    window = drift_window or max(8, round(project.fps / 2))

    def frames():
        with Compositor(plan) as comp:
            for t in range(plan.frames):
                yield comp.frame(t)

    if plan.frames == 0:
        return CheckReport(frames=0, thresholds=thresholds)
    series = measure_frames(frames(), total=plan.frames, config=config, progress=progress, cancel=cancel)
    report = check_series(series, [s for s in spans if _rendered(plan, s.id)], seams, thresholds=thresholds,
                          drift_window=window, conform=conform_steps(plan))
    return report


def conform_steps(plan) -> np.ndarray:
    """True at timeline frame t when the step from t-1 repeats or skips a source frame because the
    shot's media has another constant rate than the project (24 fps media in a 30 fps timeline
    repeats every 4th frame). Gaps in variable-rate media are not marked: they are real drops."""
    from engine.media import FrameReader

    out = np.zeros(plan.frames, bool)
    for span in plan.spans:
        if span.media_path is None or not Path(span.media_path).exists():
            continue
        with FrameReader(span.media_path, rate=plan.rate) as reader:
            if getattr(reader, "vfr", False) or reader.rate == getattr(reader, "source_rate", reader.rate):
                continue
            last = reader.frame_count - 1
            src = [reader.source_index(min(max(span.source_in + k, 0), last)) for k in range(span.frames)]
        for k in range(1, span.frames):
            if src[k] - src[k - 1] != 1:
                out[span.start + k] = True
    return out


def _rendered(plan, shot_id: str) -> bool:
    return any(s.shot_id == shot_id and s.media_path is not None for s in plan.spans)


def save_report(project: Project, report: CheckReport) -> Path:
    """Keep the last report in the project's cache (for the editor's heat strip), atomically."""
    folder = project.cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT_NAME
    data: dict[str, Any] = {"revision": project.revision, **report.to_dict()}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path
