"""The CPU tier end to end: real-size LTX-Video 2B distilled (random weights) making 1 s of 704x480.

    .venv/bin/python tests/bench/bench_gen_ltx_cpu.py                  # everything below
    .venv/bin/python tests/bench/bench_gen_ltx_cpu.py --only pipelines # end to end, not the decode table

The distilled entry's real components are built from the catalog configs (T5-XXL encoder 4.8 B,
transformer 1.9 B, 0.9.5 VAE 1.2 B) on the meta device and filled with random weights, then run
the way the engine runs them: the family's own call (``LTXConditionPipeline``, the checkpoint's 8
timesteps, no guidance, the decode timestep) through the step monitor. The prompt is encoded by
the real-size T5 first, which is then freed (so the run fits beside other work in 24 GiB). Printed: seconds for the
text encoder, the 8 denoise steps and the VAE decode, the total, peak resident memory, and the
ratio against the first configuration (plain diffusers on the same weights: bf16, nothing else).
Each configuration runs in its own process. Then the VAE decode alone under each setting that
could matter on a CPU (dtype, channels-last, spatial tiling, framewise decoding).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from gen_bench import PeakRss, real_size, rss, trim  # noqa: E402

PIPELINES = {
    "diffusers bf16 (baseline)": {"dtype": "bfloat16", "engine": False},
    "engine CPU path": {"dtype": "auto", "engine": True},  # bf16 where the CPU has it, VAE channels-last
}
DECODES = {
    "fp32": {"dtype": "float32"},
    "bf16": {"dtype": "bfloat16"},
    "bf16 channels-last": {"dtype": "bfloat16", "channels_last": True},
    "bf16 framewise": {"dtype": "bfloat16", "framewise": True},
    "bf16 tiled + framewise": {"dtype": "bfloat16", "framewise": True, "tiling": True},
}


def encode_prompt(entry, prompt: str, dtype) -> tuple:
    """The real-size T5-XXL encoder on one prompt padded to 128 tokens, as the pipeline encodes
    it; the encoder is freed afterwards (the 9.5 GB it holds is not needed while denoising)."""
    import torch

    from engine.gen.families.base import tiny_tokenizer

    text_encoder = real_size(entry.components["text_encoder"], dtype)
    tokens = tiny_tokenizer(128)(prompt, padding="max_length", max_length=128, truncation=True,
                                 return_tensors="pt")
    with torch.inference_mode():
        t, c = time.perf_counter(), time.process_time()
        embeds = text_encoder(tokens.input_ids)[0]
        seconds, cpu = time.perf_counter() - t, time.process_time() - c
    del text_encoder
    trim()
    return embeds, tokens.attention_mask.bool(), seconds, cpu


def child_pipeline(cfg: dict, width: int, height: int, frames: int) -> dict:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, LTXConditionPipeline

    from engine.gen import memory
    from engine.gen.catalog import get_model
    from engine.gen.families import FAMILIES
    from engine.gen.families.ltx import DISTILLED_TIMESTEPS
    from engine.gen.requests import parse_request
    from engine.gen.steps import StepMonitor
    from engine.gen.tasks.common import GenContext, call_pipeline

    entry = get_model("ltx-video-2b-distilled")
    dtype_name = memory.pick_dtype("cpu", cfg["dtype"])
    dtype = getattr(torch, dtype_name)
    request = parse_request({"task": "text_to_video", "model": entry.id, "prompt": "a boat at sea in the rain",
                             "frames": frames, "width": width, "height": height})
    with PeakRss() as text_peak:
        embeds, mask, text_s, text_cpu = encode_prompt(entry, request.prompt, dtype)
    c = entry.components
    pipe = LTXConditionPipeline(scheduler=FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=False),
                                vae=real_size(c["vae"], dtype), text_encoder=None, tokenizer=None,
                                transformer=real_size(c["transformer"], dtype))
    pipe.set_progress_bar_config(disable=True)
    times = {"text_encoder": text_s, "cpu text_encoder": text_cpu}
    _timed(pipe.transformer, "transformer", times)
    decode = pipe.vae.decode

    def timed_decode(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        try:
            return decode(*a, **k)
        finally:
            times["vae_decode"] = times.get("vae_decode", 0.0) + time.perf_counter() - t
            times["cpu vae_decode"] = times.get("cpu vae_decode", 0.0) + time.process_time() - c

    pipe.vae.decode = timed_decode
    family = FAMILIES["ltx"]
    applied = []
    if cfg["engine"]:
        applied = memory.apply_tier(pipe, "gpu", "cpu", dtype_name)
        applied += memory.apply_speed(pipe, family, draft=False, steps=8, attention_backend=None, device="cpu")
    monitor = StepMonitor(total_steps=8, progress=None, cancel=None)
    ctx = GenContext(entry=entry, request=request, pipe=pipe, width=width, height=height, frames=frames, steps=8,
                     guidance=1.0, seed=0, device="cpu", dtype=dtype_name, monitor=monitor,
                     model_info={"timesteps": list(DISTILLED_TIMESTEPS)})
    kwargs = family.text_to_video(ctx, frames)
    # The prompt arrives encoded (above); everything else is the family's own call.
    kwargs.update(prompt=None, negative_prompt=None, prompt_embeds=embeds, prompt_attention_mask=mask)
    if not cfg["engine"]:  # plain diffusers: the same call, nothing configured
        kwargs = {k: v for k, v in kwargs.items() if not k.startswith("callback")}
    t, c = time.perf_counter(), time.process_time()
    with torch.inference_mode(), PeakRss() as peak:
        out = call_pipeline(ctx, kwargs) if cfg["engine"] else pipe(**kwargs).frames[0]
    total = time.perf_counter() - t + text_s
    total_cpu = time.process_time() - c + text_cpu
    return {"dtype": dtype_name, "total_s": total, "cpu_s": total_cpu, "times": times, "frames": len(out),
            "peak_gib": max(peak.peak, text_peak.peak) / 2**30, "applied": applied,
            "threads": torch.get_num_threads()}


def _timed(module, name: str, times: dict) -> None:
    """Adds the module's wall and CPU seconds (all threads) to ``times``."""
    def pre(*_):
        times[f"_{name}"] = (time.perf_counter(), time.process_time())

    def post(*_):
        t, c = times.pop(f"_{name}")
        times[name] = times.get(name, 0.0) + time.perf_counter() - t
        times[f"cpu {name}"] = times.get(f"cpu {name}", 0.0) + time.process_time() - c

    module.register_forward_pre_hook(pre)
    module.register_forward_hook(post)


