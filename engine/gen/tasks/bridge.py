"""Bridge: frames between the end of clip A and the start of clip B, conditioned on both sides.

The family decides the conditioning (LTX: two keyframe video conditions; Wan first+last frame:
A's last frame and B's first; Wan VACE: A's and B's frames kept by the mask). Only the in-between
frames are returned.
"""

from __future__ import annotations

import numpy as np

from engine.errors import GenerationError
from engine.gen.tasks.common import GenContext, call_pipeline, keep_sound, read_clip_frames


def generate(ctx: GenContext) -> np.ndarray:
    req, entry, family = ctx.request, ctx.entry, ctx.family
    size = (ctx.width, ctx.height)
    wanted_k = family.bridge_context(entry) or req.context_frames or family.default_context(entry, "bridge")
    a = read_clip_frames(req.before, fps=ctx.fps, size=size, edge="end", count=wanted_k, mode=req.fit)
    b = read_clip_frames(req.after, fps=ctx.fps, size=size, edge="start", count=wanted_k, mode=req.fit)
    k = family.context_frames(entry, wanted_k, min(len(a), len(b)))
    if k < 1:
        raise GenerationError(f"{req.before.path} or {req.after.path} is too short to bridge; "
                              f"{entry.name} needs at least {family.default_context(entry, 'bridge')} frames of each")
    a, b = a[-k:], b[:k]
    ctx.captured["condition_frames"] = a + b
    total = entry.frame_rule.snap(2 * k + ctx.frames)
    new = total - 2 * k
    ctx.notes.append(f"conditioned on {k} frames of A and {k} of B; generated {new} frames between them")
    out = call_pipeline(ctx, family.bridge(ctx, a, b, new))
    out = out[k:total - k]
    keep_sound(ctx, k, len(out))
    return out
