"""Worker events: one JSON object per line on the worker's stdout (typed, versioned).

The queue database is the durable truth; these lines only lower latency for listeners (the editor,
the CLI progress bar). Readers ignore event types and fields they do not know.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

EVENT_VERSION = 1

EXIT_OK = 0
EXIT_FATAL = 1
"""The worker could not run at all (damaged queue database …); the message is on stderr."""
EXIT_DEVICE_LOST = 75
"""The accelerator is unusable after an error (CUDA): the client starts a fresh worker."""


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore")
    v: int = EVENT_VERSION
    time: float = Field(default_factory=time.time)


class Hello(_Event):
    type: Literal["hello"] = "hello"
    pid: int
    worker_id: str
    db: str
    kinds: list[str]


class Device(_Event):
    """What the worker generates on: sent once it knows (after hello) and after each job."""

    type: Literal["device"] = "device"
    kind: str
    """"cuda", "mps" or "cpu"."""
    name: str
    total_bytes: int | None = None
    free_bytes: int | None = None
    """Free memory on the device (for a CPU: available system memory)."""
    generation: bool = True
    """False on a light install (no PyTorch): only editing, export and proxies run."""


class Claimed(_Event):
    type: Literal["claimed"] = "claimed"
    job: str
    kind: str
    attempt: int
    project: str | None = None
    shot: str | None = None


class Progress(_Event):
    type: Literal["progress"] = "progress"
    job: str
    done: int
    total: int
    message: str = ""


class Preview(_Event):
    type: Literal["preview"] = "preview"
    job: str
    path: str


class MemoryTier(_Event):
    type: Literal["memory_tier"] = "memory_tier"
    job: str
    tier: str
    reason: str


class Succeeded(_Event):
    type: Literal["succeeded"] = "succeeded"
    job: str
    result: dict[str, Any]


class Failed(_Event):
    type: Literal["failed"] = "failed"
    job: str
    error: str


class Canceled(_Event):
    type: Literal["canceled"] = "canceled"
    job: str


class Interrupted(_Event):
    type: Literal["interrupted"] = "interrupted"
    job: str
    reason: str


class Heartbeat(_Event):
    type: Literal["heartbeat"] = "heartbeat"
    pid: int
    job: str | None = None


class Bye(_Event):
    type: Literal["bye"] = "bye"
    reason: str
    exit_code: int = EXIT_OK


class WorkerExited(_Event):
    """Made by the client (never printed by a worker): its worker process ended."""

    type: Literal["worker_exited"] = "worker_exited"
    pid: int
    exit_code: int | None
    interrupted: list[str] = Field(default_factory=list)
    restarting: bool = False


Event = Annotated[
    Hello | Device | Claimed | Progress | Preview | MemoryTier | Succeeded | Failed | Canceled | Interrupted | Heartbeat | Bye | WorkerExited,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)

TERMINAL_EVENTS = ("succeeded", "failed", "canceled", "interrupted")


def encode(event: _Event) -> str:
    return event.model_dump_json()


def decode(line: str) -> _Event | None:
    """Parses one line; None for blank lines, foreign output or unknown event types."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        return _ADAPTER.validate_json(line)
    except ValidationError:
        return None
