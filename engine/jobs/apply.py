"""From project shots to jobs, and from finished jobs back into the project.

`plan_shot_job` turns a pending or stale shot into a queue submission (kind, params, take folder);
`apply_job_result` places a succeeded generation as a take with the facade's `AddTake` edit
(idempotent: a take already there is not added twice; the shot's length follows the take as in
`engine.gen.takes.generate_into_project`) and flags the bridges next to the shot as stale — in the
project and in the queue — without regenerating them. The editor calls `apply_job_result` when it
has the project open; `shotloom render` calls it and saves.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import GenerationError, ProjectError
from engine.jobs.models import GENERATION_KINDS, GenerationParams, Job
from engine.jobs.queue import JobQueue

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


def neighbours(project: Any, shot_id: str) -> list[Any]:
    shots = project.shots()
    index = next((i for i, s in enumerate(shots) if s.id == shot_id), None)
    if index is None:
        return []
    return [shots[i] for i in (index - 1, index + 1) if 0 <= i < len(shots)]


def take_master(job: Job) -> Path:
    """The master file of a finished generation job."""
    result = job.result or {}
    master = result.get("master")
    if isinstance(master, str) and Path(master).is_file():
        return Path(master)
    raise GenerationError(f"Job {job.id} succeeded but its master file {master} is missing; "
                          f"retry it with `shotloom queue retry {job.id[:8]}`.")


def _made_from(shot: Any, master: Path) -> bool:
    """True when the shot's active take was generated from `master` (a bridge made after it)."""
    active = next((t for t in shot.takes if t.active), None)
    request = ((active.recipe or {}).get("request") or {}) if active is not None else {}
    return any(isinstance(v, dict) and v.get("path") and Path(v["path"]) == master for v in request.values())


def apply_job_result(project: Any, job: Job, queue: JobQueue | None = None) -> bool:
    """Adds the take of a succeeded generation job to its shot and activates it. Returns False
    when the take is already in the project or the shot was deleted meanwhile (files stay)."""
    from engine.gen.takes import SPEC_KEY, placement_edit
    from engine.project.edits import SetShotStatus

    if job.kind not in GENERATION_KINDS or job.status != "succeeded" or not job.shot:
        return False
    try:
        shot = project.shot(job.shot)
    except ProjectError:
        return False
    result = job.result or {}
    take_id = result.get("take_id") or job.params.get("take_id")
    if any(t.id == take_id for t in shot.takes):
        return False
    master = take_master(job)
    take_recipe = dict(result.get("recipe") or {"request": job.params.get("request")})
    spec = job.params.get("spec") or shot_spec(shot)
    if spec is not None:
        take_recipe[SPEC_KEY] = spec
    project.apply(placement_edit(shot, take_id, master, int(result.get("frames") or 0), take_recipe))
    # The shot's picture changed: generations that read it (bridges next to it) no longer match.
    # Flag them stale; never regenerate them behind the user's back.
    for other in neighbours(project, job.shot):
        other_spec = shot_spec(other)
        if other_spec and job.shot in sources(other_spec) and other.take_id is not None \
                and not _made_from(other, master):
            project.apply(SetShotStatus(other.id, "stale"))
    if queue is not None and job.project:
        queue.mark_stale(job.project, job.shot)
    return True
