"""One decode pass over a media file, remembered per file: its frame table and its audio losses.

`scan_media(path)` decodes every video and audio packet once (threaded, loop filter skipped: the
pass only needs to know which frames come out, not their pixels) and returns a MediaScan. The
result is kept on disk under the user cache folder, keyed by the file's identity (device, inode,
size, modification time), and in memory, so a file is scanned once: the import's child process
scans it, the editor and export then read the table. A file that changes gets a new key.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from engine.media._common import PacketNumber, ffmpeg_reason, media_error, open_input
from engine.media.audio import AudioPacketDecoder
from engine.media.index import NO_TS, FrameTable, ScanRecord, build_table
from engine.progress import CancelToken, ProgressFn

SCAN_VERSION = 2
"""Bump when the scan or FrameTable changes meaning: older cached scans are then ignored."""
CACHE_FOLDER = "media-scans"
MAX_CACHED_FILES = 4000
_MEMORY_ITEMS = 64


@dataclass(frozen=True)
class MediaScan:
    """What decoding a whole file found."""

    video: FrameTable | None
    audio_packets: int = 0
    audio_lost_packets: int = 0
    audio_lost_seconds: float = 0.0


# ---- identity and cache ---------------------------------------------------------------------------

def file_key(path: Path | str) -> str:
    """The identity of a file's current content, as far as the file system tells."""
    st = os.stat(path)
    text = f"{SCAN_VERSION}|{st.st_dev}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha1(text.encode()).hexdigest()


_memory: OrderedDict[str, MediaScan] = OrderedDict()
_lock = threading.Lock()


def _cache_file(key: str) -> Path:
    from engine.paths import user_cache_dir

    return user_cache_dir() / CACHE_FOLDER / f"{key}.npz"


def _remember(key: str, scan: MediaScan) -> None:
    with _lock:
        _memory[key] = scan
        _memory.move_to_end(key)
        while len(_memory) > _MEMORY_ITEMS:
            _memory.popitem(last=False)


def cached_scan(path: Path | str) -> MediaScan | None:
    """The scan of `path` if it was made before (in memory or on disk), else None."""
    try:
        key = file_key(path)
    except OSError:
        return None
    with _lock:
        scan = _memory.get(key)
        if scan is not None:
            _memory.move_to_end(key)
            return scan
    try:
        with np.load(_cache_file(key), allow_pickle=False) as data:
            scan = _from_arrays(data)
    except (OSError, ValueError, KeyError):
        return None
    _remember(key, scan)
    return scan


def _store(key: str, scan: MediaScan) -> None:
    from engine.fsutil import write_bytes_atomic

    _remember(key, scan)
    target = _cache_file(key)
    buffer = io.BytesIO()
    np.savez(buffer, **_to_arrays(scan))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(target, buffer.getvalue())
        _trim(target.parent)
    except OSError:
        pass  # a read-only or full cache only costs a rescan later


