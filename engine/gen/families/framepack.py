"""HunyuanVideo FramePack (lllyasviel): image to video and long takes from one first frame.

``HunyuanVideoFramepackPipeline`` packs the frames made so far into a fixed-size context, section
by section (33 frames each), so one call makes a take of any length. Its parts come from three
hub repos: the HunyuanVideo base (text encoders, VAE, tokenizers, scheduler; its 13B text-to-video
transformer is neither downloaded nor loaded), ``lllyasviel/FramePackI2V_HY`` (the FramePack
transformer) and ``lllyasviel/flux_redux_bfl`` (the SigLIP image encoder and its processor).
VAE: 8x spatial, 4x temporal, 16 channels. Long takes ask the pipeline for latents only and decode
them here in overlapping chunks straight to disk, so memory stays flat in duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import GenerationError
from engine.gen.families import register
from engine.gen.families.base import Family, build, postprocess, step_callbacks, tiny_tokenizer, to_pil

MAX_SEQUENCE_LENGTH = 256
TINY_MAX_SEQUENCE_LENGTH = 16
LATENT_WINDOW = 9  # latents per section, as FramePack was trained (33 frames)
REDUX_PATTERNS = ["feature_extractor/*", "image_encoder/*"]
# The base repo's unused HunyuanVideo transformer in the tiny build (so a test can see it is skipped).
TINY_T2V_TRANSFORMER = {"in_channels": 16, "out_channels": 16, "num_attention_heads": 2, "attention_head_dim": 10,
                        "num_layers": 1, "num_single_layers": 1, "num_refiner_layers": 1, "text_embed_dim": 16,
                        "pooled_projection_dim": 8, "rope_axes_dim": [2, 4, 4]}


@register
class FramePack(Family):
    name = "hunyuan_framepack"
    pipeline_classes = ("HunyuanVideoFramepackPipeline",)
    lora_pipeline = "HunyuanVideoFramepackPipeline"
    compile_blocks = ("HunyuanVideoTransformerBlock", "HunyuanVideoSingleTransformerBlock")
    long_take_mode = "single"
    long_take_chaining = "FramePack latent history"
    first_block_cache = False  # its pipeline opens no cache context: a draft is fewer steps only
    cfg_batch = False  # guidance-distilled: one pass per step
    joint_text_tokens = MAX_SEQUENCE_LENGTH
    vae_tile = 256
    # HunyuanVideo's VAE, every frame at once when untiled: at the upsampler into full size, the
    # upsampled input of twice the width (2 units), its replicate-padded copy (2.5), the first-frame
    # concatenation (2) and the conv output (2); no causal caches (padding instead).
    decode_live = 9.3
    decode_workspace = 3.6

    # -- loading -----------------------------------------------------------------------------

    def bundle(self, entry, task: str) -> str:
        return "base" if entry.test_model else "."

    def download_patterns(self, entry) -> list[str] | None:
        return ["transformer/*"]  # the base's text-to-video transformer (25 GB) is never used

    def extra_patterns(self, repo: str) -> list[str] | None:
        return REDUX_PATTERNS if repo.endswith("flux_redux_bfl") else None

    def extra_parts(self, entry, folder: Path) -> dict[str, Path]:
        if not entry.extra_repos:
            return {}  # a complete local FramePack folder holds every component itself
        if len(entry.extra_repos) != 2:
            raise GenerationError(f"model '{entry.id}' must name the FramePack transformer and redux repos")
        if entry.test_model:
            return {repo: folder / repo.split("/")[-1] for repo in entry.extra_repos}
        from engine.gen.loading import snapshot_part

        return {repo: snapshot_part(entry, repo, self.extra_patterns(repo)) for repo in entry.extra_repos}

    def extra_files(self, entry, folder: Path) -> dict[str, Path]:
        from engine.gen.loading import weight_files

        files = {}
        for repo, part in self.extra_parts(entry, folder).items():
            for rel, path in weight_files(part).items():
                files[f"{repo}/{rel}"] = path
        return files

    def load_components(self, entry, folder: Path, pipeline_class: str, dtype: str):
        parts = self.extra_parts(entry, folder)
        if not parts:
            return {}, {}
        import torch
        from diffusers import HunyuanVideoFramepackTransformer3DModel
        from transformers import SiglipImageProcessor, SiglipVisionModel

        transformer_dir, redux_dir = parts.values()
        td = getattr(torch, dtype)
        return {
            "transformer": HunyuanVideoFramepackTransformer3DModel.from_pretrained(
                transformer_dir, dtype=td, use_safetensors=True, local_files_only=True),
            "feature_extractor": SiglipImageProcessor.from_pretrained(redux_dir / "feature_extractor"),
            "image_encoder": SiglipVisionModel.from_pretrained(redux_dir / "image_encoder", dtype=td,
                                                               use_safetensors=True, local_files_only=True),
        }, {}

    def plan_frames(self, entry, frames: int) -> int:
        # One section (9 latents) plus its packed history (1 + 2 + 16 latents at 1, 1/8, 1/64 the
        # tokens): about 12 latent frames whatever the length of the take.
        return min(frames, 1 + (LATENT_WINDOW + 3) * entry.vae.temporal)

    def call_steps(self, entry, frames: int, steps: int) -> int:
        section = (LATENT_WINDOW - 1) * entry.vae.temporal + 1
        return steps * max(1, -(-frames // section))  # every section runs every step

    # -- calls ---------------------------------------------------------------------------------

    def image_to_video(self, ctx, image: np.ndarray, num_frames: int, *, output_type: str = "np") -> dict[str, Any]:
        from diffusers.pipelines.hunyuan_video.pipeline_hunyuan_video_framepack import DEFAULT_PROMPT_TEMPLATE

        return {
            "image": to_pil(image), "prompt": ctx.request.prompt, "height": ctx.height, "width": ctx.width,
            "num_frames": num_frames, "latent_window_size": LATENT_WINDOW, "num_inference_steps": ctx.steps,
            # FramePack is guidance-distilled: the guidance goes in as an embedding, one pass per step.
            "guidance_scale": ctx.guidance, "true_cfg_scale": 1.0,
            "generator": ctx.generator(), "output_type": output_type,
            # The template's token offset is measured with the loaded tokenizer (95 for the real one).
            "prompt_template": {"template": DEFAULT_PROMPT_TEMPLATE["template"]},
            "max_sequence_length": TINY_MAX_SEQUENCE_LENGTH if ctx.entry.test_model else MAX_SEQUENCE_LENGTH,
            **step_callbacks(ctx),
        }

    def long_take_call(self, ctx, image: np.ndarray) -> dict[str, Any]:
        return self.image_to_video(ctx, image, ctx.frames, output_type="latent")

    def latents_of(self, output) -> Any:
        """``output_type="latent"`` returns the history after every section; the last is the take."""
        return output[-1]

    # -- latents ---------------------------------------------------------------------------------

    def decode_chunks(self, ctx, latents) -> Iterator[np.ndarray]:
        """Frames of a whole take's latents, decoded in overlapping chunks of two sections and
        crossfaded where they overlap (as the pipeline joins its sections), one chunk in memory."""
        import torch

        vae = ctx.pipe.vae
        t = ctx.entry.vae.temporal
        span, stride = 2 * LATENT_WINDOW + 1, LATENT_WINDOW
        n = latents.shape[2]
        held = None  # the chunk's last frames, which the next chunk decodes again
        start = 0
        while True:
            chunk = latents[:, :, start:start + span].to(ctx.execution_device, vae.dtype) / vae.config.scaling_factor
            with torch.no_grad():
                frames = postprocess(ctx.pipe, vae.decode(chunk, return_dict=False)[0]).astype(np.float32)
            if held is not None:
                # Frame j of this chunk is frame start*t + j of the take; the first ones repeat `held`.
                w = np.linspace(1.0, 0.0, held.shape[0], dtype=np.float32).reshape(-1, 1, 1, 1)
                frames[:held.shape[0]] = w * held + (1 - w) * frames[:held.shape[0]]
            last = start + span >= n
            keep = frames.shape[0] if last else stride * t
            yield np.clip(np.rint(frames[:keep]), 0, 255).astype(np.uint8)
            if last:
                return
            held = frames[keep:]
            start += stride

    # -- tiny build ------------------------------------------------------------------------------

    def build_tiny(self, entry, dst: Path) -> None:
        import torch
        from diffusers import (
            FlowMatchEulerDiscreteScheduler,
            HunyuanVideoFramepackTransformer3DModel,
            HunyuanVideoPipeline,
            HunyuanVideoTransformer3DModel,
        )
        from transformers import SiglipImageProcessor

        c = entry.components
        torch.manual_seed(0)
        HunyuanVideoPipeline(
            transformer=HunyuanVideoTransformer3DModel(**TINY_T2V_TRANSFORMER), vae=build(c["vae"]),
            text_encoder=build(c["text_encoder"]), tokenizer=tiny_tokenizer(512),
            text_encoder_2=build(c["text_encoder_2"]), tokenizer_2=tiny_tokenizer(77),
            scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        ).save_pretrained(dst / "base", safe_serialization=True)
        transformer_repo, redux_repo = (dst / repo.split("/")[-1] for repo in entry.extra_repos)
        transformer: HunyuanVideoFramepackTransformer3DModel = build(c["transformer"])
        transformer.save_pretrained(transformer_repo, safe_serialization=True)
        size = c["image_encoder"].config["image_size"]
        SiglipImageProcessor(size={"height": size, "width": size}).save_pretrained(redux_repo / "feature_extractor")
        build(c["image_encoder"]).save_pretrained(redux_repo / "image_encoder", safe_serialization=True)
