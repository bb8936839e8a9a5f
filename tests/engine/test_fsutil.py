"""The one home for atomic writes and for the debris a killed writer leaves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.fsutil import (
    atomic_output,
    copy_file_atomic,
    find_debris,
    make_partial_dir,
    parse_partial,
    partial_path,
    publish_dir,
    sweep_debris,
    write_text_atomic,
)
from engine.progress import CancelToken


def test_partial_names_keep_the_extension_and_name_their_owner(tmp_path):
    p = partial_path(tmp_path / "film.mp4")
    assert p.name.startswith(".film.partial-") and p.suffix == ".mp4"
    parsed = parse_partial(p)
    assert parsed is not None and parsed.pid == os.getpid() and parsed.final_name == "film.mp4"
    folder = partial_path(tmp_path / "take-1", folder=True)
    assert parse_partial(folder).final_name == "take-1"
    assert parse_partial(tmp_path / "film.mp4") is None
    assert parse_partial(tmp_path / ".film.partial.mp4") is None


def test_atomic_write_replaces_and_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "a.txt"
    write_text_atomic(target, "one")
    write_text_atomic(target, "two")
    assert target.read_text() == "two"
    with pytest.raises(RuntimeError), atomic_output(target) as temp:
        temp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_copy_can_be_canceled_without_a_trace(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(3 << 20))
    token = CancelToken()
    seen = []

    def progress(done, total, name):
        seen.append(done)
        token.cancel()

    out = tmp_path / "out"
    out.mkdir()
    from engine.errors import Canceled

    with pytest.raises(Canceled):
        copy_file_atomic(src, out / "dst.bin", progress=progress, cancel=token)
    assert list(out.iterdir()) == []
    copy_file_atomic(src, out / "dst.bin")
    assert (out / "dst.bin").read_bytes() == src.read_bytes()


def test_publish_dir_refuses_to_overwrite(tmp_path):
    temp = make_partial_dir(tmp_path / "take")
    (temp / "master.mp4").write_bytes(b"x")
    publish_dir(temp, tmp_path / "take")
    assert (tmp_path / "take" / "master.mp4").is_file()
    other = make_partial_dir(tmp_path / "take")
    with pytest.raises(FileExistsError):
        publish_dir(other, tmp_path / "take")


_WRITER = """
import sys, time
from engine.fsutil import atomic_output, make_partial_dir
from pathlib import Path
folder = Path(sys.argv[1])
d = make_partial_dir(folder / "take")
(d / "master.mp4").write_bytes(b"y" * 1000)
with atomic_output(folder / "film.mp4") as temp:
    temp.write_bytes(b"x" * 5000)
    print("ready", flush=True)
    time.sleep(60)
"""


def test_sweep_removes_only_the_partials_of_dead_writers(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                            cwd=str(Path(__file__).resolve().parents[2]))
    try:
        assert proc.stdout.readline().strip() == "ready"
        # The writer is alive: nothing of it is debris.
        assert find_debris(tmp_path) == []
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    mine = partial_path(tmp_path / "mine.mp4")
    mine.write_bytes(b"z")
    time.sleep(0.01)
    removed = sweep_debris(tmp_path)
    assert sorted(r.path.name.split(".partial")[0] for r in removed) == [".film", ".take"]
    assert sum(r.bytes for r in removed) == 6000
    assert sorted(p.name for p in tmp_path.iterdir()) == [mine.name]  # our own partial stays
