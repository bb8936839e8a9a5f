"""Bad values on the command line: one line on stderr naming the value and what it may be, exit 1,
nothing changed. `shot add` checks everything when the shot is added, not at render time.

Most cases run `engine.cli.main` in this process (it is what the `shotloom` script calls) so the
machine can be made smaller than it is; the real process and argv are covered by test_cli."""

from __future__ import annotations

import pytest
from test_cli import refused, shotloom

from engine.cli import main
from engine.media.synthetic import make_test_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_test_clip(tmp_path_factory.mktemp("media") / "clip.mp4", frames=24, size=(64, 48), audio=True)


@pytest.fixture
def project(tmp_path, clip, capsys):
    path = tmp_path / "p.shotloom"
    assert main(["new", str(path), "--size", "64x48"]) == 0
    assert main(["import", str(path), str(clip), "--no-proxy"]) == 0
    capsys.readouterr()
    return path


def run_refused(capsys, project, args, *words) -> str:
    """main(args) exits 1 with one line naming `words`; project.otio and its history are untouched."""
    before = {f: (project / f).read_bytes() for f in ("project.otio", "history.jsonl")}
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1, (code, err)
    assert len(lines) == 1 and lines[0].startswith("shotloom: ") and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert {f: (project / f).read_bytes() for f in before} == before
    return lines[0]


ADD = ["shot", "add"]


@pytest.mark.parametrize("value, words", [
    ("-1", ["seconds -1 ", "more than 0 and at most 3600"]),
    ("0", ["seconds 0 ", "more than 0 and at most 3600"]),
    ("100000", ["seconds 100000 ", "at most 3600"]),
    ("1e9", ["seconds 1e+09 ", "at most 3600"]),
    ("nan", ["seconds nan is not a finite number", "more than 0 and at most 3600"]),
    ("inf", ["seconds inf is not a finite number", "at most 3600"]),
    ("60", ["seconds 60 is longer than tiny-ltx makes in one text to video shot", "--task long"]),
])
def test_shot_add_seconds(capsys, project, value, words):
    run_refused(capsys, project, [*ADD, project, "--prompt", "x", "--model", "tiny-ltx", f"--seconds={value}"], *words)


@pytest.mark.parametrize("flag, value, words", [
    ("--seed", "-5", ["seed -5 ", "at least 0 and less than 9223372036854775808"]),
    ("--seed", str(2**70), [f"seed {2**70} ", "at least 0 and less than"]),
    ("--steps", "0", ["steps 0 ", "at least 1 and at most 500"]),
    ("--guidance", "nan", ["guidance nan is not a finite number", "at least 0 and at most 30"]),
    ("--prompt", "", ["prompt is empty"]),
    ("--prompt", "   ", ["prompt is empty"]),
])
def test_shot_add_values(capsys, project, flag, value, words):
    args = [*ADD, project, "--model", "tiny-ltx"] + ([] if flag == "--prompt" else ["--prompt", "x"])
    run_refused(capsys, project, [*args, f"{flag}={value}"], *words)


def test_shot_add_options_of_another_task(capsys, project, tmp_path, clip):
    base = [*ADD, project, "--prompt", "x", "--model", "tiny-ltx"]
    run_refused(capsys, project, [*base, "--from", "1"], "--from applies to --task extend", "not --task text")
    run_refused(capsys, project, [*base, "--direction", "backward"], "--direction applies to --task extend")
    run_refused(capsys, project, [*base, "--task", "extend", "--between", "1", "1"], "--between applies to --task bridge")
    run_refused(capsys, project, [*base, "--image", clip], "--image applies to --task image or --task long")


def test_shot_add_refuses_what_is_not_an_image(capsys, project, tmp_path, clip):
    text = tmp_path / "notes.png"
    text.write_text("not a picture\n")
    base = [*ADD, project, "--prompt", "x", "--model", "tiny-ltx", "--task", "image"]
    run_refused(capsys, project, [*base, "--image", text], str(text), "not an image", "PNG")
    run_refused(capsys, project, [*base, "--image", clip], str(clip), "is a video", "shotloom frame")
    run_refused(capsys, project, [*base, "--image", tmp_path / "none.png"], "none.png does not exist")
    run_refused(capsys, project, [*base], "needs --image FILE")
    still = make_test_clip(tmp_path / "still.png", frames=1, size=(64, 48))
    assert main([*map(str, base), "--image", str(still), "--seconds", "0.3"]) == 0


