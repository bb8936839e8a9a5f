"""Files creators own, made with the ffmpeg command line, checked against ffmpeg's own decode.

DivX/Xvid AVIs with B-frames (packed and not), damaged frames, files cut short, AC-3 whose first
packet is bad, variable frame rate: frame i is the i-th frame ffmpeg gives, the frame count a
probe reports is the count a decode reaches, damage is named and concealed, sound is kept.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from media_files import (
    FFMPEG,
    FRAMES,
    SIZE,
    b_frame_packets,
    ffmpeg,
    ffmpeg_frames,
    ffmpeg_timeline,
    garble,
    garble_packets,
    read_all,
    video_packets,
)

from engine.media import FrameReader, build_proxy, probe, probe_isolated, read_audio
from engine.media.synthetic import decode_index, make_test_clip, tone_frequency


@pytest.fixture(scope="module")
def master(tmp_path_factory) -> Path:
    """The camera original: lossless, every frame's index in its pixels."""
    folder = tmp_path_factory.mktemp("master")
    return make_test_clip(folder / "master.mkv", frames=FRAMES, size=SIZE, codec="ffv1", gop=1, audio=True)


@pytest.fixture(scope="module")
def avis(master, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("avi")
    # The native encoder stores B-frames one per packet; Xvid (like DivX) packs each B-frame with
    # the frame before it and leaves a tiny placeholder packet behind ("packed B-frames").
    ffmpeg("-i", master, "-c:v", "mpeg4", "-bf", "2", "-g", "12", "-q:v", "3", "-an", folder / "mpeg4.avi")
    ffmpeg("-i", master, "-c:v", "libxvid", "-bf", "2", "-g", "12", "-q:v", "3", "-an", folder / "xvid_packed.avi")
    return {"unpacked": folder / "mpeg4.avi", "packed": folder / "xvid_packed.avi"}


@pytest.mark.parametrize("kind", ["unpacked", "packed"])
def test_mpeg4_avi_with_b_frames_reads_exactly_as_ffmpeg(avis, kind):
    path = avis[kind]
    placeholders = [p for p in video_packets(path) if p.size <= 8]
    assert bool(placeholders) == (kind == "packed")  # the file really is what it says
    theirs = ffmpeg_frames(path)
    info = probe_isolated(path)
    assert info.frame_count == len(theirs) and info.damaged_frames == [] and info.warnings == []
    with FrameReader(path) as reader:
        assert reader.frame_count == len(theirs)
        forward = read_all(reader)
        assert all(np.array_equal(a, b) for a, b in zip(forward, theirs, strict=True))
        order = list(range(reader.frame_count)) * 2
        random.Random(kind).shuffle(order)
        assert all(np.array_equal(reader.frame(i), theirs[i]) for i in order)
        backward = read_all(reader, reversed(range(reader.frame_count)))
        assert all(np.array_equal(a, theirs[i]) for a, i in zip(backward, reversed(range(len(theirs)))))


@pytest.mark.parametrize(("name", "codec", "fmt"), [("dvd.vob", "mpeg2video", "vob"), ("camcorder.mts", "libx264", "mpegts"),
                                                  ("stream.h264", "libx264", "h264"), ("old.m4v", "mpeg4", "m4v")])
def test_dvd_camcorder_and_bare_streams_read_exactly_as_ffmpeg(master, tmp_path, name, codec, fmt):
    path = tmp_path / name
    ffmpeg("-i", master, "-c:v", codec, "-bf", "2", "-g", "12", "-an", "-f", fmt, path)
    theirs = ffmpeg_frames(path)
    with FrameReader(path) as reader:
        assert reader.frame_count == len(theirs) == FRAMES
        order = list(range(FRAMES))
        random.Random(name).shuffle(order)
        assert all(np.array_equal(reader.frame(i), theirs[i]) for i in order)


def test_packed_b_frames_make_a_proxy_with_every_frame(avis, tmp_path):
    theirs = ffmpeg_frames(avis["packed"])
    proxy = build_proxy(avis["packed"], tmp_path / "proxy.mp4")
    with FrameReader(proxy) as reader:
        assert reader.frame_count == len(theirs)
        got = [decode_index(reader.frame(i)) for i in range(reader.frame_count)]
    assert got == [decode_index(f) for f in theirs]


def test_damaged_b_frames_are_named_and_show_the_nearest_good_frame(avis, tmp_path):
    clean = avis["unpacked"]
    hit = b_frame_packets(clean)[3:10:6]  # two B-frames, in different GOPs
    damaged = garble_packets(clean, tmp_path / "damaged.avi", hit)
    theirs = ffmpeg_frames(damaged)
    assert len(theirs) == FRAMES

    info = probe_isolated(damaged)
    assert info.frame_count == FRAMES
    bad = info.damaged_frames
    assert len(bad) == 2 and bad == sorted(bad)
    (warning,) = info.warnings
    assert str(damaged) in warning and f"frames {bad[0]} and {bad[1]}" in warning and "\n" not in warning
    with FrameReader(damaged) as reader:
        frames = read_all(reader)
        for i in range(FRAMES):
            if i in bad:
                # Concealed: the good frame just before it (B-frames: nothing else refers to them).
                assert np.array_equal(frames[i], theirs[i - 1]), i
            else:
                assert np.array_equal(frames[i], theirs[i]), i
        # Reached any way, a frame is the same (preview equals export).
        order = list(range(FRAMES))
        random.Random(3).shuffle(order)
        assert all(np.array_equal(reader.frame(i), frames[i]) for i in order)


def test_frames_that_do_not_decode_keep_their_place(master, tmp_path):
    mjpeg = tmp_path / "camera.avi"
    ffmpeg("-i", master, "-c:v", "mjpeg", "-q:v", "3", "-an", mjpeg)
    damaged = garble_packets(mjpeg, tmp_path / "camera_damaged.avi", [5, 20])
    assert len(ffmpeg_frames(damaged)) == FRAMES - 2  # ffmpeg's decoder gives nothing for those two
    info = probe(damaged)
    assert info.frame_count == FRAMES and info.damaged_frames == [5, 20]
    # The other frames keep their times: a missing one shows the frame before it.
    expected = ffmpeg_timeline(damaged)
    with FrameReader(damaged) as reader:
        got = read_all(reader)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
    assert [decode_index(f) for f in got[4:7]] == [4, 4, 6]


@pytest.mark.parametrize(("name", "codec", "cut"), [("mpeg4.avi", "mpeg4", 0.5), ("xvid.avi", "libxvid", 0.7),
                                                    ("h264.mkv", "libx264", 0.6)])
def test_a_file_cut_short_counts_the_frames_a_decode_reaches(master, tmp_path, name, codec, cut):
    full = tmp_path / name
    ffmpeg("-i", master, "-c:v", codec, "-bf", "2", "-g", "12", "-an", full)
    data = full.read_bytes()
    short = tmp_path / f"short_{name}"
    short.write_bytes(data[: int(len(data) * cut)])
    theirs = ffmpeg_timeline(short)  # up to the last frame a decode reaches
    info = probe_isolated(short)
    assert info.frame_count == len(theirs) < FRAMES - 4
    assert info.declared_frames >= FRAMES - 2 and info.cut_short
    assert any("cut short" in w and f"{len(theirs)} of the {info.declared_frames} frames" in w for w in info.warnings)
    with FrameReader(short) as reader:
        assert reader.frame_count == len(theirs)
        frames = read_all(reader)  # the last frame is reachable: no error at 99 %
    concealed = set(info.damaged_frames)
    assert all(np.array_equal(frames[i], theirs[i]) for i in range(len(theirs)) if i not in concealed)


@pytest.fixture(scope="module")
def ac3_bad_first_packet(master, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("ac3")
    clean = folder / "dvd.avi"
    ffmpeg("-i", master, "-c:v", "mpeg4", "-q:v", "3", "-c:a", "ac3", "-b:a", "192k", clean)
    with av.open(str(clean)) as container:
        first = next(p for p in container.demux(container.streams.audio[0]) if p.size)
        start, size = first.pos, first.size
    data = clean.read_bytes()
    sync = data.index(b"\x0b\x77", start)  # the AC-3 frame's sync word
    assert sync < start + size
    return clean, garble(clean, folder / "dvd_bad_first_packet.avi", [(sync, sync + 2)])


def test_ac3_with_a_bad_first_packet_keeps_its_sound_and_says_what_was_lost(ac3_bad_first_packet):
    clean, bad = ac3_bad_first_packet
    packet = 1536  # samples in one AC-3 frame at 48 kHz
    ours = read_audio(bad, sample_rate=48000)
    whole = read_audio(clean, sample_rate=48000)
    assert ours.shape == whole.shape and ours.shape[1] >= FRAMES / 24 * 48000 - packet
    assert np.abs(ours[:, :packet]).max() == 0  # the lost packet's time is silence, in sync
    # From the next packet on, the very sound of the intact file (once the codec's overlap with
    # the lost packet has passed: one packet).
    assert np.abs(ours[:, 2 * packet:] - whole[:, 2 * packet:]).max() < 2e-3
    # ffmpeg skips the bad packet too and decodes the rest: the same samples.
    out = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-i", str(bad), "-map", "0:a", "-f", "f32le",
                          "-ac", "2", "-ar", "48000", "-"], capture_output=True, check=True, timeout=60)
    theirs = np.frombuffer(out.stdout, np.float32).reshape(-1, 2).T
    n = min(theirs.shape[1], ours.shape[1] - packet)
    assert n > 0.9 * (ours.shape[1] - packet)
    assert np.abs(theirs[:, :n] - ours[:, packet:packet + n]).max() < 1e-4
    # Still in sync: the tone of frame k plays during frame k.
    for k in (2, 17, 30):
        a, b = round(k / 24 * 48000), round((k + 1) / 24 * 48000)
        spectrum = np.abs(np.fft.rfft(ours[0, a + 300:b - 300], 48000))
        assert abs(float(np.argmax(spectrum)) - tone_frequency(k)) < 12


