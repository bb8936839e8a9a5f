"""Stable Video Diffusion XT 1.1 (Stability AI): image to video, 25 frames at 1024x576.

``StableVideoDiffusionPipeline``: no prompt, a CLIP ViT-H image embedding and the image latent
condition a spatio-temporal UNet; guidance ramps from ``min_guidance_scale`` to the request's
guidance over the frames. 1.1 was trained with fixed conditioning (6 fps, motion bucket 127). The
hub repo ships fp16-variant weights only (``variant="fp16"`` in the catalog). The VAE decodes frame
by frame in 2D (temporal decoder): ``decode_chunk_size`` bounds its memory. Step latents are
(B, F, C, H, W).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.gen.families import register
from engine.gen.families.base import Family, build, step_callbacks, to_pil

MOTION_BUCKET_ID = 127
NOISE_AUG_STRENGTH = 0.02
# Frames decoded at once per memory tier (all 25 at 1024x576 need ~10 GiB more than 8 do).
DECODE_CHUNK = {"gpu": 8, "offload": 4, "group_offload": 2}


@register
class SVD(Family):
    name = "svd"
    pipeline_classes = ("StableVideoDiffusionPipeline",)
    first_block_cache = False  # a UNet: a draft is fewer steps only
    # 2D per frame over the decode chunk, then a temporal conv: the upsampler's output at twice the
    # width (2 units), the group norm, SiLU, conv, residual and the time mixer's blend (6 units).
    decode_live = 8.0
    decode_workspace = 1.9

    # The UNet's working set per latent pixel of the first (widest-resolution) level: about a dozen
    # tensors of its 320 channels live at once in the resnet/attention blocks.
    UNET_VALUES_PER_LATENT_PIXEL = 30 * 320

    def patch(self, entry):
        return 1, 1, 1

    def widths(self, entry):
        width = entry.denoiser.config["block_out_channels"][0]
        return width, 4 * width

    def layers(self, entry) -> int:
        return 4 * len(entry.denoiser.config["block_out_channels"])

    def step_bytes(self, entry, tokens: int, batch: int, b: int) -> int:
        return batch * tokens * self.UNET_VALUES_PER_LATENT_PIXEL * b

    def decode_frames(self, entry, frames: int, tiled: bool) -> int:
        return min(frames, DECODE_CHUNK["offload" if tiled else "gpu"])

    def text_bytes(self, entry, b: int) -> int:
        return 2 * 257 * 1280 * 16 * b  # the CLIP image encoder on one image

    def image_to_video(self, ctx, image: np.ndarray, num_frames: int) -> dict[str, Any]:
        return {
            "image": to_pil(image), "height": ctx.height, "width": ctx.width, "num_frames": num_frames,
            "num_inference_steps": ctx.steps, "min_guidance_scale": 1.0, "max_guidance_scale": ctx.guidance,
            "fps": round(float(ctx.fps)), "motion_bucket_id": MOTION_BUCKET_ID,
            "noise_aug_strength": NOISE_AUG_STRENGTH, "decode_chunk_size": DECODE_CHUNK[ctx.tier],
            "generator": ctx.generator(), "output_type": "np", **step_callbacks(ctx),
        }

    def latents_5d(self, pipe, latents, *, frames: int, height: int, width: int):
        return latents.permute(0, 2, 1, 3, 4) if latents.ndim == 5 else latents  # (B, F, C, H, W) → (B, C, F, H, W)

    def build_tiny(self, entry, dst: Path) -> None:
        import torch
        from diffusers import EulerDiscreteScheduler, StableVideoDiffusionPipeline
        from transformers import CLIPImageProcessor

        c = entry.components
        # SVD-XT 1.1's scheduler config: EDM-style Euler on Karras sigmas, v-prediction.
        scheduler = EulerDiscreteScheduler(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", interpolation_type="linear",
            prediction_type="v_prediction", sigma_max=700.0, sigma_min=0.002, steps_offset=1,
            timestep_spacing="leading", timestep_type="continuous", use_karras_sigmas=True)
        size = c["image_encoder"].config["image_size"]
        pipe = StableVideoDiffusionPipeline(
            vae=build(c["vae"]), image_encoder=build(c["image_encoder"]), unet=build(c["unet"]), scheduler=scheduler,
            feature_extractor=CLIPImageProcessor(crop_size=size, size={"shortest_edge": size}))
        # Like the hub repo: fp16 weights under the "fp16" variant names only.
        pipe.to(torch.float16).save_pretrained(dst, safe_serialization=True, variant=entry.variant)
