"""Fit a frame to a target size: letterbox (fit), crop (fill) or stretch; and which source frames a
retimed stream shows."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

import cv2
import numpy as np

ConformMode = Literal["fit", "fill", "stretch"]


def fitted_size(src: tuple[int, int], dst: tuple[int, int], mode: ConformMode = "fit") -> tuple[int, int]:
    """The size the source is scaled to before padding (fit) or cropping (fill)."""
    sw, sh = src
    dw, dh = dst
    if mode == "stretch":
        return dw, dh
    scale = min(dw / sw, dh / sh) if mode == "fit" else max(dw / sw, dh / sh)
    w = max(1, round(sw * scale))
    h = max(1, round(sh * scale))
    if mode == "fit":
        w, h = min(w, dw), min(h, dh)
    else:
        w, h = max(w, dw), max(h, dh)
    return w, h


def conform_frame(frame: np.ndarray, size: tuple[int, int], mode: ConformMode = "fit") -> np.ndarray:
    """Return an (h, w, 3) uint8 frame of exactly `size` = (w, h).

    fit: scale to fit inside and letterbox with black; fill: scale to cover and crop the centre;
    stretch: scale to the size ignoring aspect.
    """
    if mode not in ("fit", "fill", "stretch"):
        raise ValueError(f"conform mode {mode!r} must be 'fit', 'fill' or 'stretch'")
    dw, dh = int(size[0]), int(size[1])
    if dw <= 0 or dh <= 0:
        raise ValueError(f"target size {dw}x{dh} must be positive")
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"frame must be uint8 (h, w, 3), got {frame.dtype} {frame.shape}")
    sh, sw = frame.shape[:2]
    if (sw, sh) == (dw, dh):
        return np.ascontiguousarray(frame)
    w, h = fitted_size((sw, sh), (dw, dh), mode)
    if (w, h) != (sw, sh):
        interp = cv2.INTER_AREA if w * h < sw * sh else cv2.INTER_CUBIC
        scaled = cv2.resize(frame, (w, h), interpolation=interp)
    else:
        scaled = frame
    if mode == "stretch":
        return np.ascontiguousarray(scaled)
    if mode == "fit":
        out = np.zeros((dh, dw, 3), dtype=np.uint8)
        x, y = (dw - w) // 2, (dh - h) // 2
        out[y:y + h, x:x + w] = scaled
        return out
    x, y = (w - dw) // 2, (h - dh) // 2
    return np.ascontiguousarray(scaled[y:y + dh, x:x + dw])


def retimed_source_frames(source_rate: Fraction, out_rate: Fraction, count: int) -> list[int]:
    """Which source frame each of ``count`` output frames shows when a constant-rate stream is
    retimed to ``out_rate`` by repeating or skipping frames: output frame j shows the source
    frame on screen at j / out_rate (what a generated take's conform to the project rate did
    before it interpolated by optical flow, engine.media.retime: takes made then say so by having
    no ``output.retime`` in their recipe). Consecutive equal entries are frames repeated by the
    conform (16 -> 24 fps repeats every third frame), jumps of more than one are frames it
    skipped; neither is a defect."""
    if source_rate <= 0 or out_rate <= 0:
        raise ValueError(f"rates must be positive, got {source_rate} and {out_rate}")
    ratio = Fraction(source_rate) / Fraction(out_rate)
    return [math.floor(j * ratio) for j in range(max(0, int(count)))]
