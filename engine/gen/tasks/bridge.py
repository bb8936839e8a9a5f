"""Bridge: frames between the end of clip A and the start of clip B, conditioned on both sides.

LTX: two keyframe conditions (A's last k frames at 0, B's first k at the window end). Wan
first+last-frame: ``WanImageToVideoPipeline`` with ``image`` = A's last frame and ``last_image`` =
B's first. Wan VACE: A's and B's frames kept by the mask, the middle generated.
Only the in-between frames are returned.
"""

from __future__ import annotations

import numpy as np

from engine.errors import GenerationError
from engine.gen.tasks.common import (
    GenContext,
    call_pipeline,
    default_context,
    largest_valid_context,
    read_clip_frames,
    to_pil,
)


def generate(ctx: GenContext) -> np.ndarray:
    req = ctx.request
    entry = ctx.entry
    size = (ctx.width, ctx.height)
    pipeline_class = type(ctx.pipe).__name__
    wanted_k = 1 if pipeline_class == "WanImageToVideoPipeline" else (req.context_frames or default_context(entry))
    a = read_clip_frames(req.before, fps=ctx.fps, size=size, edge="end", count=wanted_k, mode=req.fit)
    b = read_clip_frames(req.after, fps=ctx.fps, size=size, edge="start", count=wanted_k, mode=req.fit)
    k = largest_valid_context(entry, wanted_k, min(len(a), len(b)))
    if k < 1:
        raise GenerationError(f"{req.before.path} or {req.after.path} is too short to bridge; "
                              f"{entry.name} needs at least {default_context(entry)} frames of each")
    a, b = a[-k:], b[:k]
    ctx.captured["condition_frames"] = a + b
    total = entry.frame_rule.snap(2 * k + ctx.frames)
    new = total - 2 * k
    ctx.notes.append(f"conditioned on {k} frames of A and {k} of B; generated {new} frames between them")
    if pipeline_class == "LTXConditionPipeline":
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        conditions = [LTXVideoCondition(video=[to_pil(f) for f in a], frame_index=0, strength=1.0),
                      LTXVideoCondition(video=[to_pil(f) for f in b], frame_index=total - k, strength=1.0)]
        out = call_pipeline(ctx, num_frames=total, conditions=conditions)
    elif pipeline_class == "WanImageToVideoPipeline":
        out = call_pipeline(ctx, num_frames=total, image=to_pil(a[-1]), last_image=to_pil(b[0]))
    elif pipeline_class == "WanVACEPipeline":
        from PIL import Image

        grey = Image.new("RGB", size, (127, 127, 127))
        keep, make = Image.new("L", size, 0), Image.new("L", size, 255)
        video = [to_pil(f) for f in a] + [grey] * new + [to_pil(f) for f in b]
        mask = [keep] * k + [make] * new + [keep] * k
        out = call_pipeline(ctx, num_frames=total, video=video, mask=mask)
    else:
        raise GenerationError(f"model '{entry.id}' cannot bridge clips with {pipeline_class}")
    return out[k:total - k]
