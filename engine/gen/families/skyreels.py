"""SkyReels V2 diffusion forcing (Skywork): text and image to video, forward extension, bridges, and
long takes of any length in one call.

Diffusion forcing gives every latent frame its own noise level, so a video grows block by block,
each new block denoised while conditioned on the clean ones before it. ``SkyReelsV2DiffusionForcing
Pipeline`` makes a take longer than the model's window (``base_num_frames``) by sliding that window
and keeping ``overlap_history`` frames of the previous one as its clean prefix, in one call: the
long-take family for minute-long shots. ``...ImageToVideoPipeline`` starts on an image (and with
``last_image`` ends on one: a bridge between two clips), ``...VideoToVideoPipeline`` continues a
clip from its last frames (an extension forward; there is no backward one). All three load from the
same repo. The rest is Wan 2.1's: ``AutoencoderKLWan`` (8x spatial, 4x temporal, 16 channels,
causal), the UMT5 text encoder, UniPC on flow sigmas; the transformer is Wan's with the model's fps
embedded (``inject_sample_info``). Frames 4k+1, size ÷16, 24 fps. Latents are (B, C, F, H, W).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import GenerationError
from engine.gen.families import register
from engine.gen.families.base import Family, build, step_callbacks, tiny_tokenizer, to_pil
from engine.gen.families.wan import Wan

MAX_SEQUENCE_LENGTH = 512
TINY_MAX_SEQUENCE_LENGTH = 16
OVERLAP_HISTORY = 17  # frames of the previous window each long-take window keeps (the authors' value)
ADDNOISE_CONDITION = 20  # noise on that clean prefix, which keeps long takes from drifting (ditto)
DECODE_LATENTS = 8  # latent frames decoded at once in a long take (32 frames): memory flat in length


@register
class SkyReels(Family):
    name = "skyreels"
    pipeline_classes = ("SkyReelsV2DiffusionForcingPipeline", "SkyReelsV2DiffusionForcingImageToVideoPipeline",
                        "SkyReelsV2DiffusionForcingVideoToVideoPipeline")
    lora_pipeline = "SkyReelsV2DiffusionForcingPipeline"
    compile_blocks = ("SkyReelsV2TransformerBlock",)
    long_take_mode = "single"
    long_take_needs_image = False
    long_take_chaining = "diffusion forcing over sliding windows"
    cfg_batch = False  # the conditional and unconditional passes run one after the other
    # Wan 2.1's VAE: Wan's decode figures (the VAE itself still runs one latent frame at a time).
    decode_live, decode_workspace = Wan.decode_live, Wan.decode_workspace
    decode_grid, decode_widest_conv, decode_frames = Wan.decode_grid, Wan.decode_widest_conv, Wan.decode_frames
    vae_tile = 256

    # -- requests ------------------------------------------------------------------------------

    @staticmethod
    def _overlap(entry) -> int:
        """Frames of the previous window a long take's window keeps: OVERLAP_HISTORY, less where the
        window is short (each window must make at least one new latent frame)."""
        t = entry.vae.temporal
        return min(OVERLAP_HISTORY, t * ((entry.defaults.frames - 1) // t - 1) + 1)

    def _windows(self, entry, frames: int) -> int:
        """Windows the pipeline slides over for ``frames`` (its own formula, in latent frames)."""
        t = entry.vae.temporal
        total, base = (frames - 1) // t + 1, (entry.defaults.frames - 1) // t + 1
        overlap = (self._overlap(entry) - 1) // t + 1
        if total <= base:
            return 1
        return 2 + (total - base - 1) // (base - overlap)

    def plan_frames(self, entry, frames: int) -> int:
        return min(frames, entry.defaults.frames)  # one window at a time

    def call_steps(self, entry, frames: int, steps: int) -> int:
        return steps * self._windows(entry, frames)

    def context_frames(self, entry, wanted: int, available: int) -> int:
        # The video-to-video pipeline keeps a 4k+1 prefix of the clip (as its VAE encodes it).
        k = min(wanted, available)
        return k - (k - 1) % entry.vae.temporal

    def default_context(self, entry, task: str) -> int:
        return OVERLAP_HISTORY if task == "extend" else super().default_context(entry, task)

    def bridge_context(self, entry) -> int | None:
        return 1  # the image pipeline starts on one frame and ends on one

    # -- calls ---------------------------------------------------------------------------------

    def _args(self, ctx, num_frames: int, *, prompt: str | None = None, output_type: str = "np",
              window: int | None = None, overlap: int | None = None) -> dict[str, Any]:
        return {
            "prompt": prompt if prompt is not None else ctx.request.prompt,
            "negative_prompt": ctx.request.negative_prompt,
            "height": ctx.height, "width": ctx.width, "num_frames": num_frames,
            "num_inference_steps": ctx.steps, "guidance_scale": ctx.guidance,
            "generator": ctx.generator(), "output_type": output_type,
            "max_sequence_length": TINY_MAX_SEQUENCE_LENGTH if ctx.entry.test_model else MAX_SEQUENCE_LENGTH,
            "fps": int(ctx.entry.fps),
            # Synchronous diffusion forcing (every frame of a window at one noise level: ar_step 0);
            # a clip that fits the window is one window.
            "base_num_frames": window or max(num_frames, 1), "overlap_history": overlap,
            "addnoise_condition": ADDNOISE_CONDITION if overlap else 0, "ar_step": 0,
            **step_callbacks(ctx),
        }

    def _need(self, ctx, name: str, what: str) -> None:
        if type(ctx.pipe).__name__ != name:
            raise self._cannot(ctx, what)

    def text_to_video(self, ctx, num_frames: int) -> dict[str, Any]:
        self._need(ctx, "SkyReelsV2DiffusionForcingPipeline", "make video from text")
        return self._args(ctx, num_frames)

    def image_to_video(self, ctx, image: np.ndarray, num_frames: int) -> dict[str, Any]:
        self._need(ctx, "SkyReelsV2DiffusionForcingImageToVideoPipeline", "start from an image")
        return {**self._args(ctx, num_frames), "image": to_pil(image), "last_image": None}

    def extend(self, ctx, known: list[np.ndarray], new: int, direction: str) -> dict[str, Any]:
        if direction != "forward":
            raise GenerationError(f"model '{ctx.entry.id}' extends forward only (diffusion forcing continues "
                                  f"a clip from its last frames); extend forward, or bridge from the shot before")
        self._need(ctx, "SkyReelsV2DiffusionForcingVideoToVideoPipeline", "extend clips")
        # The pipeline returns the whole clip, then `num_frames` new frames (a 4k+1 count; the task keeps
        # the first `new`). Its window holds a prefix of the clip (`overlap_history`, 4k+1 frames) and
        # the new frames, and it must make more new latent frames than the prefix has.
        t = ctx.entry.vae.temporal
        made = max(new - 1 + t - 1, t) // t * t + 1
        latents = (made - 1) // t + 1
        overlap = min(len(known) - (len(known) - 1) % t, t * (latents - 2) + 1)
        return {**self._args(ctx, made, window=max(ctx.entry.defaults.frames, overlap + made), overlap=overlap),
                "video": [to_pil(f) for f in known], "addnoise_condition": 0}

    def bridge(self, ctx, a: list[np.ndarray], b: list[np.ndarray], new: int) -> dict[str, Any]:
        self._need(ctx, "SkyReelsV2DiffusionForcingImageToVideoPipeline", "bridge clips")
        return {**self._args(ctx, len(a) + new + len(b)), "image": to_pil(a[-1]), "last_image": to_pil(b[0])}

    def long_take_call(self, ctx, image: np.ndarray | None) -> dict[str, Any]:
        if image is not None:
            raise GenerationError(f"model '{ctx.entry.id}' makes long takes from text; leave the image out, or "
                                  f"start from the image with an image shot and extend it")
        self._need(ctx, "SkyReelsV2DiffusionForcingPipeline", "make long takes")
        window = ctx.entry.defaults.frames
        overlap = self._overlap(ctx.entry) if ctx.frames > window else None
        return self._args(ctx, ctx.frames, output_type="latent", window=window, overlap=overlap)

    def latents_of(self, output) -> Any:
        return output

    # -- latents ---------------------------------------------------------------------------------

    def decode(self, ctx, latents) -> np.ndarray:
        from engine.gen.families.wan import decode_wan_latents

        return decode_wan_latents(ctx, latents)

    def decode_chunks(self, ctx, latents) -> Iterator[np.ndarray]:
        """A whole take's latents decoded DECODE_LATENTS at a time, each chunk after one latent frame of
        the previous (which warms the causal decoder and whose single frame is dropped), so a take of
        any length holds one chunk of frames in memory."""
        from engine.gen.families.wan import decode_wan_latents

        n = latents.shape[2]
        for start in range(0, n, DECODE_LATENTS):
            lead = 1 if start else 0
            frames = decode_wan_latents(ctx, latents[:, :, start - lead:start + DECODE_LATENTS])
            yield frames[lead:]

    # -- tiny build ------------------------------------------------------------------------------

    def build_tiny(self, entry, dst: Path) -> None:
        from diffusers import SkyReelsV2DiffusionForcingPipeline, UniPCMultistepScheduler

        c = entry.components
        # One repo serves all three pipelines, as the real ones do (shift 8, the authors' DF value).
        scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=8.0,
                                            num_train_timesteps=1000)
        SkyReelsV2DiffusionForcingPipeline(
            tokenizer=tiny_tokenizer(), text_encoder=build(c["text_encoder"]), transformer=build(c["transformer"]),
            vae=build(c["vae"]), scheduler=scheduler,
        ).save_pretrained(dst, safe_serialization=True)

