"""Synthetic test footage whose frame index is written in the pixels.

The top sixth of every frame holds two rows of twelve big black/white cells: 16 bits of frame
index and an 8-bit check, so a frame survives lossy codecs and is recognised exactly, and a
frame that is not one of ours (or a mix of two) reads as -1. Below it a smooth colour pattern
moves a few pixels per frame, so motion, seams and crossfades are visible. The optional audio
is a sine tone whose frequency steps with the frame index, so sync can be checked.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from engine.media._common import frame_time_base, rate_of
from engine.media.writer import AudioTrack

CELLS_PER_ROW = 12
ROWS = 2
INDEX_BITS = 16
CHECK_BITS = ROWS * CELLS_PER_ROW - INDEX_BITS
MAX_INDEX = (1 << INDEX_BITS) - 1
AUDIO_RATE = 48000
VFR_TIME_BASE = Fraction(1, 90000)

_CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
               ".avi": "avi"}
_PIX_FMTS = {"mjpeg": "yuvj420p", "prores_ks": "yuv422p10le", "prores": "yuv422p10le",
             "png": "rgb24", "ffv1": "yuv420p", "libx264rgb": "rgb24"}


def _check(index: int) -> int:
    return ((index * 2654435761) >> 13 ^ index ^ 0xA5) & ((1 << CHECK_BITS) - 1)


def _cell_box(cell: int, width: int, height: int) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of a code cell; proportional to the frame so it survives scaling."""
    row, col = divmod(cell, CELLS_PER_ROW)
    x0, x1 = round(col * width / CELLS_PER_ROW), round((col + 1) * width / CELLS_PER_ROW)
    y0, y1 = round(row * height / 12), round((row + 1) * height / 12)
    return y0, y1, x0, x1


def band_height(size: tuple[int, int]) -> int:
    """Rows at the top of a synthetic frame that carry the index code."""
    return round(ROWS * size[1] / 12)


@functools.lru_cache(maxsize=8)
def _diagonal(width: int, height: int) -> np.ndarray:
    return (np.arange(width, dtype=np.int32)[None, :] + np.arange(height, dtype=np.int32)[:, None])


def _tri(v: np.ndarray) -> np.ndarray:
    return np.abs(np.mod(v, 510.0) - 255.0)


def synthetic_frame(index: int, size: tuple[int, int] = (320, 240), *, seed: int = 0,
                    color: tuple[int, int, int] | None = None) -> np.ndarray:
    """The exact RGB frame make_test_clip encodes for `index` (before the codec's losses)."""
    w, h = int(size[0]), int(size[1])
    if w < 64 or h < 48:
        # Smaller cells do not survive chroma subsampling and lossy coding.
        raise ValueError(f"synthetic frames need at least 64x48 pixels, not {w}x{h}")
    if not 0 <= index <= MAX_INDEX:
        raise ValueError(f"frame index {index} must be within 0..{MAX_INDEX}")
    rng = np.random.default_rng(seed)
    ph = rng.uniform(0, 510, size=3)
    t = float(index)
    # Red moves along x, green along y, blue along the diagonal: each a 1-D ramp, broadcast.
    red = _tri(np.arange(w) * (400.0 / w) + 6.0 * t + ph[0])
    green = _tri(np.arange(h) * (400.0 / h) + 4.0 * t + ph[1])
    blue = _tri(np.arange(w + h - 1) * (300.0 / (w + h)) - 5.0 * t + ph[2])
    if color is not None:
        cr, cg, cb = (0.6 * float(c) for c in color)
        red, green, blue = 0.4 * red + cr, 0.4 * green + cg, 0.4 * blue + cb
    frame = np.empty((h, w, 3), dtype=np.uint8)
    frame[..., 0] = red.astype(np.uint8)[None, :]
    frame[..., 1] = green.astype(np.uint8)[:, None]
    frame[..., 2] = blue.astype(np.uint8)[_diagonal(w, h)]
    code = (index << CHECK_BITS) | _check(index)
    for cell in range(ROWS * CELLS_PER_ROW):
        bit = (code >> (ROWS * CELLS_PER_ROW - 1 - cell)) & 1
        y0, y1, x0, x1 = _cell_box(cell, w, h)
        frame[y0:y1, x0:x1] = 255 if bit else 0
    return frame


