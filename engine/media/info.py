"""Probe a media file: streams, codec, size, exact rate, the frames a decode reaches, damage, VFR."""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
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
from engine.media.index import conform_count

DAMAGE_LIMIT = 0.5
"""A file where more than this share of the frames is damaged is refused, not concealed."""


class MediaInfo(BaseModel):
    """What a media file holds. Rates and times are exact rational strings ("30000/1001")."""

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
    """Frames at `rate` that a decode reaches (a missing picture counts as the frame it is)."""
    duration_frames: int = 0
    codec: str | None = None
    pix_fmt: str | None = None
    vfr: bool = False
    start_time: float = 0.0
    duration: str = "0"
    """Seconds from the first frame to the end of the last one (video), else of the sound."""
    tick: str = "1/1000"
    """The video's time base: timestamps are whole ticks."""
    audio_rate: int | None = None
    audio_channels: int | None = None
    audio_codec: str | None = None
    bit_rate: int | None = None
    damaged_frames: list[int] = []
    """Frames that show the nearest good frame because their own did not decode cleanly."""
    declared_frames: int = 0
    """Frames the container claims (0: it does not say); more than frame_count when cut short."""
    audio_lost_packets: int = 0
    audio_lost_seconds: float = 0.0

    @property
    def fps(self) -> Fraction:
        return Fraction(self.rate)

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    def frames_at(self, rate: Fraction) -> int:
        """The length in frames at `rate`, as FrameReader(path, rate=rate) reads it (stills: 1)."""
        rate = Fraction(rate)
        if self.is_image:
            return 1
        if self.container == "image_sequence":
            return self.frame_count  # one picture per frame at any rate
        if not self.has_video:
            return max(0, math.floor(Fraction(self.duration) * rate))
        if rate == self.fps:
            return self.frame_count
        return conform_count(Fraction(self.duration), rate, Fraction(self.tick), self.fps)

    @property
    def cut_short(self) -> bool:
        missing = self.declared_frames - self.frame_count
        return missing > max(3, self.declared_frames // 50)

    @property
    def warnings(self) -> list[str]:
        """One line each, naming the file: what could not be read and what the user will see."""
        out = []
        if self.damaged_frames:
            n = len(self.damaged_frames)
            which = frame_list(self.damaged_frames)
            out.append(f"{self.path}: {n} of {self.frame_count} frames are damaged ({which}); "
                       "they show the nearest good frame")
        if self.cut_short:
            out.append(f"{self.path}: the file is cut short: {self.frame_count} of the {self.declared_frames} "
                       "frames it declares can be read")
        if self.audio_lost_packets:
            out.append(f"{self.path}: {self.audio_lost_packets} damaged audio packet"
                       f"{'s' if self.audio_lost_packets > 1 else ''} ({self.audio_lost_seconds:.2f} s) "
                       "could not be decoded; that time plays as silence")
        return out


def frame_list(frames: list[int], most: int = 6) -> str:
    """'frame 4', 'frames 4, 9-12 and 19', '... and 230 more'."""
    runs: list[tuple[int, int]] = []
    for f in frames:
        if runs and f == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], f)
        else:
            runs.append((f, f))
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in runs[:most]]
    rest = sum(b - a + 1 for a, b in runs[most:])
    if rest:
        parts.append(f"{rest} more")
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return ("frame " if len(frames) == 1 else "frames ") + text


# ---- probing ----------------------------------------------------------------------------------------

_known: OrderedDict[tuple, MediaInfo] = OrderedDict()
_known_lock = threading.Lock()


def _identity(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (str(path.absolute()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def remember(info: MediaInfo) -> None:
    """Keep a probe result (made in a child process) so that probing the unchanged file again in
    this process costs nothing."""
    key = _identity(Path(info.path))
    if key is None:
        return
    with _known_lock:
        _known[key] = info
        _known.move_to_end(key)
        while len(_known) > 256:
            _known.popitem(last=False)


def known(path: Path | str) -> MediaInfo | None:
    """The probe result of the unchanged file, when this process has one."""
    key = _identity(Path(path))
    with _known_lock:
        return _known.get(key) if key is not None else None


def probe(path: Path | str, *, progress=None, cancel=None) -> MediaInfo:
    """Read a file's streams in this process (use probe_isolated for untrusted files). The first
    probe of a video decodes it all (scan_media), so the counts are what a decode reaches."""
    path = Path(path)
    check_readable(path)
    info = known(path)
    if info is not None:
        return info
    if path.is_dir():
        info = _probe_sequence(path)
    elif path.suffix.lower() in IMAGE_SUFFIXES:
        info = _probe_image(path)
    else:
        container = open_input(path)
        try:
            info = _probe_container(path, container, progress, cancel)
        except MediaError:
            raise
        except av.error.FFmpegError as exc:
            raise media_error(path, f"cannot be read ({ffmpeg_reason(exc)})",
                              "the file may be damaged; re-export it") from None
        finally:
            container.close()
    remember(info)
    return info


def _probe_image(path: Path) -> MediaInfo:
    from engine.media.images import load_image

    image = load_image(path)
    h, w = image.shape[:2]
    return MediaInfo(path=str(path), container=path.suffix.lower().lstrip("."), has_video=True,
                     has_audio=False, is_image=True, width=w, height=h, rate="24/1", frame_count=1,
                     duration_frames=1, duration="1/24", codec=path.suffix.lower().lstrip("."), pix_fmt="rgb24")


def _probe_sequence(path: Path) -> MediaInfo:
    from engine.media.images import load_image

    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise media_error(path, "is a folder without images", "choose a video or an image sequence")
    image = load_image(files[0])
    h, w = image.shape[:2]
    return MediaInfo(path=str(path), container="image_sequence", has_video=True, has_audio=False,
                     width=w, height=h, rate="24/1", frame_count=len(files),
                     duration_frames=len(files), duration=rate_str(Fraction(len(files), 24)),
                     codec=files[0].suffix.lower().lstrip("."), pix_fmt="rgb24")


def _probe_container(path: Path, container: av.container.InputContainer, progress, cancel) -> MediaInfo:
    from engine.media.scan import scan_media

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
        if not ctx.width or not ctx.height:
            raise media_error(path, "has a video stream without a frame size",
                              "the file may be damaged; re-export it")
        fields.update(width=ctx.width, height=ctx.height, codec=ctx.name, pix_fmt=ctx.pix_fmt)
    scan = scan_media(path, container, progress=progress, cancel=cancel)
    fields.update(audio_lost_packets=scan.audio_lost_packets, audio_lost_seconds=scan.audio_lost_seconds)
    table = scan.video
    if table is not None:
        count = table.count(table.rate)
        damaged = table.damaged_frames()
        if len(damaged) > DAMAGE_LIMIT * count:
            raise media_error(path, f"{len(damaged)} of its {count} frames are damaged",
                              "re-export or repair the file from its source")
        fields.update(
            rate=rate_str(table.rate), frame_count=count, duration_frames=count, vfr=table.vfr,
            start_time=float(table.start_time), duration=rate_str(table.duration),
            tick=rate_str(table.time_base), damaged_frames=damaged, declared_frames=table.declared_frames,
        )
    else:
        duration = Fraction(container.duration or 0, av.time_base)
        fields.update(rate="24/1", duration=rate_str(duration), duration_frames=int(duration * 24))
    return MediaInfo(**fields)
