"""The shotloom command as a user runs it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from engine.media import FrameReader, load_image
from engine.media.synthetic import decode_index, make_test_clip

SIZE = (192, 112)


def shotloom(*args, check=True, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    res = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                         env=env, cwd=cwd, timeout=300)
    if check and res.returncode != 0:
        raise AssertionError(f"shotloom {' '.join(map(str, args))} failed ({res.returncode}): {res.stderr}")
    return res


def refused(res: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 1 with one clear line on stderr naming what was wrong, never a traceback."""
    assert res.returncode == 1, (res.returncode, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("footage")
    return [make_test_clip(folder / f"clip{i}.mp4", frames=24, size=SIZE, seed=i, audio=i == 0) for i in range(3)]


def test_build_a_cut_and_export_it(tmp_path, footage):
    project = tmp_path / "film.shotloom"
    out = shotloom("new", project, "--fps", "24", "--size", "192x112")
    assert out.stdout.strip() == str(project)
    ids = shotloom("import", project, *footage, "--no-proxy").stdout.split()
    assert len(ids) == 3
    info = json.loads(shotloom("info", project, "--json").stdout)
    assert info["fps"] == "24/1" and info["size"] == [192, 112] and info["frames"] == 72
    assert [s["id"] for s in info["shots"]] == ids
    assert [s["start"] for s in info["shots"]] == [0, 24, 48]
    take = info["shots"][0]["takes"][0]
    assert take["active"] and Path(take["path"]).is_absolute()

    shotloom("shot", "move", project, ids[2], "1")
    shotloom("shot", "trim", project, ids[0], "--in", "4")
    shotloom("shot", "split", project, "3", "10")
    shotloom("transition", "set", project, ids[1], "crossfade", "--frames", "6")
    info = json.loads(shotloom("info", project, "--json").stdout)
    order = [s["id"] for s in info["shots"]]
    assert order[0] == ids[2] and order[1] == ids[0] and len(order) == 4
    assert info["shots"][2]["transition_in"] == {"kind": "crossfade", "frames": 6}
    assert info["frames"] == 72 - 4 - 6

    video = tmp_path / "film.mp4"
    res = shotloom("export", project, "-o", video)
    assert Path(res.stdout.strip()) == video
    with FrameReader(video) as reader:
        assert reader.frame_count == info["frames"]
        assert decode_index(reader.frame(0)) == 0          # clip2 moved first
        assert decode_index(reader.frame(24)) == 4         # clip0 trimmed by 4
    shotloom("shot", "remove", project, order[-1])
    assert len(json.loads(shotloom("info", project, "--json").stdout)["shots"]) == 3

    otio_out = tmp_path / "film.otio"
    shotloom("export", project, "-o", otio_out)
    assert otio_out.exists()


def test_probe_and_frame(tmp_path):
    clip = make_test_clip(tmp_path / "p.mp4", frames=40, rate=Fraction(30000, 1001), size=SIZE, bframes=3, gop=15)
    doc = json.loads(shotloom("probe", clip, "--json").stdout)
    assert doc["frame_count"] == 40 and doc["rate"] == "30000/1001" and doc["width"] == 192
    text = shotloom("probe", clip).stdout
    assert "192x112" in text
    png = tmp_path / "f.png"
    shotloom("frame", clip, "37", "-o", png)
    assert decode_index(load_image(png)) == 37
    refused(shotloom("frame", clip, "40", "-o", png, check=False), "frame 40", "p.mp4")


@pytest.mark.parametrize("kind", ["random", "empty", "truncated", "image", "missing"])
def test_bad_media_is_refused_in_one_line(tmp_path, footage, kind):
    bad = tmp_path / "bad.mp4"
    if kind == "random":
        bad.write_bytes(os.urandom(50_000))
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "truncated":
        bad.write_bytes(Path(footage[1]).read_bytes()[:1500])
    elif kind == "image":
        png = make_test_clip(tmp_path / "img.png", frames=1, size=SIZE)
        bad.write_bytes(png.read_bytes())
    project = tmp_path / "p.shotloom"
    shotloom("new", project)
    before = (project / "project.otio").read_bytes()
    res = shotloom("import", project, bad, "--no-proxy", check=False)
    refused(res, "bad.mp4")
    assert (project / "project.otio").read_bytes() == before
    refused(shotloom("probe", bad, check=False), "bad.mp4")


def test_bad_projects_and_values(tmp_path, footage):
    refused(shotloom("info", tmp_path / "nowhere.shotloom", check=False), "nowhere.shotloom")
    project = tmp_path / "p.shotloom"
    shotloom("new", project)
    refused(shotloom("shot", "remove", project, "42", check=False), "42")
    refused(shotloom("new", tmp_path / "x", "--size", "100xabc", check=False), "100xabc")
    refused(shotloom("new", tmp_path / "y", "--fps", "fast", check=False), "fast")
    refused(shotloom("export", project, "-o", tmp_path / "e.mp4", check=False), "no shots")
    (project / "project.otio").write_text("{ this is not json")
    refused(shotloom("info", project, check=False), "project.otio")
    assert shotloom("bogus", check=False).returncode == 2
    assert shotloom("export", project, check=False).returncode == 2


def test_demo_main_job(tmp_path):
    """The README's main job: every shot generated by micro-ltx offline, checked, exported."""
    res = shotloom("demo", tmp_path / "demo")
    project, video = (Path(p) for p in res.stdout.split())
    assert project.name == "demo.shotloom" and video.exists()
    assert "made by micro-ltx" in res.stderr and "continuity check found" in res.stderr
    info = json.loads(shotloom("info", project, "--json").stdout)
    assert len(info["shots"]) == 5 and all(len(s["takes"]) == 1 for s in info["shots"])
    recipes = [json.loads((Path(s["takes"][0]["path"]).parent / "recipe.json").read_text()) for s in info["shots"]]
    assert [r["task"] for r in recipes] == ["text_to_video", "bridge", "image_to_video", "extend", "long_take"]
    assert {r["model"]["id"] for r in recipes} == {"micro-ltx"}
    with FrameReader(video) as reader:
        assert reader.frame_count == info["frames"] > 5 * 24


def test_doctor_reports_codecs():
    res = shotloom("doctor", "--json")
    checks = {c["check"]: c for c in json.loads(res.stdout)}
    assert checks["encoder h264"]["ok"]


def test_light_install_refuses_generation_clearly(tmp_path):
    """Without torch (`install.sh --light`), editing works and generation says what to install."""
    project = tmp_path / "l.shotloom"
    shotloom("new", project, "--size", "192x112")
    shot_id = shotloom("shot", "add", project, "--prompt", "a boat", "--model", "tiny-ltx").stdout.strip()
    code = (
        "import sys\n"
        "for name in ('torch', 'diffusers', 'transformers'):\n"
        "    sys.modules[name] = None\n"
        "from engine.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    run = lambda *a: subprocess.run([sys.executable, "-c", code, *map(str, a)],  # noqa: E731
                                    capture_output=True, text=True, timeout=120, check=False)
    info = run("info", project, "--json")
    assert info.returncode == 0 and json.loads(info.stdout)["shots"][0]["id"] == shot_id
    refused(run("generate", project), "light install", "install.sh")
