"""The farm's HTTP API as typed data (pydantic): what a client sends, what the farm answers, and the
events it streams. Torch-free and Ray-free: the creator's machine (editor, command line) imports it.

Versioned like engine.jobs.events: readers ignore fields and event types they do not know.

A submitted recipe is data, never code: a job kind the farm runs, the job's parameters (validated by
the same models as locally: engine.jobs.models and engine.gen.requests), and the files it reads.
Every file a recipe names must be one of the job's uploaded inputs, named `inputs/<name>`; the
farm refuses any other path (nothing outside the job's own bundle is ever read).
"""

from __future__ import annotations

import re
import time
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

API_VERSION = 1
EVENT_VERSION = 1

FARM_KINDS: tuple[str, ...] = ("generate", "extend", "bridge", "long_take", "noop")
"""Job kinds a farm runs: the generation tasks, and the diagnostics task (benchmarks, self-tests).
Proxy, export and analysis read the project and stay on the creator's machine."""

FarmJobStatus = Literal["queued", "running", "succeeded", "failed", "canceled"]
FARM_FINISHED: tuple[str, ...] = ("succeeded", "failed", "canceled")

AGENT_WORKER_PREFIX = "farm-"
"""How the queue names a job's worker when the creator's farm agent runs it (the editor shows such a
job as rendering on the farm)."""

INPUT_PREFIX = "inputs/"
_INPUT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_INPUTS = 16


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- requests ---------------------------------------------------------------------------------------

class JobSubmit(BaseModel):
    """POST /v1/jobs. `key` makes the submission idempotent: sending the same key again (a client
    that lost the answer, a laptop that slept) returns the job already made for it."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$")
    kind: Literal["generate", "extend", "bridge", "long_take", "noop"]
    params: dict[str, Any]
    inputs: dict[str, str] = Field(default_factory=dict, max_length=MAX_INPUTS)
    """`inputs/<name>` → sha256 of a blob uploaded before (PUT /v1/blobs/<sha256>)."""
    label: str = Field(default="", max_length=200)
    """For people (farm status): the project and shot it renders."""


# -- answers ----------------------------------------------------------------------------------------

class FileEntry(_Model):
    name: str
    size: int
    sha256: str


class FarmJob(_Model):
    """One farm job as the farm has it (GET /v1/jobs/<id>)."""

    id: str
    key: str
    kind: str
    label: str = ""
    status: FarmJobStatus
    progress: float = 0.0
    message: str = ""
    attempts: int = 0
    node: str | None = None
    host: str | None = None
    worker: str | None = None
    error: str | None = None
    result: dict[str, Any] | None = None
    files: list[FileEntry] = Field(default_factory=list)
    model: str | None = None
    need_bytes: int | None = None
    """Peak GPU memory the planner predicts at the most frugal memory tier (placement)."""
    previews: int = 0
    """How many preview frames were published (GET /v1/jobs/<id>/preview gives the latest)."""
    cancel_requested: bool = False
    created: float
    started: float | None = None
    finished: float | None = None
    updated: float

    @property
    def finished_status(self) -> bool:
        return self.status in FARM_FINISHED


class WorkerInfo(_Model):
    """One GPU actor (one per GPU; one per CPU-only machine)."""

    id: str
    node: str
    host: str = ""
    state: Literal["starting", "idle", "busy", "lost"]
    gpu: bool = False
    vram_bytes: int | None = None
    job: str | None = None
    model: str | None = None
    """The model whose pipeline it keeps warm."""
    jobs_run: int = 0


class NodeInfo(_Model):
    id: str
    host: str = ""
    address: str = ""
    alive: bool
    gpus: float = 0
    workers: int = 0
    vram_bytes: int | None = None


class FarmStatus(_Model):
    """GET /v1/farm: what the editor's farm panel and `shotloom farm status` show."""

    api: int = API_VERSION
    version: str
    nodes: list[NodeInfo] = Field(default_factory=list)
    workers: list[WorkerInfo] = Field(default_factory=list)
    jobs: dict[str, int] = Field(default_factory=dict)
    kinds: list[str] = Field(default_factory=lambda: list(FARM_KINDS))
    max_upload_bytes: int
    tls: bool = False

    @property
    def gpus(self) -> int:
        return int(sum(n.gpus for n in self.nodes if n.alive))


