"""Device, dtype, memory tiers and speed settings.

Tiers, fastest first: ``gpu`` (everything resident on the device), ``offload`` (model CPU offload,
one model on the accelerator at a time, + VAE tiling), ``group_offload`` (leaf-level group offload
with CUDA streams + fp8 layerwise weight storage + VAE tiling). On a CPU there is no accelerator to
offload to, so the tiers apply what still saves memory there (VAE tiling, fp8 storage) and the
recipe records exactly what was applied. VAE tiling means tiles in space *and* time where the
VAE can do both (LTX's tiling is spatial only; its framewise decoding bounds time).
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

from engine.gen.catalog import TIERS, Tier

# First-block cache: the library's default threshold, and only where there are enough steps for
# skipping to pay (a 4-step distilled draft has none to spare).
CACHE_THRESHOLD = 0.05
CACHE_MIN_STEPS = 10
MAG_THRESHOLD = 0.06  # MagCache's own default accumulated error
TAYLOR_INTERVAL = 4  # TaylorSeer: a full step, then predicted ones, every this many steps
TAYLOR_MODULES = (r"(?:single_|temporal_)?(?:transformer_)?blocks\.\d+\.attn\d*",)


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
        import torch

        # Turing and older have no bfloat16 (emulated at a fraction of the speed): half instead.
        return "bfloat16" if torch.cuda.is_bf16_supported(including_emulation=False) else "float16"
    return "bfloat16" if cpu_has_fast_bf16() else "float32"


def free_memory_bytes(device: str) -> int | None:
    """Free accelerator memory; None on CPU (the planner then checks system memory)."""
    import torch

    if device == "cuda":
        free, _total = torch.cuda.mem_get_info()
        return int(free)
    return None


def available_ram_bytes() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def next_tier(tier: Tier) -> Tier | None:
    i = TIERS.index(tier)
    return TIERS[i + 1] if i + 1 < len(TIERS) else None


def bound_vae(pipe, on: bool = True) -> list[str]:
    """Decode in spatial tiles and, where the VAE can (LTX), a few frames at a time: memory bounded
    whatever the size and length, at some speed (on a CPU: 25 % slower at 704x480x25)."""
    vae = getattr(pipe, "vae", None)
    applied = []
    if vae is not None and hasattr(vae, "enable_tiling"):
        try:
            vae.enable_tiling() if on else vae.disable_tiling()
            applied.append("vae tiling")
        except NotImplementedError:  # SVD's temporal decoder: decode_chunk_size bounds it instead
            pass
    if vae is not None and hasattr(vae, "use_framewise_decoding"):
        vae.use_framewise_decoding = on  # LTX: tiling alone does not bound the frames decoded at once
        applied.append("vae framewise decoding")
    return applied if on else []


def _channels_last(module) -> None:
    """Convolution weights in channels-last order, which oneDNN runs fastest on a CPU (LTX's VAE
    decode: 0.70x the time in bf16); activations follow the weights' layout."""
    import torch

    for m in module.modules():
        if isinstance(m, torch.nn.Conv3d):
            m.weight.data = m.weight.data.contiguous(memory_format=torch.channels_last_3d)
        elif isinstance(m, torch.nn.Conv2d):
            m.weight.data = m.weight.data.contiguous(memory_format=torch.channels_last)


def apply_tier(pipe, tier: Tier, device: str, dtype: str) -> list[str]:
    """Configure a freshly loaded pipeline for a tier; returns what was applied (for the recipe).
    Called once per loaded set of modules (hooks must never be applied twice)."""
    import torch

    applied: list[str] = []
    if device == "cpu" and getattr(pipe, "vae", None) is not None:
        _channels_last(pipe.vae)
        applied.append("vae channels-last")
    if tier == "gpu":
        pipe.to(device)
        applied.append(f"all on {device}")
        return applied
    applied += bound_vae(pipe)
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


def cache_kind(cache: str, draft: bool) -> str:
    """The step cache a request asks for ("auto": the first-block cache on drafts)."""
    if cache == "auto":
        return "first_block" if draft else "none"
    return cache


