"""A video stream's frame table: every frame its decoder gives, in presentation order.

The table comes from decoding the whole stream once (engine/media/scan.py), because only a decode
knows the frames a file really holds: a truncated or damaged file declares more than it has, and
a DivX/Xvid AVI with packed B-frames carries placeholder packets that hold no picture of their
own. Frame i is the i-th frame FFmpeg's decoder gives, the one `ffmpeg -i FILE` shows as the
i-th. Each frame is tied to the packet it came from (FFmpeg copies a packet's `opaque` to the
frames it produces), so after a seek the reader knows which frame it holds without trusting
timestamps, which packed and damaged files get wrong.

Timestamps are used for time only: a frame's time is its best-effort presentation timestamp, and
a frame that is missing (a packet that did not decode) leaves a gap in time that rate conform
fills with the frame before it, as FFmpeg does at a constant rate. A frame the decoder flagged as
damaged shows the nearest good frame instead (concealment), in preview and export alike.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

COMMON_RATES = (
    Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
    Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60), Fraction(12), Fraction(15),
    Fraction(16), Fraction(18), Fraction(20), Fraction(8), Fraction(10), Fraction(100), Fraction(120),
    Fraction(120000, 1001), Fraction(90), Fraction(144), Fraction(240),
)
NO_TS = np.iinfo(np.int64).min
"""A missing timestamp in the packet arrays (AV_NOPTS_VALUE)."""


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


def conform_count(duration: Fraction, rate: Fraction, tick: Fraction, source_rate: Fraction) -> int:
    """Frames at `rate` that a clip lasting `duration` seconds fills: a frame counts while some
    source frame is on screen at its time. One rule for the reader, the probe and the importer."""
    count = max(1, math.ceil(duration * rate))
    eps = _tolerance(tick, rate, source_rate)
    # An output frame whose time is within eps of the end has nothing left to show.
    while count > 1 and Fraction(count - 1) / rate >= duration - eps:
        count -= 1
    return count


def _tolerance(tick: Fraction, rate: Fraction, source_rate: Fraction) -> Fraction:
    """Timestamps rounded to the container's tick (1 ms in Matroska) must still land in their frame."""
    return min(tick, 1 / (4 * rate), 1 / (4 * source_rate))


