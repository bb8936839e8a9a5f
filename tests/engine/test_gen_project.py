"""Generated shots in a project: placement of extensions and bridges, takes on disk, the CLI."""

from __future__ import annotations

import argparse
from fractions import Fraction

import gen_fixtures
import numpy as np
import pytest
from gen_fixtures import make_clip, read_all

from engine.errors import GenerationError
from engine.media import probe

# Fixtures shared by the generation tests (tiny models built once per session).
tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir


def _cli(argv):
    from engine.gen.commands import register

    parser = argparse.ArgumentParser(prog="shotloom")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def project(tmp_path):
    from engine.project import InsertShot, Project

    proj = Project.create(tmp_path / "film", fps=Fraction(24), size=(64, 64))
    for i, name in enumerate(("A", "B")):
        clip = make_clip(tmp_path / f"{name}.mp4", frames=24, size=(64, 64), seed=i)
        media = proj.import_media(clip, copy=True)
        proj.apply(InsertShot(index=i, name=name, media_path=media, kind="imported"))
    proj.save()
    return proj


def _ids(proj):
    return [s.id for s in proj.shots()]


def test_shot_add_and_generate_text_shot_via_cli(project, tiny_models, capsys):
    from engine.project import Project

    code = _cli(["shot", "add", str(project.path), "--prompt", "a cat", "--model", "tiny-ltx", "--seconds", "0.5",
                 "--seed", "1", "--steps", "1"])
    shot_id = capsys.readouterr().out.strip()
    assert code == 0 and len(shot_id) == 32
    reopened = Project.open(project.path)
    shot = reopened.shot(shot_id)
    assert shot.status == "pending" and shot.index == 2 and shot.frames == 17  # 12 -> 8k+1 = 17 at 24 fps
    assert _cli(["generate", str(project.path)]) == 0
    out = capsys.readouterr()
    done = Project.open(project.path).shot(shot_id)
    assert done.status == "ready" and done.frames == 17 and len(done.takes) == 1
    take = done.takes[0]
    assert take.path.parent.parent == project.path / "media" / "generated"
    assert {p.name for p in take.path.parent.iterdir()} == {"master.mp4", "scrub.mp4", "recipe.json"}
    assert probe(take.path).frame_count == 17 and shot_id in out.out
    assert "step 1/1" in out.err  # the progress bar went to stderr


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_extension_goes_next_to_its_source_which_stays_untouched(project, tiny_models, direction):
    from engine.gen.takes import add_generated_shot, generate_into_project

    a_id, b_id = _ids(project)
    a = project.shot(a_id)
    before = read_all(a.media_path)[0]
    new_id = add_generated_shot(project, prompt="more", task="extend", model="tiny-ltx", seconds=0.34,
                                source_shot=a_id, direction=direction, steps=1, seed=2)
    order = _ids(project)
    assert order == ([a_id, new_id, b_id] if direction == "forward" else [new_id, a_id, b_id])
    result = generate_into_project(project, new_id)
    shot = project.shot(new_id)
    assert shot.status == "ready" and shot.frames == result.frames == 8  # 8 new frames at 24 fps
    assert result.recipe["task"] == "extend" and result.recipe["request"]["direction"] == direction
    after = project.shot(a_id)
    assert (after.media_path, after.source_in, after.frames) == (a.media_path, a.source_in, a.frames)
    assert np.array_equal(read_all(a.media_path)[0], before)


def test_bridge_goes_between_its_two_shots(project, tiny_models):
    from engine.gen.takes import add_generated_shot, generate_into_project

    a_id, b_id = _ids(project)
    new_id = add_generated_shot(project, prompt="join", task="bridge", model="tiny-ltx", seconds=0.3,
                                between=(a_id, b_id), steps=1)
    assert _ids(project) == [a_id, new_id, b_id]
    result = generate_into_project(project, new_id)
    # 9 frames of A + 7 new + 9 of B = 25 (8k+1); the take holds only the 7 frames between.
    assert result.frames == 7 and project.shot(new_id).frames == 7
    assert project.shot(new_id).start == project.shot(a_id).frames


