"""Shared helpers for the media core: opening files with clear errors, rates, colour handling."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av

from engine.errors import MediaError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mxf", ".mts", ".m2ts", ".ts", ".mpg", ".mpeg",
     ".ogv", ".flv", ".wmv", ".3gp"}
)
# Codecs whose "video" is a single picture; an input with one of these named like a video is refused.
STILL_CODECS = frozenset({"png", "mjpeg", "bmp", "tiff", "webp", "jpegls", "jpeg2000", "gif", "apng"})

# Silence FFmpeg's own stderr chatter; errors reach the user through MediaError instead. PyAV's
# Python log bridge stays off (level None): with threaded decoding it can deadlock at interpreter
# exit (PyAV issue #909), so FFmpeg's own logger is quietened instead.
av.logging.set_level(None)
av.logging.set_libav_level(av.logging.PANIC)


class PacketNumber(int):
    """A packet's number in decode order, handed to FFmpeg as the packet's `opaque` (copied to the
    frames it produces). A fresh object per packet: PyAV files opaque values by identity, so two
    readers that both tagged a packet with the plain int 5 would drop each other's tag."""

    __slots__ = ()


def display(path: Path | str) -> str:
    return str(path)


def media_error(path: Path | str, reason: str, hint: str = "") -> MediaError:
    """One line: the file, what is wrong, what to do."""
    reason = " ".join(str(reason).split())
    message = f"{display(path)}: {reason}"
    if hint:
        message += f"; {hint}"
    return MediaError(message)


def check_readable(path: Path) -> None:
    if not path.exists():
        raise media_error(path, "no such file", "check the path")
    if path.is_dir():
        return
    if not os.access(path, os.R_OK):
        raise media_error(path, "the file is not readable", "check its permissions")
    if path.stat().st_size == 0:
        raise media_error(path, "the file is empty (0 bytes)", "re-export or copy it again")


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def open_input(path: Path) -> av.container.InputContainer:
    """Open a media file for reading, turning FFmpeg's errors into a one-line MediaError."""
    check_readable(path)
    try:
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise media_error(path, f"not a readable media file ({_ffmpeg_reason(exc)})",
                          "check that it is a complete video, audio or image file") from None
    except (OSError, ValueError, UnicodeError) as exc:
        raise media_error(path, f"cannot be opened ({exc})", "check the file") from None
    fmt = container.format.name
    video = container.streams.video[0] if container.streams.video else None
    codec = video.codec_context.name if video is not None and video.codec_context else ""
    if path.suffix.lower() in VIDEO_SUFFIXES and codec in STILL_CODECS and (
        fmt.endswith("_pipe") or fmt in ("image2", "gif")
    ) and not (codec == "gif" and path.suffix.lower() == ".gif"):
        container.close()
        raise media_error(path, f"is a {codec.upper()} image, not a video",
                          "rename it with the image's extension (.png, .jpg) and import that")
    return container


def _ffmpeg_reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split()).rstrip(".")


def ffmpeg_reason(exc: BaseException) -> str:
    return _ffmpeg_reason(exc)


def rate_of(value: Fraction | str | float) -> Fraction:
    """A frame rate as a Fraction; floats are snapped to the common NTSC rates."""
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, int):
        rate = Fraction(value)
    elif isinstance(value, str):
        rate = Fraction(value.strip())
    else:
        rate = Fraction(value).limit_denominator(1001)
    if rate <= 0:
        raise ValueError(f"frame rate {value} must be positive")
    return rate


def rate_str(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def frame_time_base(rate: Fraction) -> Fraction:
    return Fraction(rate.denominator, rate.numerator)


# swscale colourspace constants (SWS_CS_*), keyed by AVColorSpace.
_SWS_ITU709 = 1
_SWS_ITU601 = 5
_SWS_SMPTE240M = 7
_SWS_BT2020 = 9


def sws_colorspace(av_colorspace: int, height: int) -> int:
    """The swscale matrix for a decoded frame's colour space; untagged follows the HD/SD rule."""
    if av_colorspace == 1:
        return _SWS_ITU709
    if av_colorspace in (5, 6):
        return _SWS_ITU601
    if av_colorspace == 7:
        return _SWS_SMPTE240M
    if av_colorspace in (9, 10):
        return _SWS_BT2020
    return _SWS_ITU709 if height >= 720 else _SWS_ITU601


RGB_FORMATS = frozenset({"rgb24", "rgba", "bgr24", "bgra", "gbrp", "rgb8", "bgr8", "pal8", "gray",
                         "gray8", "rgb48le", "rgba64le", "gbrp10le", "gbrp12le", "argb", "abgr", "0rgb",
                         "rgb0", "bgr0", "0bgr", "monow", "monob", "ya8", "gray16le", "gray16be"})


def frame_to_rgb(frame: av.VideoFrame, size: tuple[int, int] | None = None, reformatter=None):
    """Convert a decoded frame to an (h, w, 3) uint8 RGB array, scaling with swscale if size is set.

    Pass a long-lived VideoReformatter to reuse its swscale context across frames.
    """
    import numpy as np

    fmt = frame.format.name
    kwargs: dict = {"format": "rgb24"}
    if size is not None and (size[0] != frame.width or size[1] != frame.height):
        kwargs["width"], kwargs["height"] = int(size[0]), int(size[1])
        kwargs["interpolation"] = "AREA" if size[0] < frame.width else "BICUBIC"
    if fmt not in RGB_FORMATS:
        kwargs["src_colorspace"] = sws_colorspace(frame.colorspace, frame.height)
        if frame.color_range == 2 and not fmt.startswith("yuvj"):
            kwargs["src_color_range"] = 2
    if fmt == "rgb24" and "width" not in kwargs:
        return np.ascontiguousarray(frame.to_ndarray())
    if frame.width * frame.height >= 640 * 360:
        kwargs["threads"] = 0  # swscale slices across the cores: 3-4x faster at 1080p
    if reformatter is None:
        out = frame.reformat(**kwargs)
    else:
        out = reformatter.reformat(frame, **kwargs)
    return np.ascontiguousarray(out.to_ndarray())
