"""Read a file's audio as float32, resampled to the rate and channel count asked for."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from engine.media._common import IMAGE_SUFFIXES, check_readable, ffmpeg_reason, media_error, open_input


def read_audio(path: Path | str, *, sample_rate: int = 48000, channels: int = 2) -> np.ndarray | None:
    """The first audio stream as float32 (channels, n) from the media's start; None if there is none.

    The media's start is the earliest stream start, so audio that begins later than the video is
    padded with silence and stays in sync with frame 0.
    """
    path = Path(path)
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 or 2, not {channels}")
    check_readable(path)
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return None
    container = open_input(path)
    try:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        layout = "stereo" if channels == 2 else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        blocks: list[np.ndarray] = []
        first_time = None
        try:
            for frame in container.decode(stream):
                if first_time is None and frame.pts is not None and frame.time_base is not None:
                    first_time = float(frame.pts * frame.time_base)
                for out in resampler.resample(frame):
                    blocks.append(out.to_ndarray())
        except av.error.InvalidDataError:
            pass  # a damaged tail: keep what decoded
        for out in resampler.resample(None):
            blocks.append(out.to_ndarray())
        start = _media_start(container)
    except av.error.FFmpegError as exc:
        raise media_error(path, f"has unreadable audio ({ffmpeg_reason(exc)})",
                          "the file may be damaged; re-export it") from None
    finally:
        container.close()
    samples = np.concatenate(blocks, axis=1) if blocks else np.zeros((channels, 0), np.float32)
    if first_time is not None and start is not None:
        offset = round((first_time - start) * sample_rate)
        if offset > 0:
            samples = np.concatenate([np.zeros((channels, offset), np.float32), samples], axis=1)
        elif offset < 0:
            samples = samples[:, -offset:]
    return np.ascontiguousarray(samples, dtype=np.float32)


def _media_start(container: av.container.InputContainer) -> float | None:
    """Start of the video stream if there is one (frame 0), else of the audio."""
    streams = list(container.streams.video) or list(container.streams.audio)
    starts = [float(s.start_time * s.time_base) for s in streams if s.start_time is not None]
    return min(starts) if starts else None
