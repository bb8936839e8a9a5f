"""LTX-Video (Lightricks): 2B 0.9.5 and the 0.9.6 distilled checkpoint; 13B 0.9.8 and its distilled build.

Pipelines: ``LTXPipeline`` (text), ``LTXImageToVideoPipeline`` (image), ``LTXConditionPipeline``
(video/keyframe conditions: extend, bridge, long-take windows; every task of the distilled model,
the only LTX pipeline that accepts custom timesteps). VAE: 32x spatial, 8x temporal, 128 latent
channels, causal encoder, timestep-conditioned decoder (0.9.1 and later: the model card's
``decode_timestep`` 0.05 and ``decode_noise_scale`` 0.025). Frames 8k+1, size ÷32.
Transformer latents are packed tokens (B, F·H·W, C); a condition pipeline prepends the tokens of
conditions placed after frame 0.

13B 0.9.8 (an entry with a ``latent_upsampler`` component, from its extra repo) makes text and
image to video in two stages, as its authors do: a draft at half the size, the latents doubled by
``LTXLatentUpsamplePipeline`` (AdaIN to the draft, tone mapping), and a short refine of those
latents at the full size (extend and bridge: one stage at the full size, their conditions
being whole clips). Its long takes are one call of ``LTXI2VLongMultiPromptPipeline``
(temporal tiles joined on the previous tile's tail latents, a prompt per tile from the shot's
prompt ranges). The same upsampler doubles a finished LTX take (``shotloom upscale``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import GenerationError
from engine.gen.families import register
from engine.gen.families.base import Family, build, postprocess, step_callbacks, tiny_tokenizer, to_pil

DECODE_TIMESTEP = 0.05
DECODE_NOISE_SCALE = 0.025
IMAGE_COND_NOISE_SCALE = 0.025
MAX_SEQUENCE_LENGTH = 128
TINY_MAX_SEQUENCE_LENGTH = 16
# The 0.9.6 distilled checkpoint's timesteps when its metadata is unreadable (LTX-Video configs).
DISTILLED_TIMESTEPS = (1.0, 0.9937, 0.9875, 0.9812, 0.975, 0.9094, 0.725, 0.4219)
# 0.9.7/0.9.8 distilled (diffusers docs, the two-stage example): the draft's timesteps, the refine's
# (run from the upsampled latents at denoise strength 0.999: its last four), tone mapping of 0.9.8.
DRAFT_TIMESTEPS_098 = (1.0, 0.993, 0.987, 0.981, 0.975, 0.909, 0.725, 0.00003)
REFINE_TIMESTEPS_098 = (1.0, 0.909, 0.725, 0.421, 0.0)
REFINE_STRENGTH_DISTILLED = 0.999
# The 13B dev model's refine (docs, 0.9.7-dev example): 10 steps at strength 0.4, i.e. the last 4.
REFINE_STEPS_DEV, REFINE_STRENGTH_DEV = 10, 0.4
REFINE_RUNS = 4  # denoise steps a refine takes either way
UPSAMPLE_ADAIN = 1.0
TONE_MAP_COMPRESSION = 0.6
GUIDANCE_RESCALE_13B = 0.7
# LTXI2VLongMultiPromptPipeline's temporal tiles (its defaults, the authors' values): frames per tile
# and frames shared with the previous one.
LONG_TILE_FRAMES, LONG_TILE_OVERLAP = 80, 24
LONG_DECODE_LATENTS = 3  # latent frames decoded at once in a one-call long take (17 frames)


class LatentUpsampling:
    """A family whose entries may carry a latent upsampler (the ``latent_upsampler`` component): the
    two-stage generation's ×2 between draft and refine, and the finishing upscale of a take it made
    (``shotloom upscale``). LTX-Video 13B 0.9.8 and LTX-2 share it; each names its classes and where
    the upsampler sits (an extra repo's root, or a ``latent_upsampler`` subfolder)."""

    @staticmethod
    def draft_size(ctx) -> tuple[int, int]:
        """The draft's size, half the take's: refused in one line when the halves do not fit the VAE."""
        w, h = ctx.width // 2, ctx.height // 2
        s = ctx.entry.vae.spatial
        if w % s or h % s:
            raise GenerationError(f"model '{ctx.entry.id}' drafts at half the size, so {ctx.width}x{ctx.height} "
                                  f"must be multiples of {2 * s}; choose a size such as "
                                  f"{ctx.entry.defaults.width}x{ctx.entry.defaults.height}")
        return w, h

    upsampler_module = "diffusers.pipelines.ltx.modeling_latent_upsampler"
    upsampler_class = "LTXLatentUpsamplerModel"
    upsample_pipeline = "LTXLatentUpsamplePipeline"
    vae_class = "AutoencoderKLLTXVideo"
    upsampler_subfolder = ""  # inside the repo that holds it
    # LTXLatentUpsamplePipeline's decode of LTX-Video (timestep-conditioned VAE), AdaIN to the input.
    upscale_args = {"decode_timestep": DECODE_TIMESTEP, "decode_noise_scale": DECODE_NOISE_SCALE,
                    "adain_factor": UPSAMPLE_ADAIN}

    @staticmethod
    def two_stage(entry) -> bool:
        """An entry with a latent upsampler: draft, latent upsampler, refine."""
        return "latent_upsampler" in entry.components

    def upsampler_repo(self, entry) -> str:
        """The hub repo that holds the entry's latent upsampler."""
        if entry.extra_repos:
            return entry.extra_repos[0]
        if self.upsampler_subfolder:  # in the model's own repo (a tiny build: its own folder)
            return entry.repo or entry.id
        raise GenerationError(f"model '{entry.id}' names no latent upsampler repo; add it to the entry's extra_repos")

    def upsampler_folder(self, entry, folder: Path) -> Path:
        """The folder of the entry's latent upsampler (its extra repo, or a subfolder of the model's;
        inside a tiny build)."""
        sub = self.upsampler_subfolder
        if entry.test_model:
            return folder / (entry.extra_repos[0].split("/")[-1] if entry.extra_repos else "") / sub
        repo = self.upsampler_repo(entry)
        if repo == entry.repo:
            return folder / sub
        from engine.gen.loading import snapshot_part

        return snapshot_part(entry, repo, self.extra_patterns(repo)) / sub

    def extra_patterns(self, repo: str) -> list[str] | None:
        sub = self.upsampler_subfolder
        return [f"{sub}/*.json", f"{sub}/*.safetensors"] if sub else None

    def upsampler_files(self, entry, folder: Path) -> dict[str, Path]:
        """The upsampler's weight files by their name in its repo (hashed into recipes)."""
        if not self.two_stage(entry):
            return {}
        from engine.gen.loading import weight_files

        part = self.upsampler_folder(entry, folder)
        repo = entry.extra_repos[0] if entry.extra_repos else (entry.repo or entry.id)
        sub = f"{self.upsampler_subfolder}/" if self.upsampler_subfolder else ""
        return {f"{repo}/{sub}{rel}": path for rel, path in weight_files(part).items()}

    def load_upsampler(self, entry, folder: Path, dtype: str):
        import importlib

        import torch

        cls = getattr(importlib.import_module(self.upsampler_module), self.upsampler_class)
        return cls.from_pretrained(self.upsampler_folder(entry, folder), use_safetensors=True,
                                   local_files_only=True, dtype=getattr(torch, dtype)).eval()

    def latent_upscale_pipeline(self, entry, device: str, dtype: str):
        """The family's latent upsample pipeline on the entry's own VAE and latent upsampler
        (finishing: a take this model made, doubled through its latent space); returns (pipeline,
        upsampler file)."""
        import diffusers
        import torch

        from engine.gen.loading import _quiet_loading, resolve_model

        _quiet_loading()
        folder = resolve_model(entry).path
        vae = getattr(diffusers, self.vae_class).from_pretrained(folder / "vae", use_safetensors=True,
                                                                 local_files_only=True, dtype=getattr(torch, dtype))
        pipe = getattr(diffusers, self.upsample_pipeline)(vae=vae,
                                                          latent_upsampler=self.load_upsampler(entry, folder, dtype))
        pipe.set_progress_bar_config(disable=True)
        weights = sorted(self.upsampler_folder(entry, folder).glob("*.safetensors"))
        return pipe.to(device), weights[0]


@register
class LTX(LatentUpsampling, Family):
    name = "ltx"
    pipeline_classes = ("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline")
    lora_pipeline = "LTXPipeline"
    compile_blocks = ("LTXVideoTransformerBlock",)
    tiled_decode_frames = 17  # framewise decoding: 3 latents (17 frames) per temporal tile
    # The last level: 128 channels at a quarter of the size (the output is unpatchified 4x4), every
    # frame at once; its RMS norm upcasts to float32 (two float32 copies = 4 units) beside the
    # residual and the conv output.
    decode_live = 6.1
    decode_workspace = 1.2
    decode_components = ("latent_upsampler",)  # 13B 0.9.8: loaded beside the VAE, runs on latents
    long_take_needs_image = False
    long_take_chaining = "LTXI2VLongMultiPromptPipeline's temporal tiles (tail latents, a prompt per tile)"

    def decode_grid(self, entry):
        cfg = entry.components["vae"].config
        return cfg["decoder_block_out_channels"][0] // cfg["upsample_factor"][0], cfg["patch_size"]

    def decode_widest_conv(self, entry):
        return max(entry.components["vae"].config["decoder_block_out_channels"]) ** 2 * 27

    # -- loading -----------------------------------------------------------------------------

    def checkpoint(self, entry, folder: Path) -> Path | None:
        """The single-file transformer checkpoint of a distilled entry (local only, never fetched)."""
        tf = entry.transformer_file
        if tf is None:
            return None
        if tf.repo == "local":
            return folder / tf.filename
        from huggingface_hub import hf_hub_download

        from engine.gen.loading import missing_message

        try:
            return Path(hf_hub_download(tf.repo, tf.filename, local_files_only=True))
        except Exception as exc:  # any miss means "not downloaded"
            raise GenerationError(missing_message(entry, f"its transformer checkpoint {tf.filename} is missing")
                                  ) from exc

    def download_patterns(self, entry) -> list[str] | None:
        # A distilled entry replaces the base repo's transformer weights: never fetch them.
        return ["transformer/*.safetensors"] if entry.transformer_file is not None else None

    def extra_files(self, entry, folder: Path) -> dict[str, Path]:
        ckpt = self.checkpoint(entry, folder)
        files = {f"{entry.transformer_file.repo}/{ckpt.name}": ckpt} if ckpt is not None else {}
        files.update(self.upsampler_files(entry, folder))
        return files

    def load_components(self, entry, folder: Path, pipeline_class: str, dtype: str):
        info: dict[str, Any] = {}
        if self.two_stage(entry):
            # Kept with the warm pipeline (moved to the pipeline's device where it runs).
            info["latent_upsampler"] = self.load_upsampler(entry, folder, dtype)
            if entry.distilled and entry.transformer_file is None:
                info["timesteps"] = list(DRAFT_TIMESTEPS_098)
        ckpt = self.checkpoint(entry, folder)
        if ckpt is None:
            return {}, info
        import torch
        from diffusers import LTXVideoTransformer3DModel

        # The base folder's transformer config, so nothing is looked up on the hub.
        transformer = LTXVideoTransformer3DModel.from_single_file(
            str(ckpt), config=str(folder), subfolder="transformer", local_files_only=True,
            dtype=getattr(torch, dtype))
        if entry.distilled:
            info["timesteps"] = list(checkpoint_timesteps(ckpt))
        return {"transformer": transformer}, info

    # -- requests ----------------------------------------------------------------------------

    def context_frames(self, entry, wanted: int, available: int) -> int:
        """Video conditions are 8j+1 frames (one latent for the first frame, one per 8 after)."""
        k = min(wanted, available)
        t = entry.vae.temporal
        return ((k - 1) // t) * t + 1 if k >= 1 else 0

    # -- calls ---------------------------------------------------------------------------------

    def _args(self, ctx, num_frames: int, *, prompt: str | None = None, output_type: str = "np") -> dict[str, Any]:
        return {
            "prompt": prompt if prompt is not None else ctx.request.prompt,
            "negative_prompt": ctx.request.negative_prompt,
            "height": ctx.height, "width": ctx.width, "num_frames": num_frames,
            "frame_rate": round(float(ctx.fps)),
            "num_inference_steps": ctx.steps, "guidance_scale": ctx.guidance,
            "generator": ctx.generator(), "output_type": output_type,
            "max_sequence_length": TINY_MAX_SEQUENCE_LENGTH if ctx.entry.test_model else MAX_SEQUENCE_LENGTH,
            "decode_timestep": DECODE_TIMESTEP, "decode_noise_scale": DECODE_NOISE_SCALE,
            **step_callbacks(ctx),
        }

    def _condition_args(self, ctx, num_frames: int, conditions: list, **kw) -> dict[str, Any]:
        if type(ctx.pipe).__name__ != "LTXConditionPipeline":
            raise self._cannot(ctx, "condition on clips")
        args = self._args(ctx, num_frames, **kw)
        args.update(conditions=conditions or None, image_cond_noise_scale=IMAGE_COND_NOISE_SCALE)
        if self.two_stage(ctx.entry):  # the 13B's settings (diffusers docs, 0.9.7/0.9.8 examples)
            args.update(image_cond_noise_scale=0.0, guidance_rescale=GUIDANCE_RESCALE_13B)
        timesteps = self.timesteps(ctx)
        if timesteps is not None:
            args["timesteps"] = timesteps
        return args

    def timesteps(self, ctx) -> list[float] | None:
        """A distilled checkpoint runs its own timesteps (fewer for a draft: an even subset)."""
        own = ctx.model_info.get("timesteps")
        if not own:
            return None
        n = min(ctx.steps, len(own))
        picks = np.unique(np.round(np.linspace(0, len(own) - 1, n)).astype(int))
        return [float(own[i]) * 1000.0 for i in picks]

    def text_to_video(self, ctx, num_frames: int) -> dict[str, Any]:
        if type(ctx.pipe).__name__ == "LTXConditionPipeline":
            return self._staged(ctx, self._condition_args(ctx, num_frames, []))
        return self._args(ctx, num_frames)

    def image_to_video(self, ctx, image: np.ndarray, num_frames: int) -> dict[str, Any]:
        if type(ctx.pipe).__name__ == "LTXConditionPipeline":
            from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

            conditions = [LTXVideoCondition(image=to_pil(image), frame_index=0)]
            return self._staged(ctx, self._condition_args(ctx, num_frames, conditions))
        return {**self._args(ctx, num_frames), "image": to_pil(image)}

    def _staged(self, ctx, args: dict[str, Any]) -> dict[str, Any]:
        """A 13B 0.9.8 take in two stages, as its authors make one: the draft at half the size and the
        latent upsampler run here; returned is the refine call at the full size, from the upsampled
        latents (the same conditions, prompt and guidance). Other entries: ``args`` unchanged."""
        if not self.two_stage(ctx.entry):
            return args
        from diffusers import LTXLatentUpsamplePipeline

        pipe, monitor, entry = ctx.pipe, ctx.monitor, ctx.entry
        w, h = self.draft_size(ctx)
        frames = args["num_frames"]
        draft_steps = len(args["timesteps"]) if "timesteps" in args else ctx.steps
        monitor.grand_total = draft_steps + REFINE_RUNS
        monitor.start(f"draft at {w}x{h}", 0)
        monitor.unpack = lambda latents: self.latents_5d(pipe, latents, frames=frames, height=h, width=w)
        draft = pipe(**{**args, "width": w, "height": h, "output_type": "latent"}).frames
        monitor.raise_if_canceled()
        if monitor.progress is not None:
            monitor.progress(draft_steps, monitor.grand_total, f"upsampling the draft's latents to {ctx.width}x"
                                                               f"{ctx.height}")
        upsampler = ctx.model_info["latent_upsampler"].to(draft.device)
        upsample = LTXLatentUpsamplePipeline(vae=pipe.vae, latent_upsampler=upsampler)
        upsample.set_progress_bar_config(disable=True)
        latents = upsample(latents=draft, adain_factor=UPSAMPLE_ADAIN, tone_map_compression_ratio=TONE_MAP_COMPRESSION,
                           generator=ctx.generator(1), output_type="latent").frames
        del draft
        monitor.raise_if_canceled()
        monitor.start(f"refine at {ctx.width}x{ctx.height}", draft_steps)
        monitor.total_steps = REFINE_RUNS
        refine = {**args, "latents": latents, "generator": ctx.generator(2)}
        if entry.distilled:
            refine.update(timesteps=[t * 1000.0 for t in REFINE_TIMESTEPS_098], denoise_strength=REFINE_STRENGTH_DISTILLED)
        else:
            refine.update(num_inference_steps=REFINE_STEPS_DEV, denoise_strength=REFINE_STRENGTH_DEV)
        ctx.notes.append(f"two stages: a draft at {w}x{h}, its latents doubled by the latent upsampler, "
                         f"refined in {REFINE_RUNS} steps at {ctx.width}x{ctx.height}")
        return refine

    def extend(self, ctx, known: list[np.ndarray], new: int, direction: str) -> dict[str, Any]:
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        total = len(known) + new
        index = 0 if direction == "forward" else total - len(known)
        video = [to_pil(f) for f in known]
        return self._condition_args(ctx, total, [LTXVideoCondition(video=video, frame_index=index, strength=1.0)])

    def bridge(self, ctx, a: list[np.ndarray], b: list[np.ndarray], new: int) -> dict[str, Any]:
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        total = len(a) + new + len(b)
        conditions = [LTXVideoCondition(video=[to_pil(f) for f in a], frame_index=0, strength=1.0),
                      LTXVideoCondition(video=[to_pil(f) for f in b], frame_index=total - len(b), strength=1.0)]
        return self._condition_args(ctx, total, conditions)

    def long_take_window(self, ctx, *, prompt: str, num_frames: int, head, image) -> dict[str, Any]:
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        if head:
            conditions = [LTXVideoCondition(video=[to_pil(f) for f in head], frame_index=0, strength=1.0)]
        elif image is not None:
            conditions = [LTXVideoCondition(image=to_pil(image), frame_index=0, strength=1.0)]
        else:
            conditions = []
        return self._condition_args(ctx, num_frames, conditions, prompt=prompt, output_type="latent")

    # -- one-call long takes (13B 0.9.8: LTXI2VLongMultiPromptPipeline) --------------------------

    def long_take_single(self, entry) -> bool:
        return entry.pipelines.get("long_take") == "LTXI2VLongMultiPromptPipeline"

    @staticmethod
    def _tiles(entry, request) -> tuple[int, int]:
        """(frames per temporal tile, frames shared with the previous tile): the request's window
        and overlap, else the pipeline's own values."""
        tile = request.window_frames or LONG_TILE_FRAMES
        t = entry.vae.temporal
        overlap = request.overlap_latents * t if request.overlap_latents else LONG_TILE_OVERLAP
        return tile, overlap

    def long_take_frames(self, entry, request, frames: int) -> int:
        return min(frames, self._tiles(entry, request)[0] + 1)

    def long_take_call(self, ctx, image: np.ndarray | None) -> dict[str, Any]:
        """The whole take in one call: temporal tiles, each prompted with the shot's prompt at the
        tile's first frame (``prompt_segments``), the first one starting on ``image`` if given."""
        from diffusers import LTXEulerAncestralRFScheduler
        from diffusers.pipelines.ltx.pipeline_ltx_i2v_long_multi_prompt import split_into_temporal_windows

        pipe, entry, req = ctx.pipe, ctx.entry, ctx.request
        if type(pipe).__name__ != "LTXI2VLongMultiPromptPipeline":
            raise self._cannot(ctx, "make long takes in one call")
        if not isinstance(pipe.scheduler, LTXEulerAncestralRFScheduler):
            # The pipeline's own sampler (its documented set-up: Euler ancestral RF on the model's config).
            pipe.scheduler = LTXEulerAncestralRFScheduler.from_config(pipe.scheduler.config)
        t = entry.vae.temporal
        frames = (max(ctx.frames, 2) - 2) // t * t + t + 1  # 8k+1, at least the frames asked for
        tile, overlap = self._tiles(entry, req)
        latent_frames = (frames - 1) // t + 1
        windows = split_into_temporal_windows(latent_frames, max(1, tile // t), max(0, overlap // t), t)
        prompts = [req.prompt_at(start * t / float(ctx.fps)) for start, _end in windows]
        own = self.timesteps(ctx)
        # The whole schedule down to 0 (the RF sampler takes one step per pair of sigmas).
        sigmas = [x / 1000.0 for x in own] + [0.0] if own else [float(x) for x in np.linspace(1.0, 0.0, ctx.steps + 1)]
        ctx.monitor.total_steps = len(sigmas) - 1
        ctx.monitor.grand_total = ctx.monitor.total_steps * len(windows)
        ctx.notes.append(f"{len(windows)} temporal tiles of {tile} frames sharing {overlap}"
                         + (f"; prompts per tile: {' | '.join(prompts)}" if len(set(prompts)) > 1 else ""))
        return {
            "prompt": req.prompt, "negative_prompt": req.negative_prompt,
            "prompt_segments": [{"start_window": i, "end_window": i, "text": p} for i, p in enumerate(prompts)],
            "height": ctx.height, "width": ctx.width, "num_frames": frames, "frame_rate": round(float(ctx.fps)),
            "guidance_scale": ctx.guidance, "sigmas": sigmas, "generator": ctx.generator(), "seed": ctx.seed,
            "cond_image": to_pil(image) if image is not None else None,
            "temporal_tile_size": tile, "temporal_overlap": overlap, "adain_factor": self.adain_factor,
            "decode_timestep": DECODE_TIMESTEP, "decode_noise_scale": DECODE_NOISE_SCALE, "output_type": "latent",
            "max_sequence_length": TINY_MAX_SEQUENCE_LENGTH if entry.test_model else MAX_SEQUENCE_LENGTH,
            # Its step callback's "latents" are the take's initial noise; the tile being denoised is
            # "latents_packed" (packed tokens), which the monitor previews as the step's latents.
            "callback_on_step_end": lambda p, i, t, kw: ctx.monitor(p, i, t, {"latents": kw["latents_packed"]}),
            "callback_on_step_end_tensor_inputs": ["latents_packed"],
        }

    def latents_of(self, output) -> Any:
        return output

    def decode_chunks(self, ctx, latents):
        """A one-call take's latents decoded LONG_DECODE_LATENTS at a time, each chunk after one latent
        of the previous (decoded as the chunk's first frame and dropped): one chunk in memory."""
        n = latents.shape[2]
        for start in range(0, n, LONG_DECODE_LATENTS):
            lead = 1 if start else 0
            frames = self.decode(ctx, latents[:, :, start - lead:start + LONG_DECODE_LATENTS])
            yield frames[lead:]

    # -- latents ---------------------------------------------------------------------------------

    def latents_5d(self, pipe, latents, *, frames: int, height: int, width: int):
        if latents.ndim != 3:
            return latents
        s, t = pipe.vae_spatial_compression_ratio, pipe.vae_temporal_compression_ratio
        p, pt = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        f, h, w = (frames - 1) // t + 1, height // s, width // s
        per_frame = (h // p) * (w // p)
        if latents.shape[1] < (f // pt) * per_frame:  # one temporal tile of a one-call long take
            f = latents.shape[1] // per_frame * pt
        tokens = latents[:, latents.shape[1] - (f // pt) * per_frame:]  # conditions come first
        return pipe._unpack_latents(tokens, f, h, w, p, pt)

    def decode(self, ctx, latents) -> np.ndarray:
        """As the pipelines decode: denormalise, timestep-conditioned VAE with a little noise."""
        import torch

        pipe, vae = ctx.pipe, ctx.pipe.vae
        latents = pipe._denormalize_latents(latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor)
        latents = latents.to(ctx.execution_device, vae.dtype)
        timestep = None
        if vae.config.timestep_conditioning:
            noise = torch.randn(latents.shape, generator=ctx.generator(7), dtype=torch.float32)
            noise = noise.to(latents.device, latents.dtype)
            timestep = torch.tensor([DECODE_TIMESTEP], device=latents.device, dtype=latents.dtype)
            latents = (1 - DECODE_NOISE_SCALE) * latents + DECODE_NOISE_SCALE * noise
        with torch.no_grad():
            video = vae.decode(latents, timestep, return_dict=False)[0]
        return postprocess(pipe, video)

    # -- tiny build ------------------------------------------------------------------------------

    def build_tiny(self, entry, dst: Path) -> None:
        from diffusers import FlowMatchEulerDiscreteScheduler, LTXPipeline

        c = entry.components
        pipe = LTXPipeline(scheduler=FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False),
                           vae=build(c["vae"]), text_encoder=build(c["text_encoder"]), tokenizer=tiny_tokenizer(),
                           transformer=build(c["transformer"]))
        pipe.save_pretrained(dst, safe_serialization=True)
        if self.two_stage(entry):  # the latent upsampler, where its extra repo's snapshot would be
            build(c["latent_upsampler"], seed=2).save_pretrained(dst / entry.extra_repos[0].split("/")[-1],
                                                                 safe_serialization=True)
        if entry.transformer_file is not None:
            # A distilled single-file checkpoint in the original LTX layout, with its own timesteps.
            write_original_checkpoint(build(c["transformer"], seed=1), dst / entry.transformer_file.filename,
                                      {"allowed_inference_steps": list(DISTILLED_TIMESTEPS)})


def checkpoint_timesteps(path: Path) -> tuple[float, ...]:
    """The timesteps an LTX single-file checkpoint was distilled for (its metadata's config)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            config = json.loads((fh.metadata() or {}).get("config", "{}"))
    except (OSError, ValueError):
        return DISTILLED_TIMESTEPS
    steps = config.get("allowed_inference_steps")
    return tuple(float(s) for s in steps) if steps else DISTILLED_TIMESTEPS


_ORIGINAL_NAMES = (("proj_in", "patchify_proj"), ("time_embed", "adaln_single"), ("norm_q", "q_norm"),
                   ("norm_k", "k_norm"))


def write_original_checkpoint(transformer, path: Path, config: dict) -> None:
    """Save a diffusers LTX transformer under the original checkpoint's key names (what
    ``from_single_file`` converts back), with the checkpoint config in the metadata."""
    from safetensors.torch import save_file

    state = {}
    for key, tensor in transformer.state_dict().items():
        for new, old in _ORIGINAL_NAMES:
            key = key.replace(new, old)
        state[f"model.diffusion_model.{key}"] = tensor.contiguous()
    save_file(state, str(path), metadata={"config": json.dumps(config)})
