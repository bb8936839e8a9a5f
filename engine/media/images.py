"""Still images: load any common format as RGB, save PNG atomically."""

from __future__ import annotations

import errno
from pathlib import Path

import cv2
import numpy as np

from engine.media._common import check_readable, media_error


def load_image(path: Path | str) -> np.ndarray:
    """Read an image file as an (h, w, 3) uint8 RGB array (alpha dropped, 16-bit scaled down)."""
    path = Path(path)
    check_readable(path)
    if path.is_dir():
        raise media_error(path, "is a folder, not an image", "choose an image file")
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise media_error(path, "is not a readable image", "use a PNG, JPEG, BMP, TIFF or WebP file")
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(image)


def encode_png(frame: np.ndarray) -> bytes:
    """An RGB (or RGBA) uint8 frame as PNG bytes."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise ValueError(f"frame must be uint8 (h, w, 3) RGB, got {frame.dtype} {frame.shape}")
    code = cv2.COLOR_RGB2BGR if frame.shape[2] == 3 else cv2.COLOR_RGBA2BGRA
    ok, buf = cv2.imencode(".png", cv2.cvtColor(frame, code), [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ValueError("the frame could not be encoded as PNG")
    return buf.tobytes()


def save_png(frame: np.ndarray, path: Path | str) -> Path:
    """Write an RGB uint8 frame as PNG, atomically (a partial beside it, then renamed)."""
    from engine.fsutil import write_bytes_atomic

    path = Path(path)
    data = encode_png(frame)
    try:
        return write_bytes_atomic(path, data)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise media_error(path, "the disk is full", "free some space and try again") from None
        raise media_error(path, f"cannot be written ({exc.strerror})",
                          "check the folder exists and is writable") from None
