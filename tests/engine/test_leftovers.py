"""A process killed while it writes leaves only partial files (engine.fsutil's one name scheme), and
the next command on that project (or that output folder) removes them: exports, imported copies
and their proxies, Save As copies, generated takes, names older versions left; `doctor` says
what it cleaned. Partial files of a writer that is still running are never touched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from gen_fixtures import tiny_models, tiny_models_dir  # noqa: F401

from engine.fsutil import parse_partial, partial_path
from engine.media.synthetic import make_test_clip
from engine.project import InsertShot, Project

REPO = Path(__file__).resolve().parents[2]


def shotloom(*args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout)


def start(*argv: object) -> subprocess.Popen:
    return subprocess.Popen([str(a) for a in argv], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def kill_when(proc: subprocess.Popen, predicate, timeout: float = 300.0) -> None:
    """SIGKILL the process (and its group) the moment `predicate()` holds, as a crash would."""
    end = time.monotonic() + timeout
    try:
        while not predicate():
            assert proc.poll() is None, "the process ended before the moment to kill it"
            assert time.monotonic() < end, "timed out waiting for the moment to kill"
            time.sleep(0.005)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if parse_partial(p.name) is not None]


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("media")
    return [make_test_clip(folder / f"c{i}.mp4", frames=120, rate=Fraction(24), size=(320, 240), seed=i)
            for i in range(2)]


@pytest.fixture
def film(tmp_path, media) -> Path:
    with Project.create(tmp_path / "film", size=(320, 240), writer="test") as project:
        for clip in media:
            project.apply(InsertShot(len(project.shots()), clip.stem, media_path=clip))
        project.save()
    return project.path


def test_a_killed_export_leaves_a_partial_that_the_next_export_removes(film, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    legacy = out / f".film.partial-{dead_pid()}.mp4"  # what an older Shotloom left
    legacy.write_bytes(b"x" * 1000)
    proc = start(sys.executable, "-m", "engine.cli", "export", film, "-o", out / "film.mp4")
    kill_when(proc, lambda: any(p.stat().st_size > 0 for p in partials(out) if p != legacy))
    assert not legacy.exists()  # swept by the export that was then killed …
    assert not (out / "film.mp4").exists() and len(partials(out)) == 1  # … which left its own
    res = shotloom("export", film, "-o", out / "film.mp4")
    assert res.returncode == 0, res.stderr
    assert [p.name for p in out.iterdir()] == ["film.mp4"]
    from engine.media import FrameReader

    with FrameReader(out / "film.mp4") as reader:
        assert reader.frame_count == 240


def test_a_killed_import_is_taken_back_by_the_next_command(film, tmp_path):
    """Killed after copying a file but before the project was saved (while the next file is
    read): the copy it made goes at the next command; the project never saw the shot."""
    big = make_test_clip(tmp_path / "big.mp4", frames=240, rate=Fraction(24), size=(640, 480), seed=9)
    other = make_test_clip(tmp_path / "other.mp4", frames=240, rate=Fraction(24), size=(640, 480), seed=8)
    before = (film / "project.otio").read_bytes()
    copy = film / "media" / "imported" / "big.mp4"
    proc = start(sys.executable, "-m", "engine.cli", "import", film, big, other, "--copy")
    kill_when(proc, copy.exists)
    assert (film / "project.otio").read_bytes() == before
    res = shotloom("shot", "trim", film, "1", "--in", "1")  # any command that changes the project
    assert res.returncode == 0, res.stderr
    assert partials(film) == [] and list((film / "media" / "imported").iterdir()) == []
    res = shotloom("import", film, big, "--copy", "--no-proxy")
    assert res.returncode == 0, res.stderr
    assert len(Project.open(film).shots()) == 3
    assert [p.name for p in (film / "media" / "imported").iterdir()] == ["big.mp4"]


def test_a_killed_proxy_build_is_swept_by_the_next_command(film, tmp_path):
    """Killed while the scrub copies are built (the shots were saved before): the proxy being
    written goes at the next command, the shots stay."""
    proc = start(sys.executable, "-m", "engine.cli", "import", film, make_test_clip(
        tmp_path / "big.mp4", frames=240, rate=Fraction(24), size=(640, 480), seed=9))
    kill_when(proc, lambda: bool(partials(film / "cache")))
    res = shotloom("shot", "trim", film, "1", "--in", "1")
    assert res.returncode == 0, res.stderr
    assert partials(film) == [] and len(Project.open(film).shots()) == 3


SAVE_AS = """
import sys
from engine.project import Project
Project.open(sys.argv[1]).save_copy(sys.argv[2])
"""


def test_a_killed_save_as_does_not_block_the_next(film, tmp_path):
    (film / "media" / "imported" / "bulk.bin").write_bytes(os.urandom(64 << 20))  # a copy that takes a moment
    folder = tmp_path / "copies"
    folder.mkdir()
    legacy = folder / ".copy.shotloom.partial"  # an older editor's Save As, killed an hour ago
    legacy.mkdir()
    (legacy / "project.otio").write_text("{}")
    os.utime(legacy / "project.otio", (time.time() - 7200,) * 2)
    os.utime(legacy, (time.time() - 7200,) * 2)
    proc = start(sys.executable, "-c", SAVE_AS, film, folder / "copy.shotloom")
    kill_when(proc, lambda: any(p.is_dir() and p != legacy for p in partials(folder)))
    assert not (folder / "copy.shotloom").exists()
    Project.open(film).save_copy(folder / "copy.shotloom")  # the same name again: no "File exists"
    assert sorted(p.name for p in folder.iterdir()) == ["copy.shotloom"]
    copy = Project.open(folder / "copy.shotloom")
    assert [s.name for s in copy.shots()] == ["c0", "c1"]
    assert not (copy.path / ".shotloom-lock").exists() and not (copy.path / "cache").joinpath("proxies").exists()


def test_a_killed_generation_is_swept_by_the_next_command(tmp_path, tiny_models):  # noqa: F811
    path = tmp_path / "gen.shotloom"
    assert shotloom("new", path, "--size", "64x48").returncode == 0
    res = shotloom("shot", "add", path, "--prompt", "rain", "--model", "tiny-ltx", "--seconds", "0.3",
                   "--steps", "2", "--seed", "3")
    assert res.returncode == 0, res.stderr
    generated = path / "media" / "generated"
    proc = start(sys.executable, "-m", "engine.cli", "generate", path)
    kill_when(proc, lambda: bool(partials(generated)))
    assert partials(generated)
    res = shotloom("generate", path)
    assert res.returncode == 0, res.stderr
    (shot,) = Project.open(path).shots()
    assert shot.status == "ready"
    assert partials(path) == []
    assert sorted(p.name for p in generated.iterdir()) == [t.id for t in shot.takes]


def test_older_names_are_swept_live_writers_are_not_and_doctor_says_so(film):
    gone = dead_pid()
    imported = film / "media" / "imported"
    left = [imported / f".tmp-big.mp4.{gone}.0123abcd", film / f".tmp-project.otio.{gone}.89abcdef",
            partial_path(film / "cache" / "proxies" / "x.mp4").with_name(f".x.partial-{gone}-0123abcd.mp4")]
    (film / "cache" / "proxies").mkdir(parents=True, exist_ok=True)
    old_proxy = film / "cache" / "proxies" / ".0123456789abcdef.89abcdef.partial.mp4"
    left.append(old_proxy)
    for path in left:
        path.write_bytes(b"x" * 1_000_000)
    os.utime(old_proxy, (time.time() - 7200,) * 2)
    (film / "media" / "generated" / "5e1f").mkdir()  # an empty take folder of a killed generation
    live = partial_path(imported / "mine.mp4")  # this test process is alive: its partial stays
    live.write_bytes(b"y")
    res = shotloom("doctor", film, "--json")
    checks = {c["check"]: c for c in json.loads(res.stdout)}
    project = checks[f"project {film.name}"]
    assert project["ok"] and "cleaned 5 item(s), 4.0 MB left by killed programs" in project["detail"], project
    assert not any(p.exists() for p in left) and not (film / "media" / "generated" / "5e1f").exists()
    assert live.exists()