def test_shot_add_refuses_a_model_this_machine_cannot_run(capsys, project, monkeypatch):
    from engine.gen import memory
    from engine.gen.catalog import get_model
    from engine.gen.planner import default_peaks

    need = {t: memory.size_text(b) for t, b in default_peaks(get_model("ltx-video-2b")).items()}  # the CPU holds the gpu tier's
    monkeypatch.setattr(memory, "gpu_memory_bytes", lambda: None)
    monkeypatch.setattr(memory, "ram_bytes", lambda: 8 * 10**9)
    run_refused(capsys, project, [*ADD, project, "--prompt", "x", "--model", "ltx-video-2b"],
                f"model 'ltx-video-2b' needs about {need['gpu']}", "has 8 GB", "no NVIDIA GPU", "models list")
    monkeypatch.setattr(memory, "gpu_memory_bytes", lambda: 1 * 1024**3)
    run_refused(capsys, project, [*ADD, project, "--prompt", "x", "--model", "ltx-video-2b"],
                f"needs about {need['group_offload']} of GPU memory", "the GPU here has 1 GB")
    assert main([*map(str, ADD), str(project), "--prompt", "x", "--model", "tiny-ltx"]) == 0  # test models run
    capsys.readouterr()
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # a light install
    run_refused(capsys, project, [*ADD, project, "--prompt", "x", "--model", "tiny-ltx"],
                "needs PyTorch", "install.sh")


def test_an_invalid_recipe_names_its_field(capsys, project):
    """A recipe edited by hand (or by an older Shotloom) is refused at render time naming the field."""
    import json

    from engine.gen.requests import parse_request, request_error
    from engine.gen.takes import SPEC_KEY, request_dict
    from engine.project import Project

    assert main([*ADD, str(project), "--prompt", "x", "--model", "tiny-ltx", "--seconds", "0.3"]) == 0
    spec = dict(Project.open(project).shots()[-1].recipe[SPEC_KEY], steps=0, flavour="mint")
    with pytest.raises(Exception) as info:
        parse_request(request_dict(Project.open(project), spec))
    assert request_error(info.value) == "steps 0 is out of range; it must be at least 1 and at most 500"
    del spec["steps"]
    with pytest.raises(Exception) as info:
        parse_request(json.dumps(request_dict(Project.open(project), spec)))
    assert request_error(info.value) == "flavour is not a setting of a text to video request; remove it from the recipe"


def test_other_commands_refuse_bad_values(capsys, project, clip):
    run_refused(capsys, project, ["export", project, "-o", project.parent / "a.mp4", "--range", "-5:20"],
                "--range -5:20", "0 <= IN < OUT")
    run_refused(capsys, project, ["export", project, "-o", project.parent / "a.mp4", "--range", "9:3"], "--range 9:3")
    run_refused(capsys, project, ["export", project, "-o", project.parent / "a.mp4", "--range", "0:500"],
                "--range 0:500 ends after the cut", "0..24")
    run_refused(capsys, project, ["audio", "add", project, clip, "--frames", "0"], "--frames 0 must be 1 or more")
    run_refused(capsys, project, ["audio", "add", project, clip, "--gain", "nan"], "gain nan")
    run_refused(capsys, project, ["transition", "set", project, "1", "crossfade", "--frames", "-3"], "-3")
    run_refused(capsys, project, ["shot", "split", project, "1", "500"], "500", "1..23")
    run_refused(capsys, project, ["shot", "move", project, "1", "0"], "position 0", "1..1")
    run_refused(capsys, project, ["take", "use", project, "1", "zzzz"], "no take 'zzzz'")
    run_refused(capsys, project, ["audio", "remove", project, "1"], "no audio clip '1'", "none exist")
    run_refused(capsys, project, ["undo", project, "-n", "-2"], "--steps -2 must be 1 or more")
    run_refused(capsys, project, ["redo", project], "nothing to redo in p.shotloom")


def test_export_names_every_shot_without_media(capsys, project):
    for prompt in ("first light", "second light"):
        assert main([*ADD, str(project), "--prompt", prompt, "--model", "tiny-ltx", "--seconds", "0.3"]) == 0
    capsys.readouterr()
    line = run_refused(capsys, project, ["export", project, "-o", project.parent / "a.mp4"])
    assert line == ("shotloom: shots 'first light' and 'second light' have no media yet; generate them "
                    "(shotloom render PROJECT) or remove them before exporting")


def test_queue_cancel_of_a_finished_job_is_refused(capsys, project):
    from engine.jobs.queue import JobQueue

    with JobQueue() as q:
        job = q.submit("noop", {"steps": 1})
        claimed = q.claim("w")
        q.finish(claimed.id, "w", "succeeded")
    run_refused(capsys, project, ["queue", "cancel", job.id[:8]], f"job {job.id[:8]} already succeeded",
                "nothing to cancel", "queue remove")
    assert main(["queue", "remove", job.id]) == 0


def test_range_with_a_leading_dash_reaches_its_own_message_from_a_real_command_line(project):
    refused(shotloom("export", project, "-o", project.parent / "a.mp4", "--range", "-5:20", check=False),
            "--range -5:20", "0 <= IN < OUT")