def test_lost_audio_is_a_warning_at_probe(ac3_bad_first_packet):
    _, bad = ac3_bad_first_packet
    info = probe_isolated(bad)
    assert info.audio_lost_packets == 1 and info.audio_lost_seconds == pytest.approx(0.032, abs=0.001)
    (warning,) = info.warnings
    assert str(bad) in warning and "1 damaged audio packet (0.03 s)" in warning and "silence" in warning


@pytest.mark.parametrize("frames", range(64, 72))
def test_the_last_frame_of_a_vfr_clip_is_reachable(tmp_path, frames):
    path = make_test_clip(tmp_path / "phone.mp4", frames=frames, size=SIZE, vfr=True, gop=8, bframes=0)
    info = probe(path)
    assert info.vfr
    with FrameReader(path) as reader:
        assert reader.frame_count == info.frame_count == info.frames_at(info.fps)
        last = reader.frame(reader.frame_count - 1)
        with pytest.raises(IndexError):
            reader.frame(reader.frame_count)
        # Frame i is the decoded frame on screen at i / rate; the decoded frames are ffmpeg's.
        theirs = ffmpeg_frames(path)
        assert reader.index.frame_count == len(theirs) == frames
        assert np.array_equal(last, theirs[reader.source_index(reader.frame_count - 1)])


def test_lengths_at_other_rates_are_what_the_reader_reads(avis, tmp_path):
    vfr = make_test_clip(tmp_path / "vfr.mkv", frames=50, size=SIZE, vfr=True, gop=8)
    for path in (avis["packed"], avis["unpacked"], vfr):
        info = probe(path)
        for rate in (Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(60)):
            with FrameReader(path, rate=rate) as reader:
                assert info.frames_at(rate) == reader.frame_count, (path.name, rate)


def test_a_scan_is_made_once_per_file(avis, tmp_path, monkeypatch):
    from engine.media import scan

    copy = tmp_path / "copy.avi"
    shutil.copyfile(avis["packed"], copy)
    info = probe_isolated(copy)  # the child scans it and keeps the scan
    calls = []
    real = scan._decode_all
    monkeypatch.setattr(scan, "_decode_all", lambda *a, **k: calls.append(a) or real(*a, **k))
    scan._memory.clear()
    with FrameReader(copy) as reader:
        assert reader.frame_count == info.frame_count
    assert probe(copy) == info
    assert calls == []