def _trim(folder: Path) -> None:
    """Keep the cache bounded: past MAX_CACHED_FILES, the least recently written half goes."""
    entries = list(os.scandir(folder))
    if len(entries) <= MAX_CACHED_FILES:
        return
    entries.sort(key=lambda e: e.stat().st_mtime)
    for entry in entries[: len(entries) // 2]:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def remember_copy(src: Path | str, dst: Path | str) -> None:
    """`dst` is a byte-for-byte copy of `src`: give it src's scan instead of scanning it again."""
    scan = cached_scan(src)
    if scan is not None:
        with contextlib.suppress(OSError):
            _store(file_key(dst), scan)


def remember_written(path: Path | str) -> None:
    """`path` was just written by our own encoder (VideoWriter): one picture per packet, nothing
    damaged, so its frames are its packets in timestamp order. Keep that scan, read by demuxing
    alone, so reading the new file back (probe, preview, proxies) never decodes it all first."""
    path = Path(path)
    with contextlib.suppress(OSError, av.error.FFmpegError, ValueError), \
            contextlib.closing(open_input(path)) as container:
        video = container.streams.video[0] if container.streams.video else None
        rec = ScanRecord(Fraction(video.time_base.numerator, video.time_base.denominator)) if video else None
        keys: list[bool] = []
        audio_packets = 0
        for packet in container.demux():
            if not packet.size:
                continue
            if packet.stream is not video:
                audio_packets += packet.stream.type == "audio"
                continue
            rec.pkt_pos.append(packet.pos if packet.pos is not None else -1)
            rec.pkt_dts.append(_ts(packet.dts))
            rec.pkt_pts.append(_ts(packet.pts))
            rec.pkt_size.append(packet.size)
            rec.pkt_duration.append(int(packet.duration or 0))
            keys.append(bool(packet.is_keyframe))
        table = None
        if rec is not None:
            if not rec.pkt_pts or int(NO_TS) in rec.pkt_pts:
                return  # not one of ours after all: a real scan will read it when needed
            order = sorted(range(len(rec.pkt_pts)), key=rec.pkt_pts.__getitem__)
            rec.frame_packet = order
            rec.frame_pts = [rec.pkt_pts[k] for k in order]
            rec.frame_key = [keys[k] for k in order]
            rec.frame_corrupt = [False] * len(order)
            rec.frame_dts = list(rec.frame_pts)
            table = build_table(rec, _rate_hints(video), declared_frames=_expected_frames(container, video),
                                stream_end=_stream_end(container, video))
        _store(file_key(path), MediaScan(table, audio_packets))


def _stream_end(container, video) -> int | None:
    """Where an MP4/MOV says the video ends: its packet durations are decode-order deltas, so the
    last shown frame's length comes from the stream's duration."""
    if "mov" in container.format.name and video.duration and video.start_time is not None:
        return int(video.start_time) + int(video.duration)
    return None


def _to_arrays(scan: MediaScan) -> dict[str, np.ndarray]:
    arrays = {"audio": np.array([scan.audio_packets, scan.audio_lost_packets,
                                 round(scan.audio_lost_seconds * 1e6)], dtype=np.int64)}
    if scan.video is not None:
        arrays.update({f"video_{k}": v for k, v in scan.video.to_arrays().items()})
    return arrays


def _from_arrays(data) -> MediaScan:
    packets, lost, lost_us = (int(v) for v in data["audio"])
    video = None
    if "video_meta" in data.files:
        video = FrameTable.from_arrays({k[len("video_"):]: data[k] for k in data.files if k.startswith("video_")})
    return MediaScan(video, packets, lost, lost_us / 1e6)


# ---- the decode pass ---------------------------------------------------------------------------------

def scan_media(path: Path | str, container: av.container.InputContainer | None = None, *,
               progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> MediaScan:
    """The file's scan: remembered, or made now by decoding it (a MediaError names the file when
    nothing of its video decodes). `container`, when given, must be freshly opened."""
    path = Path(path)
    scan = cached_scan(path)
    if scan is not None:
        return scan
    key = file_key(path)
    own = container is None
    if own:
        container = open_input(path)
    try:
        scan = _decode_all(path, container, progress, cancel, threaded=True)
    finally:
        if own:
            container.close()
    if scan.video is not None and scan.video.errors:
        # Damaged data: how a frame-threaded decoder reports it depends on thread timing (it may
        # even drop the frame before a truncated last packet). One thread sees what FFmpeg sees.
        with contextlib.closing(open_input(path)) as again:
            scan = _decode_all(path, again, progress, cancel, threaded=False)
    _store(key, scan)
    return scan


def _rate_hints(stream) -> list[Fraction]:
    hints = []
    for name in ("average_rate", "guessed_rate", "base_rate"):
        try:
            value = getattr(stream, name)
        except Exception:  # noqa: BLE001 - attribute missing on odd streams
            value = None
        if value:
            hints.append(Fraction(value.numerator, value.denominator))
    return hints


def _ts(value) -> int:
    return int(value) if value is not None else int(NO_TS)


def _decode_all(path: Path, container, progress: ProgressFn | None, cancel: CancelToken | None, *,
                threaded: bool) -> MediaScan:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    streams = [s for s in (video, audio) if s is not None]
    if not streams:
        return MediaScan(None)
    rec = None
    if video is not None:
        ctx = video.codec_context
        declared_size = (ctx.width, ctx.height)
        if threaded:
            video.thread_type = "AUTO"
        else:
            ctx.thread_count = 1
        ctx.copy_opaque = True  # each frame carries the number of the packet it came from
        ctx.options = {"skip_loop_filter": "all"}
        rec = ScanRecord(Fraction(video.time_base.numerator, video.time_base.denominator))
    audio_decoder = AudioPacketDecoder(audio) if audio is not None else None
    total = _expected_frames(container, video)
    last_report = 0.0
    try:
        for packet in container.demux(*streams):
            if packet.stream is video:
                _scan_video_packet(video, packet, rec)
                if progress is not None and rec.frame_packet:
                    now = time.monotonic()
                    if now - last_report > 0.2:
                        last_report = now
                        progress(len(rec.frame_packet), max(total, len(rec.frame_packet)), path.name)
                if cancel is not None and len(rec.pkt_pos) % 32 == 0:
                    cancel.raise_if_canceled()
            elif audio_decoder is not None:
                audio_decoder.decode(packet if packet.size else None)
    except av.error.FFmpegError as exc:
        # A demuxer error ends the file here (a damaged tail): what was read so far counts.
        if not (rec.frame_packet if rec is not None else audio_decoder.packets):
            raise media_error(path, f"cannot be read ({ffmpeg_reason(exc)})",
                              "the file may be damaged; re-export it") from None
        if rec is not None:
            rec.errors += 1
    if rec is not None:
        _scan_video_packet(video, None, rec)  # drain the decoder's delayed frames
    table = None
    if video is not None:
        if not rec.frame_packet:
            raise media_error(path, "has a video stream where no frame decodes",
                              "the file is damaged or uses an unsupported codec; re-export it")
        if rec.first_size != declared_size:
            raise media_error(path, f"its first frame is {rec.first_size[0]}x{rec.first_size[1]}, not the "
                              f"{declared_size[0]}x{declared_size[1]} it declares", "re-export the file")
        table = build_table(rec, _rate_hints(video), declared_frames=_expected_frames(container, video),
                            stream_end=_stream_end(container, video),
                            decode_order_times=container.format.name == "avi")
        if len(table.good) == 0:
            raise media_error(path, "has no frame that decodes cleanly",
                              "the file is damaged; re-export it from its source")
    if progress is not None and rec is not None:
        progress(len(rec.frame_packet), len(rec.frame_packet), path.name)
    if audio_decoder is not None:
        audio_decoder.flush()
        return MediaScan(table, audio_decoder.packets, audio_decoder.lost_packets, audio_decoder.lost_seconds)
    return MediaScan(table)


def _scan_video_packet(stream, packet, rec: ScanRecord) -> None:
    if packet is not None:
        if packet.size == 0:
            return
        if packet.is_corrupt:
            rec.errors += 1  # the demuxer knows this packet is damaged or cut short
        packet.opaque = PacketNumber(len(rec.pkt_pos))
        rec.pkt_pos.append(packet.pos if packet.pos is not None else -1)
        rec.pkt_dts.append(_ts(packet.dts))
        rec.pkt_pts.append(_ts(packet.pts))
        rec.pkt_size.append(packet.size)
        rec.pkt_duration.append(int(packet.duration or 0))
    try:
        frames = stream.decode(packet)
    except av.error.EOFError:
        return
    except av.error.FFmpegError:
        rec.errors += 1
        return
    for frame in frames:
        number = frame.opaque
        if not isinstance(number, int) or not 0 <= number < len(rec.pkt_pos):
            number = len(rec.pkt_pos) - 1  # a decoder that drops opaque: the latest packet
        rec.frame_packet.append(number)
        rec.frame_pts.append(frame.pts)
        rec.frame_dts.append(frame.dts)
        rec.frame_key.append(bool(frame.key_frame))
        rec.frame_corrupt.append(bool(frame.is_corrupt))
        if rec.first_size is None:
            rec.first_size = (frame.width, frame.height)


def _expected_frames(container, video) -> int:
    """Frames the container claims: AVI and MP4 headers count them, Matroska states a duration."""
    if video is None:
        return 0
    if video.frames:
        return int(video.frames)
    if container.duration and video.average_rate:
        return int(Fraction(container.duration, av.time_base) * Fraction(video.average_rate))
    return 0




__all__ = ["MediaScan", "cached_scan", "file_key", "remember_copy", "remember_written", "scan_media"]
