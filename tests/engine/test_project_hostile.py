"""Hostile and damaged files are refused in one line, never crash, never hang, and lose nothing:
deep nesting, impossible times and settings, foreign generators asking too much, links that leave
the bundle, terminal control characters, unusable frame rates, a truncated queue, huge timelines,
outputs that would overwrite what a project reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from engine.errors import ProjectError
from engine.media.synthetic import make_test_clip
from engine.project import Project
from engine.project.otio_io import import_otio

REPO = Path(__file__).resolve().parents[2]


def shotloom(*args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout)


def refused(res: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 1 with exactly one line on stderr holding every word (no traceback, no crash)."""
    assert res.returncode == 1, (res.returncode, res.stdout[-500:], res.stderr[-2000:])
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr[-2000:]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_test_clip(tmp_path_factory.mktemp("media") / "src.mp4", frames=12, rate=Fraction(24), size=(64, 48))


@pytest.fixture
def film(tmp_path, clip) -> Path:
    """A saved project with one shot of imported media (made in-process: the tests run commands on it)."""
    from engine.project import InsertShot

    with Project.create(tmp_path / "film", size=(64, 48), writer="test") as project:
        project.apply(InsertShot(0, "src", media_path=clip))
        project.save()
    return project.path


def rewrite(bundle: Path, change) -> None:
    """Change project.otio's JSON in place, as a damaged or hostile file would."""
    doc = json.loads((bundle / "project.otio").read_text())
    change(doc)
    (bundle / "project.otio").write_text(json.dumps(doc))


def first_clip(doc: dict) -> dict:
    return doc["tracks"]["children"][0]["children"][0]


# ---- nesting -------------------------------------------------------------------------------------

def _stack(depth: int) -> str:
    head = ('{"OTIO_SCHEMA": "Stack.1", "metadata": {}, "name": "", "source_range": null, "effects": [], '
            '"markers": [], "enabled": true, "children": [')
    return head * depth + "]}" * depth


@pytest.mark.parametrize("deep", ["stacks", "arrays"])
def test_deep_nesting_in_a_project_is_refused_in_one_line(film, deep):
    text = (film / "project.otio").read_text()
    if deep == "stacks":  # 3,000 nested stacks on the shot track
        text = text.replace('"children": [', '"children": [' + _stack(3000) + ",", 2)
    else:  # 100,000 nested arrays in a clip's metadata
        text = text.replace('"metadata": {', '"metadata": {"deep": ' + "[" * 100_000 + "]" * 100_000 + ", ", 1)
    (film / "project.otio").write_text(text)
    refused(shotloom("info", film), str(film / "project.otio"), "nested", "levels deep", ".bak")
    with pytest.raises(ProjectError, match="nested"):
        Project.open(film)


def test_a_foreign_timeline_nested_50000_deep_is_refused_not_a_crash(film, tmp_path):
    before = (film / "project.otio").read_bytes()
    hostile = tmp_path / "hostile.otio"
    timeline = otio.schema.Timeline(name="t", tracks=[otio.schema.Track()]).to_json_string()
    hostile.write_text(timeline.replace('"metadata": {', '"metadata": {"x": ' + "[" * 50_000 + "]" * 50_000 + ", ",
                                        1))
    refused(shotloom("import", film, hostile), str(hostile), "nested")
    assert (film / "project.otio").read_bytes() == before


def test_a_timeline_that_crashes_the_reader_is_refused_in_one_line(film, tmp_path, monkeypatch):
    """The library's crash (here: the reading process killed by SIGSEGV) costs the child process,
    never the import: one line, nothing changed."""
    crasher = tmp_path / "python-that-crashes"
    crasher.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crasher.chmod(0o755)
    timeline = tmp_path / "fine.otio"
    otio.adapters.write_to_file(otio.schema.Timeline(name="t", tracks=[otio.schema.Track()]), str(timeline))
    project = Project.open(film, writer="test")
    before = project.serialize()
    monkeypatch.setattr(sys, "executable", str(crasher))
    with pytest.raises(ProjectError) as info:
        import_otio(project, timeline)
    assert "crashed the timeline reader (SIGSEGV)" in str(info.value) and "\n" not in str(info.value)
    assert project.serialize() == before


# ---- impossible values ---------------------------------------------------------------------------

