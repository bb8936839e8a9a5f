"""Waveforms for the timeline: the loudness envelope of each media file's sound, worked out off the
UI thread (one file at a time, through the background helper) and kept in memory.

A waveform is the peak level (of the louder channel) of every 1/100 s of the file's first audio
stream, from its start
(the same start the export's mix uses, so the drawing lines up with what is heard).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.services.background import BackgroundTask

PEAKS_PER_SECOND = 100
DECODE_RATE = 4800  # Hz: plenty for an envelope, and ten times less to resample than the mix's rate


@dataclass(frozen=True)
class Waveform:
    peaks: object  # float32 numpy array, 0..1, PEAKS_PER_SECOND per second
    rate: int = PEAKS_PER_SECOND

    def columns(self, first: Fraction, seconds: Fraction, count: int):
        """Peak level in each of `count` equal columns over [first, first + seconds) (numpy)."""
        import numpy as np

        peaks = self.peaks
        if count <= 0 or len(peaks) == 0:
            return np.zeros(max(count, 0), np.float32)
        edges = np.linspace(float(first) * self.rate, float(first + seconds) * self.rate, count + 1)
        edges = np.clip(np.floor(edges).astype(np.int64), 0, len(peaks))
        starts, ends = edges[:-1], np.maximum(edges[1:], edges[:-1] + 1)
        # The loudest peak under each column (one reduceat over [start, end) pairs; a column
        # narrower than a peak shows the peak it falls in, a column past the sound shows silence).
        padded = np.concatenate([peaks, np.zeros(2, peaks.dtype)])
        pairs = np.empty(2 * count, np.int64)
        pairs[0::2], pairs[1::2] = starts, ends
        return np.maximum.reduceat(padded, pairs)[0::2]


def compute_waveform(path: Path) -> Waveform | None:
    """The waveform of `path`'s sound; None when it has none."""
    import numpy as np

    from engine.media import read_audio

    audio = read_audio(path, sample_rate=DECODE_RATE, channels=2)
    if audio is None or audio.shape[1] == 0:
        return None
    samples = np.abs(audio).max(axis=0)  # the louder channel (a downmix would sum them past full scale)
    step = DECODE_RATE // PEAKS_PER_SECOND
    n = len(samples) // step
    peaks = samples[: n * step].reshape(n, step).max(axis=1) if n else np.zeros(0, np.float32)
    if len(samples) > n * step:
        peaks = np.append(peaks, samples[n * step:].max())
    return Waveform(np.clip(peaks, 0.0, 1.0).astype(np.float32))


class WaveformService(QObject):
    """`get(path)` answers at once: the waveform, None while it is being read, or False (no sound)."""

    ready = Signal(str)  # the path whose waveform (or absence of sound) is now known

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._known: dict[str, Waveform | bool] = {}
        self._queue: list[str] = []
        self._task: BackgroundTask | None = None

    def get(self, path: Path | str) -> Waveform | bool | None:
        key = str(path)
        known = self._known.get(key)
        if known is None and key not in self._queue:
            self._queue.append(key)
            self._next()
        return known

    def _next(self) -> None:
        if self._task is not None or not self._queue:
            return
        key = self._queue[0]
        task = BackgroundTask(lambda _t: compute_waveform(Path(key)), "waveform", self)
        task.succeeded.connect(lambda result, k=key: self._done(k, result if result is not None else False))
        task.failed.connect(lambda _msg, k=key: self._done(k, False))
        self._task = task
        task.start()

    def _done(self, key: str, result: Waveform | bool) -> None:
        self._known[key] = result
        if key in self._queue:
            self._queue.remove(key)
        self._task = None
        self.ready.emit(key)
        self._next()

    def stop(self) -> None:
        """Read nothing more (the window is closing); the file being read is let go."""
        self._queue.clear()
        if self._task is not None:
            self._task.cancel()
            self._task.wait(2)

    def wait(self, timeout: float = 10.0) -> None:
        """Block until the current reading is done (tests and screenshots)."""
        if self._task is not None:
            self._task.wait(timeout)
