"""CogVideoX 1.0 (THUDM): 2B and 5B text-to-video, 5B image-to-video.

Pipelines: ``CogVideoXPipeline``, ``CogVideoXImageToVideoPipeline``. VAE: 8x spatial, 4x temporal,
16 channels. Frames 4k+1 up to 49 (13 latent frames). Positional embeddings: 2B sin-cos (any size),
5B rotary, 5B-I2V rotary plus *learned* embeddings for exactly 720x480 and 49 frames: the catalog
gives that entry ``fixed_size`` and ``min_frames``, so it is always generated at its one size and
length and conformed to the project afterwards. The text length is the transformer's
``max_text_seq_length``. Step latents are (B, F, C, H, W).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.gen.families import register
from engine.gen.families.base import Family, build, step_callbacks, tiny_tokenizer, to_pil


@register
class CogVideoX(Family):
    name = "cogvideox"
    pipeline_classes = ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline")
    lora_pipeline = "CogVideoXPipeline"
    compile_blocks = ("CogVideoXBlock",)
    joint_text_tokens = 226
    vae_tile = 480
    # Two latent frames (8 frames; 9 for the first batch) at full size: the upsampler's 2D conv
    # output at twice the width (2 units), the resnet's spatial norm (group norm, the two convs of
    # the latent's scale and shift, their product and sum), the residual and conv outputs, and the
    # causal convs' 2-frame caches.
    decode_live = 14.9
    decode_workspace = 1.0

    def decode_frames(self, entry, frames: int, tiled: bool) -> int:
        """The decoder works on two latent frames at a time, the first batch taking the odd one
        out (3); its time upsampling keeps the first frame of an odd batch and doubles the rest
        twice: 3 latents make 9 frames, 2 make 8."""
        latents = (frames - 1) // entry.vae.temporal + 1
        if latents == 1:
            return 1
        first = 2 + latents % 2
        return 1 + 4 * (first - 1) if first % 2 else 4 * first

    def patch(self, entry):
        p = entry.denoiser.config["patch_size"]
        return 1, p, p

    def _args(self, ctx, num_frames: int) -> dict[str, Any]:
        return {
            "prompt": ctx.request.prompt, "negative_prompt": ctx.request.negative_prompt,
            "height": ctx.height, "width": ctx.width, "num_frames": num_frames,
            "num_inference_steps": ctx.steps, "guidance_scale": ctx.guidance,
            "generator": ctx.generator(), "output_type": "np",
            "max_sequence_length": ctx.pipe.transformer.config.max_text_seq_length,
            **step_callbacks(ctx),
        }

    def text_to_video(self, ctx, num_frames: int) -> dict[str, Any]:
        return self._args(ctx, num_frames)

    def image_to_video(self, ctx, image: np.ndarray, num_frames: int) -> dict[str, Any]:
        if type(ctx.pipe).__name__ != "CogVideoXImageToVideoPipeline":
            raise self._cannot(ctx, "start from an image")
        return {**self._args(ctx, num_frames), "image": to_pil(image)}

    def latents_5d(self, pipe, latents, *, frames: int, height: int, width: int):
        return latents.permute(0, 2, 1, 3, 4) if latents.ndim == 5 else latents  # (B, F, C, H, W) → (B, C, F, H, W)

    def build_tiny(self, entry, dst: Path) -> None:
        import diffusers
        from diffusers import CogVideoXDDIMScheduler

        c = entry.components
        # CogVideoX-2b's scheduler config (v-prediction, zero-terminal-SNR, trailing spacing).
        scheduler = CogVideoXDDIMScheduler(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
            set_alpha_to_one=True, prediction_type="v_prediction", rescale_betas_zero_snr=True,
            timestep_spacing="trailing", snr_shift_scale=3.0)
        pipeline = getattr(diffusers, entry.pipelines[entry.tasks[0]])
        pipeline(tokenizer=tiny_tokenizer(), text_encoder=build(c["text_encoder"]), vae=build(c["vae"]),
                 transformer=build(c["transformer"]), scheduler=scheduler).save_pretrained(dst, safe_serialization=True)
