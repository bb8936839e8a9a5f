"""The farm's durable state: one SQLite database and a folder of files on the head node.

    HOME/farm.sqlite               jobs (WAL; one writer: the dispatcher actor)
    HOME/blobs/<sha256>            uploaded job inputs, named by their hash
    HOME/jobs/<id>/take/           a succeeded job's files (master, scrub, recipe.json …)
    HOME/jobs/<id>/checkpoint/     what a running job has finished so far (long-take windows …),
                                   copied from its GPU node, so a retry elsewhere resumes
    HOME/jobs/<id>/preview.png     the latest denoising preview

Ray-free. The dispatcher owns the database; the HTTP server only reads files (downloads) and
writes blobs (uploads) through a partial name. Everything survives a restart of the farm: jobs
that were running are queued again and resume from their checkpoints.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from engine.farm.protocol import SHA256, FarmJob, FileEntry, JobSubmit

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL,
    inputs TEXT NOT NULL,
    model TEXT,
    need_bytes INTEGER,
    status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','canceled')),
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    node TEXT,
    host TEXT,
    worker TEXT,
    error TEXT,
    result TEXT,
    files TEXT,
    previews INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, created);
"""

_COLUMNS = ("id, key, kind, label, model, need_bytes, status, progress, message, attempts, node, host, worker, "
            "error, result, files, previews, cancel_requested, created, started, finished, updated")


