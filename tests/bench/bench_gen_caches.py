"""Step caches against their own full-quality run: the real-size Wan 2.1 T2V 1.3B transformer (the
catalog's config, random weights, random prompt embeddings in place of UMT5) in a real
``WanPipeline``, configured by the engine's ``apply_speed`` exactly as a generation is.

    .venv/bin/python tests/bench/bench_gen_caches.py [--width 160 --height 160 --frames 9 --steps 12]

For each cache (none, first_block, taylorseer, mag: calibrated on the full run first, as the engine
does on a model's first MagCache take): seconds of the denoise loop (wall and this process's CPU),
the speed-up against the full run measured in the same process, and the PSNR of the final latents
against the full run's (over the full run's value range). Random weights make the figures a
measure of the mechanism, not of picture quality.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]

from gen_bench import real_size  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--width", type=int, default=160)
    ap.add_argument("--height", type=int, default=160)
    ap.add_argument("--frames", type=int, default=9)
    ap.add_argument("--steps", type=int, default=12)
    args = ap.parse_args()

    import os
    import tempfile

    os.environ.setdefault("SHOTLOOM_HOME", tempfile.mkdtemp(prefix="shotloom-bench-"))
    import torch
    from diffusers import UniPCMultistepScheduler, WanPipeline

    from engine.gen import memory
    from engine.gen.catalog import get_model
    from engine.gen.families import FAMILIES

    entry = get_model("wan2.1-t2v-1.3b")
    family = FAMILIES["wan"]
    transformer = real_size(entry.components["transformer"], torch.float32)
    pipe = WanPipeline(tokenizer=None, text_encoder=None, vae=None, transformer=transformer,
                       scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                                         flow_shift=3.0, num_train_timesteps=1000))
    gen = torch.Generator().manual_seed(0)
    text = torch.randn(1, 64, 4096, generator=gen) * 0.1
    neg = torch.randn(1, 64, 4096, generator=gen) * 0.1
    lat = torch.randn(1, 16, (args.frames - 1) // 4 + 1, args.height // 8, args.width // 8, generator=gen)

    def run(cache: str) -> tuple[float, float, torch.Tensor, list[str]]:
        applied = memory.apply_speed(pipe, family, draft=False, steps=args.steps, attention_backend=None,
                                     device="cpu", cache=cache, entry=entry)
        start, cpu = time.perf_counter(), time.process_time()
        with memory.mag_calibration(pipe, family, entry, args.steps), torch.no_grad():
            out = pipe(prompt_embeds=text, negative_prompt_embeds=neg, height=args.height, width=args.width,
                       num_frames=args.frames, num_inference_steps=args.steps, guidance_scale=5.0,
                       latents=lat.clone(), output_type="latent").frames
        return time.perf_counter() - start, time.process_time() - cpu, out, applied

    print(f"Wan 2.1 T2V 1.3B transformer (real size, random weights), {args.width}x{args.height}x{args.frames}, "
          f"{args.steps} steps with guidance (two passes a step), CPU, torch threads {torch.get_num_threads()}")
    with contextlib.redirect_stderr(io.StringIO()):  # the pipeline's progress bars
        wall0, cpu0, full, _ = run("none")
        results = [("none (full quality)", wall0, cpu0, full, [])]
        for cache in ("first_block", "taylorseer", "mag"):
            if cache == "mag":
                run("mag")  # the model's first MagCache take calibrates (full quality), as in the engine
            results.append((cache, *run(cache)))
    span = float(full.max() - full.min())
    print(f"{'cache':22} {'wall s':>8} {'cpu s':>8} {'speed-up (cpu)':>15} {'PSNR vs full':>13}  applied")
    for name, wall, cpu, out, applied in results:
        mse = float(((out - full) ** 2).mean())
        psnr = float("inf") if mse == 0 else 10 * torch.log10(torch.tensor(span ** 2 / mse)).item()
        print(f"{name:22} {wall:8.1f} {cpu:8.1f} {cpu0 / cpu:15.2f} {psnr:13.1f}  {'; '.join(applied) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
