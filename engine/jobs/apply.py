"""From project shots to jobs, and from finished jobs back into the project.

`plan_shot_job` turns a pending or stale shot into a queue submission (kind, params, take folder).
A finished job becomes exactly one edit, `result_edit`: whoever owns the project applies it — the
command line applies it and saves, the editor pushes it as one undo step. The edit records which
shots the take was generated from, so the document marks it stale when they change (never
regenerated behind the user's back). `unapplied_results` finds succeeded jobs whose take never
reached a saved project (so a crash or a closed editor loses no take); `record_saved` marks the
ones that did.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import GenerationError, ProjectError
from engine.jobs.models import FINISH_KINDS, TAKE_KINDS, GenerationParams, Job
from engine.jobs.queue import JobQueue
from engine.project.edits import Edit

TASK_KINDS = {
    "text_to_video": "generate",
    "image_to_video": "generate",
    "extend": "extend",
    "bridge": "bridge",
    "long_take": "long_take",
}


def shot_spec(shot: Any) -> dict[str, Any] | None:
    """The generation spec a shot was made from (`shot add`), or None for imported footage."""
    from engine.gen.takes import SPEC_KEY

    recipe = shot.recipe if isinstance(shot.recipe, dict) else None
    if recipe is None:
        active = next((t for t in shot.takes if t.active), None)
        recipe = active.recipe if active is not None and isinstance(active.recipe, dict) else None
    if not recipe:
        return None
    spec = recipe.get(SPEC_KEY)
    return dict(spec) if isinstance(spec, dict) else None


def source_fields(spec: dict[str, Any]) -> dict[str, str]:
    """Request field → shot id, for the shots whose pictures this generation reads (a bridge's
    neighbours, an extension's source)."""
    if spec.get("task") == "bridge" and len(spec.get("between") or []) == 2:
        return {"before": spec["between"][0], "after": spec["between"][1]}
    if spec.get("task") == "extend" and spec.get("source_shot"):
        return {"source": spec["source_shot"]}
    return {}


def sources(spec: dict[str, Any]) -> list[str]:
    return list(source_fields(spec).values())


def needs_render(shot: Any) -> bool:
    """Pending shots, and stale ones (recipe edited, or a bridge whose neighbour changed), that
    have a generation spec."""
    return shot.status in ("pending", "stale") and shot_spec(shot) is not None


@dataclass(frozen=True)
class ShotJob:
    kind: str
    params: GenerationParams
    out_dir: Path
    links: tuple[str, ...]
    depends_on: tuple[str, ...] = ()


def plan_shot_job(project: Any, shot: Any, upstream: dict[str, str] | None = None) -> ShotJob:
    """What to submit for one shot: its request resolved against the project now (conditioning
    clips at their current trims), a fresh take id, and the take's final folder in the bundle
    (`media/generated/<take-id>/`; the worker writes a hidden sibling first and renames it).
    `upstream` maps shot ids to jobs that will make their takes: sources among them are filled in
    by the worker from those jobs' results, and the job depends on them."""
    from engine.gen.requests import ClipRange, parse_request
    from engine.gen.takes import _clip_of, _request_dict

    spec = shot_spec(shot)
    if spec is None:
        raise ProjectError(f"Shot {shot.name!r} has no generation recipe; give it a prompt "
                           "(`shotloom shot add`) or import media for it.")
    upstream = upstream or {}
    inputs: dict[str, str] = {}
    try:
        data = _request_dict(project, spec, check_sources=False)
        for field, source in source_fields(spec).items():
            if source in upstream:
                inputs[field] = upstream[source]
            else:
                data[field] = _clip_of(project, source).model_dump(mode="json")
        request = parse_request(data).model_dump(mode="json")
    except ValueError as exc:
        raise ProjectError(f"Shot {shot.name!r} has an invalid generation recipe "
                           f"({str(exc).splitlines()[0]}); fix it in the editor or add the shot again.") from None
    placeholder = ClipRange(path=Path("."), start=0).model_dump(mode="json")
    for field in inputs:
        request[field] = placeholder
    take_id = uuid.uuid4().hex
    params = GenerationParams(request=request, take_id=take_id, spec=spec, inputs=inputs)
    out_dir = Path(project.path) / "media" / "generated" / take_id
    return ShotJob(kind=TASK_KINDS[request["task"]], params=params, out_dir=out_dir,
                   links=tuple(sources(spec)), depends_on=tuple(inputs.values()))


def resolve_inputs(params: GenerationParams, results: dict[str, dict[str, Any]]) -> GenerationParams:
    """Fills a job's input fields from the results of the jobs it depends on: each source is that
    job's whole take (master file, every frame, at the request's output rate — a fresh shot's
    length follows its take)."""
    if not params.inputs:
        return params
    request = dict(params.request)
    for field, job_id in params.inputs.items():
        result = results.get(job_id) or {}
        master, frames = result.get("master"), result.get("frames")
        if not master or not frames or not Path(master).is_file():
            raise GenerationError(f"The take this job reads ({field}) from job {job_id} is missing; "
                                  f"retry job {job_id[:8]} first.")
        request[field] = {"path": master, "start": 0, "frames": int(frames), "rate": request.get("output_rate")}
    return params.model_copy(update={"request": request, "inputs": {}})


def recipe_hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]


