"""All-intra scrub copies (proxies) and thumbnails."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.media.reader import FrameReader
from engine.media.writer import VideoWriter
from engine.progress import CancelToken, ProgressFn

# Fast to decode at any frame: every frame a keyframe, no CABAC or deblocking.
PROXY_OPTIONS = {"crf": "20", "preset": "veryfast", "tune": "fastdecode"}


def proxy_size(source: tuple[int, int], height: int | None) -> tuple[int, int]:
    """Even (w, h) keeping the aspect ratio; the source height when height is None."""
    sw, sh = source
    h = sh if height is None else min(int(height), sh)
    h = max(2, h - h % 2)
    w = max(2, round(sw * h / sh))
    w -= w % 2
    return w, h


def build_proxy(src: Path | str, dst: Path | str, *, height: int | None = None,
                progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Path:
    """Write an all-intra H.264 copy of `src` at `dst`: same frame count and rate, every frame a
    keyframe, VFR and odd sizes conformed, damaged frames concealed. Written under a partial
    name, put in place when complete."""
    src, dst = Path(src), Path(dst)
    with FrameReader(src) as reader:
        size = proxy_size(reader.size, height)
        total = reader.frame_count
        with VideoWriter(dst, preset="h264", rate=reader.rate, size=size, all_intra=True,
                         options=PROXY_OPTIONS) as writer:
            for i in range(total):
                if cancel is not None:
                    cancel.raise_if_canceled()
                writer.write(reader.frame(i, size=size))
                if progress is not None:
                    progress(i + 1, total, f"proxy {src.name}")
    return dst


def thumbnail(src: Path | str, index: int = 0, width: int = 160) -> np.ndarray:
    """Frame `index` of `src` scaled to `width` pixels wide (aspect kept), RGB uint8."""
    with FrameReader(src) as reader:
        w, h = reader.size
        th = max(1, round(h * width / w))
        return reader.frame(index, size=(int(width), th))
