"""Image → video: the image is the first frame (conformed to the model's size first)."""

from __future__ import annotations

import numpy as np

from engine.gen.tasks.common import GenContext, call_pipeline, keep_sound, load_conformed_image


def generate(ctx: GenContext) -> np.ndarray:
    image = load_conformed_image(ctx, ctx.request.image)
    ctx.captured["condition_frames"] = [image]
    frames = ctx.entry.frame_rule.snap(ctx.frames)
    # FramePack makes whole sections; the take is the frames asked for.
    out = call_pipeline(ctx, ctx.family.image_to_video(ctx, image, frames))[:frames]
    keep_sound(ctx, 0, len(out))
    return out