def take_master(job: Job) -> Path:
    """The master file of a finished generation job."""
    result = job.result or {}
    master = result.get("master")
    if isinstance(master, str) and Path(master).is_file():
        return Path(master)
    raise GenerationError(f"Job {job.id} succeeded but its master file {master} is missing; "
                          f"retry it with `shotloom queue retry {job.id[:8]}`.")


def _take_ids(project: Any) -> set[str]:
    ids = {t.id for shot in project.shots() for t in shot.takes}
    return ids | {t.id for t in project.loose_takes()}


def _job_take_id(job: Job) -> str | None:
    return (job.result or {}).get("take_id") or job.params.get("take_id")


def made_from(project: Any, spec: dict[str, Any] | None, request: dict[str, Any]) -> list[dict[str, Any]] | None:
    """What the take read from other shots (the request's clip ranges, matched to the shots named by
    the spec): the source shot, which of its takes the clip came from, and the range used."""
    fields = source_fields(spec or {})
    if not fields:
        return None
    shots = {s.id: s for s in project.shots()}
    uses = []
    for field, shot_id in fields.items():
        clip = request.get(field) if isinstance(request.get(field), dict) else {}
        shot = shots.get(shot_id)
        path = Path(clip["path"]).resolve() if clip.get("path") else None
        take = None
        if shot is not None and path is not None:
            take = next((t.id for t in shot.takes if Path(t.path).resolve() == path), None)
        uses.append({"shot": shot_id, "take": take, "source_in": int(clip.get("start") or 0),
                     "frames": int(clip.get("frames") or 0)})
    return uses


def result_edit(project: Any, job: Job) -> Edit | None:
    """The one edit that brings a succeeded generation job's take into the project: the take added
    to its shot and activated, the shot's length following the take, recording which shots it was
    generated from (they make it stale when they change). When the shot was deleted meanwhile, the
    take is kept as a loose take instead (listed, never dropped). None when the take is already in
    the project, or the job is not a succeeded generation."""
    from engine.gen.takes import SPEC_KEY, placement_edit
    from engine.project import KeepLooseTake

    if job.kind not in TAKE_KINDS or job.status != "succeeded" or not job.shot:
        return None
    take_id = _job_take_id(job)
    if not take_id or take_id in _take_ids(project):
        return None
    master = take_master(job)
    result = job.result or {}
    frames = int(result.get("frames") or 0)
    if job.kind in FINISH_KINDS:
        return _finish_result_edit(project, job, take_id, master, result)
    take_recipe = dict(result.get("recipe") or {"request": job.params.get("request")})
    spec = job.params.get("spec")
    try:
        shot = project.shot(job.shot)
    except ProjectError:
        if spec is not None:
            take_recipe[SPEC_KEY] = spec
        name = str((spec or {}).get("prompt") or "")[:40]
        return KeepLooseTake(take_id, master, job.shot, name, take_recipe, frames or None)
    spec = spec or shot_spec(shot)
    if spec is not None:
        take_recipe[SPEC_KEY] = spec
    request = take_recipe.get("request") if isinstance(take_recipe.get("request"), dict) else {}
    uses = made_from(project, spec, {**(job.params.get("request") or {}), **request})
    return placement_edit(shot, take_id, master, frames, take_recipe, uses)


def _finish_result_edit(project: Any, job: Job, take_id: str, master: Path, result: dict[str, Any]) -> Edit:
    """An upscaled or interpolated take: added to its shot, trim kept (engine.finish.jobs)."""
    from engine.finish.jobs import finish_edit
    from engine.project import KeepLooseTake

    recipe = dict(result.get("recipe") or {})
    frames = int(result.get("project_frames") or result.get("frames") or 0)
    try:
        shot = project.shot(job.shot)
    except ProjectError:
        return KeepLooseTake(take_id, master, job.shot or "", str(recipe.get("task") or ""), recipe, frames or None)
    return finish_edit(shot, take_id, master, frames, recipe)


def unapplied_results(project: Any, queue: JobQueue) -> list[Job]:
    """Succeeded generation jobs of this project whose take never reached a saved project.otio
    (a crash, the editor closed, a render stopped between the take and the save), oldest first."""
    key = project_key(project.path)
    present = _take_ids(project)
    jobs = [j for j in queue.list(project=key, status="succeeded")
            if j.kind in TAKE_KINDS and j.applied is None and _job_take_id(j) not in present
            and Path(str((j.result or {}).get("master") or "")).is_file()]
    return sorted(jobs, key=lambda j: j.finished or 0)


def record_saved(project: Any, queue: JobQueue) -> None:
    """After a save: the jobs whose takes are now in project.otio are applied for good (a take the
    user removes later is not brought back)."""
    present = _take_ids(project)
    key = project_key(project.path)
    queue.mark_applied(j.id for j in queue.list(project=key, status="succeeded")
                       if j.applied is None and _job_take_id(j) in present)


def project_key(path: Path | str) -> str:
    """Jobs name their project by the bundle's absolute path."""
    return str(Path(path).expanduser().resolve())


def apply_job_result(project: Any, job: Job, queue: JobQueue | None = None) -> bool:
    """Applies `result_edit` (False when there is nothing to apply) and flags the queue's finished
    jobs that read this shot as stale (their takes were made from its previous picture)."""
    edit = result_edit(project, job)
    if edit is None:
        return False
    project.apply(edit)
    if queue is not None and job.project:
        queue.mark_stale(job.project, job.shot)
    return True
