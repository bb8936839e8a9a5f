"""micro-ltx's components: configurations of the real diffusers/transformers classes, and the
word-level tokenizer over the shapes world's caption vocabulary (built offline).

The sizes were chosen by measurement so the whole training fits in well under an hour of two CPU
cores (see ``train``); the structure is LTX-Video's: a causal video VAE compressing 8x in time and
space, a transformer with rotary positions over (time, height, width) latent tokens and per-token
timesteps, cross-attention to T5 features of the caption.
"""

from __future__ import annotations

from engine.gen.micro import world

SIZE = 64  # pixels; generation at other multiples of 32 works but was never trained
FPS = 24
LATENT_CHANNELS = 32
SPATIAL = 8
TEMPORAL = 8
MAX_TOKENS = 32  # caption tokens; the longest caption (two shapes) is 19

# LTX-Video 0.9.5's VAE layout (residual space-to-depth downsamplers, residual upsamplers that
# halve channels), narrow, and without resnet blocks: with one RMS-normed resnet per level the
# autoencoder sat at the clip's mean colour (16 dB) for hundreds of steps even on one batch, where
# the lean layout reached 22 dB in 90 steps (measured on this machine; the plain 0.9.0 layout
# trains slower still).
# Its limit (measured 2026-12-02): without resnets the only nonlinearity is the SiLU after each
# side's last RMS norm (downsamplers and upsamplers are convolutions and pixel shuffles), so it is
# nearly a linear 8x8x8-patch autoencoder: 17.5 dB after 1000 steps, 19.6 dB after 2000, shapes
# blurred and recoloured. The resnets' stall has a cause: their branches add unit-RMS (normed)
# features to a stream that PyTorch's default init shrinks to a few hundredths; with
# variance-preserving init (std 1/sqrt(fan_in)) and zero-initialised second convolutions they train
# (16.0 dB at 150 steps, as the lean layout). Whether they then beat it is the next thing to measure.
VAE_CONFIG = dict(
    in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS,
    down_block_types=("LTXVideo095DownBlock3D",) * 4, block_out_channels=(8, 32, 64, 64),
    downsample_type=("spatiotemporal", "spatiotemporal", "spatiotemporal", "conv"),
    spatio_temporal_scaling=(True, True, True, False), layers_per_block=(0, 0, 0, 0),
    decoder_block_out_channels=(16, 32, 64), decoder_layers_per_block=(0, 0, 0, 0),
    decoder_spatio_temporal_scaling=(True, True, True), decoder_inject_noise=(False, False, False, False),
    upsample_residual=(True, True, True), upsample_factor=(2, 2, 2), timestep_conditioning=False,
    patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False, scaling_factor=1.0,
)
TRANSFORMER_CONFIG = dict(
    in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS, patch_size=1, patch_size_t=1,
    num_attention_heads=4, attention_head_dim=32, cross_attention_dim=128, num_layers=4,
    caption_channels=64, qk_norm="rms_norm_across_heads",
)
T5_CONFIG = dict(d_model=64, d_kv=16, d_ff=128, num_layers=2, num_heads=4, relative_attention_num_buckets=8,
                 dropout_rate=0.0, decoder_start_token_id=0)
# No dynamic shifting: LTXConditionPipeline passes explicit timesteps without ``mu``.
SCHEDULER_CONFIG = dict(num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=False)

SPECIAL = ("<pad>", "</s>", "<unk>")


def vocabulary() -> dict[str, int]:
    vocab = {token: i for i, token in enumerate(SPECIAL)}
    for word in world.CAPTION_WORDS:
        vocab.setdefault(word, len(vocab))
    return vocab


def tokenizer():
    """A T5-style fast tokenizer (lower-cased words, ``</s>`` appended, ``<pad>`` = 0) over the
    caption vocabulary; any other word becomes ``<unk>``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(vocab=vocabulary(), unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                                   model_max_length=128)


def build(seed: int = 0):
    """Fresh (untrained) components, initialised from ``seed``: a dict for the LTX pipelines."""
    import torch
    from diffusers import AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXVideoTransformer3DModel
    from transformers import T5Config, T5EncoderModel

    tok = tokenizer()
    torch.manual_seed(seed)
    vae = AutoencoderKLLTXVideo(**VAE_CONFIG)
    torch.manual_seed(seed + 1)
    transformer = LTXVideoTransformer3DModel(**TRANSFORMER_CONFIG)
    torch.manual_seed(seed + 2)
    text_encoder = T5EncoderModel(T5Config(vocab_size=len(tok), **T5_CONFIG))
    return {"vae": vae, "transformer": transformer, "text_encoder": text_encoder, "tokenizer": tok,
            "scheduler": FlowMatchEulerDiscreteScheduler(**SCHEDULER_CONFIG)}


def save(components: dict, folder) -> None:
    """Write the components as an ``LTXPipeline`` folder (safetensors only)."""
    from diffusers import LTXPipeline

    pipe = LTXPipeline(**components)
    pipe.save_pretrained(folder, safe_serialization=True)
