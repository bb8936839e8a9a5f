"""LTX-2 (Lightricks): video with synchronized sound. LTX-2 19B, LTX-2.3 22B and its distilled build.

Pipelines: ``LTX2Pipeline`` (text), ``LTX2ImageToVideoPipeline`` (image), ``LTX2ConditionPipeline``
(video conditions at latent indices: extend forward and backward, bridge). One transformer denoises
video and audio latents together; the audio VAE decodes a mel spectrogram and the vocoder turns it
into a stereo waveform (24 kHz for LTX-2, 48 kHz for LTX-2.3's vocoder with bandwidth extension).
That waveform becomes the take's own sound (``sound``; the tasks keep the part under the frames
they keep). Text goes through Gemma 3 12B, whose hidden states of every layer feed the text
connectors. Video VAE: 32x spatial (a 4x4 patch and three 2x levels), 8x temporal, 128 latent
channels, causal encoder. Frames 8k+1, size ÷32. Latents are packed tokens (B, F·H·W, C); a
condition pipeline appends the tokens of conditions placed after frame 0.

Where a video condition lands: its ``index`` is a latent index. Index 0 overwrites the first
latents (the clip's frames become the window's first frames). Index L ≥ 1 appends the clip's
latents as keyframe tokens whose positions start at pixel 8(L-1)+1, the first of them (one frame,
encoded causally) spanning 8 positions; so a clip of 8j+1 frames at index L stands for window frames
[8L, 8L + 8j], and a clip that must end a window of 8m+1 frames goes at L = m - j: index
``start // 8`` for a clip that starts at window frame ``start`` (a multiple of 8). The audio has no
conditions in these pipelines: an extension or a bridge gets the sound generated with its picture.

Two stages (an entry with a ``latent_upsampler`` component; diffusers' LTX-2 docs, "Two-stages
Generation"): text and image to video are drafted at half the size, the draft's video latents
doubled by ``LTX2LatentUpsamplePipeline``, and refined at the full size with the stage-2 sigmas
(``STAGE_2_DISTILLED_SIGMA_VALUES``, no guidance, a scheduler without dynamic or terminal shift)
from the upsampled video latents and the draft's audio latents: the sound is the draft's, refined
with the picture. The same upsampler doubles a finished LTX-2 take (``shotloom upscale``), which
keeps its sound. Extend and bridge stay one stage at the full size (their conditions are whole clips).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import GenerationError
from engine.gen.families import register
from engine.gen.families.base import Family, build, step_callbacks, tiny_tokenizer, to_pil
from engine.gen.families.ltx import LatentUpsampling

MAX_SEQUENCE_LENGTH = 1024  # the pipelines' default (Gemma 3, left padded)
TINY_MAX_SEQUENCE_LENGTH = 16
STG_BLOCK = 28  # the pipelines' default spatio-temporal guidance block (a tiny build uses its last one)
# The pipelines' own defaults for the guidance the model was trained with, passed explicitly; a
# distilled build runs its sigmas without any of them.
GUIDANCE = {"stg_scale": 1.0, "modality_scale": 3.0, "audio_guidance_scale": 7.0, "audio_stg_scale": 1.0,
            "audio_modality_scale": 3.0}
NO_GUIDANCE = {"guidance_scale": 1.0, "stg_scale": 0.0, "modality_scale": 1.0, "audio_guidance_scale": 1.0,
               "audio_stg_scale": 0.0, "audio_modality_scale": 1.0}


@register
class LTX2(LatentUpsampling, Family):
    name = "ltx2"
    pipeline_classes = ("LTX2Pipeline", "LTX2ImageToVideoPipeline", "LTX2ConditionPipeline")
    lora_pipeline = "LTX2Pipeline"
    compile_blocks = ("LTX2VideoTransformerBlock",)
    block_caches = False
    text_components = ("connectors",)
    decode_components = ("audio_vae", "vocoder", "latent_upsampler")  # the upsampler: two-stage entries
    tiled_decode_frames = 17
    # The last level: decoder_block_out_channels[0] channels at a quarter of the size (the output is
    # unpatchified 4x4), every frame at once. Traced (tests/engine/test_gen_decode_memory.py): LTX-2's
    # three-level decoder keeps 2.9 of its units alive at the peak, LTX-2.3's four levels (no
    # residual upsamplers) 2.4. The device's extra is LTX-Video's until measured on the real size.
    decode_live = 2.4
    decode_workspace = 1.2

    upsampler_module = "diffusers.pipelines.ltx2.latent_upsampler"
    upsampler_class = "LTX2LatentUpsamplerModel"
    upsample_pipeline = "LTX2LatentUpsamplePipeline"
    vae_class = "AutoencoderKLLTX2Video"
    upsampler_subfolder = "latent_upsampler"
    # LTX2LatentUpsamplePipeline's own defaults (its docstring example): no AdaIN, no tone mapping;
    # the VAE is not timestep-conditioned.
    upscale_args: dict = {}

    def live_units(self, entry):
        return 2.9 if len(entry.components["vae"].config["decoder_block_out_channels"]) == 3 else 2.4

    def decode_grid(self, entry):
        cfg = entry.components["vae"].config
        return cfg["decoder_block_out_channels"][0], cfg["patch_size"]

    def decode_widest_conv(self, entry):
        return max(entry.components["vae"].config["decoder_block_out_channels"]) ** 2 * 27

    def decode_bytes(self, entry, width, height, frames, b, *, tiled):
        return super().decode_bytes(entry, width, height, frames, b, tiled=tiled) + self.sound_bytes(entry, frames, b)

    def sound_bytes(self, entry, frames: int, b: int) -> int:
        """The vocoder's working set for a take's sound: each upsampling level halves the channels and
        multiplies the length, so every level holds about its first level's values; a few of them
        (input, residual, activation, output) are alive at once."""
        voc = entry.components["vocoder"].config
        audio = entry.components["audio_vae"].config
        mel_frames = frames / float(entry.fps) * audio["sample_rate"] / audio["mel_hop_length"]
        values = voc["hidden_channels"] * mel_frames * voc["upsample_factors"][0]
        return int(8 * values * b)

    # -- loading -------------------------------------------------------------------------------

    def load_components(self, entry, folder: Path, pipeline_class: str, dtype: str):
        if not self.two_stage(entry):
            return {}, {}
        # Kept with the warm pipeline (moved to the pipeline's device where it runs).
        return {}, {"latent_upsampler": self.load_upsampler(entry, folder, dtype)}

    def extra_files(self, entry, folder: Path) -> dict[str, Path]:
        return self.upsampler_files(entry, folder)

    # -- requests ----------------------------------------------------------------------------

    def context_frames(self, entry, wanted: int, available: int) -> int:
        """Video conditions are 8j+1 frames (one latent for the first frame, one per 8 after)."""
        k = min(wanted, available)
        t = entry.vae.temporal
        return ((k - 1) // t) * t + 1 if k >= 1 else 0

    @staticmethod
    def condition_index(entry, start: int) -> int:
        """The latent index that puts a video condition's first frame at window frame ``start``."""
        t = entry.vae.temporal
        if start % t:
            raise GenerationError(f"a video condition of {entry.id} starts on a multiple of {t} frames, not {start}")
        return start // t

    # -- calls ---------------------------------------------------------------------------------

    def _args(self, ctx, num_frames: int, *, output_type: str = "np", prompt: str | None = None) -> dict[str, Any]:
        layers = ctx.pipe.transformer.config.num_layers
        args = {
            "prompt": prompt if prompt is not None else ctx.request.prompt,
            "negative_prompt": ctx.request.negative_prompt,
            "height": ctx.height, "width": ctx.width, "num_frames": num_frames,
            "frame_rate": float(ctx.fps),
            "num_inference_steps": ctx.steps, "guidance_scale": ctx.guidance, **GUIDANCE,
            "spatio_temporal_guidance_blocks": [min(STG_BLOCK, layers - 1)],
            "generator": ctx.generator(), "output_type": output_type,
            "max_sequence_length": TINY_MAX_SEQUENCE_LENGTH if ctx.entry.test_model else MAX_SEQUENCE_LENGTH,
            **step_callbacks(ctx),
        }
        if ctx.entry.distilled:
            sigmas = self.sigmas(ctx)
            args.update(NO_GUIDANCE, sigmas=sigmas, num_inference_steps=len(sigmas))
        return args

    def sigmas(self, ctx) -> list[float]:
        """A distilled build runs its own sigmas (fewer for a draft: an even subset)."""
        from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES

        own = list(DISTILLED_SIGMA_VALUES)
        n = min(ctx.steps, len(own))
        picks = np.unique(np.round(np.linspace(0, len(own) - 1, n)).astype(int))
        return [float(own[i]) for i in picks]

    def _conditions(self, ctx, num_frames: int, placed: list[tuple[int, list[np.ndarray]]], **kw) -> dict[str, Any]:
        """A condition pipeline call with each clip's frames placed at its window frame."""
        if type(ctx.pipe).__name__ != "LTX2ConditionPipeline":
            raise self._cannot(ctx, "condition on clips")
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        conditions = [LTX2VideoCondition(frames=[to_pil(f) for f in frames], index=self.condition_index(ctx.entry, start),
                                         strength=1.0) for start, frames in placed]
        return {**self._args(ctx, num_frames, **kw), "conditions": conditions}

    def text_to_video(self, ctx, num_frames: int) -> dict[str, Any]:
        if type(ctx.pipe).__name__ == "LTX2ConditionPipeline":
            return self._conditions(ctx, num_frames, [])
        return self._staged(ctx, self._args(ctx, num_frames))

    def image_to_video(self, ctx, image: np.ndarray, num_frames: int) -> dict[str, Any]:
        if type(ctx.pipe).__name__ == "LTX2ConditionPipeline":
            return self._conditions(ctx, num_frames, [(0, [image])])
        return self._staged(ctx, {**self._args(ctx, num_frames), "image": to_pil(image)})

    def _staged(self, ctx, args: dict[str, Any]) -> dict[str, Any]:
        """A two-stage entry's take: the draft at half the size and the latent upsampler run here;
        returned is the refine call at the full size (on ``ctx.pipe``, the same components with the
        stage-2 scheduler), from the upsampled video latents and the draft's audio latents. Other
        entries: ``args`` unchanged."""
        if not self.two_stage(ctx.entry):
            return args
        from diffusers import FlowMatchEulerDiscreteScheduler, LTX2LatentUpsamplePipeline
        from diffusers.pipelines.ltx2.utils import STAGE_2_DISTILLED_SIGMA_VALUES

        pipe, monitor = ctx.pipe, ctx.monitor
        w, h = self.draft_size(ctx)
        frames = args["num_frames"]
        draft_steps = args["num_inference_steps"]
        refine_sigmas = [float(x) for x in STAGE_2_DISTILLED_SIGMA_VALUES]
        monitor.grand_total = draft_steps + len(refine_sigmas)
        monitor.start(f"draft at {w}x{h}", 0)
        monitor.unpack = lambda latents: self.latents_5d(pipe, latents, frames=frames, height=h, width=w)
        draft = pipe(**{**args, "width": w, "height": h, "output_type": "latent"})
        monitor.raise_if_canceled()
        if monitor.progress is not None:
            monitor.progress(draft_steps, monitor.grand_total, f"upsampling the draft's latents to {ctx.width}x"
                                                               f"{ctx.height}")
        upsampler = ctx.model_info["latent_upsampler"].to(draft.frames.device)
        upsample = LTX2LatentUpsamplePipeline(vae=pipe.vae, latent_upsampler=upsampler)
        upsample.set_progress_bar_config(disable=True)
        latents = upsample(latents=draft.frames, output_type="latent", generator=ctx.generator(1)).frames
        monitor.raise_if_canceled()
        monitor.start(f"refine at {ctx.width}x{ctx.height}", draft_steps)
        monitor.total_steps = len(refine_sigmas)
        # The stage-2 sigmas as they are: no dynamic (token count) or terminal shift. The warm
        # pipeline keeps its own scheduler; this job refines on the same components.
        stage2 = FlowMatchEulerDiscreteScheduler.from_config(pipe.scheduler.config, use_dynamic_shifting=False,
                                                             shift_terminal=None)
        ctx.pipe = type(pipe)(**{**pipe.components, "scheduler": stage2})
        ctx.pipe.set_progress_bar_config(disable=True)
        refine = {**args, **NO_GUIDANCE, "latents": latents, "audio_latents": draft.audio,
                  "sigmas": refine_sigmas, "num_inference_steps": len(refine_sigmas),
                  "noise_scale": refine_sigmas[0], "generator": ctx.generator(2)}
        ctx.notes.append(f"two stages: a draft at {w}x{h}, its latents doubled by the latent upsampler, "
                         f"refined in {len(refine_sigmas)} steps at {ctx.width}x{ctx.height} with the draft's sound")
        return refine

    def extend(self, ctx, known: list[np.ndarray], new: int, direction: str) -> dict[str, Any]:
        total = len(known) + new
        return self._conditions(ctx, total, [(0 if direction == "forward" else new, known)])

    def bridge(self, ctx, a: list[np.ndarray], b: list[np.ndarray], new: int) -> dict[str, Any]:
        total = len(a) + new + len(b)
        return self._conditions(ctx, total, [(0, a), (total - len(b), b)])

    def long_take_window(self, ctx, *, prompt: str, num_frames: int, head, image) -> dict[str, Any]:
        """A window of a long take: its first frames are the previous window's last ones (or the
        take's first image); latents out, with the window's sound (decoded in ``call_pipeline``)."""
        placed = [(0, list(head))] if head else [(0, [image])] if image is not None else []
        return self._conditions(ctx, num_frames, placed, prompt=prompt, output_type="latent")

    def decode(self, ctx, latents) -> np.ndarray:
        """Video latents as the pipelines return them with ``output_type="latent"`` (denormalised)
        → frames, decoded as the pipelines decode (the LTX-2 VAEs are not timestep-conditioned)."""
        import torch

        from engine.gen.families.base import postprocess

        pipe, vae = ctx.pipe, ctx.pipe.vae
        latents = latents.to(ctx.execution_device, vae.dtype)
        timestep = None
        if vae.config.timestep_conditioning:
            timestep = torch.tensor([0.0], device=latents.device, dtype=latents.dtype)
        with torch.no_grad():
            video = vae.decode(latents, timestep, return_dict=False)[0]
        return postprocess(pipe, video)

    def decode_sound(self, ctx, audio_latents) -> tuple[np.ndarray, int]:
        """Audio latents as returned with ``output_type="latent"`` (denormalised, unpacked) → the
        waveform, as the pipelines make it: the audio VAE's mel spectrogram through the vocoder."""
        import torch

        pipe = ctx.pipe
        with torch.no_grad():
            mel = pipe.audio_vae.decode(audio_latents.to(ctx.execution_device, pipe.audio_vae.dtype),
                                        return_dict=False)[0]
            audio = pipe.vocoder(mel.to(pipe.vocoder.dtype))
        return self.sound(pipe, audio)

    # -- sound -----------------------------------------------------------------------------------

    def sound(self, pipe, audio) -> tuple[np.ndarray, int]:
        """The first video's waveform as float32 (channels, samples) and its sample rate."""
        wave = audio[0].float().cpu().numpy() if hasattr(audio, "cpu") else np.asarray(audio[0], np.float32)
        return np.ascontiguousarray(np.clip(wave, -1.0, 1.0), dtype=np.float32), int(
            pipe.vocoder.config.output_sampling_rate)

    # -- latents ---------------------------------------------------------------------------------

    def latents_5d(self, pipe, latents, *, frames: int, height: int, width: int):
        if latents.ndim != 3:
            return latents
        s, t = pipe.vae_spatial_compression_ratio, pipe.vae_temporal_compression_ratio
        p, pt = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        f, h, w = (frames - 1) // t + 1, height // s, width // s
        tokens = latents[:, :(f // pt) * (h // p) * (w // p)]  # keyframe conditions come after
        return pipe._unpack_latents(tokens, f, h, w, p, pt)

    # -- tiny build ------------------------------------------------------------------------------

    def build_tiny(self, entry, dst: Path) -> None:
        from diffusers import FlowMatchEulerDiscreteScheduler, LTX2Pipeline

        c = entry.components
        # The LTX-2 repos' scheduler: exponential time shift on the token count, with a terminal shift.
        scheduler = FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=True, base_image_seq_len=1024,
                                                    max_image_seq_len=4096, base_shift=0.95, max_shift=2.05,
                                                    shift_terminal=0.1, time_shift_type="exponential")
        tokenizer = tiny_tokenizer(TINY_MAX_SEQUENCE_LENGTH)
        LTX2Pipeline(scheduler=scheduler, vae=build(c["vae"]), audio_vae=build(c["audio_vae"]),
                     text_encoder=build(c["text_encoder"]), tokenizer=tokenizer, connectors=build(c["connectors"]),
                     transformer=build(c["transformer"]), vocoder=build(c["vocoder"])
                     ).save_pretrained(dst, safe_serialization=True)
        if self.two_stage(entry):  # where the repo's latent_upsampler subfolder would be
            build(c["latent_upsampler"], seed=2).save_pretrained(self.upsampler_folder(entry, dst),
                                                                 safe_serialization=True)
