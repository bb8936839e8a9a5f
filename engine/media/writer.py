"""Encoding: presets with sensible quality defaults and a frame-exact VideoWriter."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Self

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from engine.errors import MediaError
from engine.media._common import (
    _SWS_ITU709,
    ffmpeg_reason,
    frame_time_base,
    frame_to_rgb,
    media_error,
    rate_of,
    sws_colorspace,
)


@dataclass(frozen=True)
class Preset:
    """An export format: container, video codec and its quality options, audio codec."""

    name: str
    extension: str  # "" for an image-sequence folder
    codec: str
    options: Mapping[str, str] = field(default_factory=dict)
    supports_audio: bool = True
    pix_fmt: str = "yuv420p"
    container_format: str | None = None
    container_options: Mapping[str, str] = field(default_factory=dict)
    audio_codec: str | None = None
    audio_bit_rate: int = 192_000
    codec_tag: str | None = None
    description: str = ""

    @property
    def needs_even_size(self) -> bool:
        return self.pix_fmt.startswith(("yuv420", "yuv422", "nv12"))

    @property
    def is_sequence(self) -> bool:
        return self.extension == ""


def _frozen(d: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(d))


PRESETS: dict[str, Preset] = {
    "h264": Preset(
        name="h264", extension=".mp4", codec="libx264",
        # rc-lookahead 20 (medium's is 40): ~130 MB less memory at 1080p, a negligible quality cost.
        options=_frozen({"crf": "18", "preset": "medium", "rc-lookahead": "20"}),
        pix_fmt="yuv420p", container_format="mp4",
        container_options=_frozen({"movflags": "+faststart"}), audio_codec="aac",
        description="H.264 MP4, visually lossless (CRF 18), plays everywhere",
    ),
    "h265": Preset(
        name="h265", extension=".mp4", codec="libx265",
        options=_frozen({"crf": "20", "preset": "medium", "x265-params": "log-level=error"}),
        pix_fmt="yuv420p", container_format="mp4",
        container_options=_frozen({"movflags": "+faststart"}), audio_codec="aac", codec_tag="hvc1",
        description="H.265/HEVC MP4 (CRF 20), half the size of H.264",
    ),
    "prores": Preset(
        name="prores", extension=".mov", codec="prores_ks",
        options=_frozen({"profile": "3", "vendor": "apl0"}),
        pix_fmt="yuv422p10le", container_format="mov", audio_codec="aac", audio_bit_rate=320_000,
        description="ProRes 422 HQ MOV, 10-bit, for further editing",
    ),
    "vp9": Preset(
        name="vp9", extension=".webm", codec="libvpx-vp9",
        options=_frozen({"crf": "31", "b": "0", "row-mt": "1", "deadline": "good", "cpu-used": "2"}),
        pix_fmt="yuv420p", container_format="webm", audio_codec="libopus", audio_bit_rate=160_000,
        description="VP9 WebM (CRF 31), for the web",
    ),
    "gif": Preset(
        name="gif", extension=".gif", codec="gif", options=_frozen({}), supports_audio=False,
        pix_fmt="pal8", container_format="gif", container_options=_frozen({"loop": "0"}),
        description="Animated GIF, looping, a 256-colour palette made for each frame; "
                    "the sound goes beside it as NAME.wav",
    ),
    "png": Preset(
        name="png", extension="", codec="png", options=_frozen({}), supports_audio=False,
        pix_fmt="rgb24", description="PNG image sequence in a folder (NAME_000000.png ...), lossless; "
                                     "the sound goes in the folder as NAME.wav",
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise MediaError(
            f"unknown export preset {name!r}; choose one of {', '.join(PRESETS)}"
        ) from None


_AUDIO_FRAME_SIZE = {"aac": 1024, "libopus": 960, "opus": 960}
WAV_CODEC = "pcm_s16le"
_OPUS_RATES = (48000, 24000, 16000, 12000, 8000)


class AudioTrack:
    """An audio stream in an output container fed with float32 (channels, n) blocks."""

    def __init__(self, container: av.container.OutputContainer, codec: str, *, in_rate: int,
                 channels: int, bit_rate: int | None = None, start_sample: int = 0) -> None:
        if channels not in (1, 2):
            raise ValueError(f"audio channels must be 1 or 2, not {channels}")
        out_rate = in_rate
        if codec in ("libopus", "opus") and in_rate not in _OPUS_RATES:
            out_rate = 48000
        self.layout = "stereo" if channels == 2 else "mono"
        self.channels = channels
        self.in_rate = in_rate
        self.stream = container.add_stream(codec, rate=out_rate, layout=self.layout)
        ctx = self.stream.codec_context
        if bit_rate:
            ctx.bit_rate = bit_rate
        fmt = ctx.codec.audio_formats[0].name if ctx.codec.audio_formats else "fltp"
        ctx.format = fmt
        self._resampler = av.AudioResampler(format=fmt, layout=self.layout, rate=out_rate,
                                            frame_size=_AUDIO_FRAME_SIZE.get(codec))
        self._written = int(start_sample)  # pts of the next sample, at 1/in_rate
        self._container = container

    def write(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        if samples.ndim == 1:
            samples = samples[None, :]
        if samples.ndim != 2 or samples.shape[0] != self.channels:
            raise ValueError(
                f"audio block must be float32 (channels={self.channels}, n), got shape {samples.shape}"
            )
        if samples.shape[1] == 0:
            return
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp",
                                           layout=self.layout)
        frame.sample_rate = self.in_rate
        frame.time_base = Fraction(1, self.in_rate)
        frame.pts = self._written
        self._written += samples.shape[1]
        self._encode(self._resampler.resample(frame))

    def _encode(self, frames: list[av.AudioFrame]) -> None:
        for out in frames:
            self._container.mux(self.stream.encode(out))

    def flush(self) -> None:
        self._encode(self._resampler.resample(None))
        self._container.mux(self.stream.encode(None))


class _PaletteGraph:
    """FFmpeg palettegen + paletteuse per frame: GIF colours far better than a fixed palette."""

    def __init__(self, size: tuple[int, int], time_base: Fraction) -> None:
        graph = av.filter.Graph()
        src = graph.add_buffer(width=size[0], height=size[1], format="rgb24", time_base=time_base)
        split = graph.add("split")
        gen = graph.add("palettegen", "stats_mode=single:max_colors=256")
        use = graph.add("paletteuse", "new=1:dither=sierra2_4a")
        sink = graph.add("buffersink")
        src.link_to(split)
        split.link_to(use, 0, 0)
        split.link_to(gen, 1, 0)
        gen.link_to(use, 0, 1)
        use.link_to(sink)
        graph.configure()
        self._graph = graph

    def push(self, frame: av.VideoFrame | None) -> list[av.VideoFrame]:
        self._graph.push(frame)
        out = []
        while True:
            try:
                out.append(self._graph.pull())
            except (av.error.BlockingIOError, av.error.EOFError):
                return out


class VideoWriter:
    """Write RGB frames (and optional audio) to a file with a preset.

    Frame k gets pts k at time base 1/rate, so timestamps are exact. Everything is written to a
    partial beside `path` (engine/fsutil's names) and put in place by close(): a cancel, a crash or
    a full disk never leaves half a file under `path`, and abort() leaves nothing. Presets that
    hold no sound (GIF, a PNG folder) write the audio as a WAV: NAME.wav beside a GIF, inside the
    PNG folder; `audio_path` says where the sound went (None without audio).
    """

    def __init__(self, path: Path | str, *, preset: str, rate: Fraction | int, size: tuple[int, int],
                 audio_rate: int | None = None, audio_channels: int = 2,
                 options: dict[str, str] | None = None, all_intra: bool = False) -> None:
        self.path = Path(path)
        self.preset = get_preset(preset)
        self.rate = rate_of(rate)
        self.size = (int(size[0]), int(size[1]))
        self.frames_written = 0
        self.audio_path: Path | None = None
        self._closed = False
        self._container: av.container.OutputContainer | None = None
        self._audio: AudioTrack | None = None
        self._wav: av.container.OutputContainer | None = None
        self._palette: _PaletteGraph | None = None
        self._outputs = contextlib.ExitStack()  # the partial files, published on close in reverse
        self._partial_dir: Path | None = None
        # One swscale context for the whole file; sliced across cores for large frames.
        self._reformatter = VideoReformatter()
        self._sws_threads = 0 if self.size[0] * self.size[1] >= 640 * 360 else 1
        w, h = self.size
        if w < 2 or h < 2:
            raise media_error(self.path, f"frame size {w}x{h} is too small", "use at least 2x2")
        if self.preset.needs_even_size and (w % 2 or h % 2):
            raise media_error(
                self.path,
                f"frame size {w}x{h} is odd but {self.preset.name} needs even width and height",
                f"use {w - w % 2}x{h - h % 2} (conform_frame pads or crops to it)",
            )
        opts = dict(self.preset.options)
        if options:
            opts.update({str(k): str(v) for k, v in options.items()})
        self._options = opts
        self._all_intra = all_intra
        if self.preset.is_sequence:
            self._open_sequence()
        else:
            self._open_container(audio_rate if self.preset.supports_audio else None, audio_channels)
        if audio_rate is not None and not self.preset.supports_audio:
            self._open_wav(int(audio_rate), audio_channels)
        elif audio_rate is not None:
            self.audio_path = self.path

    # -- setup -------------------------------------------------------------------------------
    def _open_sequence(self) -> None:
        from engine.fsutil import make_partial_dir

        if self.path.exists() and not self.path.is_dir():
            raise media_error(self.path, "exists and is not a folder",
                              "a PNG sequence is written into a folder; choose a new name")
        self._stem = self.path.name
        self._check_folder(self.path.parent)
        try:
            self._partial_dir = make_partial_dir(self.path)
        except OSError as exc:
            raise media_error(self.path, f"cannot create the folder ({exc.strerror})",
                              "check the location") from None

    def sequence_path(self, index: int) -> Path:
        """Where frame `index` of a PNG sequence is once the writer is closed."""
        return self.path / self._sequence_name(index)

    def _sequence_name(self, index: int) -> str:
        return f"{self._stem}_{index:06d}.png"

    def _is_sequence_file(self, name: str) -> bool:
        """A file this preset writes for this name (a previous export's frames or sound)."""
        return name == f"{self._stem}.wav" or re.fullmatch(rf"{re.escape(self._stem)}_\d{{6}}\.png", name) is not None

    def _check_folder(self, folder: Path) -> None:
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise media_error(self.path, "cannot be written (the folder is missing or read-only)",
                              "choose a folder that exists and is writable")

    def _open_container(self, audio_rate: int | None, audio_channels: int) -> None:
        from engine.fsutil import atomic_output

        p = self.preset
        self._check_folder(self.path.parent)
        partial = self._outputs.enter_context(atomic_output(self.path))
        try:
            self._container = av.open(str(partial), mode="w", format=p.container_format,
                                      options=dict(p.container_options))
        except (av.error.FFmpegError, OSError) as exc:
            self._discard()
            raise media_error(self.path, f"cannot be written ({ffmpeg_reason(exc)})",
                              "check the folder exists and is writable") from None
        try:
            tb = frame_time_base(self.rate)
            stream = self._container.add_stream(p.codec, rate=self.rate)
            ctx = stream.codec_context
            stream.width, stream.height = self.size
            stream.pix_fmt = p.pix_fmt
            stream.time_base = tb
            ctx.time_base = tb
            ctx.framerate = self.rate
            if p.pix_fmt.startswith("yuv"):
                # Tag BT.709 limited range; frames are converted with the same matrix below.
                ctx.colorspace = 1
                ctx.color_primaries = 1
                ctx.color_trc = 1
                ctx.color_range = 1
            opts = dict(self._options)
            if self._all_intra:
                ctx.gop_size = 1
                ctx.max_b_frames = 0
                if p.codec == "libx264":
                    opts.setdefault("x264-params", "keyint=1:min-keyint=1:scenecut=0")
                elif p.codec == "libx265":
                    base = opts.get("x265-params", "")
                    opts["x265-params"] = (base + ":" if base else "") + "keyint=1:min-keyint=1"
                elif p.codec == "libvpx-vp9":
                    opts.setdefault("auto-alt-ref", "0")
            if p.codec == "libvpx-vp9":
                opts.setdefault("threads", "0")
            if p.codec == "libx264":
                # Frame threads, one per core plus one to cover the waits: PyAV's default (slice
                # threads) encodes 1080p about a fifth slower on two cores, and x264's own count
                # (1.5 per core) costs memory on larger machines for no speed.
                ctx.thread_type = "FRAME"
                ctx.thread_count = max(1, min((os.cpu_count() or 1) + 1, 16))
            ctx.options = opts
            if p.codec_tag:
                ctx.codec_tag = p.codec_tag
            self._stream = stream
            self._palette = _PaletteGraph(self.size, tb) if p.pix_fmt == "pal8" else None
            if audio_rate is not None:
                self._audio = AudioTrack(self._container, p.audio_codec or "aac", in_rate=int(audio_rate),
                                         channels=audio_channels, bit_rate=p.audio_bit_rate)
        except (av.error.FFmpegError, ValueError) as exc:
            self._discard()
            raise media_error(self.path, f"cannot set up the {p.name} encoder ({ffmpeg_reason(exc)})",
                              "check the preset options") from None

    def _open_wav(self, audio_rate: int, audio_channels: int) -> None:
        """The sound of a preset without audio, as 16-bit PCM WAV (beside a GIF, in a PNG folder)."""
        from engine.fsutil import atomic_output

        if self._partial_dir is not None:
            self.audio_path = self.path / f"{self._stem}.wav"
            partial = self._partial_dir / self.audio_path.name
        else:
            self.audio_path = self.path.with_suffix(".wav")
            partial = self._outputs.enter_context(atomic_output(self.audio_path))
        try:
            self._wav = av.open(str(partial), mode="w", format="wav")
            self._audio = AudioTrack(self._wav, WAV_CODEC, in_rate=audio_rate, channels=audio_channels)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            self._discard()
            raise media_error(self.audio_path, f"cannot be written ({ffmpeg_reason(exc)})",
                              "check the folder exists and is writable") from None

    # -- writing -----------------------------------------------------------------------------
    def _check_frame(self, frame: np.ndarray) -> np.ndarray:
        w, h = self.size
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.shape != (h, w, 3):
            shape = getattr(frame, "shape", None)
            dtype = getattr(frame, "dtype", None)
            raise ValueError(f"frame must be uint8 ({h}, {w}, 3) RGB, got {dtype} {shape}")
        return np.ascontiguousarray(frame)

    def write(self, frame: np.ndarray) -> None:
        if self._closed:
            raise media_error(self.path, "the writer is already closed", "open a new VideoWriter")
        frame = self._check_frame(frame)
        k = self.frames_written
        if self.preset.is_sequence:
            from engine.media.images import encode_png

            try:
                with open(self._partial_dir / self._sequence_name(k), "xb") as fh:
                    fh.write(encode_png(frame))
            except OSError as exc:
                raise self._write_error(exc) from None
            self.frames_written += 1
            return
        vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
        p = self.preset
        if p.pix_fmt.startswith("yuv"):
            vf = self._reformatter.reformat(vf, format=p.pix_fmt, dst_colorspace=1, dst_color_range=1,
                                            threads=self._sws_threads)
        elif p.pix_fmt not in ("rgb24", "pal8"):
            vf = self._reformatter.reformat(vf, format=p.pix_fmt)
        vf.pts = k
        vf.time_base = self._stream.codec_context.time_base
        if self._all_intra:
            vf.pict_type = av.video.frame.PictureType.I
        try:
            if self._palette is not None:
                for out in self._palette.push(vf):
                    self._container.mux(self._stream.encode(out))
            else:
                self._container.mux(self._stream.encode(vf))
        except (av.error.FFmpegError, OSError) as exc:
            raise self._write_error(exc) from None
        self.frames_written += 1

    def accepts_decoded(self, frame: av.VideoFrame) -> bool:
        """Whether a decoded frame can be encoded as it is, with no trip through RGB: same size and
        pixel format, and the BT.709 limited-range matrix this writer tags its output with."""
        p = self.preset
        return (
            not self.preset.is_sequence
            and self._palette is None
            and not self._all_intra
            and frame.format.name == p.pix_fmt
            and (frame.width, frame.height) == tuple(self.size)
            and sws_colorspace(frame.colorspace, frame.height) == _SWS_ITU709
            and frame.color_range != 2
        )

    def write_decoded(self, frame: av.VideoFrame) -> None:
        """Encode a decoded frame unchanged (see accepts_decoded), else through RGB like write()."""
        if not self.accepts_decoded(frame):
            self.write(frame_to_rgb(frame))
            return
        if self._closed:
            raise media_error(self.path, "the writer is already closed", "open a new VideoWriter")
        # The encoder takes its own reference at send time, so retiming the shared frame is safe;
        # the source's picture type is cleared or x264 would copy the source's GOP structure.
        frame.pts = self.frames_written
        frame.time_base = self._stream.codec_context.time_base
        frame.pict_type = av.video.frame.PictureType.NONE
        try:
            self._container.mux(self._stream.encode(frame))
        except (av.error.FFmpegError, OSError) as exc:
            raise self._write_error(exc) from None
        self.frames_written += 1

    def write_audio(self, samples: np.ndarray) -> None:
        if self._audio is None:
            raise ValueError("this VideoWriter was opened without audio (audio_rate=None)")
        try:
            self._audio.write(samples)
        except (av.error.FFmpegError, OSError) as exc:
            raise self._write_error(exc) from None

    def _write_error(self, exc: BaseException) -> MediaError:
        if isinstance(exc, OSError) and exc.errno == 28 or "No space" in str(exc):
            return media_error(self.path, "the disk is full", "free some space and export again")
        return media_error(self.path, f"writing failed ({ffmpeg_reason(exc)})", "check the disk and folder")

    def close(self) -> None:
        """Flush the encoders, finish the files and put them in place."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._container is not None:
                if self._palette is not None:
                    for out in self._palette.push(None):
                        self._container.mux(self._stream.encode(out))
                self._container.mux(self._stream.encode(None))
            if self._audio is not None:
                self._audio.flush()
            for container in (self._container, self._wav):
                if container is not None:
                    container.close()
            self._container = self._wav = None
            self._outputs.close()  # fsync and rename each partial into place (the sound first)
            if self._partial_dir is not None:
                self._publish_sequence()
        except (av.error.FFmpegError, OSError) as exc:
            self._discard()
            raise self._write_error(exc) from None
        if not self.preset.is_sequence:
            from engine.media.scan import remember_written

            remember_written(self.path)  # reading it back needs no decode pass

    def _publish_sequence(self) -> None:
        """Put the PNG folder in place: renamed as a whole when the name is free; into an existing
        folder, its files replace a previous export of this name and leave all others alone."""
        from engine.fsutil import fsync_dir, publish_dir

        partial, final = self._partial_dir, self.path
        if not final.exists() or (final.is_dir() and not any(final.iterdir())):
            publish_dir(partial, final)
        else:
            new = sorted(p.name for p in partial.iterdir())
            for name in new:
                with open(partial / name, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(partial / name, final / name)
            for old in final.iterdir():
                if old.name not in new and self._is_sequence_file(old.name):
                    old.unlink()
            fsync_dir(final)
            partial.rmdir()
        self._partial_dir = None

    def abort(self) -> None:
        """Stop and delete whatever was written (the user's files are never touched)."""
        self._closed = True
        self._discard()

    def _discard(self) -> None:
        for container in (self._container, self._wav):
            if container is not None:
                with contextlib.suppress(Exception):  # a broken container is removed anyway
                    container.close()
        self._container = self._wav = None
        # Leaving the partials' contexts with an error removes them instead of publishing.
        self._outputs.__exit__(MediaError, MediaError("discarded"), None)
        if self._partial_dir is not None:
            shutil.rmtree(self._partial_dir, ignore_errors=True)
            self._partial_dir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
