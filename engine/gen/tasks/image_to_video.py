"""Image → video: the image is the first frame (conformed to the model's size first)."""

from __future__ import annotations

import numpy as np

from engine.gen.tasks.common import GenContext, call_pipeline, to_pil


def generate(ctx: GenContext) -> np.ndarray:
    from engine.media import conform_frame, load_image

    image = conform_frame(load_image(ctx.request.image), (ctx.width, ctx.height), ctx.request.fit)
    ctx.captured["condition_frames"] = [image]
    frames = ctx.entry.frame_rule.snap(ctx.frames)
    return call_pipeline(ctx, num_frames=frames, image=to_pil(image))
