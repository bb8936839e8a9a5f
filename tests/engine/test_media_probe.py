"""probe / probe_isolated, and bad input: one-line MediaError naming the file, process survives."""

from __future__ import annotations

import os
import stat
from fractions import Fraction

import pytest

from engine.errors import MediaError
from engine.media import FrameReader, isolated, probe, probe_isolated, read_audio, thumbnail
from engine.media.synthetic import make_test_clip, synthetic_frame

SIZE = (160, 96)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    return {
        "ntsc": make_test_clip(folder / "ntsc.mp4", frames=30, size=SIZE, rate=Fraction(30000, 1001),
                               audio=True),
        "webm": make_test_clip(folder / "clip.webm", frames=20, size=SIZE, codec="libvpx-vp9", rate=25),
        "start": make_test_clip(folder / "start.mkv", frames=20, size=SIZE, start_pts=48),
    }


def test_probe_reports_streams_exactly(good):
    info = probe(good["ntsc"])
    assert info.has_video and info.has_audio and not info.is_image
    assert (info.width, info.height) == SIZE
    assert info.rate == "30000/1001" and info.fps == Fraction(30000, 1001)
    assert info.frame_count == 30 and info.duration_frames == 30
    assert info.codec == "h264" and info.pix_fmt == "yuv420p" and not info.vfr
    assert info.audio_rate == 48000 and info.audio_channels == 2 and info.audio_codec == "aac"
    webm = probe(good["webm"])
    assert webm.frame_count == 20 and webm.fps == 25 and not webm.has_audio and webm.codec == "vp9"
    assert probe(good["start"]).start_time == pytest.approx(2.0)


def test_probe_isolated_matches_probe(good):
    for path in good.values():
        assert probe_isolated(path) == probe(path)


def _bad_files(folder):
    real = make_test_clip(folder / "real.mp4", frames=24, size=SIZE)
    data = real.read_bytes()
    files = {}
    files["truncated"] = folder / "truncated.mp4"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["random"] = folder / "random.mp4"
    files["random"].write_bytes(os.urandom(4096))
    files["empty"] = folder / "empty.mp4"
    files["empty"].write_bytes(b"")
    png = make_test_clip(folder / "picture.png", frames=1, size=SIZE)
    files["image"] = folder / "picture.mp4"
    files["image"].write_bytes(png.read_bytes())
    files["text"] = folder / "notes.mov"
    files["text"].write_text("this is not a video\n" * 50)
    files["missing"] = folder / "missing.mp4"
    return files


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return _bad_files(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("kind", ["truncated", "random", "empty", "image", "text", "missing"])
@pytest.mark.parametrize("opener", [probe, probe_isolated, FrameReader, thumbnail, read_audio],
                         ids=["probe", "probe_isolated", "FrameReader", "thumbnail", "read_audio"])
def test_bad_input_is_one_line_naming_the_file(bad, kind, opener):
    path = bad[kind]
    with pytest.raises(MediaError) as info:
        opener(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message and "Traceback" not in message
    assert len(message) < 300


def test_image_named_mp4_says_what_to_do(bad):
    with pytest.raises(MediaError, match="rename it"):
        probe(bad["image"])


def _script(folder, name, body):
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_child_crash_timeout_and_garbage_become_media_errors(tmp_path, good, monkeypatch):
    import shutil

    # A fresh copy: a file this process already probed is answered from memory, with no child.
    target = tmp_path / "fresh.webm"
    shutil.copyfile(good["webm"], target)
    crash = _script(tmp_path, "crash.sh", "kill -SEGV $$")
    monkeypatch.setattr(isolated, "_python", lambda: crash)
    with pytest.raises(MediaError, match="crashed the media decoder .*SIGSEGV") as err:
        probe_isolated(target)
    assert str(target) in str(err.value)

    hang = _script(tmp_path, "hang.sh", "exec sleep 30")
    monkeypatch.setattr(isolated, "_python", lambda: hang)
    with pytest.raises(MediaError, match="stopped responding for 0.5 s") as err:
        probe_isolated(target, timeout=0.5)
    assert str(target) in str(err.value)

    garbage = _script(tmp_path, "garbage.sh", "echo '\\x00 not json {'; echo '{\"info\": {\"width\": \"x\"}}'")
    monkeypatch.setattr(isolated, "_python", lambda: garbage)
    with pytest.raises(MediaError, match="unreadable data"):
        probe_isolated(target)

    silent = _script(tmp_path, "silent.sh", "exit 1")
    monkeypatch.setattr(isolated, "_python", lambda: silent)
    with pytest.raises(MediaError, match="no answer"):
        probe_isolated(target)


def test_damaged_tail_reads_what_is_there(tmp_path):
    # A VP9 WebM cut short: the frames before the cut are still exact.
    from engine.media.synthetic import decode_index

    clip = make_test_clip(tmp_path / "long.webm", frames=40, size=SIZE, codec="libvpx-vp9", rate=25)
    data = clip.read_bytes()
    cut = tmp_path / "cut.webm"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    info = probe_isolated(cut)
    assert 5 < info.frame_count < 40
    with FrameReader(cut) as reader:
        indices = [decode_index(reader.frame(i)) for i in range(reader.frame_count - 1)]
    assert indices == list(range(len(indices)))


def test_still_probe(tmp_path):
    path = tmp_path / "still.png"
    from engine.media import save_png

    save_png(synthetic_frame(0, SIZE), path)
    info = probe_isolated(path)
    assert info.is_image and info.frame_count == 1 and info.size == SIZE and not info.has_audio


@pytest.mark.parametrize("rate", [Fraction(60000, 1001), Fraction(24000, 1001), Fraction(50)])
def test_millisecond_timestamps_are_not_mistaken_for_vfr(tmp_path, rate):
    # Matroska rounds times to 1 ms, so 59.94 fps frames last 16 or 17 ms: still constant rate.
    info = probe(make_test_clip(tmp_path / "ms.mkv", frames=30, size=SIZE, rate=rate, bframes=0))
    assert not info.vfr and info.fps == rate and info.frame_count == 30