class FarmHome:
    """Where the farm keeps its files (shared by the dispatcher and the HTTP server on the head)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def db(self) -> Path:
        return self.root / "farm.sqlite"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    def blob(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise ValueError(f"{sha256!r} is not a sha256")
        return self.blobs / sha256

    def job_dir(self, job_id: str) -> Path:
        if not job_id.isalnum():
            raise ValueError(f"{job_id!r} is not a farm job id")
        return self.root / "jobs" / job_id

    def take_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "take"

    def checkpoint_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "checkpoint"

    def preview(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "preview.png"


class FarmStore:
    """The jobs table. One instance per process; a lock makes it safe across the actor's threads."""

    def __init__(self, root: Path) -> None:
        self.home = FarmHome(root)
        self.home.root.mkdir(parents=True, exist_ok=True)
        self.home.blobs.mkdir(exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.home.db), isolation_level=None, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reading --------------------------------------------------------------------------------

    def _view(self, row: sqlite3.Row) -> FarmJob:
        data = dict(row)
        data["result"] = json.loads(data["result"]) if data["result"] else None
        data["files"] = json.loads(data["files"]) if data["files"] else []
        data["cancel_requested"] = bool(data["cancel_requested"])
        return FarmJob.model_validate(data)

    def get(self, job_id: str) -> FarmJob | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return self._view(row) if row else None

    def by_key(self, key: str) -> FarmJob | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE key = ?", (key,)).fetchone()
        return self._view(row) if row else None

    def list(self, status: str | None = None) -> list[FarmJob]:
        sql = f"SELECT {_COLUMNS} FROM jobs"
        args: tuple[Any, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            args = (status,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created", args).fetchall()
        return [self._view(r) for r in rows]

    def params(self, job_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        """A job's parameters and its inputs (`inputs/<name>` → sha256)."""
        with self._lock:
            row = self._db.execute("SELECT params, inputs FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return json.loads(row[0]), json.loads(row[1])

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {r[0]: r[1] for r in rows}

    # -- writing --------------------------------------------------------------------------------

    def _update(self, job_id: str, **values: Any) -> None:
        values["updated"] = time.time()
        sets = ", ".join(f"{k} = ?" for k in values)
        with self._lock:
            self._db.execute(f"UPDATE jobs SET {sets} WHERE id = ?", (*values.values(), job_id))

    def submit(self, sub: JobSubmit, params: dict[str, Any], *, model: str | None,
               need_bytes: int | None) -> tuple[FarmJob, bool]:
        """A new queued job, or the one already made for the same key (False)."""
        now = time.time()
        with self._lock:
            existing = self.by_key(sub.key)
            if existing is not None:
                return existing, False
            job_id = uuid.uuid4().hex
            self._db.execute(
                "INSERT INTO jobs (id, key, kind, label, params, inputs, model, need_bytes, status, message, "
                "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 'queued', ?, ?)",
                (job_id, sub.key, sub.kind, sub.label, json.dumps(params), json.dumps(sub.inputs), model,
                 need_bytes, now, now))
        job = self.get(job_id)
        assert job is not None
        return job, True

    def start(self, job_id: str, *, node: str, host: str, worker: str) -> int | None:
        """Marks a queued job running on `worker`; returns its attempt number (None when it is no
        longer queued: canceled meanwhile)."""
        now = time.time()
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, node = ?, host = ?, worker = ?, "
                "started = COALESCE(started, ?), updated = ?, message = ? WHERE id = ? AND status = 'queued'",
                (node, host, worker, now, now, f"running on {host or node[:8]}", job_id))
            if cur.rowcount != 1:
                return None
            row = self._db.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return int(row[0])

    def progress(self, job_id: str, fraction: float, message: str) -> None:
        self._update(job_id, progress=max(0.0, min(1.0, fraction)), message=message)

    def requeue(self, job_id: str, message: str) -> None:
        self._update(job_id, status="queued", worker=None, message=message)

    def requeue_running(self, message: str) -> list[str]:
        """At start: jobs whose run ended with the previous dispatcher go back to the queue."""
        with self._lock:
            ids = [r[0] for r in self._db.execute("SELECT id FROM jobs WHERE status = 'running'")]
            self._db.execute("UPDATE jobs SET status = 'queued', worker = NULL, message = ?, updated = ? "
                             "WHERE status = 'running'", (message, time.time()))
        return ids

    def finish(self, job_id: str, status: str, *, message: str, error: str | None = None,
               result: dict[str, Any] | None = None, files: list[FileEntry] | None = None) -> None:
        self._update(job_id, status=status, message=message, error=error, finished=time.time(),
                     result=json.dumps(result) if result is not None else None,
                     files=json.dumps([f.model_dump() for f in files]) if files is not None else None,
                     progress=1.0 if status == "succeeded" else self._progress(job_id))

    def _progress(self, job_id: str) -> float:
        with self._lock:
            row = self._db.execute("SELECT progress FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return float(row[0]) if row else 0.0

    def request_cancel(self, job_id: str) -> None:
        self._update(job_id, cancel_requested=1)

    def add_preview(self, job_id: str) -> int:
        with self._lock:
            self._db.execute("UPDATE jobs SET previews = previews + 1 WHERE id = ?", (job_id,))
            row = self._db.execute("SELECT previews FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return int(row[0])

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        shutil.rmtree(self.home.job_dir(job_id), ignore_errors=True)

    def discard_work(self, job_id: str) -> None:
        """A finished job no longer needs its checkpoints (and a failed one its preview)."""
        shutil.rmtree(self.home.checkpoint_dir(job_id), ignore_errors=True)

    def collect_garbage(self, *, keep_seconds: float, blob_seconds: float = 86400.0) -> int:
        """Forgets finished jobs older than `keep_seconds` (their takes were never fetched) and
        deletes uploads no unfinished job reads that are older than `blob_seconds`."""
        cutoff = time.time() - keep_seconds
        with self._lock:
            old = [r[0] for r in self._db.execute(
                "SELECT id FROM jobs WHERE status IN ('succeeded','failed','canceled') AND finished < ?", (cutoff,))]
            live = {sha for (inputs,) in self._db.execute(
                "SELECT inputs FROM jobs WHERE status IN ('queued','running')") for sha in json.loads(inputs).values()}
        for job_id in old:
            self.forget(job_id)
        now = time.time()
        for blob in self.home.blobs.iterdir():
            try:
                if blob.name not in live and now - blob.stat().st_mtime > blob_seconds:
                    blob.unlink()
            except OSError:
                continue
        return len(old)
