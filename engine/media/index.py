"""A video stream's frame index: presentation timestamps and keyframes, found by demuxing only."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from fractions import Fraction

import av

from engine.media._common import ffmpeg_reason, media_error

COMMON_RATES = (
    Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
    Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60), Fraction(12), Fraction(15),
    Fraction(16), Fraction(18), Fraction(20), Fraction(8), Fraction(10), Fraction(100), Fraction(120),
    Fraction(120000, 1001), Fraction(90), Fraction(144), Fraction(240),
)


@dataclass(frozen=True)
class VideoIndex:
    """Frames of one video stream in presentation order."""

    time_base: Fraction
    pts: tuple[int, ...]            # sorted presentation timestamps, one per frame
    key_pts: tuple[int, ...]        # sorted pts of keyframes
    key_seek: tuple[int, ...]       # timestamp to seek to for each keyframe (its dts, else pts)
    end_pts: int                    # pts just after the last frame is shown
    rate: Fraction                  # nominal frame rate
    vfr: bool

    @property
    def frame_count(self) -> int:
        return len(self.pts)

    def key_position(self, src: int) -> int:
        """Position (in key_pts) of the last keyframe at or before source frame `src`."""
        return max(0, bisect.bisect_right(self.key_pts, self.pts[src]) - 1)

    def time_of(self, src: int) -> Fraction:
        return (self.pts[src] - self.pts[0]) * self.time_base

    @property
    def duration(self) -> Fraction:
        return (self.end_pts - self.pts[0]) * self.time_base


def snap_rate(measured: Fraction, hints: list[Fraction], tolerance: Fraction = Fraction(3, 1000)) -> Fraction:
    """The stream's declared or a common rate near the measured one (0.3%), else measured."""
    # A declared rate that is a round or NTSC rate wins, then the common rates, then any declared
    # rate (FFmpeg's own estimates, such as 19001/317 for 59.94 fps in Matroska, come last).
    nice = [h for h in hints if h.denominator in (1, 1001)]
    for group in (nice, COMMON_RATES, hints):
        near = [c for c in group if c and c > 0 and abs(c - measured) <= measured * tolerance]
        if near:
            return min(near, key=lambda c: abs(c - measured))
    return measured.limit_denominator(1001)


def _stream_rate_hints(stream: av.video.stream.VideoStream) -> list[Fraction]:
    hints = []
    for name in ("average_rate", "guessed_rate", "base_rate"):
        try:
            value = getattr(stream, name)
        except Exception:  # noqa: BLE001 - attribute missing on odd streams
            value = None
        if value:
            hints.append(Fraction(value.numerator, value.denominator))
    return hints


def build_index(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                path) -> VideoIndex:
    """Demux (no decoding) every packet of the stream; decode only if timestamps are missing."""
    entries: list[tuple[int, int | None, bool, int]] = []
    missing = False
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.is_discard or packet.is_corrupt and packet.pts is None:
                continue
            pts = packet.pts if packet.pts is not None else None
            if pts is None:
                missing = True
                break
            entries.append((pts, packet.dts, bool(packet.is_keyframe), int(packet.duration or 0)))
    except av.error.FFmpegError as exc:
        if not entries:
            raise media_error(path, f"has an unreadable video stream ({ffmpeg_reason(exc)})",
                              "the file may be damaged; re-export it") from None
    tb = Fraction(stream.time_base.numerator, stream.time_base.denominator)
    if missing:
        entries = _decode_scan(container, stream, path)
    if not entries:
        raise media_error(path, "has a video stream with no frames", "re-export the file")
    entries.sort(key=lambda e: e[0])
    # Duplicated pts (broken muxers) would make exact indexing ambiguous: keep the first.
    pts_list: list[int] = []
    durations: list[int] = []
    # MP4 packet durations are decode-order deltas, so its end comes from the stream's duration.
    mov_end = None
    if "mov" in container.format.name and stream.duration and stream.start_time is not None:
        mov_end = int(stream.start_time) + int(stream.duration)
    keys: list[tuple[int, int]] = []
    for pts, dts, key, dur in entries:
        if pts_list and pts == pts_list[-1]:
            continue
        pts_list.append(pts)
        durations.append(dur)
        if key:
            keys.append((pts, dts if dts is not None else pts))
    if not keys or keys[0][0] != pts_list[0]:
        # Decoding must start somewhere: treat the first frame as reachable from the file start.
        keys.insert(0, (pts_list[0], min(e[1] if e[1] is not None else e[0] for e in entries)))
    diffs = [b - a for a, b in itertools.pairwise(pts_list)]
    hints = _stream_rate_hints(stream)
    if diffs:
        sorted_diffs = sorted(diffs)
        median = sorted_diffs[len(sorted_diffs) // 2]
        spread = sorted_diffs[-1] - sorted_diffs[0]
        # Timestamps rounded to the container's tick (1 ms in Matroska) jitter by one tick.
        vfr = spread > 2 and spread * tb > Fraction(1, 1000) and spread > median // 10
        mean = Fraction(pts_list[-1] - pts_list[0], len(diffs)) * tb
        measured = 1 / mean if mean > 0 else (hints[0] if hints else Fraction(24))
        # A VFR clip's nominal rate: the common rate its mean is near (a looser match).
        rate = snap_rate(measured, [] if vfr else hints, Fraction(5, 100) if vfr else Fraction(3, 1000))
        last_dur = durations[-1] if durations[-1] > 0 else median
    else:
        rate = snap_rate(hints[0], hints) if hints else Fraction(24)
        vfr = False
        last_dur = durations[-1] if durations[-1] > 0 else max(1, round(1 / (rate * tb)))
    end_pts = pts_list[-1] + last_dur
    if mov_end is not None and mov_end > pts_list[-1]:
        end_pts = mov_end
    return VideoIndex(
        time_base=tb, pts=tuple(pts_list), key_pts=tuple(k[0] for k in keys),
        key_seek=tuple(k[1] for k in keys), end_pts=end_pts, rate=rate, vfr=vfr,
    )


def _decode_scan(container, stream, path) -> list[tuple[int, int | None, bool, int]]:
    """Slow path for containers without packet timestamps: decode once to list the frames."""
    try:
        container.seek(0)
    except av.error.FFmpegError:
        pass
    out = []
    k = 0
    try:
        for frame in container.decode(stream):
            pts = frame.pts if frame.pts is not None else k
            out.append((pts, pts, bool(frame.key_frame), 0))
            k += 1
    except av.error.FFmpegError as exc:
        if not out:
            raise media_error(path, f"has an unreadable video stream ({ffmpeg_reason(exc)})",
                              "the file may be damaged; re-export it") from None
    return out