def mag_ratios_path(entry, steps: int) -> Path:
    """Where MagCache's calibration of a model is kept (its magnitude ratios per step; they depend
    on the weights and the scheduler, so on the model's revision and files)."""
    from engine import paths

    key = f"{entry.id}-{entry.revision}".replace("/", "_")
    return paths.user_cache_dir() / "magcache" / f"{key}.json"


def _cache_config(kind: str, entry, steps: int):
    """(diffusers cache config, what the recipe says), or (None, reason) when it does not apply."""
    import json

    import diffusers

    if kind == "first_block":
        return diffusers.FirstBlockCacheConfig(threshold=CACHE_THRESHOLD), f"first block cache {CACHE_THRESHOLD:g}"
    if kind == "taylorseer":
        # The library's default patterns must match a module name whole and end in "attn", which
        # Wan's and LTX's attn1/attn2 never do (no hook, no speed-up): name them.
        config = diffusers.TaylorSeerCacheConfig(cache_interval=TAYLOR_INTERVAL,
                                                 disable_cache_before_step=max(3, steps // 10), max_order=1,
                                                 cache_identifiers=list(TAYLOR_MODULES))
        return config, f"taylorseer cache every {TAYLOR_INTERVAL} steps"
    path = mag_ratios_path(entry, steps)
    try:
        ratios = json.loads(path.read_text())["ratios"]
    except (OSError, ValueError, KeyError):
        ratios = None
    if not ratios:
        config = diffusers.MagCacheConfig(calibrate=True, num_inference_steps=steps)
        return config, "mag cache calibrating (this take is full quality)"
    config = diffusers.MagCacheConfig(threshold=MAG_THRESHOLD, mag_ratios=ratios, num_inference_steps=steps)
    return config, f"mag cache {MAG_THRESHOLD:g} (calibrated)"


def apply_speed(pipe, family, *, draft: bool, steps: int, attention_backend: str | None, device: str,
                compile_blocks: bool = False, compile_backend: str = "inductor", cache: str = "auto",
                entry=None) -> list[str]:
    """Step cache, attention backend and regional compilation; returns what applies."""
    applied: list[str] = []
    denoiser = family.denoiser(pipe)
    if denoiser is None:
        return applied
    current = getattr(denoiser, "_shotloom_backend", None)
    if hasattr(denoiser, "set_attention_backend"):
        if attention_backend and attention_backend != current:
            denoiser.set_attention_backend(attention_backend)
            denoiser._shotloom_backend = attention_backend
        elif not attention_backend and current:
            denoiser.set_attention_backend("native")
            denoiser._shotloom_backend = None
        if attention_backend:
            applied.append(f"attention {attention_backend}")
    kind = cache_kind(cache, draft)
    if kind == "first_block" and (steps < CACHE_MIN_STEPS or not family.first_block_cache):
        kind = "none"  # too few steps to skip any, or a pipeline that opens no cache context
    if kind == "mag" and entry is None:
        kind = "none"  # its calibration is kept per model
    if kind in ("first_block", "mag") and not family.block_caches:
        if cache != "auto":
            applied.append(f"{kind.replace('_', ' ')} cache skipped (diffusers has no hooks for this model's blocks)")
        kind = "none"
    wanted = config = None
    if kind != "none" and hasattr(denoiser, "enable_cache"):
        config, note = _cache_config(kind, entry, steps)
        wanted = (kind, note)
    state = getattr(denoiser, "_shotloom_cache", None)
    if state is not None and state != wanted:  # another cache (or MagCache now calibrated)
        denoiser.disable_cache()
        denoiser._shotloom_cache = state = None
    if wanted is not None:
        if state is None:
            denoiser.enable_cache(config)
            denoiser._shotloom_cache = wanted
        applied.append(wanted[1])
    if compile_blocks:
        if device != "cuda" and compile_backend == "inductor":
            applied.append("compile skipped (CPU)")
        else:
            applied.append(compile_denoiser(denoiser, family.compile_blocks, backend=compile_backend))
    return applied


@contextlib.contextmanager
def mag_calibration(pipe, family, entry, steps: int):
    """Around a generation whose MagCache is calibrating: the library prints the ratios when the run
    ends; they are kept (atomically) for the next runs of this model, and the calibrating cache is
    removed so that the next run skips steps with them. The print never reaches a worker's stdout."""
    import io
    import json
    import re

    denoiser = family.denoiser(pipe)
    state = getattr(denoiser, "_shotloom_cache", None) if denoiser is not None else None
    if not state or "calibrating" not in state[1]:
        yield
        return
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        yield
    found = re.findall(r"\[MagCache\] Calibration Complete.*?\n(\[[^\]]*\])", out.getvalue(), re.S)
    if found:
        from engine.fsutil import write_json_atomic

        ratios = json.loads(found[0])  # the conditional pass's (each guidance pass calibrates alike)
        path = mag_ratios_path(entry, steps)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, {"model": entry.id, "revision": entry.revision, "steps": steps, "ratios": ratios})
    denoiser.disable_cache()
    denoiser._shotloom_cache = None


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


