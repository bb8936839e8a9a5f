"""read_audio: resampled float32 from the media's start, in sync with the frames."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from engine.media import read_audio
from engine.media.synthetic import make_test_clip, tone_frequency

SIZE = (160, 96)


def _tone(samples: np.ndarray, rate: int) -> float:
    n = len(samples)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(n), n * 8))
    return float(np.argmax(spectrum)) * rate / (n * 8)


@pytest.mark.parametrize(
    ("name", "kw", "sample_rate", "channels"),
    [("aac.mp4", {"rate": 24}, 48000, 2),
     ("opus.webm", {"codec": "libvpx-vp9", "rate": Fraction(30000, 1001)}, 44100, 1),
     ("late_start.mov", {"rate": 25, "start_pts": 50}, 22050, 2),
     ("late_start.mkv", {"rate": 25, "start_pts": 20}, 48000, 2)],
)
def test_audio_is_in_sync_with_frames(tmp_path, name, kw, sample_rate, channels):
    frames = 24
    rate = Fraction(kw["rate"])
    path = make_test_clip(tmp_path / name, frames=frames, size=SIZE, audio=True, **kw)
    audio = read_audio(path, sample_rate=sample_rate, channels=channels)
    assert audio.dtype == np.float32 and audio.shape[0] == channels and audio.flags.c_contiguous
    expected = frames / rate * sample_rate
    assert abs(audio.shape[1] - expected) < 0.05 * sample_rate
    for k in range(frames):
        start = int(k / rate * sample_rate)
        end = int((k + 1) / rate * sample_rate)
        quarter = (end - start) // 4
        heard = _tone(audio[0, start + quarter:end - quarter], sample_rate)
        assert abs(heard - tone_frequency(k)) < 12, (k, heard, tone_frequency(k))


def test_no_audio_is_none(tmp_path):
    assert read_audio(make_test_clip(tmp_path / "silent.mp4", frames=4, size=SIZE)) is None
    assert read_audio(make_test_clip(tmp_path / "still.png", frames=1, size=SIZE)) is None
