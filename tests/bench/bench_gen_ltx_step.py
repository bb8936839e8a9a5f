"""One denoise step of the real-size LTX-Video 2B transformer (default config, random weights,
random prompt embeddings in place of T5): plain diffusers defaults vs Shotloom's tiers and draft.

    .venv/bin/python tests/bench/bench_gen_ltx_step.py [--width 384 --height 256 --frames 25]
    .venv/bin/python tests/bench/bench_gen_ltx_step.py --width 768 --height 512 --frames 121   # on a GPU

Each configuration runs in its own process (so peak memory is its own): build the transformer on
the meta device, fill random weights, wrap it in a real ``LTXPipeline`` (no VAE/text encoder),
configure it with the engine's ``apply_tier`` / ``apply_speed``, then time one classifier-free-
guided step (batch 2, as the pipeline runs it). Memory: resident set size held after loading and its peak
during the step (sampled; CPU) or
``torch.cuda.max_memory_allocated`` (GPU), printed beside the planner's prediction for the same
transformer step (weights as stored for the tier + the step's activations).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from gen_bench import PeakRss, rss, trim  # noqa: E402

CONFIGS = [
    ("diffusers defaults (fp32)", {"dtype": "float32", "tier": None, "draft": False, "steps": 1}),
    ("tier gpu (bf16)", {"dtype": "bfloat16", "tier": "gpu", "draft": False, "steps": 1}),
    ("tier offload (bf16)", {"dtype": "bfloat16", "tier": "offload", "draft": False, "steps": 1}),
    ("tier group_offload (fp8 store)", {"dtype": "bfloat16", "tier": "group_offload", "draft": False, "steps": 1}),
    ("draft: gpu + first-block cache", {"dtype": "bfloat16", "tier": "gpu", "draft": True, "steps": 2}),
]


def child(cfg: dict, width: int, height: int, frames: int) -> dict:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, LTXPipeline, LTXVideoTransformer3DModel

    from engine.gen import memory

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = getattr(torch, cfg["dtype"])
    base_rss = rss()
    with torch.device("meta"):
        transformer = LTXVideoTransformer3DModel()  # the 2B default config
    transformer = transformer.to_empty(device="cpu").to(dtype)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in transformer.parameters():
            p.normal_(0.0, 0.02, generator=gen)
        for b in transformer.buffers():
            b.zero_()
    params = sum(p.numel() for p in transformer.parameters())
    pipe = LTXPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=None, text_encoder=None, tokenizer=None,
                       transformer=transformer)
    applied = []
    if cfg["tier"] is None:
        pipe.to(device)
    else:
        applied = memory.apply_tier(pipe, cfg["tier"], device, cfg["dtype"])
    from engine.gen.families import FAMILIES

    applied += memory.apply_speed(pipe, FAMILIES["ltx"], draft=cfg["draft"], steps=12 if cfg["draft"] else 40,
                                  attention_backend=None, device=device)
    lat_f, lat_h, lat_w = (frames - 1) // 8 + 1, height // 32, width // 32
    tokens = lat_f * lat_h * lat_w
    x = torch.randn(2, tokens, 128, generator=gen).to(device, dtype)
    text = torch.randn(2, 128, 4096, generator=gen).to(device, dtype)
    mask = torch.ones(2, 128, device=device)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    trim()
    after_load = rss()
    times, cpu_times = [], []
    with torch.no_grad(), PeakRss() as sampler:
        for step in range(cfg["steps"]):
            t = torch.full((2,), 1000.0 - 500.0 * step, device=device)
            start, cpu_start = time.perf_counter(), time.process_time()
            with transformer.cache_context("cond_uncond"):
                out = transformer(hidden_states=x, encoder_hidden_states=text, timestep=t, encoder_attention_mask=mask,
                                  num_frames=lat_f, height=lat_h, width=lat_w,
                                  rope_interpolation_scale=(1 / 24 * 8, 32, 32), return_dict=False)[0]
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
            x = x - 0.5 * out
    peak = torch.cuda.max_memory_allocated() if device == "cuda" else sampler.peak - base_rss
    return {"times": times, "cpu_times": cpu_times, "peak": peak, "load_rss": after_load - base_rss, "params": params, "tokens": tokens,
            "applied": applied, "device": device, "threads": torch.get_num_threads()}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=384)
    ap.add_argument("--height", type=int, default=256)
    ap.add_argument("--frames", type=int, default=25)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child), args.width, args.height, args.frames)))
        return 0

    from engine.gen.catalog import get_model
    from engine.gen.planner import predict_peak

    entry = get_model("ltx-video-2b")
    print(f"LTX-Video 2B transformer, {args.width}x{args.height}x{args.frames} frames, one CFG step (batch 2)")
    print(f"catalog parameter count {entry.components['transformer'].params / 1e9:.2f} B")
    print("step s: wall clock; cpu s: this process's CPU time (steadier on a shared machine)")
    print(f"{'configuration':34} {'step s':>8} {'cpu s':>8} {'cpu vs def':>10} {'held GiB':>9} {'peak GiB':>9} "
          f"{'planner GiB':>11}  applied")
    baseline = None
    for name, cfg in CONFIGS:
        proc = subprocess.run([sys.executable, __file__, "--width", str(args.width), "--height", str(args.height),
                               "--frames", str(args.frames), "--child", json.dumps(cfg)],
                              capture_output=True, text=True, cwd=ROOT, check=False)
        if proc.returncode != 0:
            print(f"{name:34} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        step = r["times"][-1] if cfg["draft"] else r["times"][0]
        cpu = r["cpu_times"][-1] if cfg["draft"] else r["cpu_times"][0]
        baseline = baseline or cpu
        tier = cfg["tier"] or "gpu"
        plan = predict_peak(entry, width=args.width, height=args.height, frames=args.frames, tier=tier,
                            dtype=cfg["dtype"], guidance=3.0, include_text_encoder=False)
        bytes_per = 1 if tier == "group_offload" else (4 if cfg["dtype"] == "float32" else 2)
        predicted = r["params"] * bytes_per + plan.activation_bytes
        extra = f" (cpu s per step {', '.join(f'{t:.1f}' for t in r['cpu_times'])})" if cfg["draft"] else ""
        print(f"{name:34} {step:8.2f} {cpu:8.2f} {cpu / baseline:10.2f} {r['load_rss'] / 2**30:9.2f} "
              f"{r['peak'] / 2**30:9.2f} {predicted / 2**30:11.2f}  "
              f"{'; '.join(r['applied']) or 'none'}{extra}")
    print(f"device {r['device']}, torch threads {r['threads']}, {r['params'] / 1e9:.2f} B parameters, "
          f"{r['tokens']} latent tokens")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
