"""What every task shares: the resolved run context, the pipeline call, reading conditioning frames."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from engine.errors import GenerationError
from engine.gen.catalog import ModelEntry
from engine.gen.families import family_of
from engine.gen.families.base import Family, frames_to_uint8
from engine.gen.requests import ClipRange
from engine.gen.steps import StepMonitor


@dataclass
class GenContext:
    entry: ModelEntry
    request: Any
    pipe: Any
    width: int
    height: int
    frames: int  # native frames to produce (what the user gets, before time conform)
    steps: int
    guidance: float
    seed: int
    device: str
    dtype: str
    monitor: StepMonitor
    tier: str = "gpu"
    model_info: dict = field(default_factory=dict)  # facts the family learned while loading
    notes: list[str] = field(default_factory=list)
    captured: dict = field(default_factory=dict)
    sound: tuple[np.ndarray, int] | None = None
    """The take's own sound when the family makes one: float32 (channels, samples) and its rate,
    under the frames the task returns (``keep_sound``)."""

    @property
    def family(self) -> Family:
        return family_of(self.entry)

    @property
    def fps(self) -> Fraction:
        return self.entry.fps

    @property
    def execution_device(self):
        return getattr(self.pipe, "_execution_device", self.device)

    def generator(self, offset: int = 0):
        import torch

        # A CPU generator: the same seed gives the same noise on every device.
        return torch.Generator(device="cpu").manual_seed(self.seed + offset)


def call_pipeline(ctx: GenContext, kwargs: dict[str, Any]):
    """Run one pipeline call with exactly the family's arguments (a wrong one is a TypeError, not
    silently dropped). Returns (F, H, W, 3) uint8 frames, or the latents for ``output_type="latent"``."""
    pipe = ctx.pipe
    frames = kwargs.get("num_frames", ctx.frames)
    ctx.monitor.unpack = lambda latents: ctx.family.latents_5d(pipe, latents, frames=frames, height=ctx.height,
                                                               width=ctx.width)
    out = pipe(**kwargs)
    audio = getattr(out, "audio", None)
    if kwargs.get("output_type") == "latent":
        if audio is not None:  # the call's sound (a long take's window), decoded now: it is small
            ctx.sound = ctx.family.decode_sound(ctx, audio)
        return out.frames
    if audio is not None:
        ctx.sound = ctx.family.sound(pipe, audio)
    return frames_to_uint8(out.frames[0])


def keep_sound(ctx: GenContext, first: int, count: int) -> None:
    """Keep the sound under native frames [first, first + count) of the call's output (the frames
    the task returns), silence-padded where the waveform is shorter than those frames."""
    if ctx.sound is None:
        return
    from engine.render.audio import sample_at

    wave, rate = ctx.sound
    a, b = sample_at(first, ctx.fps, rate), sample_at(first + count, ctx.fps, rate)
    part = wave[:, a:b]
    if part.shape[1] < b - a:
        part = np.concatenate([part, np.zeros((wave.shape[0], b - a - part.shape[1]), np.float32)], axis=1)
    ctx.sound = (np.ascontiguousarray(part), rate)


def read_clip_frames(clip: ClipRange, *, fps: Fraction, size: tuple[int, int], edge: str, count: int,
                     mode: str = "fill") -> list[np.ndarray]:
    """The first (edge='start') or last (edge='end') ``count`` frames of a clip range, read at the
    model's rate (timestamp conform) and conformed to the model's size."""
    from engine.media import FrameReader, conform_frame

    if clip.rate:
        src_rate = Fraction(clip.rate)
    else:
        with FrameReader(clip.path) as native:
            src_rate = native.rate
    with FrameReader(clip.path, rate=fps) as reader:
        first = math.ceil(Fraction(clip.start) / src_rate * fps)
        last = reader.frame_count
        if clip.frames is not None:
            last = min(last, math.ceil(Fraction(clip.start + clip.frames) / src_rate * fps))
        if last - first < 1:
            raise GenerationError(f"{clip.path}: the frame range {clip.start}+{clip.frames} holds no frames; "
                                  f"check the shot's range")
        count = min(count, last - first)
        idx = range(last - count, last) if edge == "end" else range(first, first + count)
        return [conform_frame(reader.frame(i), size, mode) for i in idx]


def load_conformed_image(ctx: GenContext, path) -> np.ndarray:
    from engine.media import conform_frame, load_image

    return conform_frame(load_image(path), (ctx.width, ctx.height), ctx.request.fit)
