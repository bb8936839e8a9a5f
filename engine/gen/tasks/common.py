"""What every task shares: the resolved run context, the pipeline call, reading conditioning frames."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from engine.errors import GenerationError
from engine.gen.catalog import ModelEntry
from engine.gen.requests import ClipRange
from engine.gen.steps import StepMonitor

# Prompt token budget per family (tiny models: short, to keep tests fast).
MAX_SEQ = {"ltx": 128, "wan": 512, "cogvideox": 226, "hunyuan_framepack": 256, "svd": 0}


@dataclass
class GenContext:
    entry: ModelEntry
    request: object
    pipe: object
    width: int
    height: int
    frames: int  # native frames to produce (what the user gets, before time conform)
    steps: int
    guidance: float
    seed: int
    device: str
    dtype: str
    monitor: StepMonitor
    notes: list[str] = field(default_factory=list)
    captured: dict = field(default_factory=dict)

    @property
    def fps(self) -> Fraction:
        return self.entry.fps

    @property
    def max_sequence_length(self) -> int:
        return 16 if self.entry.test_model else MAX_SEQ[self.entry.family]

    def generator(self, offset: int = 0):
        import torch

        # A CPU generator: the same seed gives the same noise on every device.
        return torch.Generator(device="cpu").manual_seed(self.seed + offset)


def to_pil(frame: np.ndarray):
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(frame))


def call_pipeline(ctx: GenContext, pipe=None, *, prompt: str | None = None, num_frames: int | None = None,
                  generator_offset: int = 0, **extra) -> np.ndarray:
    """Run one pipeline call; returns (F, H, W, 3) uint8 frames."""
    pipe = pipe or ctx.pipe
    params = inspect.signature(pipe.__call__).parameters
    kwargs = {
        "prompt": prompt if prompt is not None else ctx.request.prompt,
        "negative_prompt": ctx.request.negative_prompt,
        "height": ctx.height, "width": ctx.width,
        "num_frames": num_frames if num_frames is not None else ctx.frames,
        "num_inference_steps": ctx.steps, "guidance_scale": ctx.guidance,
        "generator": ctx.generator(generator_offset), "output_type": "np",
        "callback_on_step_end": ctx.monitor, "callback_on_step_end_tensor_inputs": ["latents"],
        "frame_rate": round(float(ctx.fps)), "fps": round(float(ctx.fps)),
        "max_guidance_scale": ctx.guidance,
    }
    if ctx.max_sequence_length:
        kwargs["max_sequence_length"] = ctx.max_sequence_length
    kwargs.update(extra)
    kwargs = {k: v for k, v in kwargs.items() if k in params}
    out = pipe(**kwargs)
    frames = out.frames[0]
    if not isinstance(frames, np.ndarray):
        frames = np.stack([np.asarray(f) for f in frames])
        return frames.astype(np.uint8)
    return (np.clip(frames, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def largest_valid_context(entry: ModelEntry, wanted: int, available: int) -> int:
    """A conditioning length ≤ available that the family accepts (LTX: 8j+1; others: any ≥ 1)."""
    rule = entry.frame_rule
    k = min(wanted, available)
    if entry.family == "ltx":
        k = ((k - 1) // rule.multiple) * rule.multiple + 1
    return k


def default_context(entry: ModelEntry) -> int:
    return entry.frame_rule.multiple + 1 if entry.frame_rule.multiple > 1 else 1


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
