"""VideoWriter presets round-trip: frame count, rate, size, exact frames, audio, clean aborts."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from engine.errors import MediaError
from engine.media import PRESETS, FrameReader, VideoWriter, probe, read_audio
from engine.media.synthetic import decode_index, synthetic_audio, synthetic_frame

SIZE = (160, 96)
FRAMES = 12


def _write(path, preset, rate, *, audio=False, all_intra=False, frames=FRAMES, size=SIZE):
    with VideoWriter(path, preset=preset, rate=rate, size=size, audio_rate=48000 if audio else None,
                     all_intra=all_intra) as writer:
        for k in range(frames):
            writer.write(synthetic_frame(k, size))
        if audio:
            writer.write_audio(synthetic_audio(frames, rate))
    return path


@pytest.mark.parametrize(
    ("preset", "rate"),
    [("h264", Fraction(30000, 1001)), ("h265", Fraction(24)), ("prores", Fraction(25)),
     ("vp9", Fraction(30000, 1001)), ("gif", Fraction(25)), ("png", Fraction(24))],
)
def test_presets_round_trip(tmp_path, preset, rate):
    p = PRESETS[preset]
    out = tmp_path / f"out{p.extension}"
    audio = p.supports_audio
    _write(out, preset, rate, audio=audio)
    info = probe(out)
    assert info.frame_count == FRAMES
    assert (info.width, info.height) == SIZE
    if preset != "png":  # a PNG folder has no rate of its own
        assert info.fps == rate
    assert info.has_audio == audio
    with FrameReader(out, rate=rate) as reader:
        assert reader.frame_count == FRAMES
        assert [decode_index(reader.frame(i)) for i in range(FRAMES)] == list(range(FRAMES))
    if audio:
        samples = read_audio(out)
        expected = FRAMES / rate * 48000
        assert abs(samples.shape[1] - expected) < 2048  # codec frame padding at most
        assert float(np.abs(samples).max()) > 0.2


def test_preset_codecs_are_the_advertised_ones(tmp_path):
    expected = {"h264": ("h264", "yuv420p"), "h265": ("hevc", "yuv420p"),
                "prores": ("prores", "yuv422p10le"), "vp9": ("vp9", "yuv420p")}
    for name, (codec, pix_fmt) in expected.items():
        out = _write(tmp_path / f"c{PRESETS[name].extension}", name, Fraction(24), frames=3)
        info = probe(out)
        assert (info.codec, info.pix_fmt) == (codec, pix_fmt)
        out.unlink()
    assert PRESETS["h264"].options["crf"] == "18"


def test_timestamps_are_exact(tmp_path):
    out = _write(tmp_path / "t.mp4", "h264", Fraction(30000, 1001), frames=10)
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        pts = sorted(p.pts for p in c.demux(s) if p.size)
        times = [Fraction(p) * s.time_base for p in pts]
    assert times == [Fraction(k * 1001, 30000) for k in range(10)]


def test_faststart_puts_the_index_first(tmp_path):
    out = _write(tmp_path / "fs.mp4", "h264", Fraction(24), frames=4)
    head = out.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)


def test_all_intra_makes_every_frame_a_keyframe(tmp_path):
    out = _write(tmp_path / "intra.mp4", "h264", Fraction(24), all_intra=True)
    with av.open(str(out)) as c:
        keys = [p.is_keyframe for p in c.demux(c.streams.video[0]) if p.size]
    assert keys == [True] * FRAMES


def test_colours_survive_the_round_trip(tmp_path):
    frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    frame[:] = (200, 40, 90)
    out = tmp_path / "solid.mp4"
    with VideoWriter(out, preset="h264", rate=24, size=SIZE) as writer:
        for _ in range(3):
            writer.write(frame)
    with FrameReader(out) as reader:
        back = reader.frame(1).reshape(-1, 3).mean(axis=0)
    assert np.abs(back - (200, 40, 90)).max() < 3


def test_odd_size_is_refused_clearly(tmp_path):
    with pytest.raises(MediaError, match="161x97 is odd") as err:
        VideoWriter(tmp_path / "odd.mp4", preset="h264", rate=24, size=(161, 97))
    assert "odd.mp4" in str(err.value)
    assert not (tmp_path / "odd.mp4").exists()
    # PNG has no chroma subsampling: odd sizes are fine there.
    _write(tmp_path / "oddpng", "png", Fraction(24), frames=2, size=(161, 97))


@pytest.mark.parametrize(("preset", "name", "wav"), [("gif", "clip.gif", "clip.wav"),
                                                     ("png", "frames", "frames/frames.wav")])
def test_silent_presets_write_the_sound_as_wav(tmp_path, preset, name, wav):
    rate = Fraction(24)
    with VideoWriter(tmp_path / name, preset=preset, rate=rate, size=SIZE, audio_rate=48000) as writer:
        assert writer.audio_path == tmp_path / wav
        for k in range(FRAMES):
            writer.write(synthetic_frame(k, SIZE))
        writer.write_audio(synthetic_audio(FRAMES, rate))
    info = probe(tmp_path / wav)
    assert info.audio_codec == "pcm_s16le" and info.audio_rate == 48000 and not info.has_video
    heard = read_audio(tmp_path / wav)
    # 16-bit PCM: the very samples that went in, not just the length.
    assert heard.shape[1] == FRAMES * 2000
    assert np.abs(heard - synthetic_audio(FRAMES, rate)).max() < 1e-3


def test_png_sequence_files_are_named_after_the_folder_and_readable_by_all(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = _write(tmp_path / "shots", "png", Fraction(24), frames=3)
    finally:
        os.umask(old)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["shots_000000.png", "shots_000001.png", "shots_000002.png"]
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["shots"]  # no partial left beside it


def test_partials_use_the_projects_name_scheme_and_vanish(tmp_path):
    from engine.fsutil import parse_partial

    writer = VideoWriter(tmp_path / "film.mp4", preset="h264", rate=24, size=SIZE)
    for k in range(40):  # past the encoder's look-ahead, so the muxer has written
        writer.write(synthetic_frame(k, SIZE))
    (partial,) = tmp_path.iterdir()
    assert parse_partial(partial).final_name == "film.mp4"
    assert not (tmp_path / "film.mp4").exists()  # nothing under the final name before close
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == ["film.mp4"]


def test_unknown_preset_names_the_choices(tmp_path):
    with pytest.raises(MediaError, match="h264, h265, prores, vp9, gif, png"):
        VideoWriter(tmp_path / "a.avi", preset="divx", rate=24, size=SIZE)


def test_wrong_frame_shape_is_a_value_error(tmp_path):
    with VideoWriter(tmp_path / "w.mp4", preset="h264", rate=24, size=SIZE) as writer:
        with pytest.raises(ValueError, match="uint8"):
            writer.write(np.zeros((10, 10, 3), np.uint8))
        writer.write(synthetic_frame(0, SIZE))


def test_abort_deletes_what_it_wrote(tmp_path):
    writer = VideoWriter(tmp_path / "gone.mp4", preset="h264", rate=24, size=SIZE)
    writer.write(synthetic_frame(0, SIZE))
    writer.abort()
    assert not (tmp_path / "gone.mp4").exists()
    # An exception inside the with-block aborts too.
    with pytest.raises(RuntimeError), VideoWriter(tmp_path / "gone2.webm", preset="vp9", rate=24,
                                                  size=SIZE) as w:
        w.write(synthetic_frame(0, SIZE))
        raise RuntimeError("stop")
    assert not (tmp_path / "gone2.webm").exists()


def test_png_sequence_abort_keeps_the_users_files(tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    writer = VideoWriter(folder, preset="png", rate=24, size=SIZE)
    writer.write(synthetic_frame(0, SIZE))
    writer.write(synthetic_frame(1, SIZE))
    assert list(folder.glob("*.png")) == []  # written beside it until complete
    writer.abort()
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shots"]


def test_png_sequence_into_an_existing_folder_replaces_only_its_own_files(tmp_path):
    folder = tmp_path / "shots"
    _write(folder, "png", Fraction(24), frames=5)
    (folder / "keep.txt").write_text("mine")
    (folder / "shots_notes.png").write_bytes(b"not a frame of ours")
    _write(folder, "png", Fraction(24), frames=2)
    assert sorted(p.name for p in folder.iterdir()) == [
        "keep.txt", "shots_000000.png", "shots_000001.png", "shots_notes.png"]
    assert (folder / "keep.txt").read_text() == "mine"


def test_unwritable_location_is_a_media_error(tmp_path):
    with pytest.raises(MediaError, match="cannot be written"):
        VideoWriter(tmp_path / "no" / "such" / "dir" / "x.mp4", preset="h264", rate=24, size=SIZE)


def test_gif_gets_a_palette_per_frame(tmp_path):
    out = _write(tmp_path / "pal.gif", "gif", Fraction(25), frames=6)
    with FrameReader(out) as reader:
        error = np.abs(reader.frame(4).astype(int) - synthetic_frame(4, SIZE)).mean()
    # A fixed 3-3-2 palette is off by about 14 levels on this footage; a made palette by ~5.
    assert error < 8


FIELDS = ("times", "packets", "keys", "corrupt", "pkt_pos", "pkt_dts", "pkt_pts", "pkt_size")


@pytest.mark.parametrize("preset", ["h264", "h265", "prores", "vp9", "gif"])
def test_what_we_write_is_known_without_decoding_it_again(tmp_path, preset, monkeypatch):
    from engine.media import scan

    rate = Fraction(30000, 1001)
    out = _write(tmp_path / f"o{PRESETS[preset].extension}", preset, rate, frames=20,
                 audio=PRESETS[preset].supports_audio)
    remembered = scan.cached_scan(out)
    assert remembered is not None  # the writer left its scan behind, read by demuxing alone
    # ... and it is exactly what decoding the whole file finds.
    scan._memory.clear()
    monkeypatch.setattr(scan, "cached_scan", lambda path: None)
    decoded = scan.scan_media(out)
    a, b = remembered.video, decoded.video
    assert all(np.array_equal(getattr(a, n), getattr(b, n)) for n in FIELDS)
    assert (a.end, a.rate, a.vfr, a.time_base) == (b.end, b.rate, b.vfr, b.time_base)
    assert remembered.audio_packets == decoded.audio_packets
