"""`shotloom check` and `shotloom repair` through the real command line entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_analysis_repair import two_shot_project

from engine.analysis.synthetic import make_case
from engine.cli import main


@pytest.fixture(autouse=True)
def _engine_version(monkeypatch):
    """Under pytest the folder tests/engine can shadow the engine package's __init__ (so
    `engine.__version__`, read by `--version` when the parser is built, is missing); give it one."""
    import engine

    if not hasattr(engine, "__version__"):
        monkeypatch.setattr(engine, "__version__", "0+test", raising=False)


def test_the_installed_command_exits_3_on_defects(tmp_path):
    case = make_case("flash", 1)
    project = two_shot_project(tmp_path, case.frames, case.seam)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    run = subprocess.run([sys.executable, "-m", "engine.cli", "check", str(project.path), "--json",
                          "--fail-on", "flash"], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert run.returncode == 3, run.stderr
    assert json.loads(run.stdout)["seams"][0]["kinds"] == ["flash"]


def test_check_prints_a_table_and_json_and_exits_by_fail_on(tmp_path, capsys):
    case = make_case("frozen", 2)
    project = two_shot_project(tmp_path, case.frames, case.seam)
    a, b = project.shots()

    assert main(["check", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert "DEFECT" in out and "frozen" in out and "thresholds:" in out

    assert main(["check", str(project.path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (seam,) = data["seams"]
    assert seam["frame"] == case.seam and seam["shots"] == [a.id, b.id]
    assert seam["defect"] is True and seam["kinds"] == ["frozen"]
    assert {d["shot"] for d in data["drift"]} <= {a.id, b.id}
    assert json.loads((project.path / "cache" / "check.json").read_text())["seams"][0]["kinds"] == ["frozen"]

    assert main(["check", str(project.path), "--json", "--fail-on", "flash,color"]) == 0
    capsys.readouterr()
    assert main(["check", str(project.path), "--fail-on", "frozen"]) == 3
    assert "defects found: frozen" in capsys.readouterr().err
    assert main(["check", str(project.path), "--fail-on", "any"]) == 3


def test_check_refuses_bad_input_with_one_line(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing.shotloom")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("shotloom:") and "\n" not in err and "Traceback" not in err
    case = make_case("clean", 1)
    project = two_shot_project(tmp_path, case.frames, case.seam)
    assert main(["check", str(project.path), "--fail-on", "wobble"]) == 1
    assert "--fail-on 'wobble' names unknown kinds (wobble)" in capsys.readouterr().err


def test_repair_from_the_command_line_saves_an_undoable_take(tmp_path, capsys):
    from engine.project import Project

    case = make_case("color", 3)
    project = two_shot_project(tmp_path, case.frames, case.seam)
    b = project.shots()[1]
    assert main(["repair", str(project.path), "0", "--method", "color", "--ramp", "12"]) == 0
    take_id = capsys.readouterr().out.strip()
    reopened = Project.open(project.path)
    shot = reopened.shot(b.id)
    assert shot.take_id == take_id and len(shot.takes) == 2
    assert (reopened.path / "media" / "generated" / take_id / "master.mp4").is_file()
    assert main(["check", str(project.path), "--fail-on", "color"]) == 0
    capsys.readouterr()

    assert main(["repair", str(project.path), "5", "--method", "blend"]) == 1
    assert "seam 5 is neither a seam number 0..0 nor a cut frame (24)" in capsys.readouterr().err
    assert main(["repair", str(project.path), "x", "--method", "color"]) == 1
    assert "seam 'x' is not a number" in capsys.readouterr().err
    assert main(["repair", str(project.path), "0", "--method", "color", "--frames", "3"]) == 1
    assert "--frames applies to --method blend only" in capsys.readouterr().err
    assert len(Project.open(project.path).shot(b.id).takes) == 2  # refused repairs changed nothing
