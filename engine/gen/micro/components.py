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
# (16.0 dB at 150 steps, as the lean layout), but slowly on a busy machine: resnets at the coarse
# levels of both sides made 14.2 dB after 250 steps at about 0.9 s a step, too slow for a
# from-scratch run here. So the encoder stays lean, and the decoder gets its resnets afterwards.
VAE_CONFIG = dict(
    in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS,
    down_block_types=("LTXVideo095DownBlock3D",) * 4, block_out_channels=(8, 32, 64, 64),
    downsample_type=("spatiotemporal", "spatiotemporal", "spatiotemporal", "conv"),
    spatio_temporal_scaling=(True, True, True, False), layers_per_block=(0, 0, 0, 0),
    decoder_block_out_channels=(16, 32, 64), decoder_layers_per_block=(0, 1, 2, 2),
    decoder_spatio_temporal_scaling=(True, True, True), decoder_inject_noise=(False, False, False, False),
    upsample_residual=(True, True, True), upsample_factor=(2, 2, 2), timestep_conditioning=False,
    patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False, scaling_factor=1.0,
)
# The shipped decoder has resnet blocks at its three coarsest levels (two in the middle block and
# at 1/4 size, one at 1/2; ``decoder_layers_per_block`` lists them finest first). The autoencoder
# stage trains ``VAE_TRAIN_CONFIG``, the same without them; the decoder stage then adds them as
# identities (second convolution zero, the first variance-preserving), so the refined decoder
# starts as exactly the trained one and learns on the frozen encoder's latents (``refine_decoder``).
VAE_TRAIN_CONFIG = {**VAE_CONFIG, "decoder_layers_per_block": (0, 0, 0, 0)}
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
    """Fresh (untrained) components, initialised from ``seed``: a dict for the LTX pipelines (the
    autoencoder in its training layout, ``VAE_TRAIN_CONFIG``)."""
    import torch
    from diffusers import AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXVideoTransformer3DModel
    from transformers import T5Config, T5EncoderModel

    tok = tokenizer()
    torch.manual_seed(seed)
    vae = AutoencoderKLLTXVideo(**VAE_TRAIN_CONFIG)
    torch.manual_seed(seed + 1)
    transformer = LTXVideoTransformer3DModel(**TRANSFORMER_CONFIG)
    torch.manual_seed(seed + 2)
    text_encoder = T5EncoderModel(T5Config(vocab_size=len(tok), **T5_CONFIG))
    return {"vae": vae, "transformer": transformer, "text_encoder": text_encoder, "tokenizer": tok,
            "scheduler": FlowMatchEulerDiscreteScheduler(**SCHEDULER_CONFIG)}


def refine_decoder(vae, seed: int = 0):
    """``vae`` (the training layout) in the shipped layout: the same weights, plus the decoder's
    resnet blocks initialised as identities from ``seed``; it decodes exactly as ``vae`` does."""
    import math

    import torch
    from diffusers import AutoencoderKLLTXVideo
    from diffusers.models.autoencoders.autoencoder_kl_ltx import LTXVideoResnetBlock3d

    torch.manual_seed(seed + 3)
    out = AutoencoderKLLTXVideo(**VAE_CONFIG)
    missing, unexpected = out.load_state_dict(vae.state_dict(), strict=False)
    if unexpected or any(".resnets." not in key for key in missing):
        raise ValueError(f"not the training layout: missing {missing}, unexpected {unexpected}")
    with torch.no_grad():
        for module in out.decoder.modules():
            if isinstance(module, LTXVideoResnetBlock3d):
                conv1, conv2 = module.conv1.conv, module.conv2.conv
                torch.nn.init.normal_(conv1.weight, std=1.0 / math.sqrt(conv1.weight[0].numel()))
                torch.nn.init.zeros_(conv1.bias)
                torch.nn.init.zeros_(conv2.weight)
                torch.nn.init.zeros_(conv2.bias)
    return out


def save(components: dict, folder) -> None:
    """Write the components as an ``LTXPipeline`` folder (safetensors only)."""
    from diffusers import LTXPipeline

    pipe = LTXPipeline(**components)
    pipe.save_pretrained(folder, safe_serialization=True)
