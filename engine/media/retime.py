"""Retiming a constant-rate stream to another rate or to slow motion by optical flow (OpenCV DIS).

Output frame j shows the picture at time j / out_rate. Where that time falls on a source frame it
is that frame, bit for bit; between two source frames it is made from both, each warped along the
dense flow between them to the output frame's moment (the Super SloMo approximation of the
intermediate flows, exact for steady motion) and blended by distance. Past the last source frame
the last interval's motion is carried on. Repeating frames instead (``method="repeat"``) is what
a plain frame-rate conform does: 16 → 24 fps shows every other source frame twice, a visible
judder; it stays available as the baseline the benchmark measures against.

Streaming: at most three source frames and one pair of flows are held, whatever the clip's length.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import Literal

import cv2
import numpy as np

RetimeMethod = Literal["flow", "repeat"]
METHODS: tuple[str, ...] = ("flow", "repeat")


def retimed_count(source_frames: int, source_rate: Fraction, out_rate: Fraction) -> int:
    """Frames a clip of ``source_frames`` at ``source_rate`` has at ``out_rate`` (duration kept)."""
    return max(1, round(Fraction(source_frames) * Fraction(out_rate) / Fraction(source_rate)))


class FlowInterpolator:
    """Frames between two frames by dense optical flow (DIS, both directions), flows kept for the
    pair last asked so every output frame of one source interval reuses them."""

    def __init__(self, preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM) -> None:
        self._dis = cv2.DISOpticalFlow_create(preset)
        self._key: object = None
        self._flows: tuple[np.ndarray, np.ndarray] | None = None
        self._grid: tuple[np.ndarray, np.ndarray] | None = None

    def flows(self, a: np.ndarray, b: np.ndarray, key: object = None) -> tuple[np.ndarray, np.ndarray]:
        """(flow a→b, flow b→a) as float32 (h, w, 2) pixel offsets."""
        if key is not None and key == self._key and self._flows is not None:
            return self._flows
        ga = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
        gb = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
        self._flows = (self._dis.calc(ga, gb, None), self._dis.calc(gb, ga, None))
        self._key = key
        return self._flows

    def _sample(self, frame: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """``frame`` read at x + flow(x) for every output pixel x (bilinear, edges repeated)."""
        h, w = flow.shape[:2]
        if self._grid is None or self._grid[0].shape != (h, w):
            xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            self._grid = (xs, ys)
        xs, ys = self._grid
        return cv2.remap(frame, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)

    def between(self, a: np.ndarray, b: np.ndarray, t: float, key: object = None) -> np.ndarray:
        """The frame at fraction ``t`` (0 < t < 1) of the way from ``a`` to ``b``."""
        f01, f10 = self.flows(a, b, key)
        t = float(t)
        ft0 = (-(1.0 - t) * t) * f01 + (t * t) * f10
        ft1 = ((1.0 - t) ** 2) * f01 + (-t * (1.0 - t)) * f10
        wa = self._sample(a, ft0)
        wb = self._sample(b, ft1)
        return cv2.addWeighted(wa, 1.0 - t, wb, t, 0.0)

    def beyond(self, a: np.ndarray, b: np.ndarray, s: float, key: object = None) -> np.ndarray:
        """The frame ``s`` (0 < s < 1) of an interval after ``b``, carrying on the motion a → b."""
        f01, _ = self.flows(a, b, key)
        return self._sample(b, (-float(s)) * f01)


def retime(frames: Iterable[np.ndarray], source_rate: Fraction, out_rate: Fraction, count: int, *,
           method: RetimeMethod = "flow", interpolator: FlowInterpolator | None = None) -> Iterator[np.ndarray]:
    """``count`` frames of the stream ``frames`` (at ``source_rate``) sampled at ``out_rate``: output
    frame j shows source time j / out_rate. Equal rates give the frames unchanged."""
    if method not in METHODS:
        raise ValueError(f"retime method {method!r} must be one of {', '.join(METHODS)}")
    source_rate, out_rate = Fraction(source_rate), Fraction(out_rate)
    if source_rate <= 0 or out_rate <= 0:
        raise ValueError(f"rates must be positive, got {source_rate} and {out_rate}")
    ratio = source_rate / out_rate  # source frames per output frame
    flow = (interpolator or FlowInterpolator()) if method == "flow" else None
    it = iter(frames)
    window: dict[int, np.ndarray] = {}
    read = 0  # source frames read so far
    ended = False
    for j in range(max(0, int(count))):
        p = j * ratio
        i = math.floor(p)
        t = p - i
        want = i + 1 if t else i
        while not ended and read <= want:
            try:
                window[read] = next(it)
            except StopIteration:
                ended = True
                break
            window.pop(read - 3, None)  # three frames at most: i-1, i, i+1
            read += 1
        last = read - 1
        if last < 0:
            raise ValueError("the stream to retime has no frames")
        if i <= last and (not t or method == "repeat"):
            yield window[i]
        elif i + 1 <= last:
            assert flow is not None
            yield flow.between(window[i], window[i + 1], float(t), key=i)
        elif flow is not None and last >= 1 and p - last < 1:
            yield flow.beyond(window[last - 1], window[last], float(p - last), key=last - 1)
        else:
            yield window[last]