def child_decode(cfg: dict, width: int, height: int, frames: int) -> dict:
    import torch

    from engine.gen.catalog import get_model

    entry = get_model("ltx-video-2b-distilled")
    dtype = getattr(torch, cfg["dtype"])
    vae = real_size(entry.components["vae"], dtype)
    if cfg.get("tiling"):
        vae.enable_tiling()
    vae.use_framewise_decoding = bool(cfg.get("framewise"))
    lat = torch.randn(1, 128, (frames - 1) // 8 + 1, height // 32, width // 32, generator=torch.Generator().manual_seed(0))
    lat = lat.to(dtype)
    if cfg.get("channels_last"):
        vae = vae.to(memory_format=torch.channels_last_3d)
        lat = lat.contiguous(memory_format=torch.channels_last_3d)
    temb = torch.tensor([0.05], dtype=dtype)
    base = rss()
    with torch.inference_mode(), PeakRss() as peak:
        t, c = time.perf_counter(), time.process_time()
        video = vae.decode(lat, temb, return_dict=False)[0]
        seconds, cpu = time.perf_counter() - t, time.process_time() - c
    return {"seconds": seconds, "cpu_s": cpu, "frames": int(video.shape[2]), "peak_gib": (peak.peak - base) / 2**30}


def _run_child(kind: str, cfg: dict, args) -> dict | str:
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run([sys.executable, __file__, "--child", kind, json.dumps(cfg), "--width", str(args.width),
                               "--height", str(args.height), "--seconds", str(args.seconds)],
                              stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT, check=False)
        if proc.returncode != 0:
            err.seek(0)
            lines = err.read().strip().splitlines()
            return lines[-1] if lines else f"exit {proc.returncode}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _phase(times: dict):
    def both(key: str) -> str:
        return f"{times.get(key, 0):5.0f} ({times.get('cpu ' + key, 0):5.0f})"

    return both


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=704)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--only", choices=["pipelines", "baseline", "engine", "decode"])
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    frames = 8 * round(args.seconds * 24 / 8) + 1  # 1 s at 24 fps: 25 frames (8k+1)
    if args.child:
        kind, cfg = args.child[0], json.loads(args.child[1])
        fn = child_pipeline if kind == "pipeline" else child_decode
        print(json.dumps(fn(cfg, args.width, args.height, frames)))
        return 0
    import psutil

    print(f"LTX-Video 2B distilled, real size, random weights: {frames} frames at {args.width}x{args.height}, "
          f"8 steps, CPU ({os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB)")
    if args.only in (None, "pipelines", "baseline", "engine"):
        print("wall seconds (CPU seconds of both threads in brackets: steadier on a shared machine)")
        print(f"{'configuration':32} {'text s':>12} {'denoise s':>14} {'decode s':>13} {'total s':>14} "
              f"{'cpu ratio':>9} {'peak GiB':>9}  applied", flush=True)
        baseline = None
        for name, cfg in PIPELINES.items():
            if args.only == "baseline" and cfg["engine"] or args.only == "engine" and not cfg["engine"]:
                continue
            r = _run_child("pipeline", cfg, args)
            if isinstance(r, str):
                print(f"{name:28} failed: {r}")
                continue
            baseline = baseline or r["cpu_s"]
            both = _phase(r["times"])
            print(f"{name + ' (' + r['dtype'] + ')':32} {both('text_encoder'):>12} {both('transformer'):>14} "
                  f"{both('vae_decode'):>13} {r['total_s']:6.0f} ({r['cpu_s']:5.0f}) {r['cpu_s'] / baseline:9.2f} "
                  f"{r['peak_gib']:9.1f}  {'; '.join(r['applied']) or 'none'}", flush=True)
    if args.only in (None, "decode"):
        print(f"VAE decode alone ({frames} frames at {args.width}x{args.height}):")
        print(f"{'setting':28} {'seconds':>8} {'cpu s':>7} {'cpu ratio':>9} {'peak GiB':>9}", flush=True)
        baseline = None
        for name, cfg in DECODES.items():
            r = _run_child("decode", cfg, args)
            if isinstance(r, str):
                print(f"{name:28} failed: {r}")
                continue
            baseline = baseline or r["cpu_s"]
            print(f"{name:28} {r['seconds']:8.1f} {r['cpu_s']:7.1f} {r['cpu_s'] / baseline:9.2f} {r['peak_gib']:9.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
