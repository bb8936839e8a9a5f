"""A full disk (a real one: a small tmpfs filled to the last byte) never costs work or leaves a
half-done change: an import whose shot cannot be saved changes nothing and can simply be run again,
one whose scrub copies do not fit keeps its shot (once) and says so, the queue can still be listed,
and a generation says which folder is full and what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from gen_fixtures import tiny_models, tiny_models_dir  # noqa: F401

from engine.media.synthetic import make_test_clip
from engine.project import Project

REPO = Path(__file__).resolve().parents[2]


def shotloom(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, timeout=600, env={**os.environ, **(env or {})})


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB disk of its own (tmpfs); `fill()` takes its last free byte, `free()` gives it back."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small disk needs root (CI runs these as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)

    class Disk:
        path = mount
        filler = mount / "filler"

        def fill(self, leave: int = 0) -> None:
            """Take the free space, all but `leave` bytes (roughly: whole blocks)."""
            free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize - leave
            fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            try:
                for size in (1 << 20, 4096, 1):
                    try:
                        while free >= size:
                            free -= os.write(fd, b"\0" * size)
                    except OSError:
                        pass
            finally:
                os.close(fd)

        def free(self) -> None:
            self.filler.unlink(missing_ok=True)

    try:
        yield Disk()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def one_line(res: subprocess.CompletedProcess, *words: str) -> str:
    assert res.returncode == 1, (res.returncode, res.stderr[-2000:])
    lines = [line for line in res.stderr.splitlines() if line.startswith("shotloom:")]  # (and progress bars)
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr[-2000:]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_an_import_that_runs_out_of_disk_changes_nothing_and_can_be_run_again(small_disk, tmp_path):
    clip = make_test_clip(tmp_path / "clip.mp4", frames=48, rate=Fraction(24), size=(320, 240))
    with Project.create(small_disk.path / "film", size=(320, 240), writer="test") as project:
        project.save()
    path = project.path
    before = (path / "project.otio").read_bytes()
    small_disk.fill()
    line = one_line(shotloom("import", path, clip, "--copy"), str(clip), "No space left", "free some disk space")
    assert "/." not in line  # no hidden partial file named
    assert (path / "project.otio").read_bytes() == before
    assert not [p for p in path.rglob("*") if p.is_file() and p.name != ".shotloom-lock"
                and p.parent.name in ("imported", "proxies")]
    small_disk.free()
    assert shotloom("import", path, clip, "--copy").returncode == 0  # run again: one shot, not two
    assert len(Project.open(path).shots()) == 1


def test_scrub_copies_that_do_not_fit_leave_the_shot_in_once(small_disk, tmp_path):
    clip = make_test_clip(tmp_path / "clip.mp4", frames=96, rate=Fraction(24), size=(640, 480))
    with Project.create(small_disk.path / "film", size=(640, 480), writer="test") as project:
        project.save()
    path = project.path
    small_disk.fill(leave=64 << 10)  # the project file fits, the all-intra copy does not
    res = shotloom("import", path, clip)
    assert res.returncode == 0, res.stderr
    warnings = [line for line in res.stderr.splitlines() if line.startswith("shotloom:")]
    assert len(warnings) == 1 and "scrub copies were not built" in warnings[0], res.stderr
    assert f"the disk holding {path} is full" in warnings[0] and "/." not in warnings[0]
    assert len(Project.open(path).shots()) == 1 and res.stdout.strip()
    assert not [p for p in path.rglob("*") if ".partial-" in p.name]


def test_the_queue_can_be_listed_on_a_full_disk(small_disk):
    env = {"SHOTLOOM_HOME": str(small_disk.path / "home")}
    code = "from engine.jobs import JobQueue\nwith JobQueue() as q:\n    q.submit('noop', {'steps': 2})\n"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, env={**os.environ, **env})
    small_disk.fill()
    res = shotloom("queue", "list", "--json", env=env)
    assert res.returncode == 0, res.stderr
    assert [j["status"] for j in json.loads(res.stdout)["jobs"]] == ["queued"]
    assert shotloom("queue", "list", env=env).returncode == 0


def test_a_generation_on_a_full_disk_names_the_folder_and_what_to_do(small_disk, tiny_models):  # noqa: F811
    path = small_disk.path / "gen.shotloom"
    assert shotloom("new", path, "--size", "64x48").returncode == 0
    res = shotloom("shot", "add", path, "--prompt", "rain", "--model", "tiny-ltx", "--seconds", "0.3",
                   "--steps", "2")
    assert res.returncode == 0, res.stderr
    before = (path / "project.otio").read_bytes()
    small_disk.fill()
    line = one_line(shotloom("generate", path), f"the disk holding {path / 'media' / 'generated'} is full",
                    "free some space and generate the shot again")
    assert "/." not in line and "export" not in line
    assert (path / "project.otio").read_bytes() == before
    assert list((path / "media" / "generated").iterdir()) == []
