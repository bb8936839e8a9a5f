"""Media files as creators own them, made with the ffmpeg command line, and ffmpeg's own decode of
them to check ours against (shared by the media, import and command-line tests)."""

from __future__ import annotations

import bisect
import random
import subprocess
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np

from engine.media import FrameReader

SIZE = (160, 96)
FRAMES = 36
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args) -> None:
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *map(str, args)], check=True, timeout=120)


def _ffmpeg_out(path: Path, *output) -> bytes:
    return subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "quiet", "-i", str(path), "-fps_mode", "passthrough",
                           *output, "-"], capture_output=True, check=True, timeout=120).stdout


def ffmpeg_frames(path: Path, size: tuple[int, int] = SIZE) -> np.ndarray:
    """Every frame ffmpeg's decoder gives, in order (no frame dropped or repeated for timing)."""
    out = _ffmpeg_out(path, "-f", "rawvideo", "-pix_fmt", "rgb24")
    return np.frombuffer(out, np.uint8).reshape(-1, size[1], size[0], 3)


def ffmpeg_slots(path: Path) -> list[int]:
    """Where in time ffmpeg puts each of those frames, in frames from the first one."""
    lines = [line.split(",") for line in _ffmpeg_out(path, "-f", "framemd5").decode().splitlines()
             if line[:1].isdigit()]
    pts = [int(fields[2]) for fields in lines]
    return [p - pts[0] for p in pts]


def ffmpeg_timeline(path: Path) -> list[np.ndarray]:
    """ffmpeg's frames on a constant-rate timeline: a frame shows until the next one's time (a
    missing picture shows the frame before it). Frame i of the reader must be frame i of this."""
    frames, slots = ffmpeg_frames(path), ffmpeg_slots(path)
    assert len(frames) == len(slots)
    return [frames[bisect.bisect_right(slots, i) - 1] for i in range(slots[-1] + 1)]


def video_packets(path: Path) -> list[av.Packet]:
    with av.open(str(path)) as container:
        return [p for p in container.demux(container.streams.video[0]) if p.size]


def garble(src: Path, dst: Path, spans: list[tuple[int, int]], seed: int = 1) -> Path:
    """A copy of src with the byte ranges [a, b) overwritten by noise (a damaged disk or download)."""
    data = bytearray(src.read_bytes())
    rng = random.Random(seed)
    for a, b in spans:
        data[a:b] = bytes(rng.randrange(256) for _ in range(b - a))
    dst.write_bytes(bytes(data))
    return dst


def garble_packets(src: Path, dst: Path, numbers: list[int]) -> Path:
    """Damage the payload of the given video packets (AVI: pos is the chunk header, 8 bytes)."""
    packets = video_packets(src)
    return garble(src, dst, [(packets[k].pos + 8, packets[k].pos + packets[k].size) for k in numbers])


def read_all(reader: FrameReader, order=None) -> list[np.ndarray]:
    order = range(reader.frame_count) if order is None else order
    return [reader.frame(i) for i in order]


def b_frame_packets(path: Path) -> list[int]:
    """Numbers of the packets that hold a B-frame (nothing refers to them)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.copy_opaque = True
        found = []
        for n, packet in enumerate(p for p in container.demux(stream) if p.size):
            packet.opaque = n
            found += [f.opaque for f in stream.decode(packet) if f.pict_type == av.video.frame.PictureType.B]
    return sorted(found)
