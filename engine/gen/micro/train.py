"""Train micro-ltx from nothing: ``python -m engine.gen.micro.train OUT [--seed 0]``.

Five stages run one after the other in the folder OUT; each saves a checkpoint (safetensors:
weights, the optimiser's moments and the weight average) every ``--checkpoint-every`` steps, so
the same command run again continues where a killed run stopped. A folder made with another plan
(seed, step counts, sizes) is refused rather than mixed.

1. ``vae``: the video autoencoder (``AutoencoderKLLTXVideo``, 8x in space and time) on clips of
   the shapes world, L1 + L2 reconstruction with a little noise on the latents so the decoder
   forgives the transformer's small errors. It runs as a plain autoencoder; the posterior's
   log-variance output is then pinned to -20 (a standard deviation of 5e-5), because the pipelines
   *sample* conditioning latents from it.
2. ``stats``: the per-channel mean and spread of the latents over fixed clips, saved as the VAE's
   ``latents_mean``/``latents_std`` buffers (the pipelines normalise with them; scaling factor 1).
3. ``dit``: the transformer and the T5 text encoder together, by flow matching on normalised
   latents (``x_t = (1 - s) x0 + s noise``, target ``noise - x0``, timesteps ``1000 s`` per token).
   Every batch is laid out exactly as one of the pipelines lays it out at inference:
   - text to video (``LTXPipeline``: rotary frame positions ``8f / fps``) and the same through
     ``LTXConditionPipeline`` with no conditions (positions ``max(8f - 7, 0) / fps``);
   - image to video (``LTXImageToVideoPipeline``): the first latent frame clean, timestep 0;
   - start conditions (extend forward, long takes): the first 1, 9 or 17 frames' latents clean in
     place, timestep 0, sometimes with the small noise the condition pipeline adds to them;
   - end conditions (extend backward) and both ends (bridge): the last k frames encoded on their
     own and appended as extra tokens placed at frame ``F - k`` (latents past the second go back in
     the grid), as ``LTXConditionPipeline.prepare_latents`` does;
   - captions left out one time in ten (empty, or the unknown words of a default negative prompt),
     which classifier-free guidance asks for; T5 sees the caption padded to 32 tokens, as the
     micro-ltx family runs it (the pipelines run T5 without an attention mask: padding is input).
   The weights exported are an exponential moving average.
4. ``tune``: the transformer and text encoder trained on from stage 3's weight average, with a new
   optimiser and learning-rate schedule (``--tune-steps``, ``--tune-lr``) and its own random
   stream; the same batches and loss. Stage 3's cosine ends at a tenth of its rate, so a longer
   stage 3 would mean training from nothing again; this stage continues it instead.
5. ``decoder``: the VAE's decoder alone, on the latents of the frozen encoder (the latent space the
   transformer learned stays exactly as it was), so the pictures get sharper after the fact. The
   decoder is first given resnet blocks at its three coarsest levels (``components.refine_decoder``:
   added as identities, so it starts as exactly the decoder of stage 1; from scratch those blocks
   stall the autoencoder, see ``components``). It depends on the ``stats`` stage only, so it may
   run beside ``dit``/``tune`` (``--stage decoder`` in another process, with the same flags); the
   export waits for both.

Data are drawn on the fly; step s of stage k draws from ``numpy.random.default_rng([seed, k, s])``
(k: 1 vae, 2 stats, 3 dit, 4 decoder, 5 tune) and a torch generator seeded the same way, so a run
is a function of the seed (and of the thread count: reductions are summed in another order with
more threads). ``--threads`` (default 1) is
torch's thread count for the training arithmetic; ``--workers`` (default 1) processes draw and
encode the transformer's next batches meanwhile. On a shared two-core machine one thread per
process is several times faster than two threads in one: OpenMP's barriers spin while another
program holds the other core (measured: 7 s against 0.9 s a VAE step).

The shipped weights were made by the defaults (``training.json`` records the command and a note):
2000 autoencoder steps (resumed at step 1000 from an earlier run of the same autoencoder plan),
2000 transformer steps, no tune stage, 2500 decoder steps; about 2000 s of CPU, on a two-core
machine shared with other jobs (73 minutes for the first three stages, 60 for the decoder stage,
run later). The refined decoder took the autoencoder from 20.1 to 24.1 dB on held-out clips
(eight clips of 25 frames); the transformer is still the weak part: it draws the caption's background
about half the time, rarely its shape's colour and almost never its motion, so shapes barely move
(``tests/bench/bench_micro.py`` prints the scores). A tune stage of 2000 steps (lr 5e-4) was tried
and left out: it followed no more captions and made long takes drift (20 against 4.9 delta E).

The result is written to ``OUT/micro-ltx`` (an ``LTXPipeline`` folder, safetensors only) and a
``training.json`` beside the weights records the plan, losses and CPU/wall seconds per stage.
To ship it: copy ``OUT/micro-ltx`` over ``engine/assets/models/micro-ltx`` (package data: wheels carry it).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from engine.gen.micro import MODEL_ID, components, world

STAGES = ("vae", "stats", "dit", "tune", "decoder")
LOGVAR = -20.0  # the encoder's pinned log-variance


@dataclass(frozen=True)
class Plan:
    """Everything a run depends on (recorded in OUT/plan.json; a resumed run must match it)."""

    seed: int = 0
    threads: int = 1
    workers: int = 1
    size: int = components.SIZE
    vae_steps: int = 2000
    vae_schedule: int = 0  # the learning rate's cosine length (0: vae_steps); see Plan.horizons
    vae_batch: int = 4
    vae_lr: float = 1e-3
    vae_latent_noise: float = 0.05
    stats_clips: int = 128
    decoder_steps: int = 2500
    decoder_schedule: int = 0  # 0: decoder_steps
    decoder_lr: float = 5e-4
    steps: int = 2000
    schedule: int = 0  # the same for the transformer (0: steps)
    batch: int = 6
    lr: float = 1e-3
    ema: float = 0.995  # a short run: a longer average would still hold the weights of its first half
    uncond: float = 0.1
    tune_steps: int = 0  # stage "tune": the transformer trained on from stage 3's average
    tune_schedule: int = 0  # 0: tune_steps
    tune_lr: float = 5e-4
    two_shapes: float = 0.25

    def horizons(self) -> dict:
        """The plan as its results depend on it: a stage's schedule length instead of its step
        count, so a run stopped early (``--steps 1500 --schedule 4000``) is exactly the first 1500
        steps of the longer run, and may be resumed to go on."""
        d = asdict(self)
        d["vae_schedule"] = self.vae_schedule or self.vae_steps
        d["schedule"] = self.schedule or self.steps
        d["decoder_schedule"] = self.decoder_schedule or self.decoder_steps
        d["tune_schedule"] = self.tune_schedule or self.tune_steps
        return d


# The plan fields each stage's result depends on: a resumed run may change the later stages' fields
# (a longer transformer run on the same autoencoder) but not those of a stage already begun.
STAGE_FIELDS = {
    "vae": ("seed", "size", "two_shapes", "vae_schedule", "vae_batch", "vae_lr", "vae_latent_noise"),
    "stats": ("stats_clips",),
    "decoder": ("decoder_schedule", "decoder_lr"),
    "dit": ("schedule", "batch", "lr", "ema", "uncond"),
    "tune": ("tune_schedule", "tune_lr"),
}


# ---------------------------------------------------------------------------------------------
# Checkpoints: safetensors only, written atomically


def _save_checkpoint(path: Path, modules: dict, optimizer, step: int, extra: dict | None = None) -> None:
    from safetensors.torch import save_file

    from engine.fsutil import atomic_output

    tensors = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"{name}/{key}"] = value.detach().contiguous().clone()
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, slots in state["state"].items():
            for slot, value in slots.items():
                tensors[f"optimizer/{index}/{slot}"] = value.detach().reshape(-1).clone() if slot == "step" \
                    else value.detach().contiguous().clone()
    meta = {"step": str(step), "extra": json.dumps(extra or {})}
    if optimizer is not None:
        meta["param_groups"] = json.dumps(state["param_groups"])
    with atomic_output(path) as temp:
        save_file(tensors, str(temp), metadata=meta)


def _load_checkpoint(path: Path, modules: dict, optimizer) -> tuple[int, dict]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata()
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 (safe_open has no iterator)
    for name, module in modules.items():
        prefix = f"{name}/"
        module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
    if optimizer is not None and "param_groups" in meta:
        state: dict[int, dict] = {}
        for key, value in tensors.items():
            if key.startswith("optimizer/"):
                _, index, slot = key.split("/")
                state.setdefault(int(index), {})[slot] = value.reshape(()) if slot == "step" else value
        optimizer.load_state_dict({"state": state, "param_groups": json.loads(meta["param_groups"])})
    return int(meta["step"]), json.loads(meta.get("extra", "{}"))


# ---------------------------------------------------------------------------------------------
# Progress


class Meter:
    """Prints ``stage step/total, loss, CPU and wall seconds per step, ETA`` every few steps."""

    def __init__(self, stage: str, total: int, start: int, every: int = 25, out=sys.stdout,
                 before: dict | None = None) -> None:
        self.stage, self.total, self.start, self.every, self.out = stage, total, start, every, out
        self.cpu0, self.wall0 = _cpu_seconds(), time.perf_counter()
        self.before = before or {"cpu_s": 0.0, "wall_s": 0.0}  # spent by the runs this one resumes
        self.losses: list[float] = []

    def step(self, step: int, loss: float, note: str = "") -> None:
        self.losses.append(loss)
        if step % self.every and step != self.total:
            return
        done = step - self.start
        cpu = (_cpu_seconds() - self.cpu0) / max(done, 1)
        wall = (time.perf_counter() - self.wall0) / max(done, 1)
        eta = wall * (self.total - step)
        recent = float(np.mean(self.losses[-self.every:]))
        print(f"{self.stage} {step}/{self.total}  loss {recent:.4f}{'  ' + note if note else ''}  "
              f"{cpu:.2f} s cpu/step, {wall:.2f} s wall/step, eta {_duration(eta)}", file=self.out, flush=True)

    def seconds(self) -> dict:
        """CPU and wall seconds of the stage so far, over every run that worked on it."""
        return {"cpu_s": round(self.before["cpu_s"] + _cpu_seconds() - self.cpu0, 1),
                "wall_s": round(self.before["wall_s"] + time.perf_counter() - self.wall0, 1)}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the batch worker)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def _lr(step: int, total: int, peak: float, warmup: int = 100) -> float:
    """Linear warm-up, then cosine down to a tenth."""
    if step <= warmup:
        return peak * step / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


def _clips_tensor(clips: list[np.ndarray]):
    import torch

    x = torch.from_numpy(np.stack(clips)).permute(0, 4, 1, 2, 3).float()
    return x / 127.5 - 1.0


def _generator(plan: Plan, stage: int, step: int):
    import torch

    return torch.Generator().manual_seed(int(np.random.default_rng([plan.seed, stage, step, 7]).integers(2**62)))


def _check_stop(ckpt: Path, start: int, stop: int, flag: str) -> None:
    if start > stop:
        raise SystemExit(f"{ckpt} is at step {start}, past {flag} {stop}; pass {flag} {start} or more")


# ---------------------------------------------------------------------------------------------
# Stage 1: the autoencoder


def vae_clips(plan: Plan, rng: np.random.Generator, count: int, frames: int) -> list[np.ndarray]:
    return [world.random_scene(rng, size=plan.size, two_shapes=plan.two_shapes)
            .frames(frames, int(rng.integers(0, 400))) for _ in range(count)]


def train_vae(plan: Plan, out: Path, vae, *, every: int, log=sys.stdout) -> dict:
    import torch

    ckpt = out / "vae.safetensors"
    optimizer = torch.optim.AdamW(vae.parameters(), lr=plan.vae_lr, betas=(0.9, 0.99), weight_decay=0.0)
    start, extra = 0, {}
    if ckpt.is_file():
        start, extra = _load_checkpoint(ckpt, {"vae": vae}, optimizer)
    _check_stop(ckpt, start, plan.vae_steps, "--vae-steps")
    meter = Meter("vae", plan.vae_steps, start, out=log, before=extra.get("seconds"))
    vae.train()
    for step in range(start + 1, plan.vae_steps + 1):
        rng = np.random.default_rng([plan.seed, 1, step])
        gen = _generator(plan, 1, step)
        frames = (9, 17)[step % 2]  # causal convolutions: short clips teach long ones
        x = _clips_tensor(vae_clips(plan, rng, plan.vae_batch, frames))
        for group in optimizer.param_groups:
            group["lr"] = _lr(step, plan.horizons()["vae_schedule"], plan.vae_lr)
        z = vae.encode(x).latent_dist.mean
        spread = z.detach().std(dim=(0, 2, 3, 4), keepdim=True)
        z = z + plan.vae_latent_noise * spread * torch.randn(z.shape, generator=gen)
        err = vae.decode(z).sample - x
        loss = err.abs().mean() + err.pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        optimizer.step()
        mse = float(err.detach().pow(2).mean()) / 4.0
        meter.step(step, loss.item(), f"psnr {10 * math.log10(1.0 / max(mse, 1e-10)):.1f} dB")
        if step % every == 0 or step == plan.vae_steps:
            _save_checkpoint(ckpt, {"vae": vae}, optimizer, step, {"seconds": meter.seconds()})
    return meter.seconds()


def train_decoder(plan: Plan, out: Path, vae, *, every: int, log=sys.stdout) -> dict:
    """Stage 4: the decoder on the frozen encoder's latents (same clips, batch, latent noise and
    loss as stage 1; its own random stream)."""
    import torch

    ckpt = out / "decoder.safetensors"
    vae.eval()
    for p in vae.parameters():
        p.requires_grad_(False)
    for p in vae.decoder.parameters():
        p.requires_grad_(True)
    optimizer = torch.optim.AdamW(vae.decoder.parameters(), lr=plan.decoder_lr, betas=(0.9, 0.99), weight_decay=0.0)
    start, extra = 0, {}
    if ckpt.is_file():
        start, extra = _load_checkpoint(ckpt, {"decoder": vae.decoder}, optimizer)
    _check_stop(ckpt, start, plan.decoder_steps, "--decoder-steps")
    meter = Meter("decoder", plan.decoder_steps, start, out=log, before=extra.get("seconds"))
    vae.decoder.train()
    for step in range(start + 1, plan.decoder_steps + 1):
        rng = np.random.default_rng([plan.seed, 4, step])
        gen = _generator(plan, 4, step)
        x = _clips_tensor(vae_clips(plan, rng, plan.vae_batch, (9, 17)[step % 2]))
        for group in optimizer.param_groups:
            group["lr"] = _lr(step, plan.horizons()["decoder_schedule"], plan.decoder_lr)
        with torch.no_grad():
            z = vae.encode(x).latent_dist.mean
            spread = z.std(dim=(0, 2, 3, 4), keepdim=True)
            z = z + plan.vae_latent_noise * spread * torch.randn(z.shape, generator=gen)
        err = vae.decode(z).sample - x
        loss = err.abs().mean() + err.pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.decoder.parameters(), 1.0)
        optimizer.step()
        mse = float(err.detach().pow(2).mean()) / 4.0
        meter.step(step, loss.item(), f"psnr {10 * math.log10(1.0 / max(mse, 1e-10)):.1f} dB")
        if step % every == 0 or step == plan.decoder_steps:
            _save_checkpoint(ckpt, {"decoder": vae.decoder}, optimizer, step, {"seconds": meter.seconds()})
    vae.decoder.eval()
    return meter.seconds()


# ---------------------------------------------------------------------------------------------
# Stage 2: latent statistics and the pinned posterior


def latent_stats(plan: Plan, vae) -> dict:
    import torch

    rng = np.random.default_rng([plan.seed, 2, 0])
    vae.eval()
    zs = []
    with torch.no_grad():
        for i in range(0, plan.stats_clips, 8):
            x = _clips_tensor(vae_clips(plan, rng, min(8, plan.stats_clips - i), 25))
            zs.append(vae.encode(x).latent_dist.mean)
    z = torch.cat(zs)
    mean = z.mean(dim=(0, 2, 3, 4))
    std = z.std(dim=(0, 2, 3, 4)).clamp_min(1e-3)
    vae.latents_mean.copy_(mean)
    vae.latents_std.copy_(std)
    conv = vae.encoder.conv_out.conv
    c = vae.config.latent_channels
    with torch.no_grad():
        conv.weight[c].zero_()
        conv.bias[c].fill_(LOGVAR)
    return {"latents_mean": [round(float(v), 4) for v in mean], "latents_std": [round(float(v), 4) for v in std]}


# ---------------------------------------------------------------------------------------------
# Stage 3: transformer + text encoder

NEGATIVE = "worst quality, inconsistent motion, blurry, jittery, distorted"
TASKS = ("text", "text_cond", "image", "start", "end", "bridge")
TASK_P = (0.22, 0.08, 0.15, 0.2, 0.15, 0.2)
CONTEXTS = (1, 9, 17)
CONTEXT_P = (0.15, 0.6, 0.25)
PAD_LENGTHS = (32,)
PAD_P = (1.0,)


def _latent_frames(frames: int) -> int:
    return (frames - 1) // components.TEMPORAL + 1


@dataclass
class Batch:
    """One training batch in a pipeline's own layout."""

    tokens: object  # (B, S, C) model input
    target: object  # (B, S, C)
    loss_mask: object  # (B, S) 1 where the loss applies (noisy grid tokens)
    timestep: object  # (B, S)
    coords: object  # (B, 3, S)
    text_ids: object
    task: str
    frames: int


