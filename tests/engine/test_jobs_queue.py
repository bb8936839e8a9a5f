"""The SQLite job queue: ordering, editing, dependencies, recovery, damaged and locked databases."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from engine.errors import ShotloomError
from engine.jobs import JobError, JobQueue, QueueBusyError, QueueDamagedError
from engine.jobs.queue import SCHEMA_VERSION, default_db_path

NOOP = {"steps": 1, "step_seconds": 0}


@pytest.fixture
def q(tmp_path):
    queue = JobQueue(tmp_path / "jobs.sqlite", timeout=5)
    yield queue
    queue.close()


def test_default_database_lives_in_the_user_data_folder(shotloom_home):
    queue = JobQueue()
    assert queue.path == default_db_path()
    assert str(queue.path).startswith(str(shotloom_home))
    mode = sqlite3.connect(queue.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert sqlite3.connect(queue.path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    queue.close()


def test_jobs_are_claimed_in_queue_order_and_never_twice(q):
    ids = [q.submit("noop", NOOP).id for _ in range(4)]
    claimed = [q.claim("w1").id for _ in range(4)]
    assert claimed == ids
    assert q.claim("w1") is None
    job = q.get(ids[0])
    assert job.status == "running" and job.attempts == 1 and job.worker_id == "w1"


def test_a_reader_notices_what_other_connections_change_but_not_progress(q, tmp_path):
    """How the editor sees jobs it never heard of (another program's worker, a lost message)."""
    other = JobQueue(tmp_path / "jobs.sqlite", timeout=5)
    try:
        before = q.changes()
        assert q.changes() == before
        job = other.submit("noop", NOOP)
        submitted = q.changes()
        assert submitted != before and (job.id, "queued") in {r[:2] for r in submitted[0]}
        other.claim("w1")
        claimed = q.changes()
        assert (job.id, "running") in {r[:2] for r in claimed[0]}
        other.report(job.id, "w1", progress=0.5, message="step 1/2")
        assert q.changes() == claimed  # progress alone is no change of the queue
        other.finish(job.id, "w1", "succeeded", result={})
        assert (job.id, "succeeded") in {r[:2] for r in q.changes()[0]}
        other.pause()
        assert q.changes()[1] == "1"
        q.resume()  # its own writes count too
        assert q.changes()[1] == "0"
    finally:
        other.close()


def test_params_are_typed_and_versioned(q):
    job = q.submit("noop", {"steps": 3})
    assert job.params["schema_version"] == 1 and job.params_version == 1
    with pytest.raises(JobError, match="steps"):
        q.submit("noop", {"steps": -1})
    with pytest.raises(JobError, match="Unknown job kind 'paint'"):
        q.submit("paint", {})
    with pytest.raises(JobError, match="invalid at 'colour'"):
        q.submit("noop", {"colour": "red"})


def test_move_reorders_queued_jobs(q):
    a, b, c = (q.submit("noop", NOOP).id for _ in range(3))
    q.move(c, 0)
    assert [j.id for j in q.list(status="queued")] == [c, a, b]
    q.move(c[:8], 99)  # short ids work, positions clamp
    assert [j.id for j in q.list(status="queued")] == [a, b, c]
    assert q.claim("w").id == a
    with pytest.raises(JobError, match="only queued jobs can be moved"):
        q.move(a, 0)


def test_pause_stops_claims_until_resumed(q):
    job = q.submit("noop", NOOP)
    q.pause()
    assert q.paused and q.claim("w") is None
    q.resume()
    assert q.claim("w").id == job.id


def test_cancel_retry_and_clear(q, tmp_path):
    queued = q.submit("noop", NOOP)
    running = q.submit("noop", NOOP)
    q.cancel(queued.id)
    assert q.get(queued.id).status == "canceled"
    assert q.claim("w").id == running.id
    after = q.cancel(running.id)
    assert after.status == "running" and after.cancel_requested
    assert q.report(running.id, "w") == "cancel"  # the worker learns it must stop
    assert q.report(running.id, "other") == "lost"
    assert q.finish(running.id, "w", "canceled")
    q.retry(running.id)
    again = q.get(running.id)
    assert again.status == "queued" and not again.cancel_requested
    assert q.claim("w").attempts == 2
    with pytest.raises(JobError, match="only failed, interrupted or canceled"):
        q.retry(running.id)
    q.finish(running.id, "w", "failed", error="boom")
    assert q.clear_finished() == 2
    assert q.list() == []


def test_finish_from_a_worker_that_lost_the_job_is_refused(q):
    job = q.submit("noop", NOOP)
    q.claim("w1")
    assert q.recover(pid=q.get(job.id).worker_pid)[0].status == "interrupted"
    assert q.finish(job.id, "w1", "succeeded", result={}) is False
    assert q.get(job.id).status == "interrupted"


def test_dependencies_wait_and_fail_when_a_dependency_fails(q):
    a = q.submit("noop", NOOP)
    b = q.submit("noop", NOOP)
    bridge = q.submit("noop", NOOP, depends_on=[a.id, b.id])
    later = q.submit("noop", NOOP)
    assert q.claim("w").id == a.id
    assert q.claim("w").id == b.id
    assert q.claim("w").id == later.id  # the bridge waits for both neighbours
    q.finish(a.id, "w", "succeeded", result={})
    assert q.claim("w") is None
    q.finish(b.id, "w", "succeeded", result={})
    assert q.claim("w").id == bridge.id
    c = q.submit("noop", NOOP)
    d = q.submit("noop", NOOP, depends_on=[c.id])
    q.claim("w")
    q.finish(c.id, "w", "failed", error="x")
    assert q.claim("w") is None
    assert "depends on failed" in q.get(d.id).error
    with pytest.raises(JobError, match="no such job"):
        q.submit("noop", NOOP, depends_on=["nope"])


def test_new_take_marks_neighbouring_bridges_stale(q):
    bridge = q.submit("noop", NOOP, project="/p.shotloom", shot="bridge", links=["shotA", "shotB"])
    other = q.submit("noop", NOOP, project="/p.shotloom", shot="bridge2", links=["shotB", "shotC"])
    for job in (bridge, other):
        q.claim("w")
        q.finish(job.id, "w", "succeeded", result={})
    stale = q.mark_stale("/p.shotloom", "shotA")
    assert [j.id for j in stale] == [bridge.id]
    assert q.get(bridge.id).stale and not q.get(other.id).stale
    assert q.get(bridge.id).status == "succeeded"  # flagged, not regenerated


def test_recover_interrupts_jobs_of_dead_or_silent_workers(q):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = q.submit("noop", NOOP)
    silent = q.submit("noop", NOOP)
    alive = q.submit("noop", NOOP)
    q.claim("dead", pid=dead.pid, ctime=time.time())
    q.claim("silent")
    q.claim("alive")
    with q._tx() as db:  # the silent worker's last heartbeat was a minute ago
        db.execute("UPDATE jobs SET heartbeat = ? WHERE id = ?", (time.time() - 60, silent.id))
    lost = {j.id for j in q.recover(stale_after=30)}
    assert lost == {gone.id, silent.id}
    assert q.get(alive.id).status == "running"
    assert q.get(gone.id).status == "interrupted" and "retry" in q.get(gone.id).message
    assert q.retry(gone.id).status == "queued"


def test_threads_never_claim_the_same_job(tmp_path):
    path = tmp_path / "jobs.sqlite"
    with JobQueue(path) as q:
        ids = {q.submit("noop", NOOP).id for _ in range(60)}
    got: list[str] = []
    lock = threading.Lock()

    def drain(name: str) -> None:
        with JobQueue(path) as mine:
            while (job := mine.claim(name)) is not None:
                with lock:
                    got.append(job.id)

    threads = [threading.Thread(target=drain, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(ids)


def test_damaged_database_is_a_clear_error(tmp_path):
    path = tmp_path / "jobs.sqlite"
    path.write_bytes(b"this is not sqlite\x00" * 300)
    with pytest.raises(QueueDamagedError) as err:
        JobQueue(path)
    assert isinstance(err.value, ShotloomError)
    assert str(path) in str(err.value) and "move it aside" in str(err.value)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "jobs.sqlite"
    JobQueue(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(JobError, match="newer Shotloom"):
        JobQueue(path)


LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


def _lock(path, seconds):
    proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(path), str(seconds)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_locked_database_waits_then_works(tmp_path):
    path = tmp_path / "jobs.sqlite"
    JobQueue(path).close()
    locker = _lock(path, 1.0)
    with JobQueue(path, timeout=20) as q:
        job = q.submit("noop", NOOP)  # waits for the other program's transaction
    locker.wait()
    assert JobQueue(path).get(job.id).status == "queued"


def test_locked_database_past_the_timeout_is_a_clear_error(tmp_path):
    path = tmp_path / "jobs.sqlite"
    JobQueue(path).close()
    locker = _lock(path, 3.0)
    try:
        with JobQueue(path, timeout=0.3) as q, pytest.raises(QueueBusyError) as err:
            q.submit("noop", NOOP)
        assert str(path) in str(err.value) and "locked by another program" in str(err.value)
    finally:
        locker.kill()
        locker.wait()


def test_forgetting_an_unfinished_job_removes_its_partial_work(q, tmp_path):
    failed = q.submit("noop", NOOP, out_dir=tmp_path / "takeA")
    interrupted = q.submit("noop", NOOP, out_dir=tmp_path / "takeB")
    for job in (failed, interrupted):
        job.work_dir.mkdir()
        (job.work_dir / "state.json").write_text("{}")
        q.claim("w")
    (tmp_path / f".{interrupted.work_dir.name}.steps").mkdir()  # the engine's long-take windows
    q.finish(failed.id, "w", "failed", error="x")
    q.finish(interrupted.id, "w", "interrupted")
    assert q.clear_finished() == 1
    assert not failed.work_dir.exists()
    assert interrupted.work_dir.exists()  # interrupted work stays resumable…
    q.cancel(interrupted.id)  # …until the user cancels it
    assert not interrupted.work_dir.exists()
    assert not (tmp_path / f".{interrupted.work_dir.name}.steps").exists()
