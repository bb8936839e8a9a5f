"""End to end with the tiny offline models: shots of a project go through the queue and a real worker
process, and their takes land in the project; `shotloom render` resumes without duplicating takes;
a new take marks the bridge next to it stale; the `queue` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gen_fixtures import tiny_models, tiny_models_dir  # noqa: F401

from engine.jobs import EngineClient, JobQueue
from engine.jobs import events as ev
from engine.jobs.apply import apply_job_result
from engine.jobs.commands import _project_key, submit_shots
from engine.jobs.tasks import count_decodable_frames

REPO = Path(__file__).resolve().parents[2]


def shotloom(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], check=False, capture_output=True, text=True,
                          cwd=REPO, env=dict(os.environ), timeout=300)


def run_worker(project_key: str) -> None:
    res = subprocess.run([sys.executable, "-m", "engine.worker", "--exit-when-idle", "--project", project_key],
                         check=False, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]


def test_generations_land_as_takes_and_render_resumes_without_duplicates(tmp_path, tiny_models):  # noqa: F811
    from engine.gen.takes import SPEC_KEY, _expected_frames, add_generated_shot
    from engine.project import InsertShot, Project, SetRecipe

    project = Project.create(tmp_path / "film", fps=24, size=(64, 64))
    a = add_generated_shot(project, prompt="a cat walks", model="tiny-ltx", seconds=0.4, seed=1)
    b = add_generated_shot(project, prompt="a dog runs", model="tiny-ltx", seconds=0.4, seed=2)
    # A bridge planned before its neighbours exist: render generates them first, then the bridge.
    spec = {"task": "bridge", "model": "tiny-ltx", "prompt": "a bird flies", "seconds": 0.3, "seed": 3,
            "between": [a, b]}
    project.apply(InsertShot(index=1, name="bridge", media_path=None, frames=_expected_frames(spec, project.fps),
                             recipe={SPEC_KEY: spec}, shot_id="bridge0"))
    project.save()
    key = _project_key(project.path)

    res = shotloom("render", project.path)
    assert res.returncode == 0, res.stderr
    assert "3 shot(s) generated" in res.stdout
    assert "shots" in res.stderr  # the progress bar
    project = Project.open(project.path)
    shots = project.shots()
    assert [s.id for s in shots] == [a, "bridge0", b]
    assert [s.status for s in shots] == ["ready"] * 3 and [len(s.takes) for s in shots] == [1, 1, 1]
    with JobQueue() as q:
        jobs = {j.shot: j for j in q.list(project=key)}
    assert jobs["bridge0"].kind == "bridge" and jobs["bridge0"].started > max(jobs[a].finished, jobs[b].finished)
    assert sorted(jobs["bridge0"].depends_on) == sorted([jobs[a].id, jobs[b].id])
    made_from = project.shot("bridge0").takes[0].recipe["request"]
    assert Path(made_from["before"]["path"]) == project.shot(a).media_path  # A's new take, resolved at run time
    assert Path(made_from["after"]["path"]) == project.shot(b).media_path
    for shot in shots:
        job = jobs[shot.id]
        assert shot.take_id == job.params["take_id"]
        assert shot.media_path == project.path / "media" / "generated" / shot.take_id / "master.mp4"
        assert count_decodable_frames(shot.media_path) == job.result["frames"]
    assert not list((project.path / "media" / "generated").glob(".*"))  # nothing partial left

    again = shotloom("render", project.path, "--export", tmp_path / "cut.mp4")
    assert again.returncode == 0 and "nothing to generate" in again.stdout, again.stderr
    assert count_decodable_frames(tmp_path / "cut.mp4") == project.duration
    with JobQueue() as q:
        assert len(q.list(project=key)) == 3  # no new job, no duplicate take

    # Shot A's seed changes and its job runs, but the render that ran it died before adding the
    # take. `shotloom render` adds it without generating again; the bridge made from A's old take
    # is then stale (in the project and in the queue), and the same render regenerates it.
    project.apply(SetRecipe(a, {SPEC_KEY: dict(project.shot(a).recipe[SPEC_KEY], seed=7)}))
    project.save()
    assert project.shot(a).status == "stale"
    with EngineClient(project=key, poll=0.05) as client:
        q = client.queue
        (job,), _ = submit_shots(project, q, [project.shot(a)])
        # In the same (now warm) worker: a long generation canceled during denoising stops within
        # one step and leaves nothing in the bundle.
        doomed_dir = project.path / "media" / "generated" / "doomed"
        request = {"task": "text_to_video", "model": "tiny-ltx", "prompt": "a long rain", "seed": 5,
                   "steps": 400, "seconds": 0.4}
        doomed = client.submit("generate", {"request": request, "take_id": "doomed"}, project=key,
                               out_dir=doomed_dir)
        assert client.wait([job.id], timeout=240)[job.id].status == "succeeded"
        steps_seen, previews = [], []
        for event in client.events(timeout=120):
            if event.type == "progress" and event.job == doomed.id:
                steps_seen.append(event.done)
            if event.type == "preview" and event.job == doomed.id:
                previews.append(Path(event.path))
                assert previews[-1].is_file()  # a live denoising preview, as a PNG
            if previews and steps_seen and steps_seen[-1] >= 3:
                break
        assert q.get(doomed.id).preview == str(previews[-1])
        client.cancel(doomed.id)
        after = []
        for event in client.events(timeout=120):
            if getattr(event, "job", None) == doomed.id:
                after.append(event)
                if event.type in ev.TERMINAL_EVENTS:
                    break
        assert after[-1].type == "canceled"
        assert max([e.done for e in after if e.type == "progress"], default=0) < 100  # of 400 steps
        assert q.get(doomed.id).status == "canceled"
        assert not [p for p in doomed_dir.parent.iterdir() if "doomed" in p.name]
        assert not previews[-1].exists()
    res = shotloom("render", project.path)
    assert res.returncode == 0, res.stderr
    assert "1 shot(s) generated" in res.stdout  # the bridge; A's finished take was only added
    project = Project.open(project.path)
    assert project.shot(a).status == "ready" and len(project.shot(a).takes) == 2
    assert project.shot(a).take_id == job.params["take_id"]
    bridge = project.shot("bridge0")
    assert bridge.status == "ready" and len(bridge.takes) == 2 and bridge.sources == (a, b)
    active = next(t for t in bridge.takes if t.active)
    assert Path(active.recipe["request"]["before"]["path"]) == project.shot(a).media_path
    with JobQueue() as q:
        assert len(q.list(project=key)) == 6  # A, B, bridge, A again, the canceled one, bridge again
        assert q.get(jobs["bridge0"].id).stale and jobs["bridge0"].links == [a, b]
        assert not apply_job_result(project, q.get(job.id), q)  # idempotent
        assert all(j.applied for j in q.list(project=key, status="succeeded"))


def test_queue_commands(tmp_path, capsys):
    import argparse

    from engine.errors import ShotloomError
    from engine.jobs.commands import register

    parser = argparse.ArgumentParser(prog="shotloom")
    register(parser.add_subparsers(dest="command", required=True))
    db = tmp_path / "jobs.sqlite"
    with JobQueue(db) as q:
        ids = [q.submit("noop", {"steps": 1}).id for _ in range(3)]

    def run(*args: object) -> tuple[int, str, str]:
        """The handlers as engine/cli.py runs them (a ShotloomError is exit 1 with its message)."""
        ns = parser.parse_args(["queue", "--db", str(db), *map(str, args)])
        try:
            code = ns.func(ns)
        except ShotloomError as exc:
            print(f"shotloom: {exc}", file=sys.stderr)
            code = 1
        out, err = capsys.readouterr()
        return code, out, err

    listed = json.loads(run("list", "--json")[1])
    assert [j["id"] for j in listed["jobs"]] == ids and not listed["paused"]
    assert run("move", ids[2][:8], "0")[0] == 0
    assert run("cancel", ids[1])[0] == 0
    assert run("pause")[0] == 0
    listed = json.loads(run("list", "--json")[1])
    assert listed["paused"]
    assert [j["id"] for j in listed["jobs"] if j["status"] == "queued"] == [ids[2], ids[0]]
    assert run("retry", ids[1])[0] == 0
    assert run("cancel", ids[1])[0] == 0
    assert "1 finished job(s) removed" in run("clear")[1]
    text = run("list")[1]
    assert "queue paused" in text and ids[0][:8] in text

    code, _, err = run("retry", ids[0])
    assert code == 1 and "only failed, interrupted or canceled jobs can be retried" in err
    code, _, err = run("cancel", "nosuchjob")
    assert code == 1 and "No job 'nosuchjob'" in err

    db.write_bytes(b"\x00garbage" * 100)
    damaged = shotloom("queue", "--db", db, "list")  # the real command line, once
    assert damaged.returncode == 1 and "Traceback" not in damaged.stderr
    assert "damaged" in damaged.stderr and str(db) in damaged.stderr
    assert len(damaged.stderr.strip().splitlines()) == 1
