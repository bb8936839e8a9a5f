"""The durable job queue (SQLite), the worker protocol and the client that runs the worker.

Torch-free and Qt-free: the editor, the CLI and the worker all import it. Names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import lazy_names

_MODELS = ("FINISHED", "GENERATION_KINDS", "ExportParams", "GenerationParams", "Job", "JobError", "JobKind",
           "JobStatus", "NoopParams", "ProxyParams")
_HOMES = {name: "engine.jobs.models" for name in _MODELS} | {
    "EngineClient": "engine.jobs.client",
    **{name: "engine.jobs.queue" for name in ("JobQueue", "QueueBusyError", "QueueDamagedError", "default_db_path")},
}

if TYPE_CHECKING:
    from engine.jobs.client import EngineClient
    from engine.jobs.models import (
        FINISHED,
        GENERATION_KINDS,
        ExportParams,
        GenerationParams,
        Job,
        JobError,
        JobKind,
        JobStatus,
        NoopParams,
        ProxyParams,
    )
    from engine.jobs.queue import JobQueue, QueueBusyError, QueueDamagedError, default_db_path

__getattr__, __dir__ = lazy_names(__name__, _HOMES)

__all__ = [
    "FINISHED",
    "GENERATION_KINDS",
    "EngineClient",
    "ExportParams",
    "GenerationParams",
    "Job",
    "JobError",
    "JobKind",
    "JobQueue",
    "JobStatus",
    "NoopParams",
    "ProxyParams",
    "QueueBusyError",
    "QueueDamagedError",
    "default_db_path",
]
assert set(__all__) == set(_HOMES)