@pytest.mark.parametrize("damage, words", [
    (lambda d: first_clip(d)["source_range"]["duration"].update(rate=0), ["rate", "clip"]),
    (lambda d: first_clip(d)["source_range"]["duration"].update(value=2**63 + 5), ["out of range"]),
    (lambda d: first_clip(d)["source_range"]["start_time"].update(value=float("nan")), ["finite"]),
    (lambda d: d["metadata"]["shotloom"].update(schema_version="999"), ["invalid project settings"]),
    (lambda d: d["metadata"]["shotloom"].update(schema_version=999.0), ["newer Shotloom", "999"]),
    (lambda d: d["metadata"]["shotloom"].update(size=["768", 512]), ["invalid project settings"]),
    (lambda d: d["metadata"]["shotloom"].update(fps="2399999999999999/10000000000000"), ["not a usable rate"]),
    (lambda d: first_clip(d)["metadata"]["shotloom"].update(notes=5), ["notes"]),
])
def test_impossible_values_are_refused_at_load(film, damage, words):
    rewrite(film, damage)
    line = refused(shotloom("info", film), str(film / "project.otio"), *words)
    assert "internal error" not in line
    with pytest.raises(ProjectError):
        Project.open(film)


def test_a_clip_rate_of_zero_does_not_break_the_editor_open(film):
    """What the editor's File › Open calls: a ProjectError it shows, never another exception."""
    rewrite(film, lambda d: first_clip(d)["source_range"]["start_time"].update(rate=0))
    with pytest.raises(ProjectError) as info:
        Project.open(film, writer="shotloom-gui")
    assert "rate" in str(info.value)


def _generator_timeline(tmp_path: Path, spec: dict) -> Path:
    ref = otio.schema.GeneratorReference(generator_kind="shotloom", parameters={"shotloom_gen": spec})
    clip = otio.schema.Clip(name="gen", media_reference=ref, source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)))
    out = tmp_path / "gen.otio"
    otio.adapters.write_to_file(otio.schema.Timeline(name="g", tracks=[otio.schema.Track(children=[clip])]),
                                str(out))
    return out


@pytest.mark.parametrize("extra, words", [
    ({"frames": 10**9}, ["frames", "refused"]),
    ({"steps": 10**9}, ["steps", "refused"]),
    ({"task": "image_to_video", "image": "/etc/hostname"}, ["outside the project", "refused"]),
])
def test_foreign_generators_asking_too_much_lose_their_recipe(tmp_path, extra, words):
    spec = {"task": "text_to_video", "model": "tiny-ltx", "prompt": "rain", "seed": 1, **extra}
    project = Project.create(tmp_path / "p", size=(64, 48))
    report = import_otio(project, _generator_timeline(tmp_path, spec))
    (shot,) = project.shots()
    assert shot.status == "pending" and shot.recipe == {}
    assert any(all(w in line for w in words) for line in report.lines), report.lines
    sane = {"task": "text_to_video", "model": "tiny-ltx", "prompt": "rain", "seed": 1, "steps": 3}
    fine = Project.create(tmp_path / "q", size=(64, 48))
    import_otio(fine, _generator_timeline(tmp_path, sane))
    assert fine.shots()[0].recipe == {"shotloom_gen": sane}


# ---- links that leave the bundle ---------------------------------------------------------------

def test_folders_linked_outside_the_bundle_are_never_written_through(film, tmp_path, clip):
    outside = {name: tmp_path / f"outside-{name}" for name in ("imported", "generated", "cache")}
    for name, target in outside.items():
        target.mkdir()
        rel = {"imported": "media/imported", "generated": "media/generated", "cache": "cache"}[name]
        folder = film / rel
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()
        folder.symlink_to(target, target_is_directory=True)
    res = shotloom("import", film, clip, "--copy")  # copies into media/imported, proxies into cache
    assert res.returncode == 0, res.stderr
    for name in ("media/imported", "media/generated", "cache"):
        assert (film / name).is_dir() and not (film / name).is_symlink()
    assert [list(t.iterdir()) for t in outside.values()] == [[], [], []]
    copies = list((film / "media" / "imported").iterdir())
    assert [c.name for c in copies] == ["src.mp4"] and list((film / "cache" / "proxies").iterdir())
    assert Project.open(film).generated_dir("take-1").resolve().is_relative_to(film.resolve())


# ---- text for terminals --------------------------------------------------------------------------

def test_control_characters_in_names_are_escaped_in_every_printed_line(tmp_path, clip):
    evil = "\x1b]0;owned\x07\x1b[2J\rfake line\u202e"
    path = tmp_path / "film.shotloom"
    assert shotloom("new", path, "--size", "64x48", "--name", f"name{evil}").returncode == 0
    named = tmp_path / f"clip{evil}.mp4"
    named.write_bytes(clip.read_bytes())
    assert shotloom("import", path, named, "--no-proxy").returncode == 0
    out = shotloom("info", path).stdout
    assert not any(c in out for c in "\x1b\x07\r\u202e")
    assert "\\x1b]0;owned\\x07" in out and "\\rfake line\\u202e" in out
    res = shotloom("shot", "trim", path, f"nope{evil}", "--in", "1")  # an error naming the bad value
    line = refused(res, "nope\\x1b]0;owned")
    assert "\x1b" not in res.stderr
    assert line
    data = json.loads(shotloom("info", path, "--json").stdout)  # JSON stays exact (and escaped by JSON)
    assert data["name"] == f"name{evil}"


