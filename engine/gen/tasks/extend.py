"""Extend a clip forward (new frames after its last k frames) or backward (before its first k).

The family decides how the k frames condition the window (LTX: a video condition at frame 0 or at
the end of the window; Wan VACE: a control video with a keep/generate mask). Only the new frames
are returned; the source clip is never touched.
"""

from __future__ import annotations

import numpy as np

from engine.errors import GenerationError
from engine.gen.tasks.common import GenContext, call_pipeline, keep_sound, read_clip_frames


def generate(ctx: GenContext) -> np.ndarray:
    req, entry, family = ctx.request, ctx.entry, ctx.family
    wanted_k = req.context_frames or family.default_context(entry, "extend")
    edge = "end" if req.direction == "forward" else "start"
    cond = read_clip_frames(req.source, fps=ctx.fps, size=(ctx.width, ctx.height), edge=edge,
                            count=wanted_k, mode=req.fit)
    k = family.context_frames(entry, wanted_k, len(cond))
    if k < 1:
        raise GenerationError(f"{req.source.path}: too short to extend ({len(cond)} frames at the model's "
                              f"rate; {entry.name} needs at least {family.default_context(entry, 'extend')})")
    cond = cond[-k:] if edge == "end" else cond[:k]
    ctx.captured["condition_frames"] = cond
    total = entry.frame_rule.snap(k + ctx.frames)
    new = total - k
    ctx.notes.append(f"conditioned on {k} frames {'before' if req.direction == 'forward' else 'after'} "
                     f"the new ones; generated {new} new frames in a {total}-frame window")
    out = call_pipeline(ctx, family.extend(ctx, cond, new, req.direction))
    # (A pipeline that rounds its frame count up makes one more; only the asked-for frames are kept.)
    first = k if req.direction == "forward" else 0
    out = out[first:first + new]
    keep_sound(ctx, first, len(out))
    return out
