"""Exact frame access in presentation order, for any GOP, B-frames, start time or frame rate."""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Self

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from engine.errors import MediaError
from engine.media._common import (
    IMAGE_SUFFIXES,
    check_readable,
    ffmpeg_reason,
    frame_to_rgb,
    media_error,
    rate_of,
)
from engine.media.conform import conform_frame
from engine.media.index import VideoIndex, build_index

# Decoding forward through this many frames is cheaper than a seek plus decoding from the keyframe.
_FORWARD_SLACK = 8


def _rgb_size_check(size: tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    w, h = int(size[0]), int(size[1])
    if w <= 0 or h <= 0:
        raise ValueError(f"size {w}x{h} must be positive")
    return w, h


class FrameReader:
    """Read frame i (0-based, presentation order) of a video, a still image or a PNG sequence folder.

    When `rate` differs from the source rate, or the source has a variable frame rate, frame i
    is the source frame on screen at time i / rate from the first frame (timestamp conform).
    Forward stepping reuses the decoder; a jump backwards or past the next keyframe seeks to the
    keyframe before the target and decodes forward. One reader per thread.
    """

    def __init__(self, path: Path | str, *, rate: Fraction | int | str | None = None) -> None:
        self.path = Path(path)
        self._container: av.container.InputContainer | None = None
        self._still: np.ndarray | None = None
        self._sequence: list[Path] | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._cur_src = -1            # source index of the last frame the decoder produced
        self._cache_src = -1
        self._cache_key: tuple | None = None
        self._cache: np.ndarray | None = None
        self.seeks = 0                # counters: how the reader reached its frames
        self.decoded = 0
        check_readable(self.path)
        requested = rate_of(rate) if rate is not None else None
        if self.path.is_dir():
            self._open_sequence(requested)
        elif self.path.suffix.lower() in IMAGE_SUFFIXES:
            self._open_still(requested)
        else:
            self._open_video(requested)

    # -- opening -----------------------------------------------------------------------------
    def _open_still(self, requested: Fraction | None) -> None:
        from engine.media.images import load_image

        self._still = load_image(self.path)
        h, w = self._still.shape[:2]
        self.size = (w, h)
        self.source_rate = requested or Fraction(24)
        self.rate = self.source_rate
        self.frame_count = 1
        self.vfr = False
        self._map = None

    def _open_sequence(self, requested: Fraction | None) -> None:
        from engine.media.images import load_image

        files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise media_error(self.path, "is a folder without images", "choose a video or an image sequence")
        self._sequence = files
        first = load_image(files[0])
        h, w = first.shape[:2]
        self.size = (w, h)
        self.source_rate = requested or Fraction(24)
        self.rate = self.source_rate
        self.frame_count = len(files)
        self.vfr = False
        self._map = None

    def _open_video(self, requested: Fraction | None) -> None:
        from engine.media._common import open_input

        container = open_input(self.path)
        self._container = container
        try:
            if not container.streams.video:
                raise media_error(self.path, "has no video stream", "choose a video or image file")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            self._stream = stream
            self._reformatter = VideoReformatter()
            self._target_pts: int | None = None
            self._skipping = False
            self.index: VideoIndex = build_index(container, stream, self.path)
            w, h = stream.codec_context.width, stream.codec_context.height
            if not w or not h:
                raise media_error(self.path, "has a video stream without a frame size",
                                  "the file may be damaged; re-export it")
            self.size = (w, h)
            self.source_rate = self.index.rate
            self.vfr = self.index.vfr
            self.rate = requested or self.source_rate
            if self.vfr or self.rate != self.source_rate:
                self._map = self._build_conform_map()
                self.frame_count = len(self._map)
            else:
                self._map = None
                self.frame_count = self.index.frame_count
        except MediaError:
            self.close()
            raise
        except av.error.FFmpegError as exc:
            self.close()
            raise media_error(self.path, f"cannot be read ({ffmpeg_reason(exc)})",
                              "the file may be damaged; re-export it") from None

    def _build_conform_map(self) -> list[int]:
        """Source frame on screen at each output time i / rate (drop/duplicate by timestamp)."""
        idx = self.index
        tb = idx.time_base
        start = idx.pts[0]
        # Tolerance for timestamps rounded to the container's tick (e.g. 1 ms in Matroska).
        eps = min(tb, 1 / (4 * self.rate), 1 / (4 * idx.rate))
        duration = idx.duration
        count = max(1, int(-((-duration * self.rate) // 1)))  # ceil
        # An output frame whose time is within eps of the end has nothing left to show.
        while count > 1 and Fraction(count - 1) / self.rate >= duration - eps:
            count -= 1
        times = [(p - start) * tb for p in idx.pts]
        mapping = []
        for i in range(count):
            t = Fraction(i) / self.rate + eps
            mapping.append(max(0, bisect.bisect_right(times, t) - 1))
        return mapping

    # -- access ------------------------------------------------------------------------------
    def source_index(self, i: int) -> int:
        """The source frame (presentation order) that output frame i shows."""
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"frame index must be an int, not {type(i).__name__}")
        if i < 0 or i >= self.frame_count:
            raise IndexError(f"frame {i} is outside 0..{self.frame_count - 1} of {self.path}")
        return int(self._map[i]) if self._map is not None else int(i)

    def frame(self, i: int, size: tuple[int, int] | None = None) -> np.ndarray:
        """Frame i as an (h, w, 3) uint8 RGB C-contiguous array; scaled to `size` (w, h) if given."""
        src = self.source_index(i)
        size = _rgb_size_check(size)
        if self._container is not None:
            # The decoded frame is kept (not the array handed out, which the caller may change),
            # so asking again, or for another size, converts without decoding.
            if self._cache_src != src or self._cache is None:
                try:
                    self._cache = self._decode(src)
                except av.error.FFmpegError as exc:
                    self._frames = None
                    self._cur_src = -1
                    raise media_error(self.path, f"frame {i} could not be decoded ({ffmpeg_reason(exc)})",
                                      "the file may be damaged; re-export it") from None
                self._cache_src = src
            return frame_to_rgb(self._cache, size, self._reformatter)
        key = (src, size)
        if self._cache is not None and self._cache_key == key:
            return self._cache.copy()
        if self._still is not None:
            out = self._still if size is None else conform_frame(self._still, size, "stretch")
            out = out.copy()
        elif self._sequence is not None:
            from engine.media.images import load_image

            out = load_image(self._sequence[src])
            if out.shape[:2] != (self.size[1], self.size[0]):
                out = conform_frame(out, self.size, "fit")
            if size is not None:
                out = conform_frame(out, size, "stretch")
        self._cache_key = key
        self._cache = out
        return out.copy()

    def decoded_frame(self, i: int) -> av.VideoFrame | None:
        """Frame i as the decoder produced it (shared; do not modify), or None for stills and
        image sequences. Lets export hand an unchanged frame straight to the encoder."""
        if self._container is None:
            return None
        src = self.source_index(i)
        if self._cache_src != src or self._cache is None:
            self._cache = self._decode(src)
            self._cache_src = src
        return self._cache

    def _decode(self, src: int) -> av.VideoFrame:
        if self._container is None:
            raise media_error(self.path, "the reader is closed", "open a new FrameReader")
        idx = self.index
        key_pos = idx.key_position(src)
        key_src = bisect.bisect_left(idx.pts, idx.key_pts[key_pos])
        forward = (
            self._frames is not None
            and self._cur_src < src
            and key_src <= self._cur_src + _FORWARD_SLACK
        )
        if forward:
            frame = self._decode_forward(src)
            if frame is not None:
                return frame
        # Seek to the keyframe before the target; if the container lands late, step back further.
        # Demuxers index by pts (Matroska) or dts (MP4); the keyframe's pts is tried first, then
        # its dts, then earlier keyframes.
        tried: set[int] = set()
        for pos in range(key_pos, -1, -1):
            for ts in (idx.key_pts[pos], idx.key_seek[pos]):
                if ts in tried:
                    continue
                tried.add(ts)
                self._seek(ts)
                frame = self._decode_forward(src)
                if frame is not None:
                    return frame
        raise media_error(self.path, f"frame {src} could not be decoded",
                          "the file may be damaged; re-export it or build a proxy")

    def _seek(self, ts: int) -> None:
        self.seeks += 1
        try:
            self._container.seek(ts, stream=self._stream, backward=True)
        except av.error.FFmpegError:
            self._container.seek(0, backward=True)
        self._frames = self._frame_iter()
        self._cur_src = -1

    def _frame_iter(self) -> Iterator[av.VideoFrame]:
        """Decoded frames from the current position; damaged packets are skipped, not fatal."""
        stream = self._stream
        ctx = stream.codec_context
        for packet in self._container.demux(stream):
            # Frames shown before the target that nothing refers to need not be decoded at all.
            skip = (self._target_pts is not None and packet.pts is not None
                    and packet.pts < self._target_pts)
            if skip != self._skipping:
                ctx.skip_frame = "NONREF" if skip else "DEFAULT"
                self._skipping = skip
            try:
                frames = stream.decode(packet)
            except av.error.InvalidDataError:
                continue
            except av.error.FFmpegError as exc:
                if isinstance(exc, av.error.EOFError):
                    return
                continue
            yield from frames

    def _decode_forward(self, src: int) -> av.VideoFrame | None:
        """Decode until the frame with the target pts; None if it is passed or the file ends."""
        target = self.index.pts[src]
        self._target_pts = target
        pts_list = self.index.pts
        for frame in self._frames:
            self.decoded += 1
            pts = frame.pts
            if pts is None:
                continue
            if pts < target:
                pos = bisect.bisect_left(pts_list, pts)
                if pos < len(pts_list) and pts_list[pos] == pts:
                    self._cur_src = pos
                continue
            if pts == target:
                self._cur_src = src
                return frame
            self._frames = None
            self._cur_src = -1
            return None
        self._frames = None
        self._cur_src = -1
        return None

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        self._frames = None
        if self._container is not None:
            try:
                self._container.close()
            finally:
                self._container = None
        self._cache = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        return self.frame_count

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: modules may be gone
            self.close()
