"""The farm's check of a submitted recipe (Ray-free; the HTTP server calls it before anything runs).

The same models as locally decide what a job may say (engine.jobs.models.validate_params, then
engine.gen.requests.parse_request for generations): unknown fields, kinds and models are refused,
nothing is ever evaluated. Every file the request names must be one of the job's uploaded inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.errors import ShotloomError
from engine.farm.protocol import SHA256, JobSubmit, describe_loc, input_name, recipe_files
from engine.jobs.models import GENERATION_KINDS, GenerationParams, JobError, validate_params


class RecipeRefused(ShotloomError):
    """A submission the farm will not run; the message says which value and why."""


@dataclass(frozen=True)
class CheckedJob:
    params: dict[str, Any]
    model: str | None
    need_bytes: int | None


def check_submission(sub: JobSubmit, *, has_blob: Callable[[str], bool]) -> CheckedJob:
    """Validates a submission; RecipeRefused (one sentence) otherwise."""
    for name, sha in sub.inputs.items():
        if input_name(name) is None:
            raise RecipeRefused(f"input {name!r} is not named inputs/<file name>; rename it.")
        if not SHA256.match(sha):
            raise RecipeRefused(f"input {name!r} gives {sha!r}, not a sha256 in lower-case hex.")
        if not has_blob(sha):
            raise RecipeRefused(f"input {name!r} ({sha[:12]}…) was not uploaded; upload it first "
                                f"(PUT /v1/blobs/{sha}).")
    try:
        params = validate_params(sub.kind, sub.params)
    except JobError as exc:
        raise RecipeRefused(str(exc)) from None
    if not isinstance(params, GenerationParams):
        if sub.inputs:
            raise RecipeRefused(f"a {sub.kind!r} job reads no files; send it without inputs.")
        return CheckedJob(params.model_dump(mode="json"), None, None)
    assert sub.kind in GENERATION_KINDS
    if params.inputs:
        raise RecipeRefused("the job still waits for other jobs' takes (params.inputs); fill in their files "
                            "and upload them before submitting.")
    from engine.gen.catalog import get_model
    from engine.gen.requests import parse_request

    try:
        request = parse_request(params.request)
    except ValueError as exc:
        raise RecipeRefused(f"the generation request is invalid: {invalid_because(exc)}") from None
    for loc, path in recipe_files(request):
        text = path.as_posix()
        if input_name(text) is None or text not in sub.inputs:
            raise RecipeRefused(f"the recipe names {text!r} at {describe_loc(loc)}, which is not a file uploaded "
                                "with the job; a farm reads only the job's own inputs (inputs/<name>).")
    try:
        entry = get_model(request.model)
    except ShotloomError as exc:
        raise RecipeRefused(str(exc)) from None
    if not entry.supports(request.task):
        raise RecipeRefused(f"model {entry.id!r} cannot do {request.task.replace('_', ' ')}; it does "
                            f"{', '.join(entry.tasks)}.")
    return CheckedJob(params.model_dump(mode="json"), entry.id, predicted_need(entry, request))


def invalid_because(exc: ValueError) -> str:
    """What is wrong with a request, in one line naming the field (pydantic's first error)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not str(p).endswith("Request")) or "request"
        return f"{where}: {first['msg']}"
    return str(exc).splitlines()[0]


def predicted_need(entry: Any, request: Any) -> int | None:
    """Peak GPU memory the planner predicts for the request at its memory tier (the most frugal one
    when it leaves the choice to the engine): a job goes only to a GPU at least this large."""
    from engine.gen.catalog import TIERS
    from engine.gen.planner import predict_peak

    try:
        width, height = entry.snap_size(request.width or entry.defaults.width,
                                        request.height or entry.defaults.height)
        if request.frames is not None:
            frames = request.frames
        elif request.seconds is not None:
            frames = max(1, round(float(request.seconds) * float(entry.fps)))
        else:
            frames = entry.defaults.frames
        window = getattr(request, "window_frames", None) or (entry.defaults.frames if request.task == "long_take"
                                                             else frames)
        frames = entry.frame_rule.snap(min(frames, window, entry.frame_rule.max_frames))
        tier = TIERS[-1] if request.tier == "auto" else request.tier
        plan = predict_peak(entry, width=width, height=height, frames=frames, tier=tier,
                            guidance=request.guidance)
        return int(plan.peak_bytes)
    except Exception:  # noqa: BLE001 — a planner gap must not refuse a valid job; it is then placed anywhere
        return None