@dataclass(frozen=True, eq=False)
class FrameTable:
    """The frames of one video stream, as the scan found them. Arrays are read-only numpy arrays.

    Per frame (presentation order): `times` (ticks of `time_base`, strictly increasing),
    `packets` (decode-order number of the packet it came from), `keys` (a keyframe: decoding can
    start at its packet), `corrupt` (the decoder flagged it damaged). Per packet (decode order, as
    the demuxer gives them, empty packets left out): `pkt_pos`, `pkt_dts`, `pkt_pts`, `pkt_size`,
    which identify a packet again after a seek.
    """

    time_base: Fraction
    times: np.ndarray
    packets: np.ndarray
    keys: np.ndarray
    corrupt: np.ndarray
    end: int
    rate: Fraction
    vfr: bool
    pkt_pos: np.ndarray
    pkt_dts: np.ndarray
    pkt_pts: np.ndarray
    pkt_size: np.ndarray
    errors: int = 0
    """Decode errors the scan met (damaged data); 0 for a clean file."""
    declared_frames: int = 0
    """Frames the container says the stream holds (0: it does not say)."""
    _derived: dict = field(default_factory=dict, repr=False, compare=False)

    # -- basic facts ----------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        """Frames the decoder gives (a missing picture is not among them)."""
        return len(self.times)

    @property
    def duration(self) -> Fraction:
        """From the first frame's time to the end of the last one, in seconds."""
        return (self.end - int(self.times[0])) * self.time_base

    @property
    def start_time(self) -> Fraction:
        return int(self.times[0]) * self.time_base

    def time_of(self, frame: int) -> Fraction:
        return (int(self.times[frame]) - int(self.times[0])) * self.time_base

    def count(self, rate: Fraction) -> int:
        """Frames at `rate` (timestamp conform). At the table's own rate this counts a missing
        picture as the frame it is: the frame count a decode reaches at a constant rate."""
        return conform_count(self.duration, rate, self.time_base, self.rate)

    # -- concealment ----------------------------------------------------------------------------
    def _cached(self, key, make):
        value = self._derived.get(key)
        if value is None:
            value = self._derived[key] = make()
        return value

    @property
    def good(self) -> np.ndarray:
        """Indices of the frames that decoded cleanly."""
        return self._cached("good", lambda: np.flatnonzero(~self.corrupt))

    def nearest_good(self, frames: np.ndarray) -> np.ndarray:
        """For each frame index, the nearest clean frame (the earlier one on a tie)."""
        good = self.good
        if len(good) == 0:
            raise ValueError("no frame of this stream decodes cleanly")
        frames = np.asarray(frames, dtype=np.int64)
        pos = np.searchsorted(good, frames)
        after = good[np.minimum(pos, len(good) - 1)]
        before = good[np.maximum(pos - 1, 0)]
        use_before = (pos > 0) & ((frames - before <= after - frames) | (pos >= len(good)))
        out = np.where(use_before, before, after)
        return np.where(self.corrupt[frames], out, frames)

    def raw_map(self, rate: Fraction) -> np.ndarray:
        """For each output frame at `rate`: the decoded frame on screen at its time (before
        concealment). Missing pictures show the frame before them."""
        def make() -> np.ndarray:
            count = self.count(rate)
            tb = float(self.time_base)
            start = int(self.times[0])
            rel = (self.times - start).astype(np.float64) * tb
            eps = float(_tolerance(self.time_base, rate, self.rate))
            slots = np.arange(count, dtype=np.float64) * (rate.denominator / rate.numerator) + eps
            return np.maximum(np.searchsorted(rel, slots, side="right") - 1, 0)
        return self._cached(("raw", rate), make)

    def frame_map(self, rate: Fraction) -> np.ndarray:
        """For each output frame at `rate`: the decoded frame to show, damaged ones concealed."""
        return self._cached(("map", rate), lambda: self.nearest_good(self.raw_map(rate)))

    def damaged_frames(self) -> list[int]:
        """Output frames at the table's own rate that do not show their own picture: the decoder
        flagged it damaged, or (in a constant-rate file that had decode errors) it is missing."""
        raw = self.raw_map(self.rate)
        bad = self.corrupt[raw]
        if self.errors and not self.vfr and len(raw) > 1:
            repeated = np.zeros(len(raw), bool)
            repeated[1:] = raw[1:] == raw[:-1]
            bad |= repeated
        return [int(i) for i in np.flatnonzero(bad)]

    # -- seeking --------------------------------------------------------------------------------
    @property
    def frame_of_packet(self) -> np.ndarray:
        """For each packet, the frame it produced (-1: none)."""
        def make() -> np.ndarray:
            out = np.full(len(self.pkt_pos), -1, dtype=np.int64)
            out[self.packets] = np.arange(len(self.packets))
            return out
        return self._cached("fop", make)

    @property
    def seek_points(self) -> np.ndarray:
        """Packets decoding can start at: they produced a clean keyframe. Sorted."""
        return self._cached("seek", lambda: np.sort(self.packets[self.keys & ~self.corrupt]))

    @property
    def keyframes(self) -> list[int]:
        """Frames that are seek points (each one can be decoded without the frames before it)."""
        fop = self.frame_of_packet
        return sorted(int(fop[p]) for p in self.seek_points)

    def seek_packet(self, frame: int) -> int:
        """The packet to start decoding at to reach `frame`: the last seek point at or before its
        packet whose own frame is not later than it (an open GOP's leading frames need the
        keyframe before). -1: decode from the start of the file."""
        points = self.seek_points
        fop = self.frame_of_packet
        target_packet = int(self.packets[frame])
        pos = bisect.bisect_right(points, target_packet) - 1
        while pos >= 0 and fop[points[pos]] > frame:
            pos -= 1
        return int(points[pos]) if pos >= 0 else -1

    def seek_timestamps(self, packet: int) -> list[int]:
        """Timestamps to hand the demuxer's seek for `packet` (its dts, then its pts): demuxers
        index by one or the other (MP4 and AVI by dts, Matroska by pts)."""
        out = []
        for ts in (int(self.pkt_dts[packet]), int(self.pkt_pts[packet])):
            if ts != NO_TS and ts not in out:
                out.append(ts)
        return out

    def packet_matcher(self):
        """A function from a demuxed packet to its number in this table, -1 when it is not one
        the scan saw: found by byte position when the demuxer gives unique positions, else by
        (dts, pts), and only if its size agrees too (after a seek, an MPEG program stream's parser
        may cut its first packets differently, with the next packet's timestamps)."""
        def make():
            sizes = self.pkt_size.tolist()
            pos = self.pkt_pos
            if len(pos) and (pos >= 0).all() and len(np.unique(pos)) == len(pos):
                table = {int(p): k for k, p in enumerate(pos)}

                def key(packet):
                    return packet.pos if packet.pos is not None else -1
            else:
                table = {}
                for k, (d, p) in enumerate(zip(self.pkt_dts.tolist(), self.pkt_pts.tolist())):
                    table.setdefault((d, p), k)

                def key(packet):
                    return (packet.dts if packet.dts is not None else int(NO_TS),
                            packet.pts if packet.pts is not None else int(NO_TS))

            def number(packet) -> int:
                k = table.get(key(packet), -1)
                return k if k >= 0 and sizes[k] == packet.size else -1
            return number
        return self._cached("matcher", make)

    # -- storage --------------------------------------------------------------------------------
    def to_arrays(self) -> dict[str, np.ndarray]:
        meta = np.array([self.time_base.numerator, self.time_base.denominator, self.end,
                         self.rate.numerator, self.rate.denominator, int(self.vfr), self.errors,
                         self.declared_frames], dtype=np.int64)
        return {"meta": meta, "times": self.times, "packets": self.packets, "keys": self.keys,
                "corrupt": self.corrupt, "pkt_pos": self.pkt_pos, "pkt_dts": self.pkt_dts,
                "pkt_pts": self.pkt_pts, "pkt_size": self.pkt_size}

    @classmethod
    def from_arrays(cls, arrays) -> FrameTable:
        tb_n, tb_d, end, r_n, r_d, vfr, errors, declared = (int(v) for v in arrays["meta"])
        return cls(time_base=Fraction(tb_n, tb_d), times=_frozen(arrays["times"]),
                   packets=_frozen(arrays["packets"]), keys=_frozen(arrays["keys"]),
                   corrupt=_frozen(arrays["corrupt"]), end=end, rate=Fraction(r_n, r_d), vfr=bool(vfr),
                   pkt_pos=_frozen(arrays["pkt_pos"]), pkt_dts=_frozen(arrays["pkt_dts"]),
                   pkt_pts=_frozen(arrays["pkt_pts"]), pkt_size=_frozen(arrays["pkt_size"]), errors=errors,
                   declared_frames=declared)