def _coords_pipe(batch: int, f: int, h: int, w: int):
    """LTXPipeline / LTXImageToVideoPipeline rotary coordinates (frame f at 8f / fps)."""
    import torch
    from diffusers import LTXConditionPipeline

    ids = LTXConditionPipeline._prepare_video_ids(batch, f, h, w).float()
    scale = torch.tensor([components.TEMPORAL / components.FPS, components.SPATIAL, components.SPATIAL])
    return ids * scale[None, :, None]


def _coords_cond(batch: int, f: int, h: int, w: int, frame_index: int):
    """LTXConditionPipeline coordinates (frame f at max(8f - 7, 0) + frame_index, over fps)."""
    from diffusers import LTXConditionPipeline

    ids = LTXConditionPipeline._prepare_video_ids(batch, f, h, w)
    ids = LTXConditionPipeline._scale_video_ids(ids, components.SPATIAL, components.TEMPORAL, frame_index).float()
    ids[:, 0] = ids[:, 0] / components.FPS
    return ids


def _pack(z):
    from diffusers import LTXPipeline

    return LTXPipeline._pack_latents(z, 1, 1)


def make_batch(plan: Plan, step: int, vae, tokenizer, stream: int = 3) -> Batch:
    """Draw step ``step``'s batch: scenes, their normalised latents, noise, conditions, captions
    (``stream``: the stage's number, 3 for ``dit`` and 5 for ``tune``)."""
    import torch

    rng = np.random.default_rng([plan.seed, stream, step])
    gen = _generator(plan, stream, step)
    b = plan.batch
    task = TASKS[rng.choice(len(TASKS), p=TASK_P)]
    n = int(rng.choice((3, 4, 5, 6), p=(0.2, 0.4, 0.25, 0.15)))
    frames = components.TEMPORAL * (n - 1) + 1
    k_start = k_end = 0
    if task in ("start", "bridge"):
        k_start = int(rng.choice(CONTEXTS, p=CONTEXT_P))
    if task in ("end", "bridge"):
        k_end = int(rng.choice(CONTEXTS, p=CONTEXT_P))
    while _latent_frames(k_start or 1) * bool(k_start) + _latent_frames(k_end or 1) * bool(k_end) > n - 1:
        # leave at least one latent frame to generate
        if k_end > 1:
            k_end -= components.TEMPORAL
        elif k_start > 1:
            k_start -= components.TEMPORAL
        else:
            break
    free = task in ("text", "text_cond") or (task == "image" and rng.random() < 0.5)
    scenes, starts = [], []
    for _ in range(b):
        scene = world.random_scene(rng, size=plan.size, two_shapes=plan.two_shapes,
                                   free_frames=frames if free else None)
        scenes.append(scene)
        starts.append(0 if free else int(rng.integers(0, 400)))
    clips = [s.frames(frames, t) for s, t in zip(scenes, starts, strict=True)]
    x = _clips_tensor(clips)
    mean = vae.latents_mean.view(1, -1, 1, 1, 1)
    std = vae.latents_std.view(1, -1, 1, 1, 1)
    with torch.no_grad():
        z0 = (vae.encode(x).latent_dist.mean - mean) / std
        z_end = None
        if k_end:
            z_end = (vae.encode(x[:, :, frames - k_end:]).latent_dist.mean - mean) / std
    _, c, _, h, w = z0.shape

    sigma = _sample_sigma(rng, b)
    s = torch.from_numpy(sigma).float().view(b, 1, 1, 1, 1)
    noise = torch.randn(z0.shape, generator=gen)
    grid = (1 - s) * z0 + s * noise
    clean = torch.zeros(b, n)
    cond_values = z0.clone()
    if task == "image" or k_start:
        m = 1 if task == "image" else _latent_frames(k_start)
        clean[:, :m] = 1
    extra = None
    if k_end:
        m_end = _latent_frames(k_end)
        prefix = z_end[:, :, :2]
        if m_end > 2:  # the pipeline puts a long condition's later latents back in the grid
            cond_values[:, :, n - (m_end - 2):] = z_end[:, :, 2:]
            clean[:, n - (m_end - 2):] = 1
        extra = prefix
    mask5 = clean.view(b, 1, n, 1, 1)
    if task != "image" and rng.random() < 0.5:
        # LTXConditionPipeline's image_cond_noise_scale: noise * scale * sigma^2 on clean latents
        scale = torch.from_numpy(rng.uniform(0, 0.15, size=b) * sigma ** 2).float().view(b, 1, 1, 1, 1)
        cond_noisy = cond_values + scale * torch.randn(z0.shape, generator=gen)
        extra = None if extra is None else extra + scale * torch.randn(extra.shape, generator=gen)
    else:
        cond_noisy = cond_values
    grid = mask5 * cond_noisy + (1 - mask5) * grid
    target = noise - z0

    tokens = _pack(grid)
    target_t = _pack(target)
    loss_mask = (1 - clean).view(b, n, 1, 1).expand(b, n, h, w).reshape(b, -1)
    timestep = (sigma[:, None] * 1000.0) * np.ones((1, n * h * w))
    timestep = torch.from_numpy(timestep).float() * loss_mask
    if task in ("text", "image"):
        coords = _coords_pipe(b, n, h, w)
    else:
        coords = _coords_cond(b, n, h, w, 0)
    if extra is not None:
        e_tokens = _pack(extra)
        tokens = torch.cat([e_tokens, tokens], dim=1)
        target_t = torch.cat([torch.zeros_like(e_tokens), target_t], dim=1)
        loss_mask = torch.cat([torch.zeros(b, e_tokens.shape[1]), loss_mask], dim=1)
        timestep = torch.cat([torch.zeros(b, e_tokens.shape[1]), timestep], dim=1)
        coords = torch.cat([_coords_cond(b, extra.shape[2], h, w, frames - k_end), coords], dim=2)

    captions = []
    for scene, start in zip(scenes, starts, strict=True):
        u = rng.random()
        if u < plan.uncond * 0.5:
            captions.append("")
        elif u < plan.uncond:
            captions.append(NEGATIVE)
        else:
            captions.append(scene.caption(start))
    pad = int(rng.choice(PAD_LENGTHS, p=PAD_P))
    text = tokenizer(captions, padding="max_length", max_length=pad, truncation=True, return_tensors="pt")
    return Batch(tokens=tokens, target=target_t, loss_mask=loss_mask, timestep=timestep, coords=coords,
                 text_ids=(text.input_ids, text.attention_mask), task=task, frames=frames)


