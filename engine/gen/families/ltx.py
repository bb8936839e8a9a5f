"""LTX-Video (Lightricks): 2B 0.9.5 and the 0.9.6 distilled checkpoint.

Pipelines: ``LTXPipeline`` (text), ``LTXImageToVideoPipeline`` (image), ``LTXConditionPipeline``
(video/keyframe conditions: extend, bridge, long-take windows; every task of the distilled model,
the only LTX pipeline that accepts custom timesteps). VAE: 32x spatial, 8x temporal, 128 latent
channels, causal encoder, timestep-conditioned decoder (0.9.1 and later: the model card's
``decode_timestep`` 0.05 and ``decode_noise_scale`` 0.025). Frames 8k+1, size ÷32.
Transformer latents are packed tokens (B, F·H·W, C); a condition pipeline prepends the tokens of
conditions placed after frame 0.
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


@register
class LTX(Family):
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
        return {f"{entry.transformer_file.repo}/{ckpt.name}": ckpt} if ckpt is not None else {}

    def load_components(self, entry, folder: Path, pipeline_class: str, dtype: str):
        ckpt = self.checkpoint(entry, folder)
        if ckpt is None:
            return {}, {}
        import torch
        from diffusers import LTXVideoTransformer3DModel

        # The base folder's transformer config, so nothing is looked up on the hub.
        transformer = LTXVideoTransformer3DModel.from_single_file(
            str(ckpt), config=str(folder), subfolder="transformer", local_files_only=True,
            dtype=getattr(torch, dtype))
        return {"transformer": transformer}, {"timesteps": list(checkpoint_timesteps(ckpt))}

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
            return self._condition_args(ctx, num_frames, [])
        return self._args(ctx, num_frames)

    def image_to_video(self, ctx, image: np.ndarray, num_frames: int) -> dict[str, Any]:
        if type(ctx.pipe).__name__ == "LTXConditionPipeline":
            from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

            return self._condition_args(ctx, num_frames, [LTXVideoCondition(image=to_pil(image), frame_index=0)])
        return {**self._args(ctx, num_frames), "image": to_pil(image)}

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

    # -- latents ---------------------------------------------------------------------------------

    def latents_5d(self, pipe, latents, *, frames: int, height: int, width: int):
        if latents.ndim != 3:
            return latents
        s, t = pipe.vae_spatial_compression_ratio, pipe.vae_temporal_compression_ratio
        p, pt = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        f, h, w = (frames - 1) // t + 1, height // s, width // s
        tokens = latents[:, latents.shape[1] - (f // pt) * (h // p) * (w // p):]  # conditions come first
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
