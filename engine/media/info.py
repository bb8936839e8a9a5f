"""Probe a media file: streams, codec, size, exact rate, frame count, audio, VFR."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
from pydantic import BaseModel, ConfigDict

from engine.errors import MediaError
from engine.media._common import (
    IMAGE_SUFFIXES,
    check_readable,
    ffmpeg_reason,
    media_error,
    open_input,
    rate_str,
)
from engine.media.index import build_index


class MediaInfo(BaseModel):
    """What a media file holds. Rates are exact rational strings ("30000/1001")."""

    model_config = ConfigDict(frozen=True)

    path: str
    container: str
    has_video: bool
    has_audio: bool
    is_image: bool = False
    width: int = 0
    height: int = 0
    rate: str = "24/1"
    frame_count: int = 0
    duration_frames: int = 0
    codec: str | None = None
    pix_fmt: str | None = None
    vfr: bool = False
    start_time: float = 0.0
    audio_rate: int | None = None
    audio_channels: int | None = None
    audio_codec: str | None = None
    bit_rate: int | None = None

    @property
    def fps(self) -> Fraction:
        return Fraction(self.rate)

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


def probe(path: Path | str) -> MediaInfo:
    """Read a file's streams in this process (use probe_isolated for untrusted files)."""
    path = Path(path)
    check_readable(path)
    if path.is_dir():
        return _probe_sequence(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _probe_image(path)
    container = open_input(path)
    try:
        return _probe_container(path, container)
    except MediaError:
        raise
    except av.error.FFmpegError as exc:
        raise media_error(path, f"cannot be read ({ffmpeg_reason(exc)})",
                          "the file may be damaged; re-export it") from None
    finally:
        container.close()


def _probe_image(path: Path) -> MediaInfo:
    from engine.media.images import load_image

    image = load_image(path)
    h, w = image.shape[:2]
    return MediaInfo(path=str(path), container=path.suffix.lower().lstrip("."), has_video=True,
                     has_audio=False, is_image=True, width=w, height=h, rate="24/1", frame_count=1,
                     duration_frames=1, codec=path.suffix.lower().lstrip("."), pix_fmt="rgb24")


def _probe_sequence(path: Path) -> MediaInfo:
    from engine.media.images import load_image

    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise media_error(path, "is a folder without images", "choose a video or an image sequence")
    image = load_image(files[0])
    h, w = image.shape[:2]
    return MediaInfo(path=str(path), container="image_sequence", has_video=True, has_audio=False,
                     width=w, height=h, rate="24/1", frame_count=len(files),
                     duration_frames=len(files), codec=files[0].suffix.lower().lstrip("."),
                     pix_fmt="rgb24")


def _probe_container(path: Path, container: av.container.InputContainer) -> MediaInfo:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    if video is None and audio is None:
        raise media_error(path, "has no video or audio stream", "choose a video, audio or image file")
    fields: dict = {
        "path": str(path),
        "container": container.format.name,
        "has_video": video is not None,
        "has_audio": audio is not None,
        "bit_rate": container.bit_rate or None,
    }
    if audio is not None:
        actx = audio.codec_context
        fields.update(audio_rate=actx.sample_rate or None,
                      audio_channels=actx.channels if hasattr(actx, "channels") else None,
                      audio_codec=actx.name)
    if video is not None:
        ctx = video.codec_context
        codec = ctx.name
        index = build_index(container, video, path)
        if not ctx.width or not ctx.height:
            raise media_error(path, "has a video stream without a frame size",
                              "the file may be damaged; re-export it")
        rate = index.rate
        count = index.frame_count
        if index.vfr:
            count = max(1, int(-((-index.duration * rate) // 1)))
        fields.update(
            width=ctx.width, height=ctx.height, rate=rate_str(rate), frame_count=count,
            duration_frames=count, codec=codec, pix_fmt=ctx.pix_fmt, vfr=index.vfr,
            start_time=float(index.pts[0] * index.time_base),
        )
    else:
        duration = Fraction(container.duration or 0, av.time_base)
        fields.update(rate="24/1", duration_frames=int(duration * 24))
    return MediaInfo(**fields)