# -- events -----------------------------------------------------------------------------------------

class _Event(_Model):
    v: int = EVENT_VERSION
    seq: int = 0
    time: float = Field(default_factory=time.time)
    job: str


class Queued(_Event):
    type: Literal["queued"] = "queued"
    reason: str = ""


class Started(_Event):
    type: Literal["started"] = "started"
    attempt: int
    node: str
    host: str = ""
    worker: str


class Progress(_Event):
    type: Literal["progress"] = "progress"
    done: int
    total: int
    message: str = ""


class Preview(_Event):
    type: Literal["preview"] = "preview"
    n: int


class Retrying(_Event):
    """The job's node or GPU was lost: it runs again elsewhere, from its last checkpoint."""

    type: Literal["retrying"] = "retrying"
    attempt: int
    reason: str


class Succeeded(_Event):
    type: Literal["succeeded"] = "succeeded"
    files: list[FileEntry] = Field(default_factory=list)


class Failed(_Event):
    type: Literal["failed"] = "failed"
    error: str


class Canceled(_Event):
    type: Literal["canceled"] = "canceled"


FarmEvent = Annotated[
    Queued | Started | Progress | Preview | Retrying | Succeeded | Failed | Canceled,
    Field(discriminator="type"),
]
_EVENTS: TypeAdapter[Any] = TypeAdapter(FarmEvent)
TERMINAL_EVENTS = ("succeeded", "failed", "canceled")


def decode_event(data: dict[str, Any]) -> _Event | None:
    """One event from its JSON form; None for event types this version does not know."""
    try:
        return _EVENTS.validate_python(data)
    except ValidationError:
        return None


# -- files a recipe names ---------------------------------------------------------------------------

Loc = tuple[str | int, ...]


def recipe_files(request: BaseModel) -> list[tuple[Loc, Path]]:
    """Every file path a validated request names, with where it sits (`("source", "path")`).
    Generic over the request models, so a field added later is covered without a change here."""
    found: list[tuple[Loc, Path]] = []

    def walk(value: Any, loc: Loc) -> None:
        if isinstance(value, Path):
            found.append((loc, value))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), (*loc, name))
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                walk(item, (*loc, i))

    walk(request, ())
    return found


def set_at(data: dict[str, Any], loc: Loc, value: Any) -> None:
    """Sets `value` at `loc` inside the JSON form of a request."""
    target: Any = data
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = value


def input_name(name: str) -> str | None:
    """The file name of an `inputs/<name>` reference, or None when `name` is anything else (an
    absolute path, a parent folder, a sub-folder, a hidden file)."""
    if not name.startswith(INPUT_PREFIX) or "\\" in name:
        return None
    rest = name[len(INPUT_PREFIX):]
    if PurePosixPath(name).as_posix() != name or not _INPUT_NAME.match(rest):
        return None
    return rest


def describe_loc(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) or "request"


def map_strings(value: Any, fn: Any) -> Any:
    """`value` (JSON data) with every string replaced by fn(string): how a take's paths move between
    the GPU node's folders, the farm's neutral names (`inputs/<name>`, `@take/…`) and the creator's."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: map_strings(v, fn) for k, v in value.items()}
    return value


TAKE_MARK = "@take"
"""Stands for the take's folder in a result that travels between machines."""


def retarget(value: Any, exact: dict[str, str], prefixes: dict[str, str]) -> Any:
    """Strings equal to a key of `exact`, or starting with a key of `prefixes` followed by `/`,
    replaced by their counterparts."""

    def fn(text: str) -> str:
        if text in exact:
            return exact[text]
        for old, new in prefixes.items():
            if text == old or text.startswith(old + "/"):
                return new + text[len(old):]
        return text

    return map_strings(value, fn)
