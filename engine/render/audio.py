"""Audio of the cut: the shots' own sound following the picture edit, plus clips on the audio track.

Sample positions are exact: timeline frame t starts at sample floor(t * rate_s / fps), so the
audio of any range of frames has exactly the length of those frames, whatever the frame rate.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.render.plan import RenderPlan

MAX_DECODED_SOURCES = 8


def sample_at(frame: int, fps: Fraction, sample_rate: int) -> int:
    """First audio sample of a frame (exact rational arithmetic)."""
    return math.floor(Fraction(frame) * sample_rate / fps)


class AudioMixer:
    def __init__(
        self,
        plan: RenderPlan,
        audio_clips: Sequence = (),
        *,
        sample_rate: int = 48000,
        channels: int = 2,
    ) -> None:
        self.plan = plan
        self.clips = tuple(audio_clips)
        self.sample_rate = sample_rate
        self.channels = channels
        self._decoded: OrderedDict[Path, np.ndarray | None] = OrderedDict()

    def has_audio(self) -> bool:
        """Whether anything in the cut makes a sound (else the export has no audio stream)."""
        if self.clips:
            return True
        media = {s.media_path for s in self.plan.spans if s.media_path is not None}
        return any(self._audio(m) is not None for m in media)

    def _audio(self, media: Path) -> np.ndarray | None:
        if media in self._decoded:
            self._decoded.move_to_end(media)
            return self._decoded[media]
        from engine.media import read_audio

        audio = read_audio(media, sample_rate=self.sample_rate, channels=self.channels)
        self._decoded[media] = audio
        if len(self._decoded) > MAX_DECODED_SOURCES:
            self._decoded.popitem(last=False)
        return audio

    def _s(self, frame: int) -> int:
        return sample_at(frame, self.plan.rate, self.sample_rate)

    def _add(self, out: np.ndarray, media: Path, source_start: int, gain: float) -> None:
        audio = self._audio(media)
        if audio is None or source_start >= audio.shape[1]:
            return
        start = max(source_start, 0)
        skip = start - source_start
        n = min(out.shape[1] - skip, audio.shape[1] - start)
        if n > 0:
            out[:, skip : skip + n] += gain * audio[:, start : start + n]

    def frames(self, t0: int, t1: int) -> np.ndarray:
        """Mixed audio for timeline frames [t0, t1) as float32 (channels, samples)."""
        s0 = self._s(t0)
        out = np.zeros((self.channels, self._s(t1) - s0), np.float32)
        for t in range(t0, t1):
            a, b = self._s(t) - s0, self._s(t + 1) - s0
            mix = self.plan.mix_at(t)
            if mix is None:
                parts = ((self.plan.span_at(t), 1.0),)
            else:
                wa, _, wb = mix.weights(t)
                parts = ((mix.a, wa), (mix.b, wb))
            for span, weight in parts:
                if weight <= 0 or span.media_path is None:
                    continue
                # Continuous mapping per shot, so a shot's sound never skips a sample at frame
                # boundaries; before the cut, the later shot plays its handle.
                source = self._s(span.source_in) + (self._s(t) - self._s(span.start))
                self._add(out[:, a:b], span.media_path, source, weight)
        for clip in self.clips:
            lo, hi = max(t0, clip.start), min(t1, clip.start + clip.frames)
            if lo >= hi:
                continue
            gain = 10 ** (getattr(clip, "gain_db", 0.0) / 20)
            a, b = self._s(lo) - s0, self._s(hi) - s0
            source = self._s(clip.source_in + (lo - clip.start))
            self._add(out[:, a:b], Path(clip.path), source, gain)
        np.clip(out, -1.0, 1.0, out=out)
        return out