def test_bridge_needs_neighbours_and_extension_needs_a_picture_or_a_prompt(project, tiny_models):
    from engine.gen.takes import add_generated_shot
    from engine.project import InsertShot

    a_id, b_id = _ids(project)
    with pytest.raises(GenerationError, match="not next to each other"):
        add_generated_shot(project, prompt="x", task="bridge", model="tiny-ltx", between=(b_id, a_id))
    project.apply(InsertShot(index=2, name="empty", media_path=None, frames=12))
    empty = _ids(project)[2]
    with pytest.raises(GenerationError, match=f"shot {empty} has no media and no prompt"):
        add_generated_shot(project, prompt="x", task="extend", model="tiny-ltx", source_shot=empty)
    with pytest.raises(GenerationError, match="cannot do image to video"):
        add_generated_shot(project, prompt="x", task="image", model="tiny-cogvideox")


def test_a_storyboard_planned_before_generating_is_generated_sources_first(project, tiny_models, capsys):
    """A creator plans a shot and its backward extension before generating anything: the extension
    sits before its source on the timeline, and `generate` makes the source first."""
    from engine.gen.takes import add_generated_shot
    from engine.project import Project

    source = add_generated_shot(project, prompt="a cat", model="tiny-ltx", seconds=0.3, seed=1, steps=1)
    ext = add_generated_shot(project, prompt="a cat", task="extend", model="tiny-ltx", source_shot=source,
                             direction="backward", seconds=0.3, seed=2, steps=1)
    project.save()
    assert _ids(project).index(ext) < _ids(project).index(source)
    project.close()
    assert _cli(["generate", str(project.path)]) == 0
    printed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert printed == [source, ext]
    done = Project.open(project.path)
    assert done.shot(source).status == "ready" and done.shot(ext).status == "ready"


# ---- long takes from `shotloom generate`: killed anywhere, resumed by the next run ------------------

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


def _env():
    import os

    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}


def _generated(project):
    return project.path / "media" / "generated"


def _leftovers(project):
    """Anything in media/generated that is not a take folder."""
    return sorted(p.name for p in _generated(project).iterdir() if p.name.startswith("."))


def _long_shot(project, **extra):
    from engine.gen.takes import add_generated_shot

    # 41 frames of tiny-ltx in 25-frame windows joined on 17: 3 windows.
    shot_id = add_generated_shot(project, prompt="a boat at sea", task="long", model="tiny-ltx", seconds=1.7,
                                 steps=2, seed=5, extra={"window_frames": 25, **extra})
    project.save()
    return shot_id


def test_cli_generate_resumes_a_killed_long_take_in_the_same_take(project, tiny_models):
    import os
    import signal
    import subprocess
    import sys
    import time

    from engine.project import Project

    shot_id = _long_shot(project)
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "generate", str(project.path)], cwd=REPO, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not list(_generated(project).glob(".*.steps/done_0000")):
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    (steps,) = _generated(project).glob(".*.steps")
    take_id = steps.name[1:-len(".steps")]
    assert take_id.startswith(shot_id[:12])
    assert _cli(["generate", str(project.path)]) == 0
    shot = Project.open(project.path).shot(shot_id)
    assert shot.status == "ready" and [t.id for t in shot.takes] == [take_id]
    recipe = shot.takes[0].recipe
    assert recipe["long_take"]["resumed_from_window"] >= 1 and recipe["frames"] == 41
    assert _leftovers(project) == []  # no work folder, no partial take left behind


KILLER = """
import os, signal, sys
from engine.gen import runner, takes
from engine.project import Project

project_path, shot_id, point = sys.argv[1:]

def progress(done, total, message):
    if message.startswith(point):
        os.kill(os.getpid(), signal.SIGKILL)

if point == "published":
    publish = runner.publish_dir

    def publish_then_die(tmp, final):
        publish(tmp, final)
        os.kill(os.getpid(), signal.SIGKILL)

    runner.publish_dir = publish_then_die
takes.generate_into_project(Project.open(project_path), shot_id, progress=progress)
sys.exit(3)  # the kill point was never reached
"""