def size_text(n: float, *, binary: bool = False) -> str:
    """A memory or file size as people read it: "25.3 GB", "850 MB", "12 MB" ("GiB"/"MiB" with
    ``binary``); a small model is never "0 GB"."""
    k = 1024 if binary else 1000
    gb, mb = ("GiB", "MiB") if binary else ("GB", "MB")
    if n >= k**3:
        return f"{n / k**3:.1f} {gb}"
    return f"{max(1, round(n / k**2))} {mb}"


def needs_bytes(entry) -> int:
    """Memory a model needs on this machine at its most frugal tier: GPU memory with an NVIDIA GPU
    (group offload), otherwise system memory (a CPU holds every weight: the `gpu` tier's need)."""
    from engine.gen.planner import default_peaks

    return default_peaks(entry)["group_offload" if gpu_memory_bytes() is not None else "gpu"]


def needs_gb(entry) -> float:
    """``needs_bytes`` in GB (10^9 bytes), one decimal."""
    return round(needs_bytes(entry) / GB, 1)


def cannot_run_here(entry) -> str | None:
    """Why `entry` cannot generate on this machine (no PyTorch, too little memory), or None. The
    tiny test models run anywhere PyTorch does."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return ("generation needs PyTorch, which this light install lacks; run bash installer/install.sh "
                "(without --light) to add it")
    if entry.test_model:
        return None
    need = needs_bytes(entry)
    gpu = gpu_memory_bytes()
    if gpu is not None:
        have, where = gpu, f"of GPU memory and the GPU here has {gpu / GB:.0f} GB"
    else:
        have = ram_bytes()
        where = f"of memory and this machine has {have / GB:.0f} GB (no NVIDIA GPU: the CPU holds the whole model)"
    if need > have:
        return (f"model '{entry.id}' needs about {size_text(need)} {where}; pick a smaller model "
                "(shotloom models list shows what runs here)")
    return None


def compile_denoiser(denoiser, block_classes: tuple[str, ...], *, backend: str = "inductor") -> str:
    """torch.compile each repeated block of the denoiser (regional compilation), once. Never
    ``fullgraph``: the cache, layerwise-casting and offload hooks run Python inside the blocks,
    and a draft may add the cache hook to an already compiled model later."""
    if getattr(denoiser, "_shotloom_compiled", None):
        return denoiser._shotloom_compiled
    blocks = [m for m in denoiser.modules() if type(m).__name__ in block_classes]
    if not blocks:
        note = f"compile skipped ({type(denoiser).__name__} has no repeated blocks to compile)"
    else:
        for block in blocks:
            block.compile(fullgraph=False, dynamic=None, backend=backend)
        note = f"compiled {len(blocks)} blocks"
    denoiser._shotloom_compiled = note
    return note
