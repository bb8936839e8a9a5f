"""Save and load: round trips at 24/25/30000-1001 fps, atomic saves with a .bak, refusal of damaged,
newer or path-escaping project files (with nothing written), saves interrupted at every write step
and by killing the saving process."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from engine.errors import ProjectError
from engine.fsutil import parse_partial
from engine.media.synthetic import make_test_clip
from engine.project import (
    SCHEMA_VERSION,
    AddAudioClip,
    InsertShot,
    Project,
    SetNotes,
    SetTransition,
)
from engine.project.storage import BACKUP_GENERATIONS, backup_files

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_test_clip(tmp_path_factory.mktemp("media") / "a.mp4", frames=36, size=(64, 48),
                          audio=True)


def build(path: Path, clip: Path, fps: Fraction) -> Project:
    p = Project.create(path, fps=fps, size=(64, 48))
    local = p.path / "media" / "imported" / clip.name  # (import_media has its own test)
    shutil.copy(clip, local)
    p.apply(InsertShot(0, "one", media_path=local, source_in=2, frames=20))
    p.apply(InsertShot(1, "two", media_path=clip, source_in=6, frames=24))
    p.apply(InsertShot(2, "three", frames=30, recipe={"prompt": "dawn", "seed": 7}))
    shots = p.shots()
    p.apply(SetTransition(shots[1].id, "crossfade", 5))
    p.apply(SetNotes(shots[2].id, "ünïcode ✓"))
    p.apply(AddAudioClip(clip, 3, 20, gain_db=-3.5))
    return p


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(f.relative_to(folder)): (f.stat().st_size, f.stat().st_mtime_ns)
            for f in sorted(folder.rglob("*")) if f.is_file()}


def refused_open(bundle: Path, *words: str) -> str:
    before = snapshot(bundle)
    with pytest.raises(ProjectError) as info:
        Project.open(bundle)
    message = str(info.value)
    assert "\n" not in message
    for w in words:
        assert w in message
    assert snapshot(bundle) == before
    return message


@pytest.mark.parametrize("fps", [Fraction(30000, 1001), Fraction(25), Fraction(24)])
def test_save_and_open_round_trip(tmp_path, clip, fps):
    p = build(tmp_path / "film", clip, fps)
    assert p.dirty
    p.save()
    assert not p.dirty
    q = Project.open(p.path)
    assert q.serialize() == p.serialize()
    assert (q.id, q.name, q.fps, q.size, q.duration) == (p.id, p.name, fps, (64, 48), p.duration)
    assert q.shots() == p.shots() and q.audio_clips() == p.audio_clips()
    raw = json.loads((p.path / "project.otio").read_text())
    settings = raw["metadata"]["shotloom"]
    assert settings["fps"] == f"{fps.numerator}/{fps.denominator}"
    assert settings["schema_version"] == SCHEMA_VERSION
    one, two, three = q.shots()
    assert one.takes[0].kind == "imported" and not one.takes[0].by_reference
    assert one.media_path.parent == p.path / "media" / "imported"
    assert two.takes[0].by_reference and two.media_path == clip
    assert two.transition_in.frames == 5 and two.start == 20 and two.source_in == 11
    assert three.notes == "ünïcode ✓" and three.status == "pending"
    # Stored media paths: relative inside the bundle, absolute only when imported by reference.
    urls = [c["media_references"] for c in raw["tracks"]["children"][0]["children"] if "media_references" in c]
    stored = [r["target_url"] for refs in urls for r in refs.values() if "target_url" in r]
    assert stored[0] == f"media/imported/{clip.name}" and stored[1] == str(clip)


def test_save_keeps_the_previous_file_as_bak(tmp_path, clip):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    first = (p.path / "project.otio").read_text()
    p.apply(SetNotes(p.shots()[0].id, "second"))
    p.save()
    assert (p.path / "project.otio.bak").read_text() == first
    assert Project.open(p.path).shots()[0].notes == "second"
    assert not [f for f in os.listdir(p.path) if f.startswith(".tmp")]


def test_create_refuses_a_non_empty_folder_and_open_a_non_project(tmp_path):
    (tmp_path / "busy.shotloom").mkdir()
    (tmp_path / "busy.shotloom" / "x.txt").write_text("mine")
    with pytest.raises(ProjectError, match="not an empty folder"):
        Project.create(tmp_path / "busy")
    assert os.listdir(tmp_path / "busy.shotloom") == ["x.txt"]
    with pytest.raises(ProjectError, match="is not a Shotloom project folder"):
        Project.open(tmp_path / "absent")
    refused_open(tmp_path / "busy.shotloom", "does not exist")
    with pytest.raises(ProjectError, match="frame rate"):
        Project.create(tmp_path / "bad", fps=0)


def _rewrite(bundle: Path, change) -> None:
    f = bundle / "project.otio"
    raw = json.loads(f.read_text())
    change(raw)
    f.write_text(json.dumps(raw))


@pytest.mark.parametrize("damage,words", [
    (lambda f: f.write_text(f.read_text()[:-200]), "not valid JSON"),
    (lambda f: f.write_bytes(os.urandom(500)), "damaged"),
    (lambda f: f.write_text(""), "damaged"),
    (lambda f: f.write_text('{"OTIO_SCHEMA": "Timeline.1", "metadata": {}}'), "not a Shotloom project"),
    (lambda f: f.write_text(f.read_text().replace('"fps": "24/1"', '"fps": "fast"')), "fps"),
    (lambda f: f.write_text(f.read_text().replace('"Clip.2"', '"Clap.2"', 1)), "damaged"),
])
def test_damaged_project_is_refused_offering_the_bak(tmp_path, clip, damage, words):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    p.save()  # a .bak exists
    damage(p.path / "project.otio")
    message = refused_open(p.path, words)
    assert str(p.path / "project.otio.bak") in message


def test_broken_structure_is_refused(tmp_path, clip):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()

    def transition_first(raw):
        children = raw["tracks"]["children"][0]["children"]
        children.insert(0, children.pop(1))

    _rewrite(p.path, transition_first)
    (p.path / "project.otio.bak").unlink()
    refused_open(p.path, "transition", "damaged", "no backup")


def test_newer_schema_is_refused(tmp_path, clip):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    p.save()
    _rewrite(p.path, lambda raw: raw["metadata"]["shotloom"].update(schema_version=SCHEMA_VERSION + 1))
    message = refused_open(p.path, "newer Shotloom", "project.otio.bak")
    assert f"format {SCHEMA_VERSION + 1}" in message


def _set_first_url(raw, url, by_reference=None):
    clip = raw["tracks"]["children"][0]["children"][0]
    ref = next(iter(clip["media_references"].values()))
    ref["target_url"] = url
    if by_reference is not None:
        ref["metadata"]["shotloom"]["by_reference"] = by_reference


@pytest.mark.parametrize("url", ["../outside.mp4", "media/../../outside.mp4", "/etc/passwd",
                                 "file:///etc/passwd", "~/x.mp4"])
def test_paths_escaping_the_bundle_are_refused(tmp_path, clip, url):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    _rewrite(p.path, lambda raw: _set_first_url(raw, url))
    refused_open(p.path, "escapes the project bundle", repr(url))


def test_symlink_out_of_the_bundle_is_refused(tmp_path, clip):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    link = p.path / "media" / "imported" / "link.mp4"
    link.symlink_to(clip)
    _rewrite(p.path, lambda raw: _set_first_url(raw, "media/imported/link.mp4"))
    refused_open(p.path, "symlink")


def test_outside_path_is_allowed_for_media_imported_by_reference(tmp_path, clip):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    _rewrite(p.path, lambda raw: _set_first_url(raw, str(clip), by_reference=True))
    assert Project.open(p.path).shots()[0].media_path == clip
    _rewrite(p.path, lambda raw: _set_first_url(raw, "relative/x.mp4", by_reference=True))
    refused_open(p.path, "must be absolute")

    def generated_outside(raw):
        _set_first_url(raw, str(clip), by_reference=True)
        ref = next(iter(raw["tracks"]["children"][0]["children"][0]["media_references"].values()))
        ref["metadata"]["shotloom"]["kind"] = "generated"

    _rewrite(p.path, generated_outside)
    refused_open(p.path, "only imported media may live outside")


def test_import_media_copies_into_the_bundle_or_references(tmp_path, clip):
    p = Project.create(tmp_path / "film", size=(64, 48))
    copied = p.import_media(clip, copy=True)
    again = p.import_media(clip, copy=True)
    assert copied == p.path / "media" / "imported" / clip.name and again.name == "a-1.mp4"
    assert copied.read_bytes() == clip.read_bytes()
    assert p.import_media(clip) == clip
    with pytest.raises(ProjectError, match="not found"):
        p.import_media(tmp_path / "nope.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(Exception) as info:
        p.import_media(bad, copy=True)
    assert "bad.mp4" in str(info.value) and "\n" not in str(info.value)
    visible = [n for n in os.listdir(p.path / "media" / "imported") if not n.startswith(".")]
    assert sorted(visible) == ["a-1.mp4", "a.mp4"]
    # The copies are part of the project once it is saved (no partial twins left then) …
    p.apply(InsertShot(0, "a", media_path=copied))
    p.save()
    assert sorted(os.listdir(p.path / "media" / "imported")) == ["a-1.mp4", "a.mp4"]
    # … and a copy whose import is given up (closed unsaved) is removed with its twin.
    late = p.import_media(clip, copy=True)
    assert late.name == "a-2.mp4"
    p.close()
    assert sorted(os.listdir(p.path / "media" / "imported")) == ["a-1.mp4", "a.mp4"]


def test_save_to_writes_an_autosave_and_never_the_project_file(tmp_path, clip):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    saved = (p.path / "project.otio").read_bytes()
    p.apply(SetNotes(p.shots()[0].id, "unsaved work"))
    target = p.save_to(tmp_path / "autosave" / f"{p.id}.otio")
    assert p.dirty and (p.path / "project.otio").read_bytes() == saved
    with pytest.raises(ProjectError, match="use save"):
        p.save_to(p.path / "project.otio")
    recovered = Project.open(p.path, from_file=target)
    assert recovered.dirty and recovered.serialize() == p.serialize()
    assert recovered.shots()[0].notes == "unsaved work"


# ---- interrupted saves ----------------------------------------------------------------------------

class Boom(OSError):
    pass


def _count_calls(monkeypatch, fail_at: int | None, no_links: bool = False) -> list[str]:
    """Wrap the write-path system calls; the call number fail_at raises (disk full). no_links:
    a filesystem without hard links (the .bak is then copied)."""
    calls: list[str] = []
    for name in ("write", "fsync", "replace", "link", "open"):
        real = getattr(os, name)

        def wrapper(*args, _real=real, _name=name, **kwargs):
            if no_links and _name == "link":
                raise OSError(1, "Operation not permitted")
            calls.append(_name)
            if fail_at is not None and len(calls) - 1 == fail_at:
                raise Boom(28, "No space left on device")
            return _real(*args, **kwargs)

        monkeypatch.setattr(os, name, wrapper)
    return calls


@pytest.mark.parametrize("no_links", [False, True])
def test_save_interrupted_at_every_step_leaves_old_or_new(tmp_path, clip, monkeypatch, no_links):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    p = Project.open(p.path, writer="test")  # the lock is held: a save makes no lock calls of its own
    for n in range(BACKUP_GENERATIONS):  # every backup generation exists: each save makes the same calls
        p.apply(SetNotes(p.shots()[0].id, str(n)))
        p.save()
    p.apply(SetNotes(p.shots()[0].id, "x" * 3_000_000))  # several write() chunks
    old_text = (p.path / "project.otio").read_text()
    new_text = p.serialize()

    def put_back(text):  # the file as it was before this save, as if this program had written it
        (p.path / "project.otio").write_text(text)
        p._disk_digest = hashlib.sha256(text.encode()).hexdigest()
        for bak in backup_files(p.path / "project.otio.bak"):  # a save failed mid-rotation leaves a gap
            if not bak.exists():
                bak.write_text(text)

    # The system calls of one clean save, then the old file back.
    with monkeypatch.context() as m:
        calls = _count_calls(m, None, no_links)
        p.save()
    last_replace = len(calls) - 1 - calls[::-1].index("replace")
    put_back(old_text)
    assert len(calls) > 8 and calls.count("write") >= 3
    for k in range(len(calls)):
        with monkeypatch.context() as m:
            _count_calls(m, k, no_links)
            try:
                p.save()
                failed = False
            except ProjectError as exc:
                failed = True
                assert "No space left" in str(exc) and "\n" not in str(exc)
        on_disk = (p.path / "project.otio").read_text()
        assert on_disk in (old_text, new_text), f"broken project after failing at step {k}"
        if calls[k] == "link":  # no hard link possible: the .bak is made by copying instead
            assert not failed and on_disk == new_text
            assert (p.path / "project.otio.bak").read_text() == old_text
        elif k > last_replace:  # only the folder's fsync is left: the new file is in place
            assert on_disk == new_text
        else:
            assert failed and on_disk == old_text
        Project.open(p.path)
        assert not [f for f in os.listdir(p.path) if parse_partial(f)], f"partial file left at step {k}"
        put_back(old_text)  # the old state back for the next step


CHILD = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from engine.project import Project, SetNotes
p = Project.open(Path(sys.argv[1]))
shot = p.shots()[0].id
n = 0
print("ready", flush=True)
while True:
    n += 1
    p.apply(SetNotes(shot, str(n % 10) * 4_000_000))
    p.save()
"""


def test_killing_a_saving_process_never_breaks_the_project(tmp_path, clip):
    p = build(tmp_path / "film", clip, Fraction(24))
    p.save()
    script = tmp_path / "saver.py"
    script.write_text(CHILD)
    rng = random.Random(1234)
    for trial in range(6):
        child = subprocess.Popen([sys.executable, str(script), str(p.path), str(REPO)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        q = Project.open(p.path)
        notes = q.shots()[0].notes
        assert notes == "" or (len(notes) == 4_000_000 and len(set(notes)) == 1), f"trial {trial}"
        assert q.problems() == []
        bak = p.path / "project.otio.bak"
        if bak.exists():
            Project.open(p.path, from_file=bak)