def _frozen(array) -> np.ndarray:
    out = np.array(array)
    out.setflags(write=False)
    return out


# ---- building a table from what the scan saw ----------------------------------------------------

@dataclass
class ScanRecord:
    """What a decode pass saw, before it becomes a FrameTable."""

    time_base: Fraction
    pkt_pos: list[int] = field(default_factory=list)
    pkt_dts: list[int] = field(default_factory=list)
    pkt_pts: list[int] = field(default_factory=list)
    pkt_size: list[int] = field(default_factory=list)
    pkt_duration: list[int] = field(default_factory=list)
    frame_packet: list[int] = field(default_factory=list)
    frame_pts: list[int | None] = field(default_factory=list)
    frame_dts: list[int | None] = field(default_factory=list)
    frame_key: list[bool] = field(default_factory=list)
    frame_corrupt: list[bool] = field(default_factory=list)
    first_size: tuple[int, int] | None = None
    errors: int = 0


def build_table(rec: ScanRecord, rate_hints: list[Fraction], *, declared_frames: int = 0,
                stream_end: int | None = None, decode_order_times: bool = False) -> FrameTable:
    """Turn a scan's record into a FrameTable: best-effort times, nominal rate, VFR, end.

    stream_end: where the container says the stream ends (MP4: its packet durations are
    decode-order deltas, so the last shown frame's length comes from the stream's duration).
    decode_order_times: the container stores no presentation times (AVI: a frame counter, its
    "pts" are a parser's guesses), so frames are timed by the decode timestamps they come out at.
    """
    n = len(rec.frame_packet)
    if n == 0:
        raise ValueError("no frames")
    tb, times = _best_effort_times(rec, rate_hints, decode_order_times)
    rate, vfr, frame_ticks = _rate_of(times, tb, rate_hints)
    if tb != rec.time_base:  # timed in frames: the container's durations do not apply
        stream_end = None
    last_packet = rec.frame_packet[-1] if tb == rec.time_base else -1
    last_duration = rec.pkt_duration[last_packet] if 0 <= last_packet < len(rec.pkt_duration) else 0
    if last_duration <= 0 or last_duration > 4 * frame_ticks:
        last_duration = max(1, round(frame_ticks))
    end = int(times[-1]) + last_duration
    if stream_end is not None and times[-1] < stream_end <= times[-1] + 4 * frame_ticks:
        end = stream_end
    return FrameTable(
        time_base=tb, times=_frozen(np.asarray(times, dtype=np.int64)),
        packets=_frozen(np.asarray(rec.frame_packet, dtype=np.int64)),
        keys=_frozen(np.asarray(rec.frame_key, dtype=bool)),
        corrupt=_frozen(np.asarray(rec.frame_corrupt, dtype=bool)),
        end=end, rate=rate, vfr=vfr,
        pkt_pos=_frozen(np.asarray(rec.pkt_pos, dtype=np.int64)),
        pkt_dts=_frozen(np.asarray(rec.pkt_dts, dtype=np.int64)),
        pkt_pts=_frozen(np.asarray(rec.pkt_pts, dtype=np.int64)),
        pkt_size=_frozen(np.asarray(rec.pkt_size, dtype=np.int64)),
        errors=rec.errors, declared_frames=declared_frames,
    )