@pytest.mark.parametrize("point", ["window 2/3: step 2/", "window 3/3: decoding", "writing the take", "published"])
def test_a_kill_at_any_point_of_a_long_take_is_finished_by_the_next_generate(project, tiny_models, point,
                                                                             monkeypatch):
    import subprocess
    import sys

    from engine.gen import takes
    from engine.project import Project

    shot_id = _long_shot(project)
    res = subprocess.run([sys.executable, "-c", KILLER, str(project.path), shot_id, point], cwd=REPO, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == -9, res.stderr[-2000:]
    calls = []
    original = takes.run_generation
    monkeypatch.setattr(takes, "run_generation", lambda *a, **k: calls.append(a) or original(*a, **k))
    result = takes.generate_into_project(Project.open(project.path), shot_id)
    shot = Project.open(project.path).shot(shot_id)
    assert shot.status == "ready" and len(shot.takes) == 1 and shot.takes[0].path == result.master
    assert probe(result.master).frame_count == 41
    if point == "published":
        assert calls == [] and "recovered a take" in result.message  # adopted, not generated again
    else:
        assert result.recipe["long_take"]["resumed_from_window"] >= 1
    assert _leftovers(project) == []


def test_stale_work_and_dead_partials_are_swept_before_generating(project, tiny_models):
    from engine.fsutil import partial_path
    from engine.gen.takes import generate_into_project
    from engine.project import RemoveShot

    gone = _long_shot(project)
    changed = _long_shot(project)
    root = _generated(project)
    root.mkdir(parents=True, exist_ok=True)
    (root / f".{gone[:12]}{'0' * 20}.steps").mkdir()  # its shot is removed below
    (root / f".{changed[:12]}{'1' * 20}.steps").mkdir()  # an older request of the shot generated next
    dead = partial_path(root / "take", folder=True)
    dead = dead.with_name(dead.name.replace(f"-{__import__('os').getpid()}-", "-999999-"))
    dead.mkdir()  # a take being written by a process that no longer exists
    project.apply(RemoveShot(gone))
    generate_into_project(project, changed)
    assert _leftovers(project) == []


def test_a_generated_take_is_previewed_from_its_own_all_intra_copy(project, tiny_models, capsys):
    """Random frames of a take come from its scrub copy (every frame a keyframe), never from the
    long-GOP master, and no proxy is built for it: the take already brought one."""
    from engine.media import FrameReader
    from engine.project import Project
    from engine.render import Compositor, build_plan
    from engine.render.proxies import ensure_proxies, proxy_path, proxy_source

    assert _cli(["shot", "add", str(project.path), "--prompt", "a cat", "--model", "tiny-ltx", "--seconds", "0.5",
                 "--seed", "1", "--steps", "1"]) == 0
    shot_id = capsys.readouterr().out.strip()
    assert _cli(["generate", str(project.path)]) == 0
    proj = Project.open(project.path)
    master = proj.shot(shot_id).media_path
    source_for = proxy_source(proj.path)
    scrub = source_for(master)
    assert master.name == "master.mp4" and scrub == master.with_name("scrub.mp4")
    with FrameReader(scrub) as reader:
        assert reader.index.keyframes == list(range(reader.frame_count))
    with FrameReader(master) as reader:
        assert reader.index.keyframes != list(range(reader.frame_count))  # the master is long-GOP
    built = ensure_proxies(proj)
    assert len(built) == 2 and not proxy_path(proj.path, master).exists()  # the two imported clips only
    plan = build_plan(proj)
    start = next(t for t in range(plan.frames) if plan.at(t).layers and plan.at(t).layers[0].media_path == master)
    with Compositor(plan, source_for=source_for) as comp, FrameReader(scrub) as reader:
        assert np.abs(comp.frame(start + 5).astype(int) - reader.frame(5).astype(int)).max() <= 1