def decode_index(frame: np.ndarray) -> int:
    """The frame index written by synthetic_frame, or -1 when the code is not readable."""
    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[2] < 3:
        return -1
    h, w = frame.shape[:2]
    if w < 48 or h < 24:
        return -1
    gray = frame[: band_height((w, h)), :, :3].astype(np.float32).mean(axis=2)
    code = 0
    for cell in range(ROWS * CELLS_PER_ROW):
        y0, y1, x0, x1 = _cell_box(cell, w, h)
        my, mx = max(1, (y1 - y0) // 4), max(1, (x1 - x0) // 4)
        patch = gray[y0 + my:y1 - my, x0 + mx:x1 - mx]
        if patch.size == 0:
            return -1
        level = float(patch.mean())
        if level > 170:
            bit = 1
        elif level < 85:
            bit = 0
        else:
            return -1
        code = (code << 1) | bit
    index = code >> CHECK_BITS
    if _check(index) != code & ((1 << CHECK_BITS) - 1):
        return -1
    return index


def tone_frequency(index: int) -> float:
    """The audio tone (Hz) that plays during synthetic frame `index`."""
    return 330.0 + 30.0 * (index % 32)


def synthetic_audio(frames: int, rate: Fraction, sample_rate: int = AUDIO_RATE,
                    channels: int = 2, times: list[Fraction] | None = None) -> np.ndarray:
    """float32 (channels, n): during frame k a phase-continuous tone at tone_frequency(k)."""
    rate = rate_of(rate)
    if times is None:
        times = [Fraction(k) / rate for k in range(frames + 1)]
    bounds = [round(t * sample_rate) for t in times]
    out = np.zeros(bounds[-1], dtype=np.float32)
    phase = 0.0
    for k in range(frames):
        n = bounds[k + 1] - bounds[k]
        step = 2 * math.pi * tone_frequency(k) / sample_rate
        out[bounds[k]:bounds[k + 1]] = 0.4 * np.sin(phase + step * np.arange(n))
        phase = (phase + step * n) % (2 * math.pi)
    return np.repeat(out[None, :], channels, axis=0)


def vfr_times(frames: int, rate: Fraction, seed: int = 0) -> list[Fraction]:
    """Presentation times (seconds, from 0) of a VFR clip's frames, plus the end time.

    Frame durations are 1/2, 1 or 3/2 of the nominal frame length (averaging it), on the 1/90000 s
    grid.
    """
    rate = rate_of(rate)
    nominal = round(Fraction(1) / rate / VFR_TIME_BASE)
    rng = np.random.default_rng(seed + 7919)
    # Shuffled blocks of (1, 2, 3, 2) halves: durations vary but average the nominal rate.
    factors = np.concatenate([rng.permutation([1, 2, 3, 2]) for _ in range(frames // 4 + 1)])[:frames]
    ticks = [0]
    for f in factors:
        ticks.append(ticks[-1] + (nominal * int(f)) // 2)
    return [t * VFR_TIME_BASE for t in ticks]


def _with_durations(packets: list[av.Packet], durations: dict[int, int]) -> list[av.Packet]:
    for packet in packets:
        if packet.pts is not None and packet.pts in durations:
            packet.duration = durations[packet.pts]
    return packets


def make_test_clip(path: Path | str, *, frames: int, rate: Fraction | int = Fraction(24),
                   size: tuple[int, int] = (320, 240), codec: str = "libx264", gop: int = 12,
                   bframes: int = 2, audio: bool = False, start_pts: int = 0, vfr: bool = False,
                   seed: int = 0, color: tuple[int, int, int] | None = None) -> Path:
    """Encode a synthetic clip with the frame index in its pixels.

    start_pts: the first frame's pts in the stream's time base (1/rate, or 1/90000 when vfr),
    so the file starts at a non-zero time. vfr: frame durations vary (see vfr_times). A path
    ending in an image suffix (.png, .jpg) writes frame 0 as a still.
    """
    path = Path(path)
    rate = rate_of(rate)
    if frames < 1:
        raise ValueError("frames must be at least 1")
    suffix = path.suffix.lower()
    if suffix in (".png", ".jpg", ".jpeg"):
        import cv2

        from engine.media.images import save_png

        image = synthetic_frame(0, size, seed=seed, color=color)
        if suffix == ".png":
            save_png(image, path)
        else:
            _ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_JPEG_QUALITY, 95])
            path.write_bytes(buf.tobytes())
        return path
    fmt = _CONTAINERS.get(suffix)
    if fmt is None:
        raise ValueError(f"make_test_clip: unsupported container {suffix!r}")
    tb = VFR_TIME_BASE if vfr else frame_time_base(rate)
    times = vfr_times(frames, rate, seed) if vfr else None
    container = av.open(str(path), mode="w", format=fmt)
    try:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height = size
        stream.pix_fmt = _PIX_FMTS.get(codec, "yuv420p")
        ctx = stream.codec_context
        stream.time_base = tb
        ctx.time_base = tb
        ctx.framerate = rate
        ctx.gop_size = gop
        opts: dict[str, str] = {}
        if codec == "libx264":
            ctx.max_b_frames = bframes
            opts.update({"preset": "veryfast", "crf": "20", "bf": str(bframes),
                         "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"})
        elif codec == "libx265":
            opts.update({"preset": "ultrafast", "crf": "22",
                         "x265-params": f"keyint={gop}:min-keyint={gop}:bframes={bframes}:log-level=error"})
        elif codec == "mpeg4":
            ctx.max_b_frames = bframes
            opts.update({"qscale": "3"})
            ctx.qmin = 2
            ctx.qmax = 4
        elif codec == "mjpeg":
            opts.update({"q:v": "3"})
            ctx.qmin = 2
            ctx.qmax = 4
        elif codec == "libvpx-vp9":
            opts.update({"crf": "30", "b": "0", "deadline": "realtime", "cpu-used": "8",
                         "lag-in-frames": "0" if bframes == 0 else "16"})
        elif codec in ("prores_ks", "prores"):
            opts.update({"profile": "1"})
        if stream.pix_fmt.startswith("yuv"):
            ctx.colorspace = 1
            ctx.color_primaries = 1
            ctx.color_trc = 1
            ctx.color_range = 2 if stream.pix_fmt.startswith("yuvj") else 1
        ctx.options = opts
        # Exact packet durations, so the container knows when the last (VFR) frame ends.
        durations = {
            start_pts + (round(times[k] / tb) if times else k):
                (round((times[k + 1] - times[k]) / tb) if times else 1)
            for k in range(frames)
        }
        track = None
        if audio:
            acodec = "libopus" if fmt in ("webm",) else "aac"
            track = AudioTrack(container, acodec, in_rate=AUDIO_RATE, channels=2, bit_rate=128_000,
                               start_sample=round(start_pts * tb * AUDIO_RATE))
        reformatter = VideoReformatter()
        for k in range(frames):
            rgb = synthetic_frame(k, size, seed=seed, color=color)
            vf = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if stream.pix_fmt.startswith("yuvj"):
                vf = reformatter.reformat(vf, format=stream.pix_fmt, dst_colorspace=1, dst_color_range=2)
            elif stream.pix_fmt.startswith("yuv"):
                vf = reformatter.reformat(vf, format=stream.pix_fmt, dst_colorspace=1, dst_color_range=1)
            vf.pts = start_pts + (round(times[k] / tb) if times else k)
            vf.time_base = tb
            container.mux(_with_durations(stream.encode(vf), durations))
        container.mux(_with_durations(stream.encode(None), durations))
        if track is not None:
            samples = synthetic_audio(frames, rate, times=times)
            block = AUDIO_RATE // 10
            for s in range(0, samples.shape[1], block):
                track.write(samples[:, s:s + block])
            track.flush()
    except BaseException:
        container.close()
        path.unlink(missing_ok=True)
        raise
    container.close()
    return path
