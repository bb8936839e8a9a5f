"""Tiny test models: the real diffusers pipeline classes with random weights, built offline.

They exist so every generation task can run end to end on a CPU in seconds (tests, demos,
scripts). Their output is noise; the catalog marks them as test models. They are built once
into ``user_cache_dir()/models/<id>`` (a temp folder renamed into place) and saved as safetensors.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from engine import paths

TINY_IDS = ("tiny-ltx", "tiny-wan")
MARKER = "shotloom_test_model.json"
# Bump when the tiny configs change so stale builds are rebuilt.
TINY_VERSION = 2

_WORDS = ["a", "the", "of", "and", "in", "on", "with", "to", "at", "by", "from", "for", "is", "are", "video", "shot", "camera", "light", "dark", "red", "green", "blue", "cat", "dog", "man", "woman", "city", "sea", "sky", "forest", "night", "day", "walks", "runs", "flies", "slowly", "fast", "close", "wide", "pan", "zoom", "sunset", "rain", "snow", "fire", "water", "mountain", "street", "car", "bird", "tree", "house", "猫", "狗", "城市"]


def tiny_model_dir(model_id: str) -> Path:
    return paths.user_cache_dir() / "models" / model_id


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in _WORDS:
        vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=64
    ), len(vocab)


def _t5(vocab_size: int, umt5: bool):
    import torch

    torch.manual_seed(0)
    if umt5:
        from transformers import UMT5Config, UMT5EncoderModel

        cfg = UMT5Config(vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                         relative_attention_num_buckets=8, decoder_start_token_id=0)
        return UMT5EncoderModel(cfg)
    from transformers import T5Config, T5EncoderModel

    cfg = T5Config(vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                   relative_attention_num_buckets=8, decoder_start_token_id=0)
    return T5EncoderModel(cfg)


def _build_ltx(dst: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    tokenizer, vocab = _tokenizer()
    text_encoder = _t5(vocab, umt5=False)
    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
        attention_head_dim=8, cross_attention_dim=32, num_layers=2, caption_channels=32,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False), upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1), timestep_conditioning=False, patch_size=1, patch_size_t=1,
        encoder_causal=True, decoder_causal=False,
    )
    scheduler = FlowMatchEulerDiscreteScheduler()
    pipe = LTXPipeline(scheduler=scheduler, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
                       transformer=transformer)
    pipe.save_pretrained(dst, safe_serialization=True)


def _build_wan(dst: Path) -> None:
    import torch
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
        WanVACETransformer3DModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    tokenizer, vocab = _tokenizer()
    text_encoder = _t5(vocab, umt5=True)
    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    common = {"patch_size": (1, 2, 2), "num_attention_heads": 2, "attention_head_dim": 12, "out_channels": 16,
                  "text_dim": 32, "freq_dim": 256, "ffn_dim": 32, "cross_attn_norm": True,
                  "qk_norm": "rms_norm_across_heads", "rope_max_seq_len": 32}
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(in_channels=16, num_layers=2, **common)
    torch.manual_seed(0)
    # pos_embed_seq_len = 2 x CLIP tokens: the first+last-frame (FLF2V) layout, as in Wan2.1-FLF2V.
    transformer_i2v = WanTransformer3DModel(in_channels=36, num_layers=2, image_dim=4,
                                            pos_embed_seq_len=2 * (8 * 8 + 1), **common)
    torch.manual_seed(0)
    transformer_vace = WanVACETransformer3DModel(in_channels=16, num_layers=3, vace_layers=[0, 2],
                                                 vace_in_channels=96, **common)
    torch.manual_seed(0)
    image_encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2, image_size=8,
        intermediate_size=16, patch_size=1))
    image_processor = CLIPImageProcessor(crop_size=8, size=8)
    scheduler = FlowMatchEulerDiscreteScheduler(shift=7.0)
    pipe = WanPipeline(tokenizer=tokenizer, text_encoder=text_encoder, transformer=transformer, vae=vae,
                       scheduler=scheduler)
    pipe.save_pretrained(dst, safe_serialization=True)
    transformer_i2v.save_pretrained(dst / "transformer_i2v", safe_serialization=True)
    transformer_vace.save_pretrained(dst / "transformer_vace", safe_serialization=True)
    image_encoder.save_pretrained(dst / "image_encoder", safe_serialization=True)
    image_processor.save_pretrained(dst / "image_processor")


_BUILDERS = {"tiny-ltx": _build_ltx, "tiny-wan": _build_wan}


def ensure_tiny_model(model_id: str) -> Path:
    """Return the folder of a tiny test model, building it on first use (atomic: temp then rename)."""
    dst = tiny_model_dir(model_id)
    marker = dst / MARKER
    if marker.is_file():
        try:
            if json.loads(marker.read_text()).get("version") == TINY_VERSION:
                return dst
        except (OSError, ValueError):
            pass
    dst.parent.mkdir(parents=True, exist_ok=True)
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    tmp = Path(tempfile.mkdtemp(prefix=f".{model_id}-", dir=dst.parent))
    try:
        _BUILDERS[model_id](tmp)
        (tmp / MARKER).write_text(json.dumps({
            "id": model_id, "version": TINY_VERSION, "test_model": True,
            "note": "random weights built offline by Shotloom; output is noise",
        }, indent=2))
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(tmp, dst)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dst
