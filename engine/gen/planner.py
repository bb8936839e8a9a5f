"""Peak-memory planner: "will this request fit on this device at this size and length?".

Torch-free arithmetic from the catalog: each component's parameter count (checked against the
real classes on the meta device by the tests), the denoiser's width and patching (the family
reads them from its config), the VAE's compression. It counts, per tier, the weights resident at
once, one denoise step's working set (tokens x width x a per-block factor, doubled when the family
batches classifier-free guidance) and the VAE decode's working set (bounded by the tile and the
frame chunk when tiling is on), on the accelerator, and what stays in system memory. The figures
are checked against measured peaks by ``tests/bench/bench_gen_planner.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.gen.catalog import TIERS, ModelEntry, Tier
from engine.gen.families import family_of

GIB = 1024**3
BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
RUNTIME_BYTES = 600 * 1024**2  # interpreter, torch, kernels' workspace: resident whatever the model


@dataclass(frozen=True)
class MemoryPlan:
    tier: Tier
    dtype: str
    weights_bytes: int  # on the accelerator at once (CPU: in system memory)
    activation_bytes: int  # one denoise step
    vae_bytes: int  # the decode's working set
    text_bytes: int  # the text encoder's working set
    peak_bytes: int  # on the accelerator (CPU: system memory)
    ram_bytes: int  # system memory
    tokens: int

    @property
    def peak_gib(self) -> float:
        return self.peak_bytes / GIB

    @property
    def ram_gib(self) -> float:
        return self.ram_bytes / GIB


def latent_tokens(entry: ModelEntry, width: int, height: int, frames: int) -> int:
    """Tokens of one denoise step: latent frames x latent rows x latent columns, patched."""
    s, t = entry.vae.spatial, entry.vae.temporal
    pt, ph, pw = family_of(entry).patch(entry)
    lat_f = (frames - 1) // t + 1 if t > 1 else frames
    return max(1, lat_f // pt) * max(1, (height // s) // ph) * max(1, (width // s) // pw)


def _weights(entry: ModelEntry, names, b: int) -> int:
    return sum(c.params * b for n, c in entry.components.items() if n in names)


def predict_peak(entry: ModelEntry, *, width: int, height: int, frames: int, tier: Tier,
                 dtype: str = "bfloat16", guidance: float | None = None, vae_tiling: bool | None = None,
                 device: str = "cuda", include_text_encoder: bool = True) -> MemoryPlan:
    """``frames``: what one denoise call works on (a long take's window, not the take)."""
    family = family_of(entry)
    b = BYTES[dtype]
    g = entry.defaults.guidance if guidance is None else guidance
    batch = 2 if (g > 1.0 and family.cfg_batch) else 1
    tokens = latent_tokens(entry, width, height, frames)
    act = family.step_bytes(entry, tokens, batch, b)
    # Latents, noise prediction and scheduler state for the whole call (float32).
    lat_px = tokens * entry.vae.latent_channels * max(1, family.patch(entry)[1] * family.patch(entry)[2])
    act += 4 * lat_px * 4 * batch
    tiling = tier != "gpu" if vae_tiling is None else vae_tiling
    vae_act = family.decode_bytes(entry, width, height, frames, b, tiled=tiling)
    text_names = [n for n in entry.components if n.startswith(("text_encoder", "image_encoder"))]
    text_w = _weights(entry, text_names, b) if include_text_encoder else 0
    text_act = family.text_bytes(entry, b) if include_text_encoder else 0
    denoiser = "transformer" if "transformer" in entry.components else "unet"
    den_w = entry.components[denoiser].params * b
    # Two experts (Wan 2.2 A14B): both stay loaded; the offload tiers hold one at a time.
    expert_params = entry.components["transformer_2"].params if "transformer_2" in entry.components else 0
    vae_w = _weights(entry, ("vae", *family.decode_components), b)
    all_w = den_w + expert_params * b + vae_w + text_w
    if tier == "gpu" or device == "cpu":
        store = (den_w + expert_params * b if tier != "group_offload"
                 else entry.components[denoiser].params + expert_params)  # fp8 storage
        weights = store + vae_w + text_w
        peak = weights + max(act, vae_act, text_act)
        ram = peak + RUNTIME_BYTES if device == "cpu" else RUNTIME_BYTES + all_w // 8  # loading staging
        if device == "cpu":
            peak = ram
    elif tier == "offload":
        weights = max(den_w, vae_w, text_w)
        peak = max(text_w + text_act, den_w + act, vae_w + vae_act)
        ram = all_w + RUNTIME_BYTES
    else:
        # fp8 storage (1 byte/param) streamed leaf by leaf: a couple of layers resident at once.
        layers = family.layers(entry)
        weights = 2 * den_w // max(1, layers)
        peak = max(weights + act, vae_w // 4 + vae_act, text_w // max(1, 24) + text_act)
        ram = entry.components[denoiser].params + expert_params + vae_w + text_w + RUNTIME_BYTES
    return MemoryPlan(tier=tier, dtype=dtype, weights_bytes=int(weights), activation_bytes=int(act),
                      vae_bytes=int(vae_act), text_bytes=int(text_act), peak_bytes=int(peak), ram_bytes=int(ram),
                      tokens=tokens)


def choose_tier(entry: ModelEntry, *, width: int, height: int, frames: int, free_bytes: int | None,
                dtype: str = "bfloat16", guidance: float | None = None) -> Tier:
    """The fastest tier whose predicted peak fits in the free memory (the last tier otherwise)."""
    if free_bytes is None:
        return "gpu"
    for tier in TIERS:
        if predict_peak(entry, width=width, height=height, frames=frames, tier=tier, dtype=dtype,
                        guidance=guidance).peak_bytes <= free_bytes * 0.92:
            return tier
    return TIERS[-1]


def default_peaks(entry: ModelEntry) -> dict[str, int]:
    """Predicted accelerator peak per tier at the model's default size and length (bf16), in bytes."""
    d = entry.defaults
    w, h = entry.snap_size(d.width, d.height)
    frames = family_of(entry).plan_frames(entry, entry.frame_rule.snap(d.frames))
    return {t: predict_peak(entry, width=w, height=h, frames=frames, tier=t).peak_bytes for t in TIERS}


def default_vram_gib(entry: ModelEntry) -> dict[str, float]:
    """``default_peaks`` in GiB, one decimal."""
    return {t: round(b / GIB, 1) for t, b in default_peaks(entry).items()}
