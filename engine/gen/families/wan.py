"""Wan 2.1: text-to-video 1.3B/14B, image-to-video 14B (480p), first+last frame 14B, VACE 1.3B.
Wan 2.2: TI2V-5B (text and image to video, the consumer-GPU model) and the A14B pair (T2V, I2V).

Pipelines: ``WanPipeline`` (text), ``WanImageToVideoPipeline`` (image; with ``last_image`` on the
FLF2V checkpoint: a bridge between two clips), ``WanVACEPipeline`` (a control video and mask: text,
extend, bridge, long-take windows). VAE: 8x spatial, 4x temporal, 16 channels, causal. The image
encoder is CLIP ViT-H/14 loaded as ``CLIPVisionModel`` (the pipeline reads its penultimate hidden
states). Frames 4k+1, size ÷16. Latents are (B, C, F, H, W).

Wan 2.2 runs the same pipeline classes, configured by the checkpoint's own ``model_index.json``:
TI2V-5B sets ``expand_timesteps`` (the image is the first latent frame, per-token timesteps; no
image encoder) and has its own VAE (16x spatial through a 2x2 patch, 48 channels), so sizes are
÷32 at 24 fps; A14B has two experts, ``transformer`` for the high-noise steps and ``transformer_2``
for the low-noise ones, split at the checkpoint's ``boundary_ratio``, each with its guidance
(``guidance_scale`` and ``guidance_scale_2``, the catalog's ``guidance_2``). Neither has a control
video or a last frame: they extend forward from the source's last frame (image to video) and
refuse backward extensions and bridges.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import GenerationError
from engine.gen.families import register
from engine.gen.families.base import (
    Family,
    build,
    postprocess,
    step_callbacks,
    tiny_tokenizer,
    to_pil,
    vace_layout,
)

MAX_SEQUENCE_LENGTH = 512
TINY_MAX_SEQUENCE_LENGTH = 16
# The tiny build keeps one pipeline per structure in a subfolder (the real repos are one each):
# image to video (I2V-480P), first+last frame (FLF2V), VACE.
TINY_BUNDLES = {"image_to_video": "i2v", "bridge": "flf2v", "extend": "vace", "long_take": "vace"}


@register
class Wan(Family):
    name = "wan"
    pipeline_classes = ("WanPipeline", "WanImageToVideoPipeline", "WanVACEPipeline")
    lora_pipeline = "WanPipeline"

    def load_lora(self, pipe, state: dict, adapter: str) -> None:
        # Wan 2.2 A14B: both experts (high-noise ``transformer``, low-noise ``transformer_2``) take the LoRA.
        super().load_lora(pipe, state, adapter)
        if getattr(pipe, "transformer_2", None) is not None:
            pipe.load_lora_weights(dict(state), adapter_name=adapter, load_into_transformer_2=True)
    compile_blocks = ("WanTransformerBlock", "WanVACETransformerBlock")
    cfg_batch = False  # the conditional and unconditional passes run one after the other
    vae_tile = 256
    # One latent frame (4 frames) at a time at full size and base_dim (96) channels: RMS norm in
    # float32 (4 units), the upsampler's output, residual and conv output (3), and every causal
    # conv's cache of its input's last 2 frames at each level (7 at full size: 3.5 units, and the
    # half- and quarter-size levels' ~2.7 more).
    decode_live = 13.2
    decode_workspace = 7.6

    def decode_grid(self, entry):
        cfg = entry.components["vae"].config
        # Wan 2.2's VAE unpatchifies 2x2 at the end: its last level runs at half the size.
        return cfg["base_dim"] * cfg["dim_mult"][0], cfg.get("patch_size") or 1

    def decode_widest_conv(self, entry):
        cfg = entry.components["vae"].config
        return (cfg["base_dim"] * max(cfg["dim_mult"])) ** 2 * 27

    def decode_frames(self, entry, frames: int, tiled: bool) -> int:
        return min(frames, 4)  # the causal decoder runs one latent frame (4 frames) at a time

    def bundle(self, entry, task: str) -> str:
        if not entry.test_model:
            return "."
        if "transformer_2" in entry.components:  # the A14B pair: one folder each, like the real repos
            return "i2v" if entry.pipelines.get(task) == "WanImageToVideoPipeline" else "."
        if _is_ti2v(entry):  # TI2V-5B: one folder for every task, like the real repo
            return "."
        return TINY_BUNDLES.get(task, ".")

    def context_frames(self, entry, wanted: int, available: int) -> int:
        # Extending through image to video conditions on the source's last frame only.
        return min(1, available) if _extends_from_image(entry) else min(wanted, available)

    # -- calls ---------------------------------------------------------------------------------

    def _args(self, ctx, num_frames: int, *, prompt: str | None = None, output_type: str = "np") -> dict[str, Any]:
        experts = ctx.pipe.config.get("boundary_ratio") is not None
        return {
            **({"guidance_scale_2": ctx.entry.defaults.guidance_2 or ctx.guidance} if experts else {}),
            "prompt": prompt if prompt is not None else ctx.request.prompt,
            "negative_prompt": ctx.request.negative_prompt,
            "height": ctx.height, "width": ctx.width, "num_frames": num_frames,
            "num_inference_steps": ctx.steps, "guidance_scale": ctx.guidance,
            "generator": ctx.generator(), "output_type": output_type,
            "max_sequence_length": TINY_MAX_SEQUENCE_LENGTH if ctx.entry.test_model else MAX_SEQUENCE_LENGTH,
            **step_callbacks(ctx),
        }

    def _vace(self, ctx, num_frames: int, video, mask, **kw) -> dict[str, Any]:
        if type(ctx.pipe).__name__ != "WanVACEPipeline":
            raise self._cannot(ctx, "condition on clips")
        return {**self._args(ctx, num_frames, **kw), "video": video, "mask": mask, "conditioning_scale": 1.0}

    def text_to_video(self, ctx, num_frames: int) -> dict[str, Any]:
        if type(ctx.pipe).__name__ == "WanVACEPipeline":
            return self._vace(ctx, num_frames, None, None)
        return self._args(ctx, num_frames)

    def image_to_video(self, ctx, image: np.ndarray, num_frames: int) -> dict[str, Any]:
        if type(ctx.pipe).__name__ != "WanImageToVideoPipeline":
            raise self._cannot(ctx, "start from an image")
        return {**self._args(ctx, num_frames), "image": to_pil(image), "last_image": None}

    def extend(self, ctx, known: list[np.ndarray], new: int, direction: str) -> dict[str, Any]:
        if type(ctx.pipe).__name__ == "WanImageToVideoPipeline":
            if direction != "forward":
                raise GenerationError(f"model '{ctx.entry.id}' extends forward only (it starts from a first "
                                      f"frame); extend forward, or use a Wan VACE model to extend backward")
            return {**self._args(ctx, len(known) + new), "image": to_pil(known[-1]), "last_image": None}
        video, mask = vace_layout(known, new, ctx.width, ctx.height, direction=direction)
        return self._vace(ctx, len(known) + new, video, mask)

    def bridge_context(self, entry) -> int | None:
        # The first+last-frame checkpoint conditions on exactly one frame of each side.
        return 1 if entry.pipelines.get("bridge") == "WanImageToVideoPipeline" else None

    def bridge(self, ctx, a: list[np.ndarray], b: list[np.ndarray], new: int) -> dict[str, Any]:
        total = len(a) + new + len(b)
        if type(ctx.pipe).__name__ == "WanImageToVideoPipeline":
            return {**self._args(ctx, total), "image": to_pil(a[-1]), "last_image": to_pil(b[0])}
        video, mask = vace_layout(a, new, ctx.width, ctx.height, direction="forward")
        tail_video, tail_mask = vace_layout(b, 0, ctx.width, ctx.height, direction="forward")
        return self._vace(ctx, total, video + tail_video, mask + tail_mask)

    def long_take_window(self, ctx, *, prompt: str, num_frames: int, head, image) -> dict[str, Any]:
        known = list(head) if head else ([image] if image is not None else [])
        if not known:
            return self._vace(ctx, num_frames, None, None, prompt=prompt, output_type="latent")
        video, mask = vace_layout(known, num_frames - len(known), ctx.width, ctx.height, direction="forward")
        return self._vace(ctx, num_frames, video, mask, prompt=prompt, output_type="latent")

    # -- latents ---------------------------------------------------------------------------------

    def decode(self, ctx, latents) -> np.ndarray:
        return decode_wan_latents(ctx, latents)

    # -- tiny build ------------------------------------------------------------------------------

    def build_tiny(self, entry, dst: Path) -> None:
        from diffusers import UniPCMultistepScheduler, WanImageToVideoPipeline, WanPipeline, WanVACEPipeline
        from transformers import CLIPImageProcessor

        c = entry.components

        def shared(flow_shift: float = 3.0):
            # The Wan repos' scheduler: UniPC on flow-matching sigmas (shift 3; TI2V-5B uses 5).
            scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                                flow_shift=flow_shift, num_train_timesteps=1000)
            vae = build(c["vae"])
            z = vae.config.z_dim
            if z != 16:  # the real checkpoints carry their latent statistics; the tiny one is unit
                vae.register_to_config(latents_mean=[0.0] * z, latents_std=[1.0] * z)
            return {"tokenizer": tiny_tokenizer(), "text_encoder": build(c["text_encoder"]), "vae": vae,
                    "scheduler": scheduler}

        if "transformer_2" in c:
            # The A14B pair as its two repos: text (boundary 0.875) and image (0.9), two experts each.
            WanPipeline(transformer=build(c["transformer"]), transformer_2=build(c["transformer_2"], seed=1),
                        boundary_ratio=0.875, **shared()).save_pretrained(dst, safe_serialization=True)
            WanImageToVideoPipeline(transformer=build(c["transformer_i2v"]),
                                    transformer_2=build(c["transformer_i2v_2"], seed=1), boundary_ratio=0.9,
                                    image_encoder=None, image_processor=None, **shared()
                                    ).save_pretrained(dst / "i2v", safe_serialization=True)
            return
        if _is_ti2v(entry):
            WanPipeline(transformer=build(c["transformer"]), expand_timesteps=True, **shared(5.0)).save_pretrained(
                dst, safe_serialization=True)
            return
        WanPipeline(transformer=build(c["transformer"]), **shared()).save_pretrained(dst, safe_serialization=True)
        size = c["image_encoder"].config["image_size"]
        for task, transformer in (("image_to_video", "transformer_i2v"), ("bridge", "transformer_flf2v")):
            WanImageToVideoPipeline(
                transformer=build(c[transformer]), image_encoder=build(c["image_encoder"]),
                image_processor=CLIPImageProcessor(crop_size=size, size={"shortest_edge": size}), **shared(),
            ).save_pretrained(dst / TINY_BUNDLES[task], safe_serialization=True)
        WanVACEPipeline(transformer=build(c["transformer_vace"]), **shared()).save_pretrained(
            dst / TINY_BUNDLES["extend"], safe_serialization=True)


def _is_ti2v(entry) -> bool:
    """Wan 2.2 TI2V-5B's structure: its own 48-channel VAE."""
    return entry.vae.latent_channels == 48


def _extends_from_image(entry) -> bool:
    return entry.pipelines.get("extend") == "WanImageToVideoPipeline"


def decode_wan_latents(ctx, latents) -> np.ndarray:
    """(B, C, F, h, w) latents of a Wan VAE (normalised by its latents_mean/std) → (F, H, W, 3) uint8."""
    import torch

    vae = ctx.pipe.vae
    latents = latents.to(ctx.execution_device, vae.dtype)
    z = vae.config.z_dim
    mean = torch.tensor(vae.config.latents_mean).view(1, z, 1, 1, 1).to(latents.device, latents.dtype)
    std = torch.tensor(vae.config.latents_std).view(1, z, 1, 1, 1).to(latents.device, latents.dtype)
    with torch.no_grad():
        video = vae.decode(latents * std + mean, return_dict=False)[0]
    return postprocess(ctx.pipe, video)
