"""`shotloom undo`, `redo`, `history`, `take list|use|remove`, `audio remove` and `info` as a user
runs them: real processes on a real project, over an import, a repair and a take change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import refused, shotloom

from engine.media import FrameReader
from engine.media.synthetic import decode_index, make_test_clip
from engine.project import ProjectLock

SIZE = (64, 48)


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("footage")
    return [make_test_clip(folder / f"clip{i}.mp4", frames=24, size=SIZE, seed=i, audio=i == 0) for i in range(2)]


def info(project: Path) -> dict:
    return json.loads(shotloom("info", project, "--json").stdout)


def active(doc: dict, n: int) -> str:
    return next(t["id"] for t in doc["shots"][n]["takes"] if t["active"])


def test_undo_and_redo_an_import_a_repair_and_a_take_change(tmp_path, footage):
    project = tmp_path / "film.shotloom"
    shotloom("new", project, "--size", "64x48")
    refused(shotloom("undo", project, check=False), "nothing to undo", "film.shotloom")
    ids = shotloom("import", project, *footage, "--no-proxy").stdout.split()
    imported = info(project)
    repaired_take = shotloom("repair", project, "0", "--method", "color").stdout.split()[0]
    repaired = info(project)
    assert active(repaired, 1) == repaired_take and len(repaired["shots"][1]["takes"]) == 2
    own_take = next(t["id"] for t in repaired["shots"][1]["takes"] if not t["active"])

    listed = {line[6:14]: line for line in shotloom("take", "list", project, ids[1]).stdout.splitlines()}
    assert listed[repaired_take[:8]].startswith("*") and "repair color" in listed[repaired_take[:8]]
    assert listed[own_take[:8]].startswith(" ") and str(footage[1]) in listed[own_take[:8]]
    assert shotloom("take", "use", project, ids[1], own_take[:6]).stdout.strip() == own_take
    chosen = info(project)
    assert active(chosen, 1) == own_take

    steps = json.loads(shotloom("history", project, "--json").stdout)
    assert [s["by"] for s in steps["steps"]] == ["shotloom import", "shotloom repair", "shotloom take use"]
    assert steps["cursor"] == 3 and not any(s["undone"] for s in steps["steps"])
    text = shotloom("history", project).stdout
    assert "add shot 'clip0'; add shot 'clip1'" in text and f"use take {own_take[:8]} on 'clip1'" in text

    out = shotloom("undo", project).stdout
    assert out.startswith("undone: use take") and "shotloom take use" in out
    assert info(project) == repaired
    shotloom("undo", project)  # the repair
    assert info(project) == imported
    take_dir = project / "media" / "generated" / repaired_take
    assert (take_dir / "master.mp4").is_file()  # undone, not deleted: redo brings it back
    shotloom("undo", project)  # the import
    assert info(project)["shots"] == []
    refused(shotloom("undo", project, check=False), "nothing to undo")
    assert "undone" in shotloom("history", project).stdout

    out = shotloom("redo", project, "-n", "3").stdout.splitlines()
    assert [line.split(":")[0] for line in out] == ["redone"] * 3
    assert info(project) == chosen
    refused(shotloom("redo", project, check=False), "nothing to redo")
    with FrameReader(Path(next(t["path"] for t in repaired["shots"][1]["takes"] if t["active"]))) as reader:
        assert reader.frame_count >= 24  # the repaired take is whole again after redo
    # A new change after an undo drops what could be redone.
    shotloom("undo", project)
    shotloom("shot", "trim", project, ids[0], "--in", "2")
    refused(shotloom("redo", project, check=False), "nothing to redo")
    refused(shotloom("undo", project, "-n", "9", check=False), "only 3 step(s)", "not 9")
    refused(shotloom("undo", project, "-n", "0", check=False), "--steps 0")


def test_undo_is_refused_while_another_program_has_the_project(tmp_path, footage):
    project = tmp_path / "p.shotloom"
    shotloom("new", project, "--size", "64x48")
    shotloom("import", project, footage[0], "--no-proxy")
    before = (project / "project.otio").read_bytes()
    with ProjectLock(project, "shotloom-gui"):
        refused(shotloom("undo", project, check=False), "p.shotloom", "shotloom-gui")
    assert (project / "project.otio").read_bytes() == before
    shotloom("undo", project)
    assert info(project)["shots"] == []


def test_take_remove_and_audio_remove_are_undoable(tmp_path, footage):
    project = tmp_path / "p.shotloom"
    shotloom("new", project, "--size", "64x48")
    ids = shotloom("import", project, *footage, "--no-proxy").stdout.split()
    new_take = shotloom("repair", project, "0", "--method", "color").stdout.split()[0]
    old_take = next(t["id"] for t in info(project)["shots"][1]["takes"] if t["id"] != new_take)
    refused(shotloom("take", "remove", project, ids[1], new_take, check=False), new_take[:8], "take use")
    refused(shotloom("take", "use", project, ids[1], "7", check=False), "no take '7'", "1..2")
    refused(shotloom("take", "list", project, "9", check=False), "no shot '9'")
    number = 1 + [t["id"] for t in info(project)["shots"][1]["takes"]].index(old_take)
    assert shotloom("take", "remove", project, ids[1], str(number)).stdout.strip() == old_take
    assert [t["id"] for t in info(project)["shots"][1]["takes"]] == [new_take]
    shotloom("undo", project)
    assert {t["id"] for t in info(project)["shots"][1]["takes"]} == {new_take, old_take}

    clip = shotloom("audio", "add", project, footage[0], "--start", "6").stdout.strip()
    assert [a["id"] for a in info(project)["audio"]] == [clip]
    assert f"audio 1  {clip[:8]}  clip0.mp4  at 6 +" in shotloom("info", project).stdout
    refused(shotloom("audio", "remove", project, "2", check=False), "no audio clip '2'", "1..1")
    assert shotloom("audio", "remove", project, "1").stdout.strip() == clip
    assert info(project)["audio"] == []
    shotloom("undo", project)
    assert [(a["id"], a["start"]) for a in info(project)["audio"]] == [(clip, 6)]
    # The cut still plays the restored take and the restored music.
    video = tmp_path / "cut.mp4"
    shotloom("export", project, "-o", video)
    with FrameReader(video) as reader:
        assert reader.frame_count == 48 and decode_index(reader.frame(0)) == 0


def test_info_shows_takes_models_seeds_and_prompts(tmp_path, footage):
    project = tmp_path / "p.shotloom"
    shotloom("new", project, "--size", "64x48")
    ids = shotloom("import", project, *footage, "--no-proxy").stdout.split()
    pending = shotloom("shot", "add", project, "--prompt", "a lighthouse at dawn", "--model", "tiny-ltx",
                       "--seed", "42", "--seconds", "0.5").stdout.strip()
    new_take = shotloom("repair", project, "0", "--method", "color").stdout.split()[0]
    text = shotloom("info", project).stdout
    lines = text.splitlines()
    shot3 = lines.index(next(line for line in lines if line.strip().startswith("3") and pending[:8] in line))
    assert lines[shot3 + 1].split() == ["to", "generate:", "text", "to", "video", "·", "tiny-ltx", "·", "seed",
                                        "42", "·", '"a', "lighthouse", "at", 'dawn"']
    assert f"  {new_take[:8]}  generated  repair color" in text and "* take" in text
    assert "take 2" in text and "imported   clip1.mp4" in text
    assert ids[0][:8] in text


def test_a_command_killed_mid_save_loses_no_history(tmp_path, footage):
    """A command is killed between the history line and the project file: the next command sees
    the project as saved before it, and undo still walks the history that fits it."""
    project = tmp_path / "p.shotloom"
    shotloom("new", project, "--size", "64x48")
    shotloom("import", project, *footage, "--no-proxy")
    code = (
        "import os, sys\n"
        "from engine.cli import main\n"
        "import engine.project.project as pp\n"
        "def killed(*a, **k):\n"
        "    os._exit(9)\n"
        "pp.write_atomic = killed\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    res = subprocess.run([sys.executable, "-c", code, "shot", "trim", str(project), "1", "--in", "3"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 9
    assert info(project)["shots"][0]["source_in"] == 0
    shotloom("undo", project)
    assert info(project)["shots"] == []
