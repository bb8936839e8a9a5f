"""FrameReader: exact frames in presentation order on real encoded files of many kinds."""

from __future__ import annotations

import bisect
import random
from fractions import Fraction

import numpy as np
import pytest

from engine.media import FrameReader, probe
from engine.media.synthetic import decode_index, make_test_clip, synthetic_frame, vfr_times

SIZE = (160, 96)
FRAMES = 36

CLIPS = {
    "h264_bframes_gop12.mp4": {"codec": "libx264", "gop": 12, "bframes": 3},
    "h264_longgop_ntsc.mkv": {"codec": "libx264", "gop": 36, "bframes": 2, "rate": Fraction(30000, 1001)},
    "h264_ntsc.mp4": {"codec": "libx264", "gop": 10, "bframes": 2, "rate": Fraction(30000, 1001), "audio": True},
    "h264_start_pts.mp4": {"codec": "libx264", "gop": 10, "bframes": 2, "start_pts": 100},
    "h264_start_pts_25.mkv": {"codec": "libx264", "gop": 8, "bframes": 2, "start_pts": 37, "rate": 25},
    "h264_audio_25.mov": {"codec": "libx264", "gop": 12, "bframes": 2, "rate": 25, "audio": True},
    "mpeg4_bframes.avi": {"codec": "mpeg4", "gop": 10, "bframes": 2},
    "mpeg4_25.mp4": {"codec": "mpeg4", "gop": 9, "bframes": 1, "rate": 25},
    "mjpeg.mov": {"codec": "mjpeg"},
    "vp9_ntsc_audio.webm": {"codec": "libvpx-vp9", "gop": 10, "rate": Fraction(30000, 1001), "audio": True},
    "prores.mov": {"codec": "prores_ks", "rate": 25},
    "hevc_bframes.mp4": {"codec": "libx265", "gop": 10, "bframes": 3},
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {name: make_test_clip(folder / name, frames=FRAMES, size=SIZE, **kw) for name, kw in CLIPS.items()}


@pytest.mark.parametrize("name", list(CLIPS))
def test_every_frame_forward_backward_random(clips, name):
    kw = CLIPS[name]
    with FrameReader(clips[name]) as reader:
        assert reader.frame_count == FRAMES
        assert reader.rate == Fraction(kw.get("rate", 24))
        assert reader.size == SIZE
        assert [decode_index(reader.frame(i)) for i in range(FRAMES)] == list(range(FRAMES))
        assert [decode_index(reader.frame(i)) for i in reversed(range(FRAMES))] == list(
            reversed(range(FRAMES))
        )
        order = list(range(FRAMES)) * 2
        random.Random(name).shuffle(order)
        assert [decode_index(reader.frame(i)) for i in order] == order


def test_frames_are_rgb_contiguous_and_close_to_the_source(clips):
    with FrameReader(clips["prores.mov"]) as reader:
        frame = reader.frame(5)
        assert frame.dtype == np.uint8 and frame.shape == (96, 160, 3) and frame.flags.c_contiguous
        expected = synthetic_frame(5, SIZE).astype(int)
        # ProRes is near-lossless; the colour matrix round trip must hold (BT.709 both ways).
        assert np.abs(frame.astype(int) - expected).mean() < 3.0


def test_forward_stepping_does_not_seek(clips):
    with FrameReader(clips["h264_longgop_ntsc.mkv"]) as reader:
        reader.frame(0)
        seeks = reader.seeks
        for i in range(1, FRAMES):
            reader.frame(i)
        assert reader.seeks == seeks
        # Going back needs a seek, and then lands on the right frame.
        assert decode_index(reader.frame(3)) == 3
        assert reader.seeks == seeks + 1


def test_random_access_decodes_from_the_keyframe_not_the_start(tmp_path):
    path = make_test_clip(tmp_path / "gop.mp4", frames=60, size=SIZE, gop=10, bframes=2)
    with FrameReader(path) as reader:
        reader.frame(55)
        decoded = reader.decoded
        assert decode_index(reader.frame(41)) == 41
        # From the keyframe at 40: only a few frames, not the 42 from the start.
        assert reader.decoded - decoded <= 10


def test_index_errors_and_scaled_frames(clips):
    with FrameReader(clips["mjpeg.mov"]) as reader:
        with pytest.raises(IndexError):
            reader.frame(FRAMES)
        with pytest.raises(IndexError):
            reader.frame(-1)
        small = reader.frame(7, size=(320, 192))
        assert small.shape == (192, 320, 3)
        assert decode_index(small) == 7


def test_non_zero_start_is_frame_zero(clips):
    info = probe(clips["h264_start_pts.mp4"])
    assert info.start_time == pytest.approx(100 / 24, abs=0.01)
    with FrameReader(clips["h264_start_pts.mp4"]) as reader:
        assert decode_index(reader.frame(0)) == 0


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_vfr_is_conformed_by_timestamp(tmp_path, suffix):
    frames = 40
    path = make_test_clip(tmp_path / f"vfr{suffix}", frames=frames, size=SIZE, vfr=True, gop=8)
    times = vfr_times(frames, Fraction(24))
    info = probe(path)
    assert info.vfr and info.fps == 24
    with FrameReader(path) as reader:
        assert reader.vfr and reader.rate == 24
        assert reader.frame_count == 40  # the clip lasts exactly 40/24 s
        expected = [bisect.bisect_right(times, Fraction(i, 24)) - 1 for i in range(reader.frame_count)]
        assert [decode_index(reader.frame(i)) for i in range(reader.frame_count)] == expected
        assert expected != list(range(frames))  # some frames are held, some dropped
        backwards = [decode_index(reader.frame(i)) for i in reversed(range(reader.frame_count))]
        assert backwards == expected[::-1]


@pytest.mark.parametrize("target", [Fraction(24), Fraction(30000, 1001), Fraction(50)])
def test_rate_conform_drops_and_duplicates_by_timestamp(clips, target):
    name = "h264_audio_25.mov"  # 25 fps source
    with FrameReader(clips[name], rate=target) as reader:
        assert reader.rate == target
        duration = Fraction(FRAMES, 25)
        assert reader.frame_count == -(-duration * target // 1)
        got = [decode_index(reader.frame(i)) for i in range(reader.frame_count)]
        expected = [int(Fraction(i) / target * 25) for i in range(reader.frame_count)]
        assert got == expected


def test_ntsc_source_read_at_its_own_rate_is_identity(clips):
    with FrameReader(clips["h264_ntsc.mp4"], rate=Fraction(30000, 1001)) as reader:
        assert [decode_index(reader.frame(i)) for i in range(FRAMES)] == list(range(FRAMES))


def test_stills_are_one_frame(tmp_path):
    for suffix in (".png", ".jpg"):
        path = make_test_clip(tmp_path / f"still{suffix}", frames=1, size=SIZE)
        with FrameReader(path) as reader:
            assert reader.frame_count == 1 and reader.size == SIZE
            assert decode_index(reader.frame(0)) == 0
            with pytest.raises(IndexError):
                reader.frame(1)
        info = probe(path)
        assert info.is_image and info.frame_count == 1 and (info.width, info.height) == SIZE


def test_readers_in_threads_are_independent(clips):
    from concurrent.futures import ThreadPoolExecutor

    def read_all(seed: int) -> bool:
        order = list(range(FRAMES))
        random.Random(seed).shuffle(order)
        with FrameReader(clips["h264_bframes_gop12.mp4"]) as reader:
            return all(decode_index(reader.frame(i)) == i for i in order)

    with ThreadPoolExecutor(3) as pool:
        assert all(pool.map(read_all, range(3)))
