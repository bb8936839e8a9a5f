"""Exact frame access in presentation order, for any GOP, B-frames, start time or frame rate."""

from __future__ import annotations

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
    PacketNumber,
    check_readable,
    ffmpeg_reason,
    frame_to_rgb,
    media_error,
    rate_of,
)
from engine.media.conform import conform_frame
from engine.media.index import FrameTable

# Decoding forward through this many packets is cheaper than a seek plus decoding from the keyframe.
_FORWARD_SLACK = 8
# When a frame cannot be reached after all (a file changed under us), this many good frames on
# each side are tried before giving up: preview and export show a neighbour, never an error.
_CONCEAL_REACH = 4
_SKIPPABLE = frozenset({"h264", "hevc"})
# After a seek, packets read before giving up on finding a keyframe the scan knows.
_RESYNC_PACKETS = 2000


def _rgb_size_check(size: tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    w, h = int(size[0]), int(size[1])
    if w <= 0 or h <= 0:
        raise ValueError(f"size {w}x{h} must be positive")
    return w, h


class FrameReader:
    """Read frame i (0-based, presentation order) of a video, a still image or a PNG sequence folder.

    A video's frames are the frames FFmpeg's decoder gives (see engine/media/index.py); the file is
    scanned once, then remembered. When `rate` differs from the source rate, or the source has a
    variable frame rate or missing pictures, frame i is the source frame on screen at time i / rate
    from the first frame (timestamp conform). Frames the decoder flagged as damaged show the
    nearest good frame. Forward stepping reuses the decoder; a jump backwards or past the next
    keyframe seeks to the keyframe before the target and decodes forward. One reader per thread.
    """

    def __init__(self, path: Path | str, *, rate: Fraction | int | str | None = None) -> None:
        self.path = Path(path)
        self._container: av.container.InputContainer | None = None
        self._still: np.ndarray | None = None
        self._sequence: list[Path] | None = None
        self._frames: Iterator[tuple[int, av.VideoFrame]] | None = None
        self._cur = -1                # decoded frame the decoder produced last
        self._fed = -1                # packet the decoder was given last
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
        from engine.media.scan import cached_scan, scan_media

        self._container = open_input(self.path)
        try:
            stream = self._container.streams.video[0] if self._container.streams.video else None
            if stream is None:
                raise media_error(self.path, "has no video stream", "choose a video or image file")
            w, h = stream.codec_context.width, stream.codec_context.height
            if not w or not h:
                raise media_error(self.path, "has a video stream without a frame size",
                                  "the file may be damaged; re-export it")
            scan = cached_scan(self.path)
            fresh = scan is None
            if fresh:
                scan = scan_media(self.path, self._container)
            if scan.video is None:
                raise media_error(self.path, "has no video stream", "choose a video or image file")
            self.index: FrameTable = scan.video
            if fresh:
                self._reopen()  # the scan read the container to its end
            else:
                self._setup_stream()
            self.size = (w, h)
            self.source_rate = self.index.rate
            self.vfr = self.index.vfr
            self.rate = requested or self.source_rate
            frame_map = self.index.frame_map(self.rate)
            self.frame_count = len(frame_map)
            identity = len(frame_map) == self.index.frame_count and bool(
                (frame_map == np.arange(len(frame_map))).all())
            self._map = None if identity else frame_map
        except MediaError:
            self.close()
            raise
        except av.error.FFmpegError as exc:
            self.close()
            raise media_error(self.path, f"cannot be read ({ffmpeg_reason(exc)})",
                              "the file may be damaged; re-export it") from None

    def _reopen(self) -> None:
        """A fresh container, positioned at the start of the file."""
        from engine.media._common import open_input

        if self._container is not None:
            self._container.close()
        self._container = open_input(self.path)
        self._setup_stream()

    def _setup_stream(self) -> None:
        stream = self._container.streams.video[0]
        damaged = bool(self.index.errors or self.index.corrupt.any())
        if damaged:
            # How a decoder conceals damage depends on thread timing and on what it skipped: one
            # thread, every frame decoded, keeps the frames after a damaged one the same however
            # they are reached (preview equals export).
            stream.codec_context.thread_count = 1
        else:
            stream.thread_type = "AUTO"
        stream.codec_context.copy_opaque = True  # frames carry their packet's number
        self._stream = stream
        # Skipping the non-reference frames before a target is safe where each picture has its
        # own packet; MPEG-4 Part 2 may pack two pictures in one (DivX), so it decodes them all.
        self._skippable = stream.codec_context.name in _SKIPPABLE and not damaged
        self._reformatter = VideoReformatter()
        self._target: int | None = None
        self._skipping = False
        self._frames = None
        self._cur = -1
        self._fed = -1
        self._at_start = True

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
            return frame_to_rgb(self._decoded(src), size, self._reformatter)
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
        return self._decoded(self.source_index(i))

    def _decoded(self, src: int) -> av.VideoFrame:
        if self._cache_src == src and self._cache is not None:
            return self._cache
        frame = self._decode_or_neighbour(src)
        self._cache = frame
        self._cache_src = src
        return frame

    def _decode_or_neighbour(self, src: int) -> av.VideoFrame:
        """Decode `src`; should it fail now although the scan found it good, show the nearest
        good frame that does decode (concealment, never an error in the middle of an export)."""
        good = self.index.good
        pos = int(np.searchsorted(good, src))
        near = good[max(0, pos - _CONCEAL_REACH):pos + _CONCEAL_REACH + 1].tolist()
        order = [src] + sorted((g for g in near if g != src), key=lambda g: (abs(g - src), g))
        for candidate in order:
            try:
                frame = self._decode(candidate)
            except av.error.FFmpegError:
                self._frames = None
                frame = None
            if frame is not None:
                return frame
        raise media_error(self.path, f"frame {src} could not be decoded",
                          "the file may be damaged or was changed; re-import it")

    def _decode(self, src: int) -> av.VideoFrame | None:
        if self._container is None:
            raise media_error(self.path, "the reader is closed", "open a new FrameReader")
        idx = self.index
        start = idx.seek_packet(src)
        fresh = self._frames is None and self._at_start and start <= _FORWARD_SLACK
        if fresh:
            self._rewind()  # a fresh reader: decode from the start without a seek
        if self._frames is not None and self._cur < src and (fresh or start <= self._fed + _FORWARD_SLACK):
            frame = self._decode_forward(src)
            if frame is not None:
                return frame
        # Seek to the keyframe before the target; if the container lands elsewhere than on a
        # keyframe at or before it, try the next timestamp, then earlier keyframes, then the start.
        points = idx.seek_points
        k = int(np.searchsorted(points, start)) if start >= 0 else -1
        while k >= 0:
            packet = int(points[k])
            for ts in idx.seek_timestamps(packet):
                if self._seek(ts, packet):
                    frame = self._decode_forward(src)
                    if frame is not None:
                        return frame
            k -= 1
        self._rewind()
        return self._decode_forward(src)

    def _seek(self, ts: int, packet: int) -> bool:
        """Seek the demuxer to `ts` and find the first packet the scan knows that decoding can
        start at; True when it is no later than `packet`. Packets before it are not decoded (after
        a seek a demuxer may hand out pieces of packets first)."""
        self.seeks += 1
        self._frames = None
        self._cur = -1
        self._fed = -1
        self._at_start = False
        try:
            self._container.seek(ts, stream=self._stream, backward=True)
        except av.error.FFmpegError:
            return False
        self._stream.codec_context.flush_buffers()
        packets = self._container.demux(self._stream)
        number = self.index.packet_matcher()
        try:
            for _ in range(_RESYNC_PACKETS):
                first = next(packets, None)
                if first is None:
                    return False
                landed = number(first) if first.size else -1
                if landed > packet:
                    return False
                if landed == 0 or landed > 0 and _is_seek_point(self.index, landed):
                    self._frames = self._frame_iter(packets, first)
                    return True
        except av.error.FFmpegError:
            return False
        return False

    def _rewind(self) -> None:
        """Decode from the very start of the file (reopening it unless it is still there)."""
        if not (self._at_start and self._frames is None):
            self._reopen()
            self.seeks += 1
        self._at_start = False
        self._frames = self._frame_iter(self._container.demux(self._stream), None)

    def _frame_iter(self, packets, first) -> Iterator[tuple[int, av.VideoFrame]]:
        """(decoded frame number, frame) from the current position; damaged packets are skipped."""
        stream = self._stream
        ctx = stream.codec_context
        match = self.index.packet_matcher()
        frame_of_packet = self.index.frame_of_packet

        def all_packets():
            if first is not None:
                yield first
            yield from packets

        for packet in all_packets():
            if packet.size:
                number = match(packet)
                packet.opaque = PacketNumber(number)
                self._fed = max(self._fed, number)
                # Frames shown before the target that nothing refers to need not be decoded at all.
                produces = int(frame_of_packet[number]) if number >= 0 else -1
                skip = self._skippable and self._target is not None and 0 <= produces < self._target
                if skip != self._skipping:
                    ctx.skip_frame = "NONREF" if skip else "DEFAULT"
                    self._skipping = skip
            try:
                frames = stream.decode(packet if packet.size else None)
            except av.error.EOFError:
                return
            except av.error.FFmpegError:
                continue
            for frame in frames:
                number = frame.opaque
                index = int(frame_of_packet[number]) if isinstance(number, int) and number >= 0 else -1
                yield index, frame

    def _decode_forward(self, src: int) -> av.VideoFrame | None:
        """Decode until frame `src`; None if it is passed or the file ends."""
        self._target = src
        for index, frame in self._frames:
            self.decoded += 1
            if index < 0:
                continue
            self._cur = index
            if index < src:
                continue
            if index == src:
                return frame
            break
        self._frames = None
        self._cur = -1
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


def _is_seek_point(index: FrameTable, packet: int) -> bool:
    points = index.seek_points
    k = int(np.searchsorted(points, packet))
    return k < len(points) and int(points[k]) == packet
