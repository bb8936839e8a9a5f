"""Device, dtype and memory tiers.

Tiers, fastest first: ``gpu`` (everything resident on the device), ``offload`` (model CPU offload,
one model on the accelerator at a time, + VAE tiling), ``group_offload`` (leaf-level group offload
with CUDA streams + fp8 layerwise weight storage + VAE tiling). On a CPU there is no accelerator to
offload to, so the tiers apply what still saves memory there (VAE tiling, fp8 storage) and the
recipe records exactly what was applied.
"""

from __future__ import annotations

import functools
from pathlib import Path

from engine.gen.catalog import TIERS, Tier


@functools.lru_cache(maxsize=1)
def cpu_has_fast_bf16() -> bool:
    """AMX or AVX512-BF16: bfloat16 matmuls run natively (else bf16 on CPU is slower than fp32)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return False
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    return bool({"amx_bf16", "avx512_bf16"} & flags)


def pick_device(requested: str = "auto") -> str:
    import torch

    if requested == "cuda" or (requested == "auto" and torch.cuda.is_available()):
        return "cuda"
    return "cpu"


def pick_dtype(device: str, requested: str = "auto") -> str:
    if requested != "auto":
        return requested
    if device == "cuda":
        return "bfloat16"
    return "bfloat16" if cpu_has_fast_bf16() else "float32"


def free_memory_bytes(device: str) -> int | None:
    """Free accelerator memory; None on CPU (the planner then picks the ``gpu`` tier)."""
    import torch

    if device == "cuda":
        free, _total = torch.cuda.mem_get_info()
        return int(free)
    return None


def next_tier(tier: Tier) -> Tier | None:
    i = TIERS.index(tier)
    return TIERS[i + 1] if i + 1 < len(TIERS) else None


def apply_tier(pipe, tier: Tier, device: str, dtype: str) -> list[str]:
    """Configure a freshly loaded pipeline for a tier; returns what was applied (for the recipe)."""
    import torch

    applied: list[str] = []
    vae = getattr(pipe, "vae", None)
    if tier == "gpu":
        pipe.to(device)
        applied.append(f"all on {device}")
        return applied
    if vae is not None and hasattr(vae, "enable_tiling"):
        vae.enable_tiling()
        applied.append("vae tiling")
    denoisers = [m for m in (getattr(pipe, "transformer", None), getattr(pipe, "transformer_2", None),
                             getattr(pipe, "unet", None)) if m is not None]
    if tier == "offload":
        if device == "cuda":
            pipe.enable_model_cpu_offload(device=device)
            applied.append("model cpu offload")
        else:
            pipe.to(device)
            applied.append("model offload skipped (no accelerator)")
        return applied
    # group_offload
    compute = getattr(torch, dtype)
    for model in denoisers:
        model.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=compute)
    applied.append("fp8 layerwise storage")
    if device == "cuda":
        # Every model component (denoiser, text/image encoders, VAE) streams its leaves to the GPU
        # ahead of use on a side CUDA stream; the CPU keeps the (fp8) master copies.
        pipe.enable_group_offload(onload_device=torch.device(device), offload_device=torch.device("cpu"),
                                  offload_type="leaf_level", use_stream=True)
        applied.append("group offload (leaf, streams)")
    else:
        pipe.to(device)
        applied.append("group offload skipped (no accelerator)")
    return applied


def apply_speed(pipe, *, draft: bool, attention_backend: str | None, device: str,
                compile_blocks: bool = False) -> list[str]:
    """Draft (first-block cache) and attention backend; compile_repeated_blocks on CUDA."""
    applied: list[str] = []
    transformer = getattr(pipe, "transformer", None)
    if transformer is None:
        return applied
    current = getattr(transformer, "_shotloom_backend", None)
    if attention_backend and attention_backend != current:
        transformer.set_attention_backend(attention_backend)
        transformer._shotloom_backend = attention_backend
    elif not attention_backend and current:
        transformer.set_attention_backend("native")
        transformer._shotloom_backend = None
    if attention_backend:
        applied.append(f"attention {attention_backend}")
    if compile_blocks:
        if device == "cuda":
            if not getattr(transformer, "_shotloom_compiled", False):
                transformer.compile_repeated_blocks(fullgraph=True)
                transformer._shotloom_compiled = True
            applied.append("compiled repeated blocks")
        else:
            applied.append("compile skipped (CPU)")
    if draft and hasattr(transformer, "enable_cache"):
        from diffusers import FirstBlockCacheConfig

        if not getattr(transformer, "_shotloom_cache", False):
            transformer.enable_cache(FirstBlockCacheConfig(threshold=0.2))
            transformer._shotloom_cache = True
        applied.append("first block cache 0.2")
    elif getattr(transformer, "_shotloom_cache", False):
        transformer.disable_cache()
        transformer._shotloom_cache = False
    return applied


# ---- can this machine run a model at all? -------------------------------------------------------------

GB = 1e9


@functools.lru_cache(maxsize=1)
def gpu_info() -> tuple[str, int] | None:
    """(name, total memory in bytes) of the largest NVIDIA GPU, from nvidia-smi (no torch import);
    None without one."""
    import shutil
    import subprocess

    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10)
        gpus = [(name.strip(), int(float(mib)) * 1024 * 1024)
                for name, mib in (line.rsplit(",", 1) for line in out.stdout.splitlines() if "," in line)]
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    return max(gpus, key=lambda g: g[1]) if out.returncode == 0 and gpus else None


def gpu_memory_bytes() -> int | None:
    info = gpu_info()
    return info[1] if info is not None else None


def ram_bytes() -> int:
    import psutil

    return int(psutil.virtual_memory().total)


def needs_gb(entry) -> float:
    """Memory a model needs on this machine at its most frugal tier: GPU memory with an NVIDIA GPU
    (group offload), otherwise system memory (a CPU holds every weight: the `gpu` tier's need)."""
    return entry.vram_gb["group_offload"] if gpu_memory_bytes() is not None else entry.vram_gb["gpu"]


def cannot_run_here(entry) -> str | None:
    """Why `entry` cannot generate on this machine (no PyTorch, too little memory), or None. The
    tiny test models run anywhere PyTorch does."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return ("generation needs PyTorch, which this light install lacks; run bash installer/install.sh "
                "(without --light) to add it")
    if entry.test_model:
        return None
    need = needs_gb(entry)
    gpu = gpu_memory_bytes()
    if gpu is not None:
        have, where = gpu, f"of GPU memory and the GPU here has {gpu / GB:.0f} GB"
    else:
        have = ram_bytes()
        where = f"of memory and this machine has {have / GB:.0f} GB (no NVIDIA GPU: the CPU holds the whole model)"
    if need * GB > have:
        return (f"model '{entry.id}' needs about {need:g} GB {where}; pick a smaller model "
                "(shotloom models list shows what runs here)")
    return None
