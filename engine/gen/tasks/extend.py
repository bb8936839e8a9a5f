"""Extend a clip forward (new frames after its last k frames) or backward (before its first k).

LTX: ``LTXConditionPipeline`` with the k frames as a video condition at frame 0 (forward) or at the
end of the window (backward, a keyframe condition). Wan: ``WanVACEPipeline`` with the k frames in
the control video and a mask that is black (keep) on them and white (generate) on the new frames.
Only the new frames are returned; the source clip is never touched.
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
    wanted_k = req.context_frames or default_context(entry)
    edge = "end" if req.direction == "forward" else "start"
    cond = read_clip_frames(req.source, fps=ctx.fps, size=(ctx.width, ctx.height), edge=edge,
                            count=wanted_k, mode=req.fit)
    k = largest_valid_context(entry, wanted_k, len(cond))
    if k < 1:
        raise GenerationError(f"{req.source.path}: too short to extend ({len(cond)} frames at the model's "
                              f"rate; {entry.name} needs at least {default_context(entry)})")
    cond = cond[-k:] if edge == "end" else cond[:k]
    ctx.captured["condition_frames"] = cond
    total = entry.frame_rule.snap(k + ctx.frames)
    new = total - k
    ctx.notes.append(f"conditioned on {k} frames {'before' if req.direction == 'forward' else 'after'} "
                     f"the new ones; generated {new} new frames in a {total}-frame window")
    pipeline_class = type(ctx.pipe).__name__
    if pipeline_class == "LTXConditionPipeline":
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        index = 0 if req.direction == "forward" else total - k
        condition = LTXVideoCondition(video=[to_pil(f) for f in cond], frame_index=index, strength=1.0)
        out = call_pipeline(ctx, num_frames=total, conditions=[condition])
    elif pipeline_class == "WanVACEPipeline":
        video, mask = vace_layout(cond, new, ctx.width, ctx.height, direction=req.direction)
        out = call_pipeline(ctx, num_frames=total, video=video, mask=mask)
    else:
        raise GenerationError(f"model '{entry.id}' cannot extend clips with {pipeline_class}")
    return out[k:] if req.direction == "forward" else out[:new]


def vace_layout(cond: list[np.ndarray], new: int, width: int, height: int, *, direction: str):
    """VACE control video + mask: known frames with a black mask, grey placeholders with a white one."""
    from PIL import Image

    grey = Image.new("RGB", (width, height), (127, 127, 127))
    keep = Image.new("L", (width, height), 0)
    make = Image.new("L", (width, height), 255)
    known = [to_pil(f) for f in cond]
    if direction == "forward":
        return known + [grey] * new, [keep] * len(known) + [make] * new
    return [grey] * new + known, [make] * new + [keep] * len(known)
