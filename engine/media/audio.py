"""Read a file's audio as float32, resampled to the rate and channel count asked for.

A packet that does not decode (a damaged AC-3 frame, a bad first packet) is skipped and its time
kept as silence, so the sound after it stays in sync; it never ends the sound. The import's scan
counts such packets, so losing sound always comes with a warning.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from engine.media._common import IMAGE_SUFFIXES, check_readable, ffmpeg_reason, media_error, open_input

GAP_SECONDS = 0.01
"""A jump in the audio's timestamps longer than this (10 ms) is a lost packet, kept as silence."""


class AudioPacketDecoder:
    """Decodes one audio stream packet by packet; a packet that fails is counted and skipped."""

    def __init__(self, stream: av.audio.stream.AudioStream) -> None:
        self.stream = stream
        self.packets = 0
        self.lost_packets = 0
        self.lost_seconds = 0.0

    def decode(self, packet: av.Packet | None) -> list[av.AudioFrame]:
        """Frames decoded from `packet` (None flushes the decoder)."""
        if packet is not None:
            self.packets += 1
        try:
            return self.stream.decode(packet)
        except av.error.EOFError:
            return []
        except av.error.FFmpegError:
            if packet is not None:
                self.lost_packets += 1
                self.lost_seconds += self._length(packet)
            return []

    def flush(self) -> list[av.AudioFrame]:
        return self.decode(None)

    def _length(self, packet: av.Packet) -> float:
        if packet.duration and packet.time_base is not None:
            return float(packet.duration * packet.time_base)
        ctx = self.stream.codec_context
        if ctx.frame_size and ctx.sample_rate:
            return ctx.frame_size / ctx.sample_rate
        return 0.0


def read_audio(path: Path | str, *, sample_rate: int = 48000, channels: int = 2) -> np.ndarray | None:
    """The first audio stream as float32 (channels, n) from the media's start; None if there is none.

    The media's start is the earliest stream start, so audio that begins later than the video is
    padded with silence and stays in sync with frame 0; so is audio after a lost packet.
    """
    path = Path(path)
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 or 2, not {channels}")
    check_readable(path)
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return None
    container = open_input(path)
    try:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        layout = "stereo" if channels == 2 else "mono"
        placer = _Placer(av.AudioResampler(format="fltp", layout=layout, rate=sample_rate), sample_rate)
        decoder = AudioPacketDecoder(stream)
        try:
            for packet in container.demux(stream):
                placer.add(decoder.decode(packet if packet.size else None))
        except av.error.FFmpegError:
            pass  # the demuxer stopped at a damaged tail: keep what was read
        placer.add(decoder.flush())
        placer.finish()
        start = _media_start(container)
    except av.error.FFmpegError as exc:
        raise media_error(path, f"has unreadable audio ({ffmpeg_reason(exc)})",
                          "the file may be damaged; re-export it") from None
    finally:
        container.close()
    samples = np.concatenate(placer.blocks, axis=1) if placer.blocks else np.zeros((channels, 0), np.float32)
    if placer.first_time is not None and start is not None:
        offset = round((placer.first_time - start) * sample_rate)
        if offset > 0:
            samples = np.concatenate([np.zeros((channels, offset), np.float32), samples], axis=1)
        elif offset < 0:
            samples = samples[:, -offset:]
    return np.ascontiguousarray(samples, dtype=np.float32)


class _Placer:
    """Resamples decoded frames and puts each at its timestamp: a gap becomes silence."""

    def __init__(self, resampler: av.AudioResampler, sample_rate: int) -> None:
        self.resampler = resampler
        self.rate = sample_rate
        self.blocks: list[np.ndarray] = []
        self.written = 0
        self.first_time: float | None = None
        self._channels = 0

    def add(self, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            if frame.pts is not None and frame.time_base is not None:
                t = float(frame.pts * frame.time_base)
                if self.first_time is None:
                    self.first_time = t
                else:
                    gap = round((t - self.first_time) * self.rate) - self.written
                    if gap > GAP_SECONDS * self.rate and self._channels:
                        self._append(np.zeros((self._channels, gap), np.float32))
            for out in self.resampler.resample(frame):
                self._append(out.to_ndarray())

    def finish(self) -> None:
        for out in self.resampler.resample(None):
            self._append(out.to_ndarray())

    def _append(self, block: np.ndarray) -> None:
        self._channels = block.shape[0]
        self.blocks.append(block)
        self.written += block.shape[1]


def _media_start(container: av.container.InputContainer) -> float | None:
    """Start of the video stream if there is one (frame 0), else of the audio."""
    streams = list(container.streams.video) or list(container.streams.audio)
    starts = [float(s.start_time * s.time_base) for s in streams if s.start_time is not None]
    return min(starts) if starts else None
