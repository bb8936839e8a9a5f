"""The durable job queue: one SQLite database (WAL) shared by every project and every worker.

Every state change is one short transaction. A claim is `BEGIN IMMEDIATE` + select + update, so two
workers (threads or processes) never get the same job. A locked database is waited for up to the
busy timeout, then reported as QueueBusyError; a damaged file becomes QueueDamagedError — both are
ShotloomErrors with one sentence naming the file and what to do.

A new database is built under a partial name and linked into place complete, so an empty (0-byte)
file is never one of ours: it is a damaged queue whose history was lost, not an empty queue. A
queue that cannot be written (a full disk) can still be read (`JobQueue(read_only=True)`).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import psutil
from pydantic import BaseModel

from engine.jobs.models import FINISHED, RETRYABLE, Job, JobError, JobStatus, validate_params
from engine.paths import user_data_dir

SCHEMA_VERSION = 2
DEFAULT_STALE_AFTER = 30.0
"""Seconds without a heartbeat after which a running job's worker is presumed hung or gone."""


class QueueBusyError(JobError):
    """The queue database stayed locked by another program for longer than the busy timeout."""


class QueueDamagedError(JobError):
    """The queue database file is not a readable SQLite database."""


class QueueUnwritableError(JobError):
    """The queue database cannot be written just now (a full disk, a read-only folder)."""


def default_db_path() -> Path:
    return user_data_dir() / "jobs.sqlite"


_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        project TEXT,
        shot TEXT,
        kind TEXT NOT NULL,
        params TEXT NOT NULL,
        params_version INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN
            ('queued','running','succeeded','failed','canceled','interrupted')),
        position INTEGER NOT NULL,
        progress REAL NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        preview TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        worker_pid INTEGER,
        worker_id TEXT,
        worker_ctime REAL,
        heartbeat REAL,
        result TEXT,
        error TEXT,
        created REAL NOT NULL,
        started REAL,
        finished REAL,
        updated REAL NOT NULL,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        stale INTEGER NOT NULL DEFAULT 0,
        out_dir TEXT,
        memory_tier TEXT,
        tier_history TEXT,
        links TEXT
    );
    CREATE INDEX jobs_status_position ON jobs (status, position);
    CREATE INDEX jobs_project_shot ON jobs (project, shot);
    CREATE TABLE job_deps (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        depends_on TEXT NOT NULL,
        PRIMARY KEY (job_id, depends_on)
    );
    CREATE INDEX job_deps_on ON job_deps (depends_on);
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # When a succeeded job's take was first in a saved project.otio: a take the user later removes
    # is not added again, and one that never reached a saved project is.
    2: """
    ALTER TABLE jobs ADD COLUMN applied REAL;
    """,
}

_COLUMNS = (
    "id, project, shot, kind, params, params_version, status, position, progress, message, preview, "
    "attempts, worker_pid, worker_id, heartbeat, result, error, created, started, finished, updated, "
    "cancel_requested, stale, out_dir, memory_tier, tier_history, links, applied"
)