def _sample_sigma(rng: np.random.Generator, b: int) -> np.ndarray:
    """Noise levels: logit-normal and uniform over the whole range, some near pure noise, and one
    sample in six at pure noise (sigma 1).

    Every sampler's first step is at sigma 1, where the latents hold nothing and only the caption
    (and the clean conditions) say what to draw; a step later the noisy latents already show the
    background to a transformer that averages over them, so that step is the one that teaches the
    caption. Drawn from the logit-normal and the [0.9, 1] band alone it came up in about one sample
    of a hundred, and a 1200-step run ignored its captions (a shuffled caption changed the loss by
    1 %, and the held-out prompts scored 0 %)."""
    kind = rng.random(b)
    logit = 1.0 / (1.0 + np.exp(-rng.normal(0.0, 1.0, b)))
    uniform = rng.uniform(0.0, 1.0, b)
    high = rng.uniform(0.9, 1.0, b)
    sigma = np.where(kind < 0.5, logit, np.where(kind < 0.7, uniform, np.where(kind < 5 / 6, high, 1.0)))
    return sigma.clip(1e-3, 1.0)


def dit_loss(batch: Batch, transformer, text_encoder):
    text_ids, text_mask = batch.text_ids
    hidden = text_encoder(text_ids)[0]  # as the pipelines call it: no attention mask
    pred = transformer(hidden_states=batch.tokens, encoder_hidden_states=hidden, timestep=batch.timestep,
                       encoder_attention_mask=text_mask, video_coords=batch.coords, return_dict=False)[0]
    err = (pred.float() - batch.target).pow(2).mean(dim=-1)
    return (err * batch.loss_mask).sum() / batch.loss_mask.sum().clamp_min(1.0)


