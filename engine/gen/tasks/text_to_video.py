"""Text → video."""

from __future__ import annotations

import numpy as np

from engine.gen.tasks.common import GenContext, call_pipeline, keep_sound


def generate(ctx: GenContext) -> np.ndarray:
    frames = ctx.entry.frame_rule.snap(ctx.frames)
    out = call_pipeline(ctx, ctx.family.text_to_video(ctx, frames))[:frames]
    keep_sound(ctx, 0, len(out))
    return out