def _usable(values: list[int | None]) -> bool:
    return all(v is not None for v in values) and len(set(values)) == len(values)


def _edges_filled(values: list[int | None]) -> list[int | None]:
    """A decoder's last (flushed) frames may come without a timestamp: continue the steps before."""
    known = [v for v in values if v is not None]
    if len(known) < 2 or values[0] is None:
        return values
    step = sorted(b - a for a, b in zip(known, known[1:]))[(len(known) - 1) // 2]
    out = list(values)
    for k in range(1, len(out)):
        if out[k] is None and all(v is None for v in out[k:]):
            out[k] = out[k - 1] + step
    return out


def _best_effort_times(rec: ScanRecord, rate_hints: list[Fraction], decode_order: bool) -> tuple[Fraction, list[int]]:
    """(time base, a strictly increasing time per frame). The decoder gives frames in presentation
    order, so their timestamps, sorted, are their times, even when a packed or damaged stream
    attaches them to the wrong frames; without usable timestamps, frames follow each other at the
    nominal rate (ticked in frames)."""
    candidates = [_edges_filled(rec.frame_dts), rec.frame_pts] if decode_order else [rec.frame_pts, rec.frame_dts]
    for values in candidates:
        if _usable(values):
            return rec.time_base, sorted(values)  # type: ignore[arg-type]
    rate = rate_hints[0] if rate_hints else Fraction(24)
    tick = Fraction(rate.denominator, rate.numerator)
    first = next((v for v in rec.frame_pts if v is not None), 0)
    start = round(first * rec.time_base / tick)
    return tick, [start + k for k in range(len(rec.frame_packet))]


def _rate_of(times: list[int], tb: Fraction, hints: list[Fraction]) -> tuple[Fraction, bool, float]:
    """(nominal rate, variable?, frame length in ticks). A constant-rate stream may have gaps
    (missing pictures, dropped frames): every step is then a whole number of frame lengths."""
    if len(times) < 2:
        rate = snap_rate(hints[0], hints) if hints else Fraction(24)
        return rate, False, float(1 / (rate * tb))
    diffs = np.diff(np.asarray(times, dtype=np.int64)).astype(np.float64)
    median = float(np.median(diffs))
    multiples = np.rint(diffs / median)
    single = diffs[multiples == 1]
    length = float(single.mean()) if len(single) else median
    multiples = np.rint(diffs / length)
    error = np.abs(diffs - multiples * length)
    # Timestamps rounded to the container's tick (1 ms in Matroska) jitter by one tick.
    tolerance = max(1.5, length / 10)
    vfr = bool((multiples < 1).any() or error.max() > tolerance)
    if vfr:
        # A VFR clip's nominal rate: the common rate its mean is near (a looser match).
        mean = (times[-1] - times[0]) / (len(times) - 1)
        measured = Fraction(1) / (Fraction(mean).limit_denominator(1 << 20) * tb)
        return snap_rate(measured, [], Fraction(5, 100)), True, mean
    measured = Fraction(1) / (Fraction(length).limit_denominator(1 << 20) * tb)
    rate = snap_rate(measured, hints)
    return rate, False, length
