"""Long take: a target duration reached by chained windows, each a resumable step on disk.

Chaining is in latent space: the previous window's last ``m`` clean latent frames are pinned at
the head of the next window (after every denoise step the head is reset to the clean latents
re-noised to the scheduler's current sigma, so at the end it equals them exactly) — no
decode/encode round trip, which is what makes colours drift. The decoded overlap is then colour-
matched to the previous window's already-corrected tail (the anchor frames; per-channel mean and
spread) and crossfaded. Memory is flat in duration: one window of frames is in memory; finished
windows live as .npy files in the work folder, with a ``done`` marker written last, so a take
interrupted at window 9 of 12 resumes at window 9.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from engine.gen.tasks.common import GenContext, call_pipeline


def _atomic_save_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, array)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


class WindowPlan:
    def __init__(self, *, total: int, window: int, overlap_px: int) -> None:
        self.total = total
        self.window = window
        self.overlap_px = overlap_px
        self.advance = window - overlap_px
        self.count = 1 + max(0, math.ceil((total - window) / self.advance))

    def start(self, i: int) -> int:
        return i * self.advance

    def committed(self, i: int) -> int:
        """How many frames window i adds to the take (its tail waits for the next window)."""
        if i < self.count - 1:
            return self.advance
        return self.total - self.start(i)


def plan_for(ctx: GenContext) -> WindowPlan:
    req = ctx.request
    rule = ctx.entry.frame_rule
    t = int(getattr(ctx.pipe, "vae_temporal_compression_ratio", ctx.entry.vae.get("temporal", 4)))
    window = rule.snap(req.window_frames or ctx.entry.defaults.frames)
    overlap_px = 1 + (req.overlap_latents - 1) * t
    if window <= overlap_px:
        window = rule.snap(overlap_px + rule.multiple)
    return WindowPlan(total=ctx.frames, window=window, overlap_px=overlap_px)


def _request_key(ctx: GenContext, plan: WindowPlan) -> str:
    data = ctx.request.model_dump(mode="json")
    data.update(width=ctx.width, height=ctx.height, steps=ctx.steps, guidance=ctx.guidance,
                window=plan.window, total=plan.total, dtype=ctx.dtype)
    for k in ("tier", "device", "output_rate", "output_size"):
        data.pop(k, None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _match_colour(frames: np.ndarray, anchor: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-channel affine map taking ``reference`` (this window's overlap) onto ``anchor`` statistics."""
    ref = reference.reshape(-1, 3).astype(np.float32)
    anc = anchor.reshape(-1, 3).astype(np.float32)
    gain = (anc.std(0) + 1e-3) / (ref.std(0) + 1e-3)
    gain = np.clip(gain, 0.5, 2.0)
    bias = anc.mean(0) - ref.mean(0) * gain
    return np.clip(frames.astype(np.float32) * gain + bias, 0, 255)


class _Pinner:
    """Resets the head latent frames to the previous window's clean latents at the current sigma."""

    def __init__(self, ctx: GenContext, head, noise, lat_dims: tuple[int, int, int]) -> None:
        self.ctx = ctx
        self.head = head  # (B, C, m, h, w) clean latents, or None for the first window
        self.noise = noise
        self.lat_dims = lat_dims
        self.final = None

    def unpack(self, latents):
        pipe = self.ctx.pipe
        if latents.ndim == 3:
            f, h, w = self.lat_dims
            return pipe._unpack_latents(latents, f, h, w, pipe.transformer_spatial_patch_size,
                                        pipe.transformer_temporal_patch_size)
        return latents

    def pack(self, latents5d, like):
        pipe = self.ctx.pipe
        if like.ndim == 3:
            return pipe._pack_latents(latents5d, pipe.transformer_spatial_patch_size,
                                      pipe.transformer_temporal_patch_size)
        return latents5d

    def __call__(self, pipe, i: int, latents):
        five = self.unpack(latents)
        if self.head is not None:
            sigmas = pipe.scheduler.sigmas
            sigma = float(sigmas[min(i + 1, len(sigmas) - 1)])
            m = self.head.shape[2]
            five = five.clone()
            head = self.head.to(five.device, five.dtype)
            noise = self.noise.to(five.device, five.dtype)
            five[:, :, :m] = (1.0 - sigma) * head + sigma * noise
            latents = self.pack(five, latents)
        self.final = five.detach().to("cpu", copy=True)  # the last step's call leaves the clean latents
        return latents


