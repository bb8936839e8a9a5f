"""The inspector on a project: render the timeline once (the same compositor as export), measure
every frame, and score each cut and each window join inside long takes with its context."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.analysis.check import check_series
from engine.analysis.features import AnalysisConfig
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


def source_of(shot: ShotInfo) -> tuple[Path | None, int]:
    """(media, first visible frame) of the recording a shot shows: for a repaired take, the
    recording it was made from (its recipe's ``repair_of``), so a repair keeps the join's meaning."""
    for recipe in _recipes(shot):
        origin = recipe.get("repair_of")
        if isinstance(origin, dict) and origin.get("media"):
            try:
                return Path(origin["media"]), shot.source_in + int(origin.get("offset", 0))
            except (TypeError, ValueError):
                break
    return shot.media_path, shot.source_in


def join_expectation(a: ShotInfo, b: ShotInfo) -> tuple[str, str]:
    """What the join from shot A to shot B is meant to be, and why: ("continuous", reason) when
    B was made to continue A (an extension and its source, a bridge and its neighbours) or both
    show consecutive pieces of one source file (a split, or a stretch removed from between
    them: a jump cut); ("cut", "") for unrelated shots. A transition set on B wins over both
    (see ``SeamSpec.kind``)."""
    sa, sb = generation_spec(a), generation_spec(b)
    if sb.get("task") == "extend" and sb.get("source_shot") == a.id and sb.get("direction", "forward") == "forward":
        return "continuous", "extend"
    if sa.get("task") == "extend" and sa.get("source_shot") == b.id and sa.get("direction") == "backward":
        return "continuous", "extend"
    if sb.get("task") == "bridge" and (sb.get("between") or [None])[0] == a.id:
        return "continuous", "bridge"
    if sa.get("task") == "bridge" and (sa.get("between") or [None, None])[-1] == b.id:
        return "continuous", "bridge"
    (ma, ia), (mb, ib) = source_of(a), source_of(b)
    if ma is not None and ma == mb:
        gap = ib - (ia + a.frames)
        if gap == 0:
            return "continuous", "split"
        if gap > 0:
            return "continuous", f"same source, {gap} frames removed"
    return "cut", ""


def window_joins(shot: ShotInfo, fps: Fraction) -> tuple[int, ...]:
    """Offsets (in the shot's visible frames) where the windows of a generated long take join."""
    for recipe in _recipes(shot):
        info = recipe.get("long_take")
        if not isinstance(info, dict):
            continue
        try:
            count = int(info["windows"])
            # Each window after the first starts on the previous one's last `context_frames` (older
            # takes recorded `overlap_frames`).
            stride = int(info["window_frames"]) - int(info.get("context_frames", info.get("overlap_frames", 0)))
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
        expected, reason = join_expectation(a, b)
        seams.append(SeamSpec(frame, (a_id, b_id), tr, expected, cut_index=index, reason=reason))
    for s in spans:
        for off in s.window_joins:
            seams.append(SeamSpec(s.start + off, (s.id, s.id), None, "continuous", window_join=True,
                                  reason="long take"))
    seams.sort(key=lambda x: x.frame)
    return spans, seams


def analyze_project(project: Project, progress: ProgressFn | None = None, cancel: CancelToken | None = None, *,
                    config: AnalysisConfig | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS,
                    drift_window: int | None = None, cache: bool = True) -> CheckReport:
    """Check every seam and long take of a project's timeline.

    Each shot's frames (as the compositor shows them, mixes included) are measured once and kept
    in the bundle's ``cache/analysis`` under a key made of the content of its media and its
    range: a later check measures only the shots that changed, then scores every join (numbers
    only, fast). ``cache=False`` measures everything and writes nothing."""
    from engine.analysis.cache import measure_plan
    from engine.render import build_plan

    plan = build_plan(project)
    spans, seams = project_layout(project)
    window = drift_window or max(8, round(project.fps / 2))
    if plan.frames == 0:
        return CheckReport(frames=0, thresholds=thresholds)
    series, stats = measure_plan(project, plan, config=config, progress=progress, cancel=cancel, use_cache=cache)
    report = check_series(series, [s for s in spans if _rendered(plan, s.id)], seams, thresholds=thresholds,
                          drift_window=window, conform=conform_steps(project, plan))
    report.measured_shots = stats.measured
    report.cached_shots = stats.cached
    return report


def _native_map(recipe: dict | None, file_frames: int) -> list[int] | None:
    """Native frame of each frame of a generated take's file, when its recipe says the take was
    retimed from the model's rate to another one by repeating frames (16 fps conformed to 24
    repeats every third). A take retimed by optical flow (``output.retime``) repeats none."""
    from engine.media.conform import retimed_source_frames

    if not isinstance(recipe, dict) or (recipe.get("output") or {}).get("retime") == "flow":
        return None
    try:
        native = Fraction(str(recipe["native_fps"]))
        out = Fraction(str((recipe.get("output") or {}).get("rate") or recipe.get("output_rate")))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if native == out or native <= 0 or out <= 0:
        return None
    return retimed_source_frames(native, out, file_frames)


def conform_steps(project: Project, plan) -> np.ndarray:
    """True at timeline frame t when the step from t-1 repeats or skips a source frame by design:
    the media has another constant rate than the project (24 fps media in a 30 fps timeline
    repeats every 4th frame), or the take was generated at the model's rate and conformed to the
    project's (its recipe says so). Gaps in variable-rate media are not marked: they are real drops."""
    from engine.media import FrameReader

    recipes = {s.id: next((t.recipe for t in s.takes if t.active), None) for s in project.shots()}
    out = np.zeros(plan.frames, bool)
    previous: tuple[Path, int, int] | None = None  # (media, end frame, last source frame) of the span before
    for span in plan.spans:
        if span.media_path is None or not Path(span.media_path).exists():
            previous = None
            continue
        with FrameReader(span.media_path, rate=plan.rate) as reader:
            timestamp = not getattr(reader, "vfr", False) and reader.rate != getattr(reader, "source_rate", reader.rate)
            last = reader.frame_count - 1
            src = [reader.source_index(min(max(span.source_in + k, 0), last)) if timestamp
                   else min(max(span.source_in + k, 0), last) for k in range(span.frames)]
            file_frames = reader.frame_count if not timestamp else reader.source_index(last) + 1
        native = _native_map(recipes.get(span.shot_id), file_frames)
        if native is not None:
            src = [native[min(i, len(native) - 1)] for i in src]
        elif not timestamp:
            previous = None
            continue
        # The join from the previous piece of the same file counts too (a split take).
        if previous is not None and previous[0] == span.media_path and previous[1] == span.start \
                and src[0] - previous[2] != 1:
            out[span.start] = True
        for k in range(1, span.frames):
            if src[k] - src[k - 1] != 1:
                out[span.start + k] = True
        previous = (span.media_path, span.end, src[-1])
    return out


def _rendered(plan, shot_id: str) -> bool:
    return any(s.shot_id == shot_id and s.media_path is not None for s in plan.spans)


def save_report(project: Project, report: CheckReport) -> Path:
    """Keep the last report in the project's cache (for the editor's seam markers), atomically."""
    from engine.fsutil import write_json_atomic

    folder = project.cache_dir
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"layout": layout_key(project), **report.to_dict()}
    return write_json_atomic(folder / REPORT_NAME, data, indent=None)


def layout_key(project: Project) -> str:
    """A digest of what the analysis depends on in the timeline (shots, ranges, media, takes'
    recipes, transitions): equal keys, equal reports."""
    import hashlib

    rows = [[s.id, s.start, s.frames, s.source_in, str(s.media_path), s.take_id,
             (s.transition_in.kind, s.transition_in.frames) if s.transition_in else None,
             json.dumps(_rounded(generation_spec(s)), sort_keys=True, default=str)] for s in project.shots()]
    data = json.dumps([str(project.fps), list(project.size), rows], default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:32]


def _rounded(value: Any) -> Any:
    """Floats to 9 significant digits, inside dicts and lists: a recipe's floats written to
    project.otio and read back may differ in their last digit, and the key must not."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


def load_report(project: Project) -> CheckReport | None:
    """The last saved report, when it was made for the timeline as it is now (else None: the
    timeline changed since; run the analysis again)."""
    path = project.cache_dir / REPORT_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.pop("layout", None) != layout_key(project):
        return None
    try:
        return CheckReport.model_validate(data)
    except ValueError:
        return None
