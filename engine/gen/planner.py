"""Peak-memory planner: "will this request fit on this device at this size and length?".

Torch-free arithmetic from the catalog's transformer/VAE config. It counts weights per tier
(what is resident at once), the transformer's activation working set for one denoise step
(tokens x width x a per-block factor, x2 with classifier-free guidance) and the VAE decode
working set (bounded by the tile when tiling is on). Bench scripts print it beside measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.gen.catalog import TIERS, ModelEntry, Tier

GIB = 1024**3
_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}


@dataclass(frozen=True)
class MemoryPlan:
    tier: Tier
    dtype: str
    weights_bytes: int
    activation_bytes: int
    vae_bytes: int
    peak_bytes: int
    tokens: int

    @property
    def peak_gib(self) -> float:
        return self.peak_bytes / GIB


def transformer_params(entry: ModelEntry) -> int:
    """Parameter count from the transformer config (attention, cross-attention, feed-forward, io)."""
    cfg = entry.transformer_config
    if not cfg:
        return int(entry.vram_gb["gpu"] * GIB / 2 * 0.6)
    heads, head_dim = cfg["num_attention_heads"], cfg["attention_head_dim"]
    d = heads * head_dim
    layers = cfg["num_layers"] + cfg.get("num_single_layers", 0)
    ffn = cfg.get("ffn_dim", 4 * d)
    cross = cfg.get("cross_attention_dim", d)
    per_layer = 4 * d * d + 2 * d * d + 2 * d * cross + 2 * d * ffn + 6 * d
    io = d * cfg.get("in_channels", 16) * 4 + d * cfg.get("caption_channels", cfg.get("text_dim", d)) + 2 * d * d
    return per_layer * layers + io


def latent_tokens(entry: ModelEntry, width: int, height: int, frames: int) -> int:
    s, t = entry.vae.get("spatial", 8), entry.vae.get("temporal", 4)
    patch = entry.transformer_config.get("patch_size", 1)
    pt, ph, pw = (patch if isinstance(patch, list) else [entry.transformer_config.get("patch_size_t", 1),
                                                          patch, patch])
    lat_f = (frames - 1) // t + 1
    return max(1, lat_f // pt) * max(1, (height // s) // ph) * max(1, (width // s) // pw)


def predict_peak(entry: ModelEntry, *, width: int, height: int, frames: int, tier: Tier,
                 dtype: str = "bfloat16", guidance: float | None = None, vae_tiling: bool | None = None,
                 include_text_encoder: bool = True) -> MemoryPlan:
    b = _BYTES[dtype]
    cfg = entry.transformer_config
    d = cfg.get("num_attention_heads", 16) * cfg.get("attention_head_dim", 64) if cfg else 2048
    ffn = cfg.get("ffn_dim", 4 * d) if cfg else 4 * d
    params = transformer_params(entry)
    tokens = latent_tokens(entry, width, height, frames)
    g = entry.defaults.guidance if guidance is None else guidance
    batch = 2 if g > 1.0 else 1
    # One block's working set: hidden + norm + qkv (3d) + attention out + ffn hidden (ffn) + residuals.
    act = batch * tokens * (8 * d + 2 * ffn) * b
    # Latents, noise prediction and scheduler state for the whole clip (float32).
    act += 4 * tokens * entry.vae.get("latent_channels", 16) * 4 * max(1, batch)
    te = int(entry.text_encoder_gb * GIB) if include_text_encoder else 0
    vae_w = 2 * 250_000_000 * b // 2 if entry.vae.get("latent_channels", 16) >= 64 else 130_000_000 * b
    tiling = tier != "gpu" if vae_tiling is None else vae_tiling
    pixels = width * height * frames
    if tiling:
        pixels = min(pixels, 512 * 512 * min(frames, 33))
    # Decoder's widest stage runs at full resolution with ~128 channels, plus the fp32 output.
    vae_act = pixels * 128 * b * 2 + width * height * frames * 3 * 4
    weights_t = params * b
    if tier == "gpu":
        weights = te + weights_t + vae_w
        peak = weights + max(act, vae_act)
    elif tier == "offload":
        weights = weights_t + vae_w
        peak = max(te, weights_t + act, vae_w + vae_act)
    else:
        # fp8 storage (1 byte/param) streamed leaf by leaf; about two leaves' worth resident.
        layers = cfg.get("num_layers", 28) + cfg.get("num_single_layers", 0) if cfg else 28
        weights = 2 * params // max(1, layers)
        peak = max(weights + act, vae_w + vae_act, te // max(1, 24))
    return MemoryPlan(tier=tier, dtype=dtype, weights_bytes=int(weights), activation_bytes=int(act),
                      vae_bytes=int(vae_act), peak_bytes=int(peak), tokens=tokens)


def choose_tier(entry: ModelEntry, *, width: int, height: int, frames: int, free_bytes: int | None,
                dtype: str = "bfloat16") -> Tier:
    """The fastest tier whose predicted peak fits in the free memory (the last tier otherwise)."""
    if free_bytes is None:
        return "gpu"
    for tier in TIERS:
        if predict_peak(entry, width=width, height=height, frames=frames, tier=tier,
                        dtype=dtype).peak_bytes <= free_bytes * 0.92:
            return tier
    return TIERS[-1]