# ---- frame rates --------------------------------------------------------------------------------

def test_rates_are_sensible_rationals(tmp_path):
    refused(shotloom("new", tmp_path / "a", "--fps", "239.9999999999999"), "239.9999999999999",
            "did you mean 240", "29.97")
    assert not (tmp_path / "a.shotloom").exists()
    assert shotloom("new", tmp_path / "b", "--fps", "29.97").returncode == 0
    assert json.loads(shotloom("info", tmp_path / "b", "--json").stdout)["fps"] == "30000/1001"
    assert shotloom("new", tmp_path / "c", "--fps", "12.5").returncode == 0
    with pytest.raises(ProjectError, match="usable rate"):
        Project.create(tmp_path / "d", fps="2399999999999999/10000000000000")


# ---- foreign timelines: linear, with progress ----------------------------------------------------

def test_a_large_foreign_timeline_imports_in_one_edit_with_progress(tmp_path, clip):
    track = otio.schema.Track()
    rate = 24.0
    for i in range(1500):
        ref = otio.schema.ExternalReference(target_url=clip.name)
        if i % 7 == 3:
            track.append(otio.schema.Transition(transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                                in_offset=otio.opentime.RationalTime(1, rate),
                                                out_offset=otio.opentime.RationalTime(1, rate)))
        track.append(otio.schema.Clip(name=f"c{i}", media_reference=ref, source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(2, rate), otio.opentime.RationalTime(6, rate))))
    timeline = clip.parent / "big.otio"
    otio.adapters.write_to_file(otio.schema.Timeline(name="big", tracks=[track]), str(timeline))
    project = Project.create(tmp_path / "p", size=(64, 48))
    seen: list[tuple[int, int]] = []
    report = import_otio(project, timeline, progress=lambda done, total, name="": seen.append((done, total)))
    assert len(report.shot_ids) == 1500 and project.revision == 1  # one edit
    assert seen[-1] == (1500, 1500) and len(seen) == 1500
    shots = project.shots()
    assert sum(1 for s in shots if s.transition_in is not None) == len([i for i in range(1, 1500) if i % 7 == 3])
    assert project.problems() == []
    before = project.duration
    project.apply(report.undo)
    assert project.shots() == [] and project.duration == 0 and before > 0


# ---- the queue ----------------------------------------------------------------------------------

def test_a_queue_truncated_to_zero_bytes_is_damaged_not_empty(shotloom_home):
    from engine.jobs import JobQueue
    from engine.jobs.queue import check_database, default_db_path

    with JobQueue() as q:
        q.submit("noop", {"steps": 1})
    db = default_db_path()
    for leftover in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    db.write_bytes(b"")
    refused(shotloom("queue", "list"), str(db), "0 bytes", "move it aside")
    assert db.stat().st_size == 0  # nothing was rebuilt over it
    doctor = shotloom("doctor", "--json")
    checks = {c["check"]: c for c in json.loads(doctor.stdout)}
    assert checks["queue database"]["ok"] is False and "0 bytes" in checks["queue database"]["detail"]
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    assert check_database()[0] is False
    db.unlink()
    assert check_database() == (True, f"{db} (no jobs yet)")
    with JobQueue() as q:
        q.submit("noop", {"steps": 1})
    assert check_database() == (True, f"{db} (1 queued)")


# ---- outputs over what the project reads -------------------------------------------------------

def test_export_never_overwrites_what_the_project_reads(tmp_path, clip):
    source = tmp_path / "src.mp4"
    source.write_bytes(clip.read_bytes())
    path = tmp_path / "film.shotloom"
    with Project.create(path, size=(64, 48), writer="test") as project:
        from engine.project import InsertShot

        project.apply(InsertShot(0, "src", media_path=source))  # imported by reference
        project.apply(InsertShot(1, "copy", media_path=project.import_media(clip, copy=True)))
        project.save()
    (tmp_path / "link.mp4").symlink_to(source)
    os.link(source, tmp_path / "hard.mp4")
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "src.mp4").symlink_to(source)
    files = {p: p.read_bytes() for p in (source, path / "project.otio")}
    for out, words in [(source, ["media of shot 'src'"]), (tmp_path / "link.mp4", ["media of shot 'src'"]),
                       (tmp_path / "hard.mp4", ["media of shot 'src'"]),
                       (path / "project.otio", ["inside the Shotloom project"]),
                       (path / "media" / "imported" / "src.mp4", ["inside the Shotloom project"]),
                       (path / "cut.otio", ["inside the Shotloom project"])]:
        refused(shotloom("export", path, "-o", out), str(out), *words, "choose")
    refused(shotloom("export", path, "-o", tmp_path, "--preset", "png"), "holds the media of shot 'src'")
    assert all(p.read_bytes() == data for p, data in files.items())
    assert shotloom("export", path, "-o", tmp_path / "cut.mp4").returncode == 0
