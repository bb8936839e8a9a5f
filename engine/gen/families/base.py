"""What every family module provides, with the defaults most families share.

A family object is stateless; everything about one run comes in through the ``GenContext``
(``engine.gen.tasks.common``). Methods that touch torch or diffusers import them inside, so the
catalog, the planner and the editor can use families without the ML stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from engine.errors import GenerationError

if TYPE_CHECKING:
    from engine.gen.catalog import Component, ModelEntry
    from engine.gen.tasks.common import GenContext

# Tiny test builds: a word-level tokenizer over this vocabulary (no hub, no sentencepiece model).
TINY_VOCAB = 64
_WORDS = ["a", "the", "of", "and", "in", "on", "with", "to", "at", "by", "from", "for", "is", "are", "video", "shot",
          "camera", "light", "dark", "red", "green", "blue", "cat", "dog", "man", "woman", "city", "sea", "sky",
          "forest", "night", "day", "walks", "runs", "flies", "slowly", "fast", "close", "wide", "pan", "zoom",
          "sunset", "rain", "snow", "fire", "water", "mountain", "street", "car", "bird", "tree", "house", "boat",
          "storm", "猫", "狗", "城市"]


class Family:
    """One model family: loading, explicit pipeline calls per task, conditioning, latents, tiny build.

    Subclasses set the class attributes and override the task methods their pipelines support;
    a task the family cannot do raises a clear GenerationError (the catalog should not offer it).
    """

    name: ClassVar[str]
    pipeline_classes: ClassVar[tuple[str, ...]]
    """The diffusers pipeline classes of this family (``models add`` maps a folder's class here)."""
    compile_blocks: ClassVar[tuple[str, ...]] = ()
    """Classes of the denoiser's repeated blocks that torch.compile compiles one by one (empty:
    the family is not compiled)."""
    first_block_cache: ClassVar[bool] = True
    """Drafts may skip blocks with the first-block cache (the pipeline opens a cache context)."""
    block_caches: ClassVar[bool] = True
    """diffusers' first-block cache and MagCache know the denoiser's blocks (its block class is
    registered with their hooks; LTX-2's is not in diffusers 0.42.1). TaylorSeer hooks modules by
    name and works without."""
    long_take_mode: ClassVar[str] = "windows"  # "windows": chained windows; "single": one call
    long_take_needs_image: ClassVar[bool] = True  # "single": the call starts from a first frame
    long_take_chaining: ClassVar[str] = ""  # "single": how the call joins its sections, for the recipe

    def long_take_single(self, entry: ModelEntry) -> bool:
        """Whether ``entry`` makes a long take in one pipeline call (else: chained windows)."""
        return self.long_take_mode == "single"

    def long_take_frames(self, entry: ModelEntry, request: Any, frames: int) -> int:
        """Frames one denoise call of a one-call long take holds (what memory is planned for)."""
        return self.plan_frames(entry, frames)
    auto_dtype: ClassVar[str | None] = None
    """What dtype "auto" means for this family (None: the machine's choice, bfloat16 where fast)."""
    torch_threads: ClassVar[int | None] = None
    """torch's intra-op threads while this family generates (None: torch's default)."""
    adain_factor: ClassVar[float] = 0.25  # long takes: pull of each window's latent statistics to the anchor

    # -- loading -----------------------------------------------------------------------------

    def bundle(self, entry: ModelEntry, task: str) -> str:
        """The subfolder of the model folder whose pipeline runs ``task`` ("." = the folder)."""
        return "."

    def load_options(self, entry: ModelEntry) -> dict[str, Any]:
        """Extra from_pretrained options (a weight variant)."""
        return {"variant": entry.variant} if entry.variant else {}

    def extra_parts(self, entry: ModelEntry, folder: Path) -> dict[str, Path]:
        """Local folders of the extra repos a pipeline needs, by repo id."""
        return {}

    def load_components(self, entry: ModelEntry, folder: Path, pipeline_class: str, dtype: str
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Components to pass to ``from_pretrained`` instead of (or beside) the folder's own, and
        facts learned while loading them (for the recipe and the calls)."""
        return {}, {}

    def download_patterns(self, entry: ModelEntry) -> list[str] | None:
        """Hub file patterns to skip for the base repo (weights that are replaced)."""
        return None

    def extra_patterns(self, repo: str) -> list[str] | None:
        """Hub file patterns to fetch from one of the extra repos (None: configs and safetensors)."""
        return None

    def extra_files(self, entry: ModelEntry, folder: Path) -> dict[str, Path]:
        """Files beyond the model folder that were loaded (hashed into the recipe)."""
        return {}

    def denoiser(self, pipe):
        return getattr(pipe, "transformer", None) or getattr(pipe, "unet", None)

    # -- requests ----------------------------------------------------------------------------

    def plan_frames(self, entry: ModelEntry, frames: int) -> int:
        """Frames one denoise step works on for a take of ``frames`` (what memory is planned for)."""
        return frames

    def call_steps(self, entry: ModelEntry, frames: int, steps: int) -> int:
        """Denoise steps one pipeline call takes for ``frames`` (for progress and its ETA)."""
        return steps

    def context_frames(self, entry: ModelEntry, wanted: int, available: int) -> int:
        """A conditioning length ≤ available that the family's conditioning accepts."""
        return min(wanted, available)

    def default_context(self, entry: ModelEntry, task: str) -> int:
        """Frames a join conditions on: one latent of motion for an extension or a bridge, two for a
        long take's windows (LTX 9 and 17 frames, Wan 5 and 9)."""
        t = entry.vae.temporal
        return (2 * t + 1 if task == "long_take" else t + 1) if t > 1 else 1

    # -- pipeline calls: each returns the complete keyword arguments of one pipeline call -------

    def text_to_video(self, ctx: GenContext, num_frames: int) -> dict[str, Any]:
        raise self._cannot(ctx, "text to video")

    def image_to_video(self, ctx: GenContext, image: np.ndarray, num_frames: int) -> dict[str, Any]:
        raise self._cannot(ctx, "image to video")

    def extend(self, ctx: GenContext, known: list[np.ndarray], new: int, direction: str) -> dict[str, Any]:
        raise self._cannot(ctx, "extend clips")

    def bridge_context(self, entry: ModelEntry) -> int | None:
        """Frames of each side a bridge conditions on when the pipeline fixes it (None: the
        request's or the default)."""
        return None

    def bridge(self, ctx: GenContext, a: list[np.ndarray], b: list[np.ndarray], new: int) -> dict[str, Any]:
        raise self._cannot(ctx, "bridge clips")

    def long_take_window(self, ctx: GenContext, *, prompt: str, num_frames: int,
                         head: list[np.ndarray] | None, image: np.ndarray | None) -> dict[str, Any]:
        """One window of a long take, returning latents: ``head`` are the previous window's last
        frames (the join), ``image`` the first frame of the take (first window only)."""
        raise self._cannot(ctx, "make long takes")

    # -- sound ---------------------------------------------------------------------------------

    def sound(self, pipe, audio) -> tuple[np.ndarray, int] | None:
        """A pipeline output's ``audio`` as the take's sound: float32 (channels, samples) and its
        sample rate (None: the family makes no sound)."""
        return None

    # -- latents -------------------------------------------------------------------------------

    def latents_5d(self, pipe, latents, *, frames: int, height: int, width: int):
        """A step's latents as (batch, channels, frames, height, width), for the live preview."""
        return latents

    def decode(self, ctx: GenContext, latents) -> np.ndarray:
        """(B, C, F, h, w) latents as returned with ``output_type="latent"`` → (F, H, W, 3) uint8."""
        raise self._cannot(ctx, "decode saved latents")

    def decode_sound(self, ctx: GenContext, audio_latents) -> tuple[np.ndarray, int]:
        """A sound family's audio latents (``output_type="latent"``) → (float32 (channels, samples), rate)."""
        raise self._cannot(ctx, "decode saved sound")

    # -- memory figures (torch-free, for the planner) ----------------------------------------------

    text_components: ClassVar[tuple[str, ...]] = ()
    """Components beyond the text encoders that run with them (LTX-2's text connectors)."""
    decode_components: ClassVar[tuple[str, ...]] = ()
    """Components beyond the VAE that run when the take is decoded (LTX's latent upsampler, LTX-2's audio
    VAE and vocoder)."""
    cfg_batch: ClassVar[bool] = True
    """Classifier-free guidance runs as a batch of two (Wan runs the two passes one after the other;
    FramePack is guidance-distilled)."""
    joint_text_tokens: ClassVar[int] = 0  # text tokens that join the video tokens in attention
    vae_tile: ClassVar[int] = 512  # pixels per side of a spatial decode tile
    tiled_decode_frames: ClassVar[int] = 17  # frames decoded at once when decoding is bounded in time
    # The VAE decode's peak, in units of one activation of the decoder's last (widest-resolution)
    # level over the frames it decodes at once (``decode_grid``, ``decode_frames``): the decode's
    # memory is set there, where the resnets run at full size next to the upsampler's wider output.
    decode_live: ClassVar[float] = 8.0
    """Tensors alive at the peak, counted from a trace of the real decoder (norms in float32 count
    twice, conv outputs, residuals, the upsampler's output of twice the width counts twice, causal
    frame caches)."""
    decode_workspace: ClassVar[float] = 2.0
    """What the device adds at that moment, same units: the convolution's input reordered for
    oneDNN on a CPU (cuDNN's workspace on a GPU) and the allocator's slack; measured on the
    real-size decoder (``tests/bench/bench_gen_planner.py --only decodes``)."""
    decode_weight_copies: ClassVar[float] = 4.25
    """Copies of the widest convolution's weights made while it runs (oneDNN reorders bf16 weights
    into its blocked layout on every eager call): a floor under the decode's working set that does
    not shrink with the clip (LTX's 1024-channel mid block: ~230 MiB at any small size)."""

    def patch(self, entry: ModelEntry) -> tuple[int, int, int]:
        cfg = entry.denoiser.config
        p = cfg.get("patch_size", 1)
        if isinstance(p, list):
            return tuple(p)
        return cfg.get("patch_size_t") or 1, p, p

    def widths(self, entry: ModelEntry) -> tuple[int, int]:
        """The denoiser's model width and feed-forward width."""
        cfg = entry.denoiser.config
        d = cfg["num_attention_heads"] * cfg["attention_head_dim"]
        return d, int(cfg.get("ffn_dim") or cfg.get("mlp_ratio", 4) * d)

    def layers(self, entry: ModelEntry) -> int:
        cfg = entry.denoiser.config
        return int(cfg.get("num_layers", 28)) + int(cfg.get("num_single_layers", 0))

    def step_bytes(self, entry: ModelEntry, tokens: int, batch: int, b: int) -> int:
        """One block's working set at the peak of a denoise step: hidden, norm, q/k/v, attention out,
        feed-forward hidden and residuals (memory-efficient attention: linear in tokens)."""
        d, ffn = self.widths(entry)
        return batch * (tokens + self.joint_text_tokens) * (8 * d + 2 * ffn) * b

    def decode_frames(self, entry: ModelEntry, frames: int, tiled: bool) -> int:
        """Frames the VAE decoder holds at once."""
        return min(frames, self.tiled_decode_frames) if tiled else frames

    def decode_grid(self, entry: ModelEntry) -> tuple[int, int]:
        """(channels of the decoder's last level, output pixels per side of one of its positions)."""
        return int(entry.components["vae"].config["block_out_channels"][0]), 1

    def live_units(self, entry: ModelEntry) -> float:
        """``decode_live`` for this entry's decoder (a family whose checkpoints differ in layout
        answers per layout)."""
        return self.decode_live

    def decode_widest_conv(self, entry: ModelEntry) -> int:
        """Values in the decoder's widest convolution's weights (3x3x3 over its widest level)."""
        return max(entry.components["vae"].config["block_out_channels"]) ** 2 * 27

    def decode_unit(self, entry: ModelEntry, width: int, height: int, frames: int, b: int, *, tiled: bool) -> int:
        """Bytes of one activation of the decoder's last level over the frames decoded at once."""
        channels, p = self.decode_grid(entry)
        w, h = (min(width, self.vae_tile), min(height, self.vae_tile)) if tiled else (width, height)
        return max(1, w // p) * max(1, h // p) * self.decode_frames(entry, frames, tiled) * channels * b

    def decode_live_bytes(self, entry: ModelEntry, width: int, height: int, frames: int, b: int, *,
                          tiled: bool) -> int:
        """Tensors alive at the decode's peak (device-independent)."""
        return int(self.live_units(entry) * self.decode_unit(entry, width, height, frames, b, tiled=tiled))

    def decode_bytes(self, entry: ModelEntry, width: int, height: int, frames: int, b: int, *, tiled: bool) -> int:
        """The decode's working set: the live tensors, the device's workspace and the decoded video."""
        unit = self.decode_unit(entry, width, height, frames, b, tiled=tiled)
        # The widest level runs first on a small activation, the last level later on a large one:
        # the peak is whichever is higher.
        working = max((self.live_units(entry) + self.decode_workspace) * unit,
                      self.decode_weight_copies * self.decode_widest_conv(entry) * b)
        return int(working) + width * height * frames * 3 * b

    def text_bytes(self, entry: ModelEntry, b: int) -> int:
        """The text encoder's working set for one prompt (small beside its weights)."""
        enc = entry.components.get("text_encoder")
        if enc is None:
            return 0
        width = enc.config.get("d_model") or enc.config.get("hidden_size", 1024)
        return 2 * 512 * width * 16 * b

    # -- LoRAs -------------------------------------------------------------------------------------

    lora_pipeline: ClassVar[str | None] = None
    """The diffusers pipeline class whose LoRA loader reads this family's LoRA files (its
    ``lora_state_dict`` converts the trainers' formats to diffusers' names); None: no LoRAs."""
    lora_prefix: ClassVar[str] = "transformer"
    """The pipeline component a LoRA's layers attach to (the key prefix after conversion)."""

    def lora_state(self, state: dict) -> dict:
        """A LoRA file's tensors in diffusers' layout for this family (GenerationError when the
        family's loader cannot read them)."""
        from engine.gen.loading import diffusers_class

        if self.lora_pipeline is None:
            raise GenerationError(f"{self.name} models take no LoRAs")
        try:
            return diffusers_class(self.lora_pipeline).lora_state_dict(dict(state))
        except Exception as exc:  # noqa: BLE001 — each trainer format fails its own way in the converters
            raise GenerationError(f"not a {self.name} LoRA ({type(exc).__name__})") from exc

    def load_lora(self, pipe, state: dict, adapter: str) -> None:
        """Load a converted LoRA into the pipeline's denoiser as ``adapter`` (peft)."""
        pipe.load_lora_weights(dict(state), adapter_name=adapter)

    def lora_misfit(self, entry: ModelEntry, state: dict) -> str | None:
        """Why a converted LoRA (``lora_state``) does not fit ``entry``'s denoiser, or None when
        every layer it adapts is a layer of that denoiser with the same input and output widths."""
        shapes = denoiser_shapes(entry.denoiser)
        prefix = self.lora_prefix + "."
        adapted = 0
        for key, tensor in state.items():
            if not key.startswith(prefix):
                return f"it adapts {key.split('.')[0]}, not the {self.lora_prefix}"
            module, _, kind = key[len(prefix):].rpartition(".lora_")
            if not module:  # a bias or full-weight difference: the module itself must exist
                module = key[len(prefix):].rsplit(".", 1)[0]
                if f"{module}.weight" not in shapes and key[len(prefix):] not in shapes:
                    return f"{module} is not a layer of {entry.id}"
                continue
            weight = shapes.get(f"{module}.weight")
            if weight is None:
                return f"{module} is not a layer of {entry.id}"
            if kind == "A.weight" and tuple(tensor.shape[1:]) != tuple(weight[1:]):
                return f"{module} takes {weight[1]} inputs in {entry.id}, the LoRA gives {tensor.shape[1]}"
            if kind == "B.weight" and tensor.shape[0] != weight[0]:
                return f"{module} has {weight[0]} outputs in {entry.id}, the LoRA gives {tensor.shape[0]}"
            adapted += kind == "A.weight"
        return None if adapted else "it adapts no layer"

    # -- tiny builds -----------------------------------------------------------------------------

    def build_tiny(self, entry: ModelEntry, dst: Path) -> None:
        raise NotImplementedError(f"family {self.name} has no tiny build")

    # -- helpers ---------------------------------------------------------------------------------

    def _cannot(self, ctx: GenContext, what: str) -> GenerationError:
        return GenerationError(f"model '{ctx.entry.id}' cannot {what} with {type(ctx.pipe).__name__}")


# ---- helpers the family modules share ---------------------------------------------------------------

def step_callbacks(ctx: GenContext) -> dict[str, Any]:
    """Progress, cancel, preview (and latent pinning) after every denoise step."""
    return {"callback_on_step_end": ctx.monitor, "callback_on_step_end_tensor_inputs": ["latents"]}


def to_pil(frame: np.ndarray):
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(frame))


def frames_to_uint8(frames) -> np.ndarray:
    """A pipeline's np/PIL output of one video → (F, H, W, 3) uint8."""
    if not isinstance(frames, np.ndarray):
        return np.stack([np.asarray(f) for f in frames]).astype(np.uint8)
    return (np.clip(frames, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def postprocess(pipe, video) -> np.ndarray:
    """Decoded (B, 3, F, H, W) in [-1, 1] → (F, H, W, 3) uint8, as the pipeline's own np output."""
    return frames_to_uint8(pipe.video_processor.postprocess_video(video, output_type="np")[0])


def vace_layout(known: list[np.ndarray], new: int, width: int, height: int, *, direction: str):
    """VACE control video + mask: known frames with a black mask, grey placeholders with a white one."""
    from PIL import Image

    grey = Image.new("RGB", (width, height), (127, 127, 127))
    keep = Image.new("L", (width, height), 0)
    make = Image.new("L", (width, height), 255)
    pils = [to_pil(f) for f in known]
    if direction == "forward":
        return pils + [grey] * new, [keep] * len(pils) + [make] * new
    return [grey] * new + pils, [make] * new + [keep] * len(pils)


def component_class(component: Component):
    """The real class of a catalog component."""
    import importlib

    if component.module:
        return getattr(importlib.import_module(f"diffusers.pipelines.{component.module}"), component.cls)
    return getattr(importlib.import_module(component.library), component.cls)


def instantiate(component: Component):
    """A component's real class built from its catalog config (random weights; seeded by the caller)."""
    if component.library == "diffusers":
        return component_class(component)(**component.config)
    import transformers

    config = getattr(transformers, component.config_class)(**component.config)
    return component_class(component)(config)


_SHAPES: dict[str, dict[str, tuple[int, ...]]] = {}


def denoiser_shapes(component: Component) -> dict[str, tuple[int, ...]]:
    """Parameter name → shape of a component's real class at its catalog config, built on the meta
    device (no memory, no weights; remembered per config)."""
    import json

    key = f"{component.cls}|{json.dumps(component.config, sort_keys=True)}"
    if key not in _SHAPES:
        import torch

        with torch.device("meta"):
            model = instantiate(component)
        _SHAPES[key] = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    return _SHAPES[key]


def build(component: Component, seed: int = 0):
    import torch

    torch.manual_seed(seed)
    return instantiate(component).eval()


def tiny_tokenizer(max_length: int = 128):
    """A word-level fast tokenizer (T5-like: pad 0, eos 1, unk 2) built offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in _WORDS:
        vocab.setdefault(word, len(vocab))
    assert len(vocab) <= TINY_VOCAB
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=max_length)

