"""Typed job records and job parameters (pydantic): what the queue stores and the worker runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ShotloomError

JobKind = Literal["generate", "extend", "bridge", "long_take", "upscale", "interpolate", "proxy", "export", "noop",
                  "analyze"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "canceled", "interrupted"]

GENERATION_KINDS: tuple[str, ...] = ("generate", "extend", "bridge", "long_take")
FINISH_KINDS: tuple[str, ...] = ("upscale", "interpolate")
TAKE_KINDS: tuple[str, ...] = GENERATION_KINDS + FINISH_KINDS
"""Jobs whose result is a new take of their shot (applied as one edit by the project's owner)."""
FINISHED: tuple[str, ...] = ("succeeded", "failed", "canceled")
RETRYABLE: tuple[str, ...] = ("failed", "interrupted", "canceled")
PARAMS_SCHEMA_VERSION = 1


class JobError(ShotloomError):
    """A job request or queue operation was refused."""


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: int = PARAMS_SCHEMA_VERSION


class GenerationParams(_Params):
    """A generation job: the GEN request (validated by engine.gen.requests when it runs) plus where
    the finished take lands."""

    request: dict[str, Any]
    take_id: str
    spec: dict[str, Any] | None = None
    """The shot's generation spec (engine.gen.takes), kept with the take's recipe."""
    inputs: dict[str, str] = Field(default_factory=dict)
    """Request fields ("before", "after", "source") filled when the job starts from the take of
    the job named here (a dependency): a bridge submitted before its neighbours exist."""
    memory_tier: str | None = None


class FinishParams(_Params):
    """An upscale or interpolate job (engine.finish): a new take of the job's shot made from the
    take at `source`."""

    operation: Literal["upscale", "interpolate"]
    source: str
    source_take: str
    take_id: str
    factor: int | None = Field(default=None, ge=2, le=4)
    """upscale: ×2 or ×4; interpolate: slow motion ×2 or ×4."""
    fps: str | None = None
    """interpolate: the output frame rate ("24/1"), the duration kept."""
    model: str | None = None
    """The upscaler, or the interpolator ("flow" when None)."""
    project_rate: str
    source_recipe: dict[str, Any] | None = None


class ProxyParams(_Params):
    src: str
    dst: str
    height: int | None = Field(default=None, gt=0)


class ExportParams(_Params):
    project: str
    out: str
    preset: str | None = None
    """None: chosen from the extension of `out`."""


class AnalyzeParams(_Params):
    """Continuity analysis of a project (engine.analysis): measures the shots that changed since the
    last run (cache in the bundle), scores every join, writes cache/check.json. `timeline`: a
    snapshot of the timeline to analyse instead of the saved project.otio (the editor's unsaved
    edits, written with `Project.save_to`); the report is kept for that timeline."""

    project: str
    drift_window: int | None = Field(default=None, ge=2)
    timeline: str | None = None


class NoopParams(_Params):
    """Diagnostics task (queue self-test, benchmarks): `steps` real timed steps with progress and
    cancel checks. With `output` it writes a small real video (one frame per step) whose finished
    steps persist in its work folder, so an interrupted run resumes where it stopped.
    `simulate` injects the failures the worker must survive: an error at a step, out-of-memory
    above a memory tier, or a lost device."""

    steps: int = Field(default=10, ge=0, le=100_000)
    step_seconds: float = Field(default=0.05, ge=0.0, le=60.0)
    output: bool = False
    fail_at: int | None = None
    oom_above_tier: int | None = Field(default=None, ge=0)
    device_lost_at: int | None = None
    memory_tier: str | None = None


PARAMS_MODELS: dict[str, type[_Params]] = {
    "generate": GenerationParams,
    "extend": GenerationParams,
    "bridge": GenerationParams,
    "long_take": GenerationParams,
    "upscale": FinishParams,
    "interpolate": FinishParams,
    "proxy": ProxyParams,
    "export": ExportParams,
    "noop": NoopParams,
    "analyze": AnalyzeParams,
}


def validate_params(kind: str, params: dict[str, Any] | BaseModel) -> _Params:
    """Checks `params` against the model for `kind`; JobError naming the kind and field otherwise."""
    model = PARAMS_MODELS.get(kind)
    if model is None:
        raise JobError(f"Unknown job kind {kind!r}; use one of {', '.join(PARAMS_MODELS)}.")
    if isinstance(params, model):
        return params
    if isinstance(params, BaseModel):
        params = params.model_dump(mode="json")
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise JobError(f"Job parameters for {kind!r} are invalid at {where!r}: {first['msg']}.") from None


class Job(BaseModel):
    """One row of the queue, as read back."""

    id: str
    project: str | None
    shot: str | None
    kind: str
    params: dict[str, Any]
    params_version: int
    status: JobStatus
    position: int
    progress: float = 0.0
    message: str = ""
    preview: str | None = None
    attempts: int = 0
    worker_pid: int | None = None
    worker_id: str | None = None
    heartbeat: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    created: float
    started: float | None = None
    finished: float | None = None
    updated: float
    cancel_requested: bool = False
    stale: bool = False
    out_dir: str | None = None
    memory_tier: str | None = None
    tier_history: list[dict[str, Any]] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    applied: float | None = None
    """When the job's take was first in a saved project (generation jobs)."""

    @property
    def final_dir(self) -> Path | None:
        return Path(self.out_dir) if self.out_dir else None

    @property
    def work_dir(self) -> Path | None:
        """Where the runner writes: a hidden sibling of the final folder, stable across attempts."""
        if not self.out_dir:
            return None
        final = Path(self.out_dir)
        return final.with_name(f".{final.name}.partial")

    @property
    def finished_ok(self) -> bool:
        return self.status == "succeeded"

    @classmethod
    def from_row(cls, row: dict[str, Any], depends_on: list[str]) -> Job:
        data = dict(row)
        for key in ("params", "result", "tier_history", "links"):
            if data.get(key) is not None:
                data[key] = json.loads(data[key])
        if data.get("tier_history") is None:
            data["tier_history"] = []
        if data.get("links") is None:
            data["links"] = []
        data["cancel_requested"] = bool(data.get("cancel_requested"))
        data["stale"] = bool(data.get("stale"))
        data["depends_on"] = depends_on
        return cls.model_validate(data)
