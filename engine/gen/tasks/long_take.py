"""Long take: a target duration reached by chained windows, resumable window by window.

Joins use the family's own conditioning, the one an extension uses: each window after the first is
conditioned on the previous window's last k frames (LTX: a video condition on 17 frames, which
the VAE encodes afresh so its first latent is a true image latent; Wan VACE: the same frames kept
by the mask). The regenerated join frames are crossfaded with the previous window's; a family that
makes sound with its picture (LTX-2) has each window's sound crossfaded the same way over the same
frames (sample by sample, so no click at a join), and the take carries the whole joined sound. Colour is
anchored to the first window under the current prompt, not to the previous window: each window's
latents are pulled part way to the anchor's per-channel statistics (AdaIN, as diffusers'
``LTXI2VLongMultiPromptPipeline`` does), so a prompt that changes day to night starts a new anchor
instead of being fought. FramePack carries its own latent history across sections in one call,
SkyReels its diffusion forcing, LTX-Video 13B 0.9.8 its ``LTXI2VLongMultiPromptPipeline`` tiles.

On disk (the work folder beside the take): ``plan.json`` (the request's key: a changed request
starts over), per window ``latents_NNNN.safetensors`` written as soon as the window is denoised
(before decoding; with the window's sound, if any), ``part_NNNN.npy`` (its frames that are final),
``tail_NNNN.npy`` (its last k frames: the next join), with sound ``sound_part_NNNN.npy`` and
``sound_tail_NNNN.npy`` the same for its samples (rate in ``sound.json``), and ``done_NNNN`` written last; ``take.json`` when every frame is on disk.
A run stopped anywhere resumes at the first window that is not done, without denoising a window
whose latents were saved; a state it cannot use is started over, never failed on. Memory is flat
in duration: one window of frames is in memory.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import GenerationError
from engine.fsutil import atomic_output, write_json_atomic, write_text_atomic
from engine.gen.tasks.common import GenContext, call_pipeline, load_conformed_image


@dataclass(frozen=True)
class WindowPlan:
    total: int  # frames of the take
    window: int  # frames per window
    context: int  # frames each join conditions on (the previous window's last ones)

    @property
    def advance(self) -> int:
        return self.window - self.context

    @property
    def count(self) -> int:
        return 1 + max(0, math.ceil((self.total - self.window) / self.advance))

    def start(self, i: int) -> int:
        return i * self.advance

    def committed(self, i: int) -> int:
        """How many frames window i adds to the take (its tail waits for the next window's join)."""
        return self.advance if i < self.count - 1 else self.total - self.start(i)


def plan_for(entry, request, frames: int) -> WindowPlan:
    from engine.gen.families import family_of

    family = family_of(entry)
    rule, t = entry.frame_rule, entry.vae.temporal
    wanted = 1 + request.overlap_latents * t if request.overlap_latents else family.default_context(entry, "long_take")
    context = max(1, family.context_frames(entry, wanted, wanted))
    window = rule.snap(min(request.window_frames or entry.defaults.frames, rule.snap(frames)))
    if window <= context:
        window = rule.snap(context + rule.multiple)
    return WindowPlan(total=frames, window=window, context=context)


def call_frames(entry, request, frames: int) -> int:
    """Frames one denoise call holds (what memory is planned for): a window, or a FramePack
    section with its packed history (fixed-size whatever the length)."""
    from engine.gen.families import family_of

    family = family_of(entry)
    if family.long_take_single(entry):
        return family.long_take_frames(entry, request, frames)
    return plan_for(entry, request, frames).window


def _request_key(ctx: GenContext, plan: WindowPlan | None) -> str:
    data = ctx.request.model_dump(mode="json")
    for k in ("tier", "device", "output_rate", "output_size", "compile", "attention_backend"):
        data.pop(k, None)
    data.update(width=ctx.width, height=ctx.height, steps=ctx.steps, guidance=ctx.guidance, dtype=ctx.dtype,
                total=ctx.frames, plan=[plan.window, plan.context] if plan else None,
                image_sha=_file_sha(req_image) if (req_image := getattr(ctx.request, "image", None)) else None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:20]


def _file_sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class _Work:
    """The work folder of one take: every file written atomically, read back tolerantly."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def start(self, key: str, plan: dict) -> None:
        """Keep the folder when it belongs to this request, else start it over."""
        try:
            same = json.loads((self.folder / "plan.json").read_text()).get("key") == key
        except (OSError, ValueError):
            same = False
        if not same:
            self.reset()
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.folder / "plan.json", {"key": key, **plan})

    def reset(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def path(self, kind: str, i: int, suffix: str) -> Path:
        return self.folder / f"{kind}_{i:04d}{suffix}"

    def done(self, i: int) -> bool:
        return self.path("done", i, "").is_file()

    def save_array(self, kind: str, i: int, array: np.ndarray) -> None:
        with atomic_output(self.path(kind, i, ".npy")) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, array)

    def load_array(self, kind: str, i: int) -> np.ndarray | None:
        try:
            return np.load(self.path(kind, i, ".npy"))
        except (OSError, ValueError):
            return None

    def save_tensors(self, name: str, tensors: dict, metadata: dict | None = None) -> None:
        from safetensors.torch import save_file

        with atomic_output(self.folder / name) as tmp:
            save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=metadata)

    def load_tensors(self, name: str) -> tuple[dict, dict] | None:
        from safetensors import safe_open

        try:
            with safe_open(str(self.folder / name), framework="pt") as fh:
                return {k: fh.get_tensor(k) for k in fh.keys()}, fh.metadata() or {}  # noqa: SIM118
        except (OSError, ValueError, RuntimeError):
            return None

    def mark_done(self, i: int) -> None:
        write_text_atomic(self.path("done", i, ""), "ok")

    def finish(self, parts: int, frames: int, resident: int) -> None:
        write_json_atomic(self.folder / "take.json", {"parts": parts, "frames": frames, "resident": resident})

    def finished(self) -> dict | None:
        try:
            return json.loads((self.folder / "take.json").read_text())
        except (OSError, ValueError):
            return None

    def remove(self, *names: str) -> None:
        for name in names:
            (self.folder / name).unlink(missing_ok=True)


def adain(latents, reference, factor: float):
    """Pull per-channel mean and spread of (B, C, F, H, W) latents part way to the reference's."""
    dims = (2, 3, 4)
    mu, sd = latents.mean(dims, keepdim=True), latents.std(dims, keepdim=True)
    ref = reference.to(latents.dtype)
    mu_r, sd_r = ref.mean(dims, keepdim=True), ref.std(dims, keepdim=True)
    target_mu, target_sd = mu + factor * (mu_r - mu), sd + factor * (sd_r - sd)
    return (latents - mu) / (sd + 1e-6) * target_sd + target_mu


def generate(ctx: GenContext, work_dir: Path) -> dict:
    """Run (or resume) the take into ``work_dir``; returns a summary for the recipe."""
    if ctx.family.long_take_single(ctx.entry):
        return _single_call(ctx, _Work(work_dir))
    return _windows(ctx, _Work(work_dir))


def _windows(ctx: GenContext, work: _Work) -> dict:
    req, family = ctx.request, ctx.family
    plan = plan_for(ctx.entry, req, ctx.frames)
    work.start(_request_key(ctx, plan), {"windows": plan.count, "window": plan.window, "context": plan.context,
                                         "total": plan.total})
    resume_from = next((i for i in range(plan.count) if not work.done(i)), plan.count)
    if 0 < resume_from < plan.count and work.load_array("tail", resume_from - 1) is None:
        work.reset()  # the join of the window to resume is gone: start over rather than fail
        work.start(_request_key(ctx, plan), {"windows": plan.count, "window": plan.window,
                                             "context": plan.context, "total": plan.total})
        resume_from = 0
    image = load_conformed_image(ctx, req.image) if req.image is not None else None
    monitor = ctx.monitor
    monitor.grand_total = plan.count * ctx.steps
    k = plan.context
    for i in range(resume_from, plan.count):
        prompt = req.prompt_at(plan.start(i) / float(ctx.fps))
        monitor.start(f"window {i + 1}/{plan.count}", i * ctx.steps)
        tail = work.load_array("tail", i - 1) if i > 0 else None
        latents, sound = _window_latents(ctx, work, i, prompt, plan, tail, image)
        if monitor.progress is not None:
            monitor.progress(monitor.step_offset + ctx.steps, monitor.grand_total,
                             f"window {i + 1}/{plan.count}: decoding")
        ctx.monitor.raise_if_canceled()
        out = family.decode(ctx, latents)[:plan.window]
        if tail is not None:
            alpha = np.linspace(1.0, 0.0, k + 2, dtype=np.float32)[1:-1].reshape(-1, 1, 1, 1)
            out[:k] = np.clip(np.rint(alpha * tail + (1 - alpha) * out[:k]), 0, 255).astype(np.uint8)
        if i == 0:
            ctx.captured["first_window_frames"] = int(out.shape[0])
        work.save_array("part", i, out[:plan.committed(i)])
        if i < plan.count - 1:
            work.save_array("tail", i, out[plan.advance:plan.advance + k])
        if sound is not None:
            _join_sound(ctx, work, plan, i, sound)
        work.mark_done(i)
        work.remove(f"latents_{i:04d}.safetensors", f"tail_{i - 1:04d}.npy", f"sound_tail_{i - 1:04d}.npy")
        del out, latents
    work.finish(plan.count, plan.total, plan.window)
    ctx.sound = _whole_sound(work, plan)
    ctx.notes.append(f"long take: {plan.count} windows of {plan.window} frames joined on {k} frames"
                     + (f"; resumed at window {resume_from + 1}" if resume_from else ""))
    return {"windows": plan.count, "window_frames": plan.window, "context_frames": k,
            "resumed_from_window": resume_from, "max_resident_frames": plan.window, "frames": plan.total,
            "chaining": f"{family.name} conditioning on the previous window's last {k} frames",
            "colour_anchor": f"AdaIN {family.adain_factor:g} to the first window of each prompt"}


def _window_latents(ctx: GenContext, work: _Work, i: int, prompt: str, plan: WindowPlan, tail, image):
    """Window i's latents: saved ones (denoised before a stop) or a fresh denoise, anchored."""
    name = f"latents_{i:04d}.safetensors"
    saved = work.load_tensors(name)
    if saved is not None:
        tensors, meta = saved
        sound = (tensors["sound"].numpy(), int(meta["rate"])) if "sound" in tensors else None
        return tensors["latents"], sound
    head = list(tail) if tail is not None else None
    kwargs = ctx.family.long_take_window(ctx, prompt=prompt, num_frames=plan.window, head=head,
                                         image=image if i == 0 else None)
    kwargs["generator"] = ctx.generator(i)
    ctx.sound = None
    latents = call_pipeline(ctx, kwargs).float().cpu()
    sound, ctx.sound = ctx.sound, None  # the window's own sound (a family that makes it)
    anchor = work.load_tensors("anchor.safetensors")
    if anchor is not None and anchor[1].get("prompt") == prompt:
        latents = adain(latents, anchor[0]["latents"], ctx.family.adain_factor)
    else:  # the first window of this prompt: the colours the next ones are held to
        work.save_tensors("anchor.safetensors", {"latents": latents}, {"prompt": prompt})
    if sound is None:
        work.save_tensors(name, {"latents": latents})
    else:
        import torch

        work.save_tensors(name, {"latents": latents, "sound": torch.from_numpy(np.ascontiguousarray(sound[0]))},
                          {"rate": str(sound[1])})
    return latents, sound


def _join_sound(ctx: GenContext, work: _Work, plan: WindowPlan, i: int, sound: tuple[np.ndarray, int]) -> None:
    """Window i's sound joined as its frames are: its first k frames' samples crossfaded from the
    previous window's tail (a linear ramp over the overlap, sample by sample), the samples under its
    committed frames kept (``sound_part``), those under its last k frames kept for the next join.
    Sample positions are the take's (``sample_at`` of absolute frames), so parts meet exactly."""
    from engine.render.audio import sample_at

    wave, rate = sound
    start = plan.start(i)

    def at(frame: int) -> int:  # sample index in this window's wave of the take's frame
        return sample_at(start + frame, ctx.fps, rate) - sample_at(start, ctx.fps, rate)

    n = at(plan.window)
    wave = np.ascontiguousarray(wave[:, :n], dtype=np.float32)
    if wave.shape[1] < n:  # a waveform shorter than its frames: silence under the rest
        wave = np.concatenate([wave, np.zeros((wave.shape[0], n - wave.shape[1]), np.float32)], axis=1)
    tail = work.load_array("sound_tail", i - 1) if i > 0 else None
    if tail is not None:
        m = min(tail.shape[1], wave.shape[1])
        ramp = np.linspace(1.0, 0.0, m + 2, dtype=np.float32)[1:-1]
        wave[:, :m] = ramp * tail[:, :m] + (1.0 - ramp) * wave[:, :m]
    write_json_atomic(work.folder / "sound.json", {"rate": int(rate), "channels": int(wave.shape[0])})
    work.save_array("sound_part", i, wave[:, :at(plan.committed(i))])
    if i < plan.count - 1:
        work.save_array("sound_tail", i, wave[:, at(plan.advance):at(plan.advance + plan.context)])


def _whole_sound(work: _Work, plan: WindowPlan) -> tuple[np.ndarray, int] | None:
    """The take's sound: every window's part in order (None for a family without sound)."""
    try:
        rate = int(json.loads((work.folder / "sound.json").read_text())["rate"])
    except (OSError, ValueError, KeyError):
        return None
    parts = [work.load_array("sound_part", i) for i in range(plan.count)]
    if any(p is None for p in parts):
        return None
    return np.ascontiguousarray(np.concatenate(parts, axis=1)), rate


def _single_call(ctx: GenContext, work: _Work) -> dict:
    """A family whose pipeline makes a take of any length in one call (FramePack's sections,
    SkyReels' diffusion forcing): its latents are saved, then decoded in chunks."""
    req, family = ctx.request, ctx.family
    if req.image is None and family.long_take_needs_image:
        raise GenerationError(f"{ctx.entry.name} makes long takes from a first frame; give an image")
    work.start(_request_key(ctx, None), {"windows": 1, "total": ctx.frames})
    finished = work.finished()
    resumed = finished is not None
    if finished is None:
        saved = work.load_tensors("latents.safetensors")
        resumed = saved is not None
        if saved is None:
            image = load_conformed_image(ctx, req.image) if req.image is not None else None
            ctx.monitor.start("sections", 0)
            out = call_pipeline(ctx, family.long_take_call(ctx, image))
            latents = family.latents_of(out).float().cpu()
            work.save_tensors("latents.safetensors", {"latents": latents})
        else:
            latents = saved[0]["latents"]
        written = parts = resident = 0
        for chunk in family.decode_chunks(ctx, latents):
            if ctx.monitor.progress is not None:
                ctx.monitor.progress(written, ctx.frames, f"decoding the take: part {parts + 1}")
            ctx.monitor.raise_if_canceled()
            resident = max(resident, chunk.shape[0])
            chunk = chunk[:ctx.frames - written]
            if chunk.shape[0]:
                work.save_array("part", parts, chunk)
                parts += 1
                written += chunk.shape[0]
        work.finish(parts, written, resident)
        finished = work.finished()
    ctx.notes.append(f"long take made by {ctx.entry.name}'s own {family.long_take_chaining} in one call"
                     + ("; resumed from its saved latents" if resumed else ""))
    return {"windows": 1, "window_frames": ctx.frames, "context_frames": 0, "resumed_from_window": 0,
            "max_resident_frames": finished["resident"], "frames": finished["frames"],
            "chaining": family.long_take_chaining, "colour_anchor": "none"}


def iter_frames(work_dir: Path) -> Iterator[np.ndarray]:
    """The finished take's frames in order, one part in memory at a time."""
    work = _Work(work_dir)
    done = work.finished()
    if done is None:
        raise GenerationError(f"the long take in {work_dir} is not complete; generate it again to resume")
    for i in range(done["parts"]):
        part = np.load(work.path("part", i, ".npy"), mmap_mode="r")
        for frame in part:
            yield np.ascontiguousarray(frame)
        del part
