"""The durable job queue (SQLite), the worker protocol and the client that runs the worker.

Torch-free and Qt-free: the editor, the CLI and the worker all import it.
"""

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
