"""conform_frame geometry, PNG save/load, synthetic index code robustness."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import MediaError
from engine.media import conform_frame, load_image, save_png
from engine.media.synthetic import decode_index, synthetic_frame


def test_fit_letterboxes_with_black():
    frame = np.full((100, 200, 3), 255, np.uint8)
    out = conform_frame(frame, (200, 200), "fit")
    assert out.shape == (200, 200, 3)
    assert out[:50].max() == 0 and out[150:].max() == 0 and out[50:150].min() == 255
    pillar = conform_frame(frame, (400, 100), "fit")
    assert pillar[:, :100].max() == 0 and pillar[:, 100:300].min() == 255


def test_fill_crops_the_centre():
    frame = np.zeros((100, 200, 3), np.uint8)
    frame[:, 50:150] = 255
    out = conform_frame(frame, (100, 100), "fill")
    assert out.shape == (100, 100, 3) and out.min() == 255


def test_stretch_and_identity():
    frame = synthetic_frame(321, (160, 96))
    out = conform_frame(frame, (320, 120), "stretch")
    assert out.shape == (120, 320, 3) and decode_index(out) == 321
    assert conform_frame(frame, (160, 96)) is not None
    assert np.array_equal(conform_frame(frame, (160, 96)), frame)
    with pytest.raises(ValueError):
        conform_frame(frame, (10, 10), "squash")


def test_odd_sizes():
    out = conform_frame(synthetic_frame(0, (161, 97)), (75, 33), "fit")
    assert out.shape == (33, 75, 3)


def test_png_round_trip_is_lossless(tmp_path):
    frame = synthetic_frame(77, (160, 96), seed=3, color=(10, 200, 30))
    path = save_png(frame, tmp_path / "f.png")
    assert np.array_equal(load_image(path), frame)
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]


def test_load_image_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG not really")
    with pytest.raises(MediaError, match="bad.png"):
        load_image(bad)
    with pytest.raises(MediaError, match="no such file"):
        load_image(tmp_path / "none.png")


def test_index_code_survives_noise_and_rejects_mixes():
    rng = np.random.default_rng(0)
    for index in (0, 1, 255, 4097, 65535):
        frame = synthetic_frame(index, (160, 96)).astype(np.int16)
        noisy = np.clip(frame + rng.normal(0, 20, frame.shape), 0, 255).astype(np.uint8)
        assert decode_index(noisy) == index
    a, b = synthetic_frame(10, (160, 96)), synthetic_frame(11, (160, 96))
    mix = ((a.astype(np.uint16) + b) // 2).astype(np.uint8)
    assert decode_index(mix) == -1
    assert decode_index(np.zeros((96, 160, 3), np.uint8)) == -1
