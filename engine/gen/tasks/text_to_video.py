"""Text → video."""

from __future__ import annotations

import numpy as np

from engine.gen.tasks.common import GenContext, call_pipeline


def generate(ctx: GenContext) -> np.ndarray:
    frames = ctx.entry.frame_rule.snap(ctx.frames)
    return call_pipeline(ctx, ctx.family.text_to_video(ctx, frames))[:frames]
