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


def test_bridge_needs_neighbours_and_extension_needs_media(project, tiny_models):
    from engine.gen.takes import add_generated_shot

    a_id, b_id = _ids(project)
    with pytest.raises(GenerationError, match="not next to each other"):
        add_generated_shot(project, prompt="x", task="bridge", model="tiny-ltx", between=(b_id, a_id))
    pending = add_generated_shot(project, prompt="x", model="tiny-ltx", seconds=0.3)
    with pytest.raises(GenerationError, match="has no media yet"):
        add_generated_shot(project, prompt="x", task="extend", model="tiny-ltx", source_shot=pending)
    with pytest.raises(GenerationError, match="cannot do image to video"):
        add_generated_shot(project, prompt="x", task="image", model="tiny-wan")