def process_alive(pid: int | None, ctime: float | None) -> bool:
    """True when `pid` runs and is the same process that was recorded (guards against pid reuse)."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return ctime is None or abs(proc.create_time() - ctime) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def own_ctime() -> float:
    return psutil.Process(os.getpid()).create_time()


def discard_work(work: Path | None) -> None:
    """Removes a job's work folder and the engine's hidden siblings of it (a temp take, long-take
    windows): a canceled job leaves nothing behind."""
    if work is None:
        return
    shutil.rmtree(work, ignore_errors=True)
    if work.parent.is_dir():
        for sibling in work.parent.glob(f".{work.name}.*"):
            shutil.rmtree(sibling, ignore_errors=True)


def check_database(path: Path | str | None = None) -> tuple[bool, str]:
    """(ok, one line) about the queue database, read without writing (`shotloom doctor`): missing
    is fine (no jobs yet); 0 bytes, not SQLite, failing SQLite's integrity check, a newer format or
    missing tables is damage."""
    path = Path(path) if path is not None else default_db_path()
    if not path.exists():
        return True, f"{path} (no jobs yet)"
    try:
        with JobQueue(path, read_only=True, timeout=5.0) as q:
            with q._guard() as db:
                verdict = db.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                return False, (f"{path} fails SQLite's check ({verdict}); move it aside (rename it to "
                               f"{path.name}.damaged) and Shotloom starts a new queue")
            counts = q.counts()
    except JobError as exc:
        return False, str(exc)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no jobs"
    return True, f"{path} ({summary})"


class JobQueue:
    """Access to the queue database. One instance per thread is cheapest; a lock makes sharing safe."""

    def __init__(self, path: Path | str | None = None, *, timeout: float = 30.0, read_only: bool = False) -> None:
        """Open (creating it when missing) the queue at `path`. `read_only` reads without writing a
        byte, even on a full disk (`queue list`): never created or migrated; when even the
        shared-memory index cannot be made, the file is read as last checkpointed
        (`self.snapshot` is then True: the newest changes may be missing)."""
        self.path = Path(path) if path is not None else default_db_path()
        self.timeout = timeout
        self.read_only = read_only
        self.snapshot = False
        self._lock = threading.RLock()
        self._changes: tuple | None = None  # (data_version, state) of the last changes() call
        if read_only:
            self._open_read_only()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._check_not_empty()
        if not self.path.exists():
            self._create()
        self._db = self._connect(str(self.path))
        with self._guard():
            self._db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            self._db.execute("PRAGMA foreign_keys = ON")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JobError(f"The job queue {self.path} cannot use write-ahead logging (mode {mode}); "
                               "put the Shotloom data folder on a local disk.")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()

    def _connect(self, target: str, *, uri: bool = False) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(target, timeout=self.timeout, isolation_level=None, check_same_thread=False,
                                 uri=uri)
        except sqlite3.Error as exc:
            raise self._translate(exc) from None
        db.row_factory = sqlite3.Row
        return db

    def _check_not_empty(self) -> None:
        try:
            empty = self.path.stat().st_size == 0
        except OSError:
            return
        if empty:
            raise QueueDamagedError(
                f"The job queue {self.path} is empty (0 bytes): it was damaged and its history is lost; move "
                f"it aside (for example rename it to {self.path.name}.damaged) and Shotloom starts a new queue.")

    def _create(self) -> None:
        """A new database, complete before it appears under its name (a partial file linked into
        place), so that a 0-byte queue file always means damage."""
        from engine.fsutil import partial_path, sweep_debris

        sweep_debris(self.path.parent)  # databases of creators that were killed
        temp = partial_path(self.path)
        db = self._connect(str(temp))
        try:
            with self._guard_on(db):
                db.execute("PRAGMA journal_mode = WAL")
                self._db = db
                self._migrate()
        finally:
            db.close()
        try:
            try:
                os.link(temp, self.path)
            except FileExistsError:
                pass  # another program made it first: use theirs
            except OSError:  # no hard links on this disk
                if not self.path.exists():
                    os.replace(temp, self.path)
        except OSError as exc:
            raise QueueUnwritableError(f"The job queue {self.path} could not be created ({exc.strerror or exc}); "
                                       "free some disk space or check the folder's permissions.") from None
        finally:
            for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
                leftover.unlink(missing_ok=True)

    def _open_read_only(self) -> None:
        if not self.path.exists():  # nothing queued yet: an empty queue, nothing created
            self._db = self._connect(":memory:")
            with self._guard():
                self._migrate()
            return
        self._check_not_empty()
        uri = self.path.absolute().as_uri()
        self._db = self._connect(f"{uri}?mode=ro", uri=True)
        try:
            with self._guard():
                self._db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
                self._check_version()
        except QueueUnwritableError:
            # Reading a WAL database needs its shared-memory index, which a full disk cannot
            # hold: read the file itself, as it was last checkpointed.
            self._db.close()
            self._db = self._connect(f"{uri}?immutable=1", uri=True)
            self.snapshot = True
            with self._guard():
                self._check_version()

    def _check_version(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        self._db.execute("SELECT COUNT(*) FROM jobs").fetchone()
        if version != SCHEMA_VERSION:
            raise JobError(f"The job queue {self.path} has format {version}, this Shotloom reads "
                           f"{SCHEMA_VERSION}; run a queue command with free disk space to update it.")

    # -- plumbing ------------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _translate(self, exc: sqlite3.Error) -> JobError:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            return QueueBusyError(
                f"The job queue {self.path} stayed locked by another program for {self.timeout:g} s; "
                "close the other program (or another Shotloom) and try again."
            )
        if isinstance(exc, sqlite3.DatabaseError) and (
            "not a database" in text or "malformed" in text or "corrupt" in text
        ):
            return QueueDamagedError(
                f"The job queue {self.path} is damaged ({exc}); move it aside (for example rename it to "
                f"{self.path.name}.damaged) and Shotloom starts an empty queue."
            )
        if any(w in text for w in ("disk i/o", "full", "readonly", "read-only", "unable to open")):
            return QueueUnwritableError(f"The job queue {self.path} could not be used ({exc}); free some disk "
                                        "space or check the folder's permissions.")
        return JobError(f"The job queue {self.path} could not be used ({exc}); check the disk and its "
                        "permissions.")

    @contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        with self._guard_on(self._db) as db:
            yield db

    @contextmanager
    def _guard_on(self, db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield db
            except sqlite3.Error as exc:
                raise self._translate(exc) from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so it never deadlocks on upgrade."""
        with self._guard() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            self._changes = None  # data_version counts only the other connections' writes

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise JobError(f"The job queue {self.path} was written by a newer Shotloom (schema {version}); "
                           "update Shotloom or move the file aside.")
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")

    def _deps(self, db: sqlite3.Connection, job_id: str) -> list[str]:
        rows = db.execute("SELECT depends_on FROM job_deps WHERE job_id = ? ORDER BY rowid", (job_id,))
        return [r[0] for r in rows]

    def _row(self, db: sqlite3.Connection, job_id: str) -> Job:
        row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobError(f"No job {job_id!r} in the queue; `shotloom queue list` shows the job ids.")
        return Job.from_row(dict(row), self._deps(db, job_id))

    # -- reading -------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        with self._guard() as db:
            return self._row(db, self._resolve(db, job_id))

    def _resolve(self, db: sqlite3.Connection, job_id: str) -> str:
        """Accepts a full id or an unambiguous prefix (as `queue list` prints short ids)."""
        if db.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone():
            return job_id
        rows = db.execute("SELECT id FROM jobs WHERE id LIKE ? LIMIT 2", (job_id + "%",)).fetchall()
        if len(rows) == 1 and len(job_id) >= 4:
            return rows[0][0]
        raise JobError(f"No job {job_id!r} in the queue; `shotloom queue list` shows the job ids.")

    def list(
        self,
        *,
        status: Iterable[str] | str | None = None,
        project: str | Path | None = None,
        shot: str | None = None,
        kind: str | None = None,
    ) -> list[Job]:
        where, args = [], []
        if status is not None:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            args += statuses
        if project is not None:
            where.append("project = ?")
            args.append(str(project))
        if shot is not None:
            where.append("shot = ?")
            args.append(shot)
        if kind is not None:
            where.append("kind = ?")
            args.append(kind)
        sql = f"SELECT {_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY position, created"
        with self._guard() as db:
            rows = [dict(r) for r in db.execute(sql, args)]
            return [Job.from_row(r, self._deps(db, r["id"])) for r in rows]

    def get_many(self, job_ids: Iterable[str]) -> dict[str, Job]:
        """The jobs with these exact ids (missing ones are left out), in one read."""
        ids = list(job_ids)
        out: dict[str, Job] = {}
        with self._guard() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows = [dict(r) for r in db.execute(
                    f"SELECT {_COLUMNS} FROM jobs WHERE id IN ({','.join('?' * len(chunk))})", chunk)]
                deps: dict[str, list[str]] = {}
                for job_id, dep in db.execute(
                        f"SELECT job_id, depends_on FROM job_deps WHERE job_id IN ({','.join('?' * len(chunk))}) "
                        "ORDER BY rowid", chunk):
                    deps.setdefault(job_id, []).append(dep)
                for row in rows:
                    out[row["id"]] = Job.from_row(row, deps.get(row["id"], []))
        return out

    def counts(self, *, project: str | Path | None = None) -> dict[str, int]:
        sql, args = "SELECT status, COUNT(*) FROM jobs", []
        if project is not None:
            sql, args = sql + " WHERE project = ?", [str(project)]
        with self._guard() as db:
            return {r[0]: r[1] for r in db.execute(sql + " GROUP BY status", args)}

    def changes(self) -> tuple:
        """What a reader needs to notice that jobs changed, whoever changed them (a worker whose
        events it never heard, another program): every job's id and status, whether it is stale,
        the queue's order and the pause flag. Progress reports do not change it. Cheap when
        nothing was written since the last call (SQLite's data_version)."""
        with self._guard() as db:
            version = db.execute("PRAGMA data_version").fetchone()[0]
            if self._changes is not None and self._changes[0] == version:
                return self._changes[1]
            rows = tuple(db.execute("SELECT id, status, stale, position FROM jobs ORDER BY id"))
            paused = db.execute("SELECT value FROM settings WHERE key = 'paused'").fetchone()
            state = (rows, paused[0] if paused else "0")
            self._changes = (version, state)
            return state

    # -- submitting and editing ----------------------------------------------------------------

    def submit(
        self,
        kind: str,
        params: dict[str, Any] | BaseModel,
        *,
        project: str | Path | None = None,
        shot: str | None = None,
        depends_on: Iterable[str] = (),
        links: Iterable[str] = (),
        out_dir: str | Path | None = None,
        job_id: str | None = None,
    ) -> Job:
        """Adds a job at the end of the queue. `depends_on`: job ids that must succeed first;
        `links`: shot ids whose active take this job's result depends on (a bridge's neighbours);
        `out_dir`: the final folder of its files (default: a folder per job in the user data dir)."""
        model = validate_params(kind, params)
        job_id = job_id or uuid.uuid4().hex
        if out_dir is None:
            out_dir = user_data_dir() / "jobs" / job_id
        now = time.time()
        deps = list(dict.fromkeys(depends_on))
        with self._tx() as db:
            for dep in deps:
                if not db.execute("SELECT 1 FROM jobs WHERE id = ?", (dep,)).fetchone():
                    raise JobError(f"Job {job_id} cannot depend on {dep!r}: no such job in the queue.")
            position = db.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM jobs").fetchone()[0]
            db.execute(
                "INSERT INTO jobs (id, project, shot, kind, params, params_version, status, position, "
                "created, updated, out_dir, memory_tier, tier_history, links) "
                "VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, '[]', ?)",
                (
                    job_id,
                    str(project) if project is not None else None,
                    shot,
                    kind,
                    model.model_dump_json(),
                    model.schema_version,
                    position,
                    now,
                    now,
                    str(out_dir),
                    getattr(model, "memory_tier", None),
                    json.dumps(list(links)),
                ),
            )
            db.executemany(
                "INSERT INTO job_deps (job_id, depends_on) VALUES (?, ?)", [(job_id, d) for d in deps]
            )
            return self._row(db, job_id)

    def move(self, job_id: str, position: int) -> Job:
        """Moves a queued job to `position` (0 = next to run) among the queued jobs."""
        with self._tx() as db:
            job_id = self._resolve(db, job_id)
            job = self._row(db, job_id)
            if job.status != "queued":
                raise JobError(f"Job {job_id} is {job.status}; only queued jobs can be moved.")
            rows = db.execute("SELECT id, position FROM jobs WHERE status = 'queued' ORDER BY position, created")
            order = [(r[0], r[1]) for r in rows]
            slots = sorted(p for _, p in order)
            ids = [i for i, _ in order if i != job_id]
            ids.insert(max(0, min(position, len(ids))), job_id)
            db.executemany(
                "UPDATE jobs SET position = ?, updated = ? WHERE id = ?",
                [(slot, time.time(), i) for slot, i in zip(slots, ids)],
            )
            return self._row(db, job_id)

    def cancel(self, job_id: str) -> Job:
        """A queued or interrupted job is canceled at once; a running one gets `cancel_requested`,
        which its worker sees within one step. Finished jobs are left as they are."""
        now = time.time()
        discard: Path | None = None
        with self._tx() as db:
            job_id = self._resolve(db, job_id)
            job = self._row(db, job_id)
            if job.status in ("queued", "interrupted"):
                db.execute(
                    "UPDATE jobs SET status = 'canceled', finished = ?, updated = ?, message = 'canceled' "
                    "WHERE id = ?",
                    (now, now, job_id),
                )
                discard = job.work_dir
            elif job.status == "running":
                db.execute("UPDATE jobs SET cancel_requested = 1, updated = ? WHERE id = ?", (now, job_id))
            job = self._row(db, job_id)
        if discard is not None:
            # An interrupted job's partial work is dropped with it: nothing is left behind.
            discard_work(discard)
        return job

    def retry(self, job_id: str) -> Job:
        """Puts a failed, interrupted or canceled job back in the queue at its old place. Its work
        folder is kept, so work that persists state (a long take's windows) resumes."""
        with self._tx() as db:
            job_id = self._resolve(db, job_id)
            job = self._row(db, job_id)
            if job.status not in RETRYABLE:
                raise JobError(f"Job {job_id} is {job.status}; only failed, interrupted or canceled jobs "
                               "can be retried.")
            db.execute(
                "UPDATE jobs SET status = 'queued', error = NULL, cancel_requested = 0, worker_pid = NULL, "
                "worker_id = NULL, worker_ctime = NULL, finished = NULL, message = 'queued again', "
                "updated = ? WHERE id = ?",
                (time.time(), job_id),
            )
            return self._row(db, job_id)

    def remove(self, job_id: str) -> None:
        """Forgets one finished job (its files stay where they are)."""
        with self._tx() as db:
            job_id = self._resolve(db, job_id)
            job = self._row(db, job_id)
            if job.status not in FINISHED:
                raise JobError(f"Job {job_id} is {job.status}; cancel it before removing it.")
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
        if job.status != "succeeded":
            discard_work(job.work_dir)

    def clear_finished(self, *, project: str | Path | None = None) -> int:
        """Removes finished jobs that no queued or interrupted job still depends on."""
        sql = (
            "DELETE FROM jobs WHERE status IN ('succeeded','failed','canceled') AND id NOT IN "
            "(SELECT d.depends_on FROM job_deps d JOIN jobs j ON j.id = d.job_id "
            " WHERE j.status IN ('queued','running','interrupted'))"
        )
        args: list[Any] = []
        if project is not None:
            sql += " AND project = ?"
            args.append(str(project))
        with self._tx() as db:
            doomed = [Job.from_row(dict(r), []) for r in db.execute(
                sql.replace("DELETE FROM jobs", f"SELECT {_COLUMNS} FROM jobs"), args)]
            db.execute(sql, args)
        for job in doomed:
            if job.status != "succeeded":
                discard_work(job.work_dir)  # unfinished work of a job nobody will retry
        return len(doomed)

    def pause(self) -> None:
        self._set_setting("paused", "1")

    def resume(self) -> None:
        self._set_setting("paused", "0")

    @property
    def paused(self) -> bool:
        with self._guard() as db:
            row = db.execute("SELECT value FROM settings WHERE key = 'paused'").fetchone()
            return bool(row and row[0] == "1")

    def _set_setting(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    # -- stale bridges -------------------------------------------------------------------------

    def mark_applied(self, job_ids: Iterable[str]) -> None:
        """Record that these jobs' takes are in a saved project (never offered again)."""
        ids = list(job_ids)
        if not ids:
            return
        now = time.time()
        with self._tx() as db:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                db.execute(f"UPDATE jobs SET applied = ? WHERE applied IS NULL AND id IN ({','.join('?' * len(chunk))})",
                           [now, *chunk])

    def mark_stale(self, project: str | Path, shot_id: str) -> list[Job]:
        """A shot got a new active take: finished jobs whose result depends on it (bridges next to
        it) are flagged stale. They are not regenerated; the user or `shotloom render` decides."""
        with self._tx() as db:
            rows = db.execute("SELECT id, links FROM jobs WHERE project = ? AND status = 'succeeded' "
                              "AND stale = 0", (str(project),)).fetchall()
            ids = [r[0] for r in rows if shot_id in json.loads(r[1] or "[]")]
            db.executemany("UPDATE jobs SET stale = 1, updated = ? WHERE id = ?",
                           [(time.time(), i) for i in ids])
            return [self._row(db, i) for i in ids]

    # -- used by workers -----------------------------------------------------------------------

    def claim(self, worker_id: str, *, pid: int | None = None, ctime: float | None = None,
              kinds: Iterable[str] | None = None, project: str | Path | None = None) -> Job | None:
        """Takes the next runnable queued job (dependencies succeeded; of `kinds` and `project` when
        given) in one IMMEDIATE transaction, or None when the queue is paused or nothing is runnable."""
        pid = pid if pid is not None else os.getpid()
        ctime = ctime if ctime is not None else own_ctime()
        now = time.time()
        kind_sql, args = "", []
        if kinds is not None:
            kinds = list(kinds)
            kind_sql = f" AND kind IN ({','.join('?' * len(kinds))})"
            args = kinds
        if project is not None:
            kind_sql += " AND project = ?"
            args = args + [str(project)]
        with self._guard() as db:
            # An idle poll is a read; the write lock is taken only when there is something to claim.
            if db.execute("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1").fetchone() is None:
                return None
        with self._tx() as db:
            paused = db.execute("SELECT value FROM settings WHERE key = 'paused'").fetchone()
            if paused and paused[0] == "1":
                return None
            # A dependency that ended without a result can never be satisfied: say so on the job.
            db.execute(
                "UPDATE jobs SET status = 'failed', finished = ?, updated = ?, "
                "error = 'a job it depends on failed or was canceled; retry that job, then this one' "
                "WHERE status = 'queued' AND EXISTS (SELECT 1 FROM job_deps d JOIN jobs j ON j.id = "
                "d.depends_on WHERE d.job_id = jobs.id AND j.status IN ('failed','canceled'))",
                (now, now),
            )
            row = db.execute(
                "SELECT id FROM jobs WHERE status = 'queued'" + kind_sql + " AND NOT EXISTS ("
                "SELECT 1 FROM job_deps d LEFT JOIN jobs j ON j.id = d.depends_on "
                "WHERE d.job_id = jobs.id AND (j.status IS NULL OR j.status != 'succeeded')) "
                "ORDER BY position, created LIMIT 1",
                args,
            ).fetchone()
            if row is None:
                return None
            job_id = row[0]
            db.execute(
                "UPDATE jobs SET status = 'running', worker_pid = ?, worker_id = ?, worker_ctime = ?, "
                "heartbeat = ?, started = ?, updated = ?, attempts = attempts + 1, error = NULL, "
                "message = 'started', cancel_requested = 0 WHERE id = ? AND status = 'queued'",
                (pid, worker_id, ctime, now, now, now, job_id),
            )
            return self._row(db, job_id)

    def report(self, job_id: str, worker_id: str, *, progress: float | None = None,
               message: str | None = None, preview: str | None = None) -> str | None:
        """Progress, message, preview and heartbeat of a running job in one write. Returns why the
        job should stop ("cancel": requested; "lost": no longer this worker's), else None."""
        sets, args = ["heartbeat = ?", "updated = ?"], [time.time(), time.time()]
        if progress is not None:
            sets.append("progress = ?")
            args.append(max(0.0, min(1.0, progress)))
        if message is not None:
            sets.append("message = ?")
            args.append(message)
        if preview is not None:
            sets.append("preview = ?")
            args.append(preview)
        with self._guard() as db:
            db.execute(
                f"UPDATE jobs SET {', '.join(sets)} WHERE id = ? AND worker_id = ? AND status = 'running'",
                args + [job_id, worker_id],
            )
        return self.stop_reason(job_id, worker_id)

    def stop_reason(self, job_id: str, worker_id: str) -> str | None:
        """Read-only check a worker makes between heartbeats: "cancel" when the user asked, "lost"
        when the job is no longer running as this worker's (declared interrupted, removed), else None."""
        with self._guard() as db:
            row = db.execute("SELECT status, worker_id, cancel_requested FROM jobs WHERE id = ?",
                             (job_id,)).fetchone()
        if row is None or row[0] != "running" or row[1] != worker_id:
            return "lost"
        return "cancel" if row[2] else None

    def set_memory_tier(self, job_id: str, tier: str, reason: str) -> None:
        """Records a step down the memory tiers (after an out-of-memory error) on the job."""
        with self._tx() as db:
            row = db.execute("SELECT tier_history, memory_tier FROM jobs WHERE id = ?", (job_id,)).fetchone()
            history = json.loads(row[0] or "[]")
            history.append({"from": row[1], "to": tier, "reason": reason, "time": time.time()})
            db.execute("UPDATE jobs SET memory_tier = ?, tier_history = ?, updated = ? WHERE id = ?",
                       (tier, json.dumps(history), time.time(), job_id))

    def finish(self, job_id: str, worker_id: str, status: JobStatus, *,
               result: dict[str, Any] | None = None, error: str | None = None,
               message: str | None = None) -> bool:
        """Ends a running job owned by `worker_id`. False when the job was taken from this worker
        meanwhile (declared interrupted by a client), so a late worker never overwrites the truth."""
        if status not in ("succeeded", "failed", "canceled", "interrupted"):
            raise JobError(f"A job cannot finish as {status!r}.")
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE jobs SET status = ?, result = ?, error = ?, finished = ?, updated = ?, "
                "message = ?, progress = CASE WHEN ? = 'succeeded' THEN 1.0 ELSE progress END, "
                "cancel_requested = 0 WHERE id = ? AND worker_id = ? AND status = 'running'",
                (status, json.dumps(result) if result is not None else None, error, now, now,
                 message if message is not None else status, status, job_id, worker_id),
            )
            return cur.rowcount == 1

    def recover(self, *, stale_after: float = DEFAULT_STALE_AFTER, pid: int | None = None) -> list[Job]:
        """Running jobs whose worker is gone (its process no longer exists) or silent for longer
        than `stale_after` seconds become `interrupted`. With `pid`, only that worker's jobs (a
        client that saw its worker die). Returns the interrupted jobs."""
        now = time.time()
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, worker_pid, worker_ctime, heartbeat FROM jobs WHERE status = 'running'"
            ).fetchall()
            lost = []
            for job_id, wpid, ctime, beat in rows:
                if pid is not None:
                    if wpid == pid:
                        lost.append((job_id, "its worker exited"))
                elif not process_alive(wpid, ctime):
                    lost.append((job_id, "its worker is gone"))
                elif beat is None or now - beat > stale_after:
                    lost.append((job_id, f"its worker sent no heartbeat for {stale_after:g} s"))
            for job_id, why in lost:
                db.execute(
                    "UPDATE jobs SET status = 'interrupted', finished = ?, updated = ?, message = ?, "
                    "cancel_requested = 0 WHERE id = ? AND status = 'running'",
                    (now, now, f"interrupted: {why}; retry to resume", job_id),
                )
            return [self._row(db, job_id) for job_id, _ in lost]