class _Batches:
    """Map-style dataset of the batches of steps start+1..total."""

    def __init__(self, plan: Plan, start: int, total: int, vae, tokenizer, stream: int) -> None:
        self.plan, self.start, self.total, self.vae, self.tokenizer = plan, start, total, vae, tokenizer
        self.stream = stream

    def __len__(self) -> int:
        return self.total - self.start

    def __getitem__(self, index: int) -> Batch:
        return make_batch(self.plan, self.start + 1 + index, self.vae, self.tokenizer, self.stream)


def _one_thread(_worker: int) -> None:
    import torch

    torch.set_num_threads(1)


def train_dit(plan: Plan, out: Path, parts: dict, *, every: int, log=sys.stdout, phase: str = "dit") -> dict:
    """Stage 3 (``phase`` "dit": from the fresh components) or stage 5 (``phase`` "tune": on from
    stage 3's weight average, which starts both the trained weights and the new average, with a new
    optimiser, its own learning-rate schedule and its own random stream)."""
    import copy

    import torch

    if phase == "dit":
        total, schedule, peak, stream = plan.steps, plan.horizons()["schedule"], plan.lr, 3
    else:
        total, schedule, peak, stream = plan.tune_steps, plan.horizons()["tune_schedule"], plan.tune_lr, 5

    vae, transformer, text_encoder, tokenizer = (parts[k] for k in ("vae", "transformer", "text_encoder", "tokenizer"))
    vae.eval()
    for p in vae.parameters():
        p.requires_grad_(False)
    ema_t, ema_e = copy.deepcopy(transformer), copy.deepcopy(text_encoder)
    params = list(transformer.parameters()) + list(text_encoder.parameters())
    optimizer = torch.optim.AdamW(params, lr=plan.lr, betas=(0.9, 0.99), weight_decay=0.01)
    ckpt = out / f"{phase}.safetensors"
    modules = {"transformer": transformer, "text_encoder": text_encoder, "ema_transformer": ema_t,
               "ema_text_encoder": ema_e}
    start, extra = 0, {}
    if ckpt.is_file():
        start, extra = _load_checkpoint(ckpt, modules, optimizer)
    _check_stop(ckpt, start, total, "--steps" if phase == "dit" else "--tune-steps")
    meter = Meter(phase, total, start, out=log, before=extra.get("seconds"))
    transformer.train()
    text_encoder.train()
    # Worker processes draw and encode the next batches while this one trains (batches are a
    # function of the step number: the order is the same with any number of workers).
    workers = plan.workers
    torch.set_num_threads(plan.threads)
    loader = torch.utils.data.DataLoader(
        _Batches(plan, start, total, vae, tokenizer, stream), batch_size=None, num_workers=workers,
        prefetch_factor=2 if workers else None, worker_init_fn=_one_thread if workers else None)
    for step, batch in enumerate(loader, start=start + 1):
        for group in optimizer.param_groups:
            group["lr"] = _lr(step, schedule, peak, warmup=200)
        loss = dit_loss(batch, transformer, text_encoder)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        decay = min(plan.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for avg, live in ((ema_t, transformer), (ema_e, text_encoder)):
                for pa, pl in zip(avg.parameters(), live.parameters(), strict=True):
                    pa.lerp_(pl, 1.0 - decay)
        meter.step(step, loss.item(), batch.task)
        if step % every == 0 or step == total:
            _save_checkpoint(ckpt, modules, optimizer, step, {"seconds": meter.seconds()})
    parts["transformer"], parts["text_encoder"] = ema_t, ema_e
    return meter.seconds()


# ---------------------------------------------------------------------------------------------


def run(plan: Plan, out: Path, *, every: int = 100, log=sys.stdout, stage: str | None = None) -> Path | None:
    """Run (or resume) every stage into ``out``; returns the exported model folder. ``stage``
    "decoder" runs that stage only (beside a running ``dit``) and returns None; ``stage`` "vae"
    runs the autoencoder and statistics stages, then stops (returns None)."""
    import torch

    from engine.fsutil import make_partial_dir, publish_dir, write_json_atomic

    torch.set_num_threads(plan.threads)
    out.mkdir(parents=True, exist_ok=True)
    record_file = out / "record.json"
    record = json.loads(record_file.read_text()) if record_file.is_file() else {}
    begun = record.get("begun", {})
    for name_of_stage in STAGES:
        for name, value in begun.get(name_of_stage, {}).items():
            if plan.horizons()[name] != value:
                raise SystemExit(f"{out} holds a run whose {name_of_stage} stage used --{name.replace('_', '-')} "
                                 f"{value}; pass the same value or use a new folder")

    def begin(name_of_stage: str) -> None:
        begun.setdefault(name_of_stage, {name: plan.horizons()[name] for name in STAGE_FIELDS[name_of_stage]})
        record["begun"] = begun
        write_json_atomic(record_file, record)

    if stage == "decoder":  # beside a running dit stage: its own files only, no record writes
        parts = components.build(plan.seed)
        _load_checkpoint(out / "vae_final.safetensors", {"vae": parts["vae"]}, None)
        train_decoder(plan, out, components.refine_decoder(parts["vae"], plan.seed), every=every, log=log)
        return None

    parts = components.build(plan.seed)
    vae = parts["vae"]

    if "vae" not in record:
        begin("vae")
        record["vae"] = train_vae(plan, out, vae, every=every, log=log)
        write_json_atomic(record_file, record)
    else:
        _load_checkpoint(out / "vae.safetensors", {"vae": vae}, None)
    stats_file = out / "vae_final.safetensors"
    if "stats" not in record:
        begin("stats")
        t0, c0 = time.perf_counter(), time.process_time()
        record["stats"] = latent_stats(plan, vae)
        _save_checkpoint(stats_file, {"vae": vae}, None, 0)
        record["stats"].update(cpu_s=round(time.process_time() - c0, 1), wall_s=round(time.perf_counter() - t0, 1))
        write_json_atomic(record_file, record)
        print(f"stats: latent spread {np.mean(record['stats']['latents_std']):.3f}", file=log, flush=True)
    else:
        _load_checkpoint(stats_file, {"vae": vae}, None)
    if stage == "vae":
        return None
    if "dit" not in record:
        begin("dit")
        record["dit"] = train_dit(plan, out, parts, every=every, log=log)
        write_json_atomic(record_file, record)
    else:
        _load_ema(out, parts)
    if "tune" not in record:
        begin("tune")
        record["tune"] = train_dit(plan, out, parts, every=every, log=log, phase="tune")
        write_json_atomic(record_file, record)
    elif plan.tune_steps:
        _load_ema(out, parts, "tune")
    parts["vae"] = vae = components.refine_decoder(vae, plan.seed)
    if "decoder" not in record:
        begin("decoder")
        record["decoder"] = train_decoder(plan, out, vae, every=every, log=log)
        write_json_atomic(record_file, record)
    elif plan.decoder_steps:
        _load_checkpoint(out / "decoder.safetensors", {"decoder": vae.decoder}, None)

    final = out / MODEL_ID
    if final.exists():
        import shutil

        shutil.rmtree(final)
    temp = make_partial_dir(final)
    components.save({k: parts[k] for k in ("vae", "transformer", "text_encoder", "tokenizer", "scheduler")}, temp)
    total = {k: round(sum(record[s][k] for s in STAGES), 1) for k in ("cpu_s", "wall_s")}
    write_json_atomic(temp / "training.json", {"command": retrain_command(plan), "plan": asdict(plan),
                                               "seconds": total, **{s: record[s] for s in STAGES}})
    publish_dir(temp, final)
    print(f"done: {final} ({total['cpu_s']:.0f} s CPU, {total['wall_s']:.0f} s wall)", file=log, flush=True)
    return final


def retrain_command(plan: Plan) -> str:
    """The command that makes these weights again (the plan's values that differ from the defaults;
    ``threads`` and ``workers`` change the speed only, ``threads`` the last bits of the sums too)."""
    default = Plan()
    flags = [f"--{f.name.replace('_', '-')} {getattr(plan, f.name)}" for f in fields(Plan)
             if getattr(plan, f.name) != getattr(default, f.name) and f.name != "workers"]
    return " ".join(["python -m engine.gen.micro.train OUT", *flags])


def _load_ema(out: Path, parts: dict, phase: str = "dit") -> None:
    from safetensors import safe_open

    with safe_open(str(out / f"{phase}.safetensors"), framework="pt") as fh:
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    for name in ("transformer", "text_encoder"):
        prefix = f"ema_{name}/"
        parts[name].load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.gen.micro.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="working folder (checkpoints; the model lands in OUT/micro-ltx)")
    for f in fields(Plan):
        parser.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--stage", choices=["vae", "decoder"],
                        help="vae: the autoencoder and statistics stages only; decoder: that stage only "
                             "(beside a running dit stage)")
    args = parser.parse_args(argv)
    plan = Plan(**{f.name: getattr(args, f.name) for f in fields(Plan)})
    run(plan, args.out, every=args.checkpoint_every, stage=args.stage)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
