"""Proxies (all-intra scrub copies) and thumbnails."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from engine.errors import Canceled
from engine.media import FrameReader, build_proxy, probe, thumbnail
from engine.media.synthetic import decode_index, make_test_clip
from engine.progress import CancelToken

SIZE = (160, 96)


@pytest.mark.parametrize(
    ("name", "kw"),
    [("longgop.mp4", {"gop": 30, "bframes": 3, "rate": Fraction(30000, 1001), "start_pts": 12}),
     ("vfr.mkv", {"vfr": True}),
     ("mjpeg.mov", {"codec": "mjpeg", "rate": 25})],
)
def test_proxy_is_frame_for_frame_the_source(tmp_path, name, kw):
    src = make_test_clip(tmp_path / name, frames=30, size=SIZE, **kw)
    calls = []
    dst = build_proxy(src, tmp_path / "proxy.mp4", height=64,
                      progress=lambda done, total, msg: calls.append((done, total)))
    assert dst == tmp_path / "proxy.mp4"
    with FrameReader(src) as source, FrameReader(dst) as proxy:
        assert proxy.frame_count == source.frame_count
        assert proxy.rate == source.rate
        assert proxy.size == (106, 64)
        got = [decode_index(proxy.frame(i)) for i in range(proxy.frame_count)]
        assert got == [decode_index(source.frame(i)) for i in range(source.frame_count)]
        assert -1 not in got
    with av.open(str(dst)) as c:
        keys = [p.is_keyframe for p in c.demux(c.streams.video[0]) if p.size]
    assert all(keys) and len(keys) == len(got)
    assert calls[-1] == (len(got), len(got)) and len(calls) == len(got)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "proxy.mp4"])


def test_proxy_of_odd_size_source_is_even(tmp_path):
    src = make_test_clip(tmp_path / "odd.mkv", frames=6, size=(161, 97), codec="mjpeg")
    dst = build_proxy(src, tmp_path / "p.mp4")
    info = probe(dst)
    assert (info.width, info.height) == (158, 96) and info.frame_count == 6  # aspect kept, even


def test_cancel_leaves_nothing(tmp_path):
    src = make_test_clip(tmp_path / "src.mp4", frames=20, size=SIZE)
    token = CancelToken()

    def progress(done, total, msg):
        if done == 5:
            token.cancel()

    with pytest.raises(Canceled):
        build_proxy(src, tmp_path / "proxy.mp4", progress=progress, cancel=token)
    assert [p.name for p in tmp_path.iterdir()] == ["src.mp4"]


def test_thumbnail(tmp_path):
    src = make_test_clip(tmp_path / "src.mp4", frames=10, size=SIZE)
    thumb = thumbnail(src, 7, width=80)
    assert thumb.shape == (48, 80, 3)
    assert decode_index(thumb) == 7
    still = make_test_clip(tmp_path / "still.png", frames=1, size=SIZE)
    assert thumbnail(still, width=40).shape == (24, 40, 3)
