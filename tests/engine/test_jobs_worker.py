"""Real worker processes (`python -m engine.worker`) on a real queue database, with the diagnostics
("noop") task: events, cancel, kill -9 at random moments, two workers, memory tiers, lost device,
damaged and locked databases, and the client that restarts a dead worker."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.jobs import EngineClient, JobQueue
from engine.jobs import events as ev
from engine.jobs.tasks import count_decodable_frames

REPO = Path(__file__).resolve().parents[2]


def worker(db: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.worker", "--db", str(db), "--poll", "0.05", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )


def run_until_idle(db: Path, *args: str, timeout: float = 60) -> tuple[int, list, str]:
    proc = worker(db, "--exit-when-idle", *args)
    out, err = proc.communicate(timeout=timeout)
    events = [e for e in (ev.decode(line) for line in out.splitlines()) if e is not None]
    return proc.returncode, events, err


def assert_complete(job) -> None:
    """A succeeded output job has its final folder, a result marker and a fully decodable video."""
    final = job.final_dir
    assert final.is_dir() and (final / "job-result.json").is_file()
    assert count_decodable_frames(final / "noop.mp4") == job.params["steps"]
    assert not job.work_dir.exists()


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "jobs.sqlite"


def test_worker_runs_jobs_and_prints_typed_events(db, tmp_path):
    with JobQueue(db) as q:
        ids = [q.submit("noop", {"steps": 4, "step_seconds": 0.01, "output": i == 0},
                        out_dir=tmp_path / f"out{i}").id for i in range(3)]
    code, events, err = run_until_idle(db)
    assert code == 0, err
    assert events[0].type == "hello" and events[-1].type == "bye" and events[-1].reason == "idle"
    assert all(e.v == ev.EVENT_VERSION for e in events)
    for job_id in ids:
        mine = [e.type for e in events if getattr(e, "job", None) == job_id and e.type != "heartbeat"]
        assert mine[0] == "claimed" and mine[-1] == "succeeded" and "progress" in mine
    with JobQueue(db) as q:
        jobs = [q.get(i) for i in ids]
    assert all(j.status == "succeeded" and j.progress == 1.0 for j in jobs)
    assert_complete(jobs[0])
    assert jobs[0].result["master"] == str(jobs[0].final_dir / "noop.mp4")


def test_cancel_stops_a_running_job_within_one_step_and_leaves_no_files(db, tmp_path):
    with JobQueue(db) as q, EngineClient(db, poll=0.05) as client:
        job = client.submit("noop", {"steps": 500, "step_seconds": 0.15, "output": True},
                            out_dir=tmp_path / "out")
        for event in client.events(timeout=30):
            if event.type == "progress" and event.job == job.id and event.done >= 3:
                break
        assert job.work_dir.is_dir()  # it was writing
        asked = time.time()
        client.cancel(job.id)
        after = []
        for event in client.events(timeout=30):
            after.append(event)
            if event.type == "canceled":
                break
        assert after[-1].type == "canceled" and after[-1].job == job.id
        # Steps finished after the cancel was asked (events carry the worker's clock): at most the
        # one in flight; no new step starts.
        assert len([e for e in after if e.type == "progress" and e.time > asked]) <= 1
        done = q.get(job.id)
        assert done.status == "canceled" and done.progress < 0.05
        assert not job.work_dir.exists() and not job.final_dir.exists()
        # A cancel made through the queue by another program (the CLI) reaches the worker too.
        other = client.submit("noop", {"steps": 500, "step_seconds": 0.05}, out_dir=tmp_path / "out2")
        for event in client.events(timeout=30):
            if event.type == "progress" and event.job == other.id:
                break
        JobQueue(db).cancel(other.id)
        for event in client.events(timeout=30):
            if event.type in ev.TERMINAL_EVENTS and event.job == other.id:
                break
        assert event.type == "canceled" and q.get(other.id).status == "canceled"


def test_kill_9_at_random_moments_loses_nothing_and_resumes(db, tmp_path):
    rng = random.Random(4)
    with JobQueue(db) as q:
        ids = [q.submit("noop", {"steps": 6, "step_seconds": 0.04, "output": True},
                        out_dir=tmp_path / f"take{i}").id for i in range(8)]
        deadline = time.monotonic() + 60
        trials = interrupted = 0
        while trials < 10 and time.monotonic() < deadline:
            if all(q.get(i).status == "succeeded" for i in ids):
                break
            proc = worker(db)
            # From the moment it claims its first job (however slowly the machine starts it), a
            # kill anywhere in the next half second: mid-step, mid-encode, mid-rename, between jobs.
            for line in proc.stdout:
                if '"claimed"' in line:
                    break
            time.sleep(rng.uniform(0.0, 0.5))
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            trials += 1
            interrupted += len(q.recover())  # the dead worker's job becomes interrupted
            for i in ids:
                job = q.get(i)
                assert job.status in ("queued", "interrupted", "succeeded")
                if job.status == "succeeded":
                    assert_complete(job)
                elif job.final_dir.exists():
                    # Renamed into place but killed before it could say so: complete, never partial.
                    assert (job.final_dir / "job-result.json").is_file()
                if job.status == "interrupted":
                    q.retry(i)
        assert trials >= 3 and interrupted >= 1
        code, _events, err = run_until_idle(db)
        assert code == 0, err
        jobs = [q.get(i) for i in ids]
        assert [j.status for j in jobs] == ["succeeded"] * len(ids)  # none lost, none duplicated
        for job in jobs:
            assert_complete(job)
        assert len(list(tmp_path.glob(".*.partial"))) == 0


def test_an_interrupted_job_resumes_at_its_last_finished_step(db, tmp_path):
    with JobQueue(db) as q:
        job = q.submit("noop", {"steps": 30, "step_seconds": 0.05, "output": True}, out_dir=tmp_path / "t")
        proc = worker(db)
        for line in proc.stdout:
            e = ev.decode(line)
            if e is not None and e.type == "progress" and e.done >= 5:
                break
        proc.kill()
        proc.communicate()
        assert q.recover()[0].id == job.id
        q.retry(job.id)
        code, _, err = run_until_idle(db)
        assert code == 0, err
        done = q.get(job.id)
        assert done.status == "succeeded" and done.attempts == 2
        assert done.result["resumed_from"] >= 5
        assert_complete(done)


def test_two_workers_run_every_job_exactly_once(db):
    JobQueue(db).close()
    procs = [worker(db) for _ in range(2)]
    for proc in procs:  # both are up and polling before any job exists
        assert ev.decode(proc.stdout.readline()).type == "hello"
    with JobQueue(db) as q:
        ids = {q.submit("noop", {"steps": 1, "step_seconds": 0.01}).id for _ in range(60)}
        deadline = time.monotonic() + 60
        while q.counts().get("succeeded", 0) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.1)
        jobs = q.list()
    claimed: list[str] = []
    per_worker = []
    for proc in procs:
        out, err = proc.communicate("shutdown\n", timeout=30)
        assert proc.returncode == 0, err
        mine = [e.job for e in map(ev.decode, out.splitlines()) if e is not None and e.type == "claimed"]
        per_worker.append(len(mine))
        claimed += mine
    assert sorted(claimed) == sorted(ids)  # every job once, none twice
    assert all(j.status == "succeeded" and j.attempts == 1 for j in jobs)
    assert min(per_worker) > 0, per_worker  # both really took part


def test_kinds_told_at_run_time_change_what_a_worker_claims(db):
    """The editor's Render on choice: the worker finishes the job it runs, then claims only the kinds
    it was told (none at all after a bare `kinds`), and picks the others up again when told."""
    JobQueue(db).close()
    proc = worker(db)
    assert ev.decode(proc.stdout.readline()).type == "hello"
    with JobQueue(db) as q:
        first = q.submit("noop", {"steps": 8, "step_seconds": 0.05}).id
        deadline = time.monotonic() + 30
        while q.get(first).status != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.stdin.write("kinds proxy,export\n")
        proc.stdin.flush()
        later = q.submit("noop", {"steps": 1, "step_seconds": 0.01}).id
        while q.get(first).status == "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # several polls
        assert q.get(first).status == "succeeded" and q.get(later).status == "queued"
        proc.stdin.write("kinds\n")  # nothing
        proc.stdin.flush()
        time.sleep(0.3)
        assert q.get(later).status == "queued"
        proc.stdin.write("kinds noop,proxy\n")
        proc.stdin.flush()
        while q.get(later).status != "succeeded":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    out, err = proc.communicate("shutdown\n", timeout=30)
    assert proc.returncode == 0, err


def test_out_of_memory_walks_down_the_memory_tiers_once_each(db):
    with JobQueue(db) as q:
        ok = q.submit("noop", {"steps": 2, "step_seconds": 0, "oom_above_tier": 2})
        never = q.submit("noop", {"steps": 2, "step_seconds": 0, "oom_above_tier": 3})
        code, events, err = run_until_idle(db)
        assert code == 0, err
        good, bad = q.get(ok.id), q.get(never.id)
    assert good.status == "succeeded" and good.memory_tier == "group_offload"
    assert [h["to"] for h in good.tier_history] == ["offload", "group_offload"]
    assert good.result["memory_tier"] == "group_offload"
    assert [e.tier for e in events if e.type == "memory_tier" and e.job == ok.id] == ["offload", "group_offload"]
    assert bad.status == "failed" and "lowest memory tier 'group_offload'" in bad.error
    assert len(bad.tier_history) == 2


def test_a_lost_device_restarts_the_worker_and_the_queue_goes_on(db):
    with EngineClient(db, poll=0.05, max_attempts=2) as client:
        lost = client.submit("noop", {"steps": 3, "step_seconds": 0, "device_lost_at": 0})
        fine = client.submit("noop", {"steps": 3, "step_seconds": 0})
        jobs = client.wait([lost.id, fine.id], timeout=60)
        exits = list(client.worker_exits)
    assert exits[:2] == [ev.EXIT_DEVICE_LOST, ev.EXIT_DEVICE_LOST]
    assert jobs[lost.id].status == "interrupted" and jobs[lost.id].attempts == 2
    assert "GPU became unusable" in jobs[lost.id].message
    assert jobs[fine.id].status == "succeeded"


def test_client_notices_a_killed_worker_and_resumes_its_job(db, tmp_path):
    with EngineClient(db, poll=0.05) as client:
        job = client.submit("noop", {"steps": 20, "step_seconds": 0.05, "output": True}, out_dir=tmp_path / "t")
        for event in client.events(timeout=30):
            if event.type == "progress" and event.done >= 4:
                break
        first = client.pid
        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        for event in client.events(timeout=30):
            if event.type == "worker_exited":
                break
        noticed = time.monotonic() - killed_at
        assert event.pid == first and event.interrupted == [job.id] and event.restarting
        assert noticed < 5
        done = client.wait([job.id], timeout=60)[job.id]
        assert client.pid != first
    assert done.status == "succeeded" and done.attempts == 2 and done.result["resumed_from"] >= 4
    assert_complete(done)


def test_client_kills_and_replaces_a_hung_worker(db):
    with EngineClient(db, poll=0.05, heartbeat=0.2, hang_after=1.5) as client:
        job = client.submit("noop", {"steps": 30, "step_seconds": 0.05})
        for event in client.events(timeout=30):
            if event.type == "progress":
                break
        hung = client.pid
        os.kill(hung, signal.SIGSTOP)  # alive but silent
        for event in client.events(timeout=30):
            if event.type == "worker_exited":
                break
        assert event.pid == hung and event.interrupted == [job.id]
        assert client.wait([job.id], timeout=60)[job.id].status == "succeeded"


def test_worker_on_a_damaged_database_exits_with_a_clear_message(db):
    db.write_bytes(os.urandom(4096))
    code, events, err = run_until_idle(db, timeout=30)
    assert code == ev.EXIT_FATAL
    assert "Traceback" not in err
    assert str(db) in err and "damaged" in err
    assert events[-1].type == "bye" and events[-1].exit_code == ev.EXIT_FATAL


def test_worker_waits_for_a_database_locked_by_another_program(db):
    with JobQueue(db) as q:
        job = q.submit("noop", {"steps": 1, "step_seconds": 0})
    locker = subprocess.Popen(
        [sys.executable, "-c",
         ("import sqlite3,sys,time\ndb=sqlite3.connect(sys.argv[1],isolation_level=None)\n"
         "db.execute('BEGIN EXCLUSIVE')\nprint('locked',flush=True)\ntime.sleep(1.5)\ndb.execute('COMMIT')"),
         str(db)], stdout=subprocess.PIPE, text=True)
    assert locker.stdout.readline().strip() == "locked"
    code, events, err = run_until_idle(db)
    locker.wait()
    assert code == 0, err
    assert any(e.type == "succeeded" and e.job == job.id for e in events)
    assert JobQueue(db).get(job.id).status == "succeeded"


def test_worker_stdout_carries_only_events_and_a_failure_is_recorded(db, tmp_path):
    with JobQueue(db) as q:
        q.submit("noop", {"steps": 2, "step_seconds": 0, "fail_at": 1})
    proc = worker(db, "--exit-when-idle")
    out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err
    lines = [line for line in out.splitlines() if line.strip()]
    assert all(json.loads(line)["v"] == 1 for line in lines)
    failed = [ev.decode(line) for line in lines if '"failed"' in line]
    assert failed and "failed at step 1 as asked" in failed[0].error
    assert JobQueue(db).list()[0].status == "failed"


def test_proxy_and_export_jobs_write_verified_files(db, tmp_path):
    from engine.media import probe
    from engine.media.synthetic import make_test_clip
    from engine.project import InsertShot, Project

    clip = make_test_clip(tmp_path / "clip.mp4", frames=12, size=(64, 48))
    project = Project.create(tmp_path / "cut", fps=24, size=(64, 48))
    project.apply(InsertShot(index=0, name="clip", media_path=project.import_media(clip), frames=12))
    project.save()
    with JobQueue(db) as q:
        proxy = q.submit("proxy", {"src": str(clip), "dst": str(tmp_path / "proxy.mp4"), "height": 32})
        export = q.submit("export", {"project": str(project.path), "out": str(tmp_path / "cut.mp4")},
                          project=project.path)
        bad = q.submit("proxy", {"src": str(tmp_path / "missing.mp4"), "dst": str(tmp_path / "p2.mp4")})
        code, _events, err = run_until_idle(db)
        assert code == 0, err
        proxy, export, bad = q.get(proxy.id), q.get(export.id), q.get(bad.id)
    assert proxy.status == "succeeded" and proxy.result["frames"] == 12
    info = probe(tmp_path / "proxy.mp4")
    assert info.frame_count == 12 and info.height == 32
    assert export.status == "succeeded" and count_decodable_frames(tmp_path / "cut.mp4") == 12
    assert bad.status == "failed" and "missing.mp4" in bad.error
    assert not (tmp_path / "p2.mp4").exists()
    assert not list(tmp_path.glob(".*partial*"))


def test_queue_self_test_for_doctor():
    from engine.jobs.selftest import queue_self_test

    report = queue_self_test(timeout=60)
    assert report["ok"], report["message"]
    assert report["roundtrip_ms"] > 0 and report["cancel_ms"] > 0


def test_a_worker_whose_job_was_taken_away_stops_it_and_leaves_its_files(db, tmp_path):
    with JobQueue(db) as q:
        job = q.submit("noop", {"steps": 200, "step_seconds": 0.05, "output": True}, out_dir=tmp_path / "t")
        proc = worker(db)
        for line in proc.stdout:
            e = ev.decode(line)
            if e is not None and e.type == "progress" and e.done >= 2:
                break
        # A client judged this worker hung and declared its job interrupted.
        assert [j.id for j in q.recover(pid=proc.pid)] == [job.id]
        for line in proc.stdout:
            e = ev.decode(line)
            if e is not None and e.type in ev.TERMINAL_EVENTS:
                break
        _, err = proc.communicate("shutdown\n", timeout=30)
        assert e.type == "interrupted" and "taken from this worker" in e.reason, err
        assert q.get(job.id).status == "interrupted"
        assert (job.work_dir / "state.json").is_file()  # kept for whoever resumes it