def generate(ctx: GenContext, work_dir: Path) -> dict:
    """Run (or resume) every window into ``work_dir``; returns a summary for the recipe."""
    import torch
    from safetensors.torch import load_file, save_file

    req = ctx.request
    if type(ctx.pipe).__name__ == "HunyuanVideoFramepackPipeline":
        return _framepack(ctx, work_dir)
    plan = plan_for(ctx)
    key = _request_key(ctx, plan)
    plan_file = work_dir / "plan.json"
    if plan_file.is_file():
        try:
            same = json.loads(plan_file.read_text()).get("key") == key
        except ValueError:
            same = False
        if not same:
            shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    _atomic_text(plan_file, json.dumps({"key": key, "windows": plan.count, "window": plan.window,
                                        "overlap": plan.overlap_px, "total": plan.total}))
    done = [i for i in range(plan.count) if (work_dir / f"done_{i:04d}").is_file()]
    resume_from = 0
    while resume_from in done:
        resume_from += 1

    pipe = ctx.pipe
    s = int(getattr(pipe, "vae_spatial_compression_ratio", ctx.entry.vae.get("spatial", 8)))
    t = int(getattr(pipe, "vae_temporal_compression_ratio", ctx.entry.vae.get("temporal", 4)))
    lat_dims = ((plan.window - 1) // t + 1, ctx.height // s, ctx.width // s)
    m = req.overlap_latents
    head = tail_frames = None
    if resume_from > 0:
        state = load_file(str(work_dir / f"state_{resume_from - 1:04d}.safetensors"))
        head = state["head"]
        tail_frames = np.load(work_dir / f"tail_{resume_from - 1:04d}.npy")

    monitor = ctx.monitor
    monitor.grand_total = plan.count * ctx.steps
    max_resident = 0
    for i in range(resume_from, plan.count):
        seconds = plan.start(i) / float(ctx.fps)
        prompt = req.prompt_at(seconds)
        monitor.label = f"window {i + 1}/{plan.count}"
        monitor.step_offset = i * ctx.steps
        noise = None
        if head is not None:
            gen = torch.Generator(device="cpu").manual_seed(ctx.seed + 100_003 * (i + 1))
            noise = torch.randn(tuple(head.shape), generator=gen, dtype=torch.float32)
        pinner = _Pinner(ctx, head, noise, lat_dims)
        monitor.pin = pinner
        monitor.unpack = pinner.unpack
        out = call_pipeline(ctx, prompt=prompt, num_frames=plan.window, generator_offset=i)
        monitor.pin = None
        if i == 0:
            ctx.captured["first_window_frames"] = out.shape[0]
        ov = plan.overlap_px
        if tail_frames is not None:
            out = _match_colour(out, tail_frames, out[:ov])
            alpha = np.linspace(1.0, 0.0, ov + 2, dtype=np.float32)[1:-1].reshape(-1, 1, 1, 1)
            out[:ov] = alpha * tail_frames.astype(np.float32) + (1 - alpha) * out[:ov]
            out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
        commit = plan.committed(i)
        max_resident = max(max_resident, out.shape[0])
        _atomic_save_npy(work_dir / f"window_{i:04d}.npy", out[:commit])
        tail_frames = out[plan.advance:plan.advance + ov].copy() if i < plan.count - 1 else None
        head = pinner.final[:, :, -m:].contiguous() if pinner.final is not None else None
        if i < plan.count - 1:
            save_file({"head": head}, str(work_dir / f"state_{i:04d}.safetensors"))
            _atomic_save_npy(work_dir / f"tail_{i:04d}.npy", tail_frames)
        _atomic_text(work_dir / f"done_{i:04d}", "ok")
        for old in (work_dir / f"state_{i - 1:04d}.safetensors", work_dir / f"tail_{i - 1:04d}.npy"):
            old.unlink(missing_ok=True)
        del out
    ctx.notes.append(f"long take: {plan.count} windows of {plan.window} frames, {plan.overlap_px} overlapping"
                     + (f"; resumed at window {resume_from + 1}" if resume_from else ""))
    return {"windows": plan.count, "window_frames": plan.window, "overlap_frames": plan.overlap_px,
            "overlap_latents": m, "resumed_from_window": resume_from, "max_resident_frames": max_resident,
            "chaining": "latent", "colour_correction": "per-channel mean/std against the previous tail"}


def _framepack(ctx: GenContext, work_dir: Path) -> dict:
    """FramePack packs its own history into a fixed-size context, so one call makes the whole take
    with flat memory; it is stored as a single window (not resumable part-way)."""
    from engine.errors import GenerationError
    from engine.gen.tasks.common import to_pil
    from engine.media import conform_frame, load_image

    if ctx.request.image is None:
        raise GenerationError(f"{ctx.entry.name} makes long takes from a first frame; give an image")
    image = conform_frame(load_image(ctx.request.image), (ctx.width, ctx.height), ctx.request.fit)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    out = call_pipeline(ctx, num_frames=ctx.frames, image=to_pil(image))[: ctx.frames]
    _atomic_save_npy(work_dir / "window_0000.npy", out)
    _atomic_text(work_dir / "plan.json", json.dumps({"key": "framepack", "windows": 1, "window": ctx.frames,
                                                     "overlap": 0, "total": int(out.shape[0])}))
    ctx.notes.append("long take made by FramePack's own sectioned sampling in one call")
    return {"windows": 1, "window_frames": int(out.shape[0]), "overlap_frames": 0, "overlap_latents": 0,
            "resumed_from_window": 0, "max_resident_frames": int(out.shape[0]), "chaining": "framepack history",
            "colour_correction": "none"}


def iter_frames(work_dir: Path) -> Iterator[np.ndarray]:
    """The finished take's frames in order, one window in memory at a time."""
    plan = json.loads((work_dir / "plan.json").read_text())
    for i in range(plan["windows"]):
        window = np.load(work_dir / f"window_{i:04d}.npy", mmap_mode="r")
        for frame in window:
            yield np.ascontiguousarray(frame)
        del window
