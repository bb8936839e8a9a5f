"""import_as_shot: one probe in a child process, one length, an edit that adds the file or nothing."""

from __future__ import annotations

import subprocess
from fractions import Fraction

import pytest

from engine.errors import ShotloomError
from engine.media import FrameReader, isolated, scan
from engine.media.synthetic import decode_index, make_test_clip
from engine.project import Project
from engine.project.importing import STILL_SECONDS, import_as_shot

SIZE = (160, 96)


@pytest.fixture
def project(tmp_path):
    return Project.create(tmp_path / "p.shotloom", fps=Fraction(30000, 1001), size=SIZE)


@pytest.fixture
def counted(monkeypatch):
    """Counts child probes, and decode passes made in this process."""
    calls = {"children": 0, "scans_here": 0}
    real_popen = subprocess.Popen

    def popen(args, *a, **k):
        if "engine.media.probe_child" in args:
            calls["children"] += 1
        return real_popen(args, *a, **k)

    real_scan = scan._decode_all

    def decode_all(*a, **k):
        calls["scans_here"] += 1
        return real_scan(*a, **k)

    monkeypatch.setattr(isolated.subprocess, "Popen", popen)
    monkeypatch.setattr(scan, "_decode_all", decode_all)
    return calls


@pytest.mark.parametrize("copy", [False, True])
def test_a_video_is_probed_once_in_a_child_and_measured_once(tmp_path, project, counted, copy):
    clip = make_test_clip(tmp_path / "clip.mp4", frames=25, rate=25, size=SIZE)
    imported = import_as_shot(project, clip, copy=copy)
    assert counted == {"children": 1, "scans_here": 0}
    assert imported.info.frame_count == 25 and imported.warnings == ()
    assert imported.copied == copy and (imported.media_path != clip) == copy
    with FrameReader(imported.media_path, rate=project.fps) as reader:  # the length the renderer reads
        assert imported.edit.frames == reader.frame_count == 30
    project.apply(imported.edit)
    (shot,) = project.shots()
    assert shot.frames == 30 and shot.name == "clip"
    assert counted == {"children": 1, "scans_here": 0}  # applying it read nothing again


def test_a_still_gets_the_one_still_length(tmp_path, project, counted):
    still = make_test_clip(tmp_path / "poster.png", frames=1, size=SIZE)
    imported = import_as_shot(project, still, index=0, name="Poster")
    assert imported.edit.frames == round(project.fps * STILL_SECONDS) == 90
    assert imported.edit.index == 0 and imported.edit.name == "Poster"
    project.apply(imported.edit)
    assert project.shots()[0].frames == 90


def test_a_file_that_cannot_be_a_shot_changes_nothing(tmp_path, project):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 5000)
    sound = make_test_clip(tmp_path / "voice.mp4", frames=10, size=SIZE, audio=True)
    import av

    only_sound = tmp_path / "voice.m4a"
    with av.open(str(sound)) as src, av.open(str(only_sound), "w", format="mp4") as dst:
        stream = dst.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(src.streams.audio[0]):
            if packet.size:
                packet.stream = stream
                dst.mux(packet)
    before = project.serialize()
    for path, words in ((broken, "broken.mp4"), (only_sound, "has no picture"), (tmp_path, "a folder"),
                        (tmp_path / "nope.mp4", "not found")):
        with pytest.raises(ShotloomError, match=words):
            import_as_shot(project, path, copy=True)
    assert project.serialize() == before
    imported_dir = project.path / "media" / "imported"
    assert not imported_dir.exists() or list(imported_dir.iterdir()) == []


def test_discard_removes_the_bundle_copy_only(tmp_path, project):
    clip = make_test_clip(tmp_path / "clip.mp4", frames=5, size=SIZE)
    imported = import_as_shot(project, clip, copy=True)
    assert imported.media_path.is_relative_to(project.path)
    imported.discard()
    assert not imported.media_path.exists() and clip.exists()


def test_damaged_file_comes_with_its_warnings(tmp_path, project):
    from media_files import FRAMES, b_frame_packets, ffmpeg, garble_packets

    master = make_test_clip(tmp_path / "m.mkv", frames=FRAMES, size=SIZE, codec="ffv1", gop=1)
    avi = tmp_path / "old.avi"
    ffmpeg("-i", master, "-c:v", "mpeg4", "-bf", "2", "-g", "12", "-q:v", "3", avi)
    damaged = garble_packets(avi, tmp_path / "old_damaged.avi", b_frame_packets(avi)[4:5])
    imported = import_as_shot(project, damaged)
    (warning,) = imported.warnings
    assert str(damaged) in warning and "1 of 36 frames are damaged" in warning
    project.apply(imported.edit)
    with FrameReader(damaged, rate=project.fps) as reader:
        assert project.shots()[0].frames == reader.frame_count
        assert all(decode_index(reader.frame(i)) >= 0 for i in range(reader.frame_count))
