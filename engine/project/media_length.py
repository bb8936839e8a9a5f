"""Length of a media file in project-rate frames, measured once when it enters the project
(stored in the reference's available_range so that reading the document never probes)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

from engine.errors import EditError
from engine.project.model import brief

STILL_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".exr"}
_STILL_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "exr_pipe"}


def media_length(path: Path, fps: Fraction) -> int | None:
    """Frames of `path` at `fps` (video conformed by timestamp: a frame counts while its source
    frame is on screen; audio-only: whole frames of sound). None for a still image, which can be
    shown for any length. EditError naming the file when it cannot be read."""
    if path.suffix.lower() in STILL_SUFFIXES:
        return None
    try:
        from engine.media import probe  # the media core, when present
    except ImportError:
        probe = None
    if probe is not None:
        try:
            info = probe(path)
        except Exception as exc:  # MediaError or a PyAV error: one clear line either way
            raise EditError(f"cannot read media {path}: {brief(exc)}") from exc
        if info.is_image:
            return None
        if info.has_video and info.frame_count > 0:
            return max(1, math.ceil(Fraction(info.frame_count) * fps / info.fps))
    return _length_with_pyav(path, fps)


def _length_with_pyav(path: Path, fps: Fraction) -> int | None:
    import av  # lazily: reading a project never needs PyAV

    try:
        with av.open(str(path)) as container:
            if container.format.name in _STILL_FORMATS:
                return None
            if container.streams.video:
                stream = container.streams.video[0]
                rate = Fraction(stream.average_rate or stream.guessed_rate or 0)
                count = stream.frames
                if count <= 0:
                    count = sum(1 for p in container.demux(stream) if p.size)
                if count <= 0 or rate <= 0:
                    raise EditError(f"media {path} has no readable video frames; pick another file")
                return max(1, math.ceil(Fraction(count) * fps / rate))
            if container.streams.audio:
                stream = container.streams.audio[0]
                seconds = Fraction(0)
                if stream.duration and stream.time_base:
                    seconds = stream.duration * Fraction(stream.time_base)
                elif container.duration:
                    seconds = Fraction(container.duration, 1_000_000)
                else:
                    for packet in container.demux(stream):
                        if packet.duration and packet.time_base:
                            seconds += packet.duration * Fraction(packet.time_base)
                frames = math.floor(seconds * fps)
                if frames <= 0:
                    raise EditError(f"media {path} is shorter than one frame of sound; pick another file")
                return frames
    except EditError:
        raise
    except Exception as exc:
        raise EditError(f"cannot read media {path}: {brief(exc)}") from exc
    raise EditError(f"media {path} has neither video nor audio; pick a video, image or audio file")
