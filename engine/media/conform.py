"""Fit a frame to a target size: letterbox (fit), crop (fill) or stretch."""

from __future__ import annotations

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
