"""The memory planner against measured peaks, and one real-size step of every model up to 2 B.

    .venv/bin/python tests/bench/bench_gen_planner.py            # tiny builds, real-size steps, decodes
    .venv/bin/python tests/bench/bench_gen_planner.py --only tiny|steps|decodes

Three tables, every row measured in its own process on this machine's CPU (resident set sampled
every 2 ms; the planner's CPU figures count system memory):

* tiny: each family's tiny build generating its default take end to end, against the planner's
  system-memory prediction for that request (mostly the runtime: the models are kilobytes).
* steps: the real-size denoiser of every catalog model of at most 2 B parameters (random weights,
  bf16), one denoise step at a small size with the batch the pipeline uses (two under classifier-
  free guidance where the family batches it): seconds, weights held and the step's working set,
  against the planner's weights and activation figures.
* decodes: each family's real-size VAE decoding a small clip, against the planner's decode figure.
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

# (model, width, height, frames) for the real-size steps: small, but with many tokens.
STEPS = [("ltx-video-2b", 512, 352, 25), ("wan2.1-t2v-1.3b", 416, 240, 17), ("cogvideox-2b", 320, 240, 13),
         ("svd-xt", 512, 320, 8)]
DECODES = [("ltx-video-2b", 384, 256, 25), ("wan2.1-t2v-1.3b", 256, 160, 9), ("cogvideox-2b", 256, 160, 9),
           ("hunyuanvideo-framepack", 256, 160, 9), ("svd-xt", 256, 160, 8)]
# A second size and length per family, unlike the first (the families' decode counts were read
# from the first: these rows check that the figure scales with size, length and chunking).
DECODES_CHECK = [("ltx-video-2b", 256, 192, 17), ("wan2.1-t2v-1.3b", 320, 192, 5), ("cogvideox-2b", 320, 192, 5),
                 ("hunyuanvideo-framepack", 320, 192, 5), ("svd-xt", 320, 192, 4)]
GIB = 2**30


# ---- children --------------------------------------------------------------------------------------

def child_tiny(model_id: str) -> dict:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    os.environ.setdefault("SHOTLOOM_HOME", tempfile.mkdtemp(prefix="shotloom-bench-"))
    from engine.gen.catalog import get_model
    from engine.gen.families import family_of
    from engine.gen.planner import predict_peak
    from engine.gen.runner import run_generation
    from engine.gen.tiny import ensure_tiny_model
    from engine.media import save_png

    entry = get_model(model_id)
    ensure_tiny_model(entry)
    task = entry.tasks[0]
    data = {"task": task, "model": model_id, "prompt": "a cat", "dtype": "float32"}
    if task == "image_to_video":
        save_png(np.full((64, 64, 3), 99, np.uint8), Path(os.environ["SHOTLOOM_HOME"]) / "still.png")
        data["image"] = str(Path(os.environ["SHOTLOOM_HOME"]) / "still.png")
    out = Path(tempfile.mkdtemp(prefix="shotloom-bench-takes-"))
    d = entry.defaults
    plan = predict_peak(entry, width=d.width, height=d.height, frames=family_of(entry).plan_frames(entry, d.frames),
                        tier="gpu", dtype="float32", device="cpu")
    trim()
    with PeakRss() as peak:
        run_generation(data, out / "take")
    return {"measured": peak.peak, "predicted": plan.ram_bytes}


def _step_inputs(entry, model, width: int, height: int, frames: int, batch: int, dtype):
    """The denoiser's inputs for one step as its pipeline builds them (random values)."""
    import torch

    g = torch.Generator().manual_seed(1)

    def r(*shape):
        return torch.randn(*shape, generator=g).to(dtype)

    s, t, c = entry.vae.spatial, entry.vae.temporal, entry.vae.latent_channels
    lf, lh, lw = ((frames - 1) // t + 1 if t > 1 else frames), height // s, width // s
    cfg = entry.denoiser.config
    if entry.family == "ltx":
        return {"hidden_states": r(batch, lf * lh * lw, c), "encoder_hidden_states": r(batch, 128, cfg["caption_channels"]),
                "timestep": torch.full((batch,), 900.0), "encoder_attention_mask": torch.ones(batch, 128),
                "num_frames": lf, "height": lh, "width": lw, "rope_interpolation_scale": (t / 24, s, s),
                "return_dict": False}
    if entry.family == "wan":
        return {"hidden_states": r(batch, c, lf, lh, lw), "timestep": torch.full((batch,), 900.0),
                "encoder_hidden_states": r(batch, 512, cfg["text_dim"]), "return_dict": False}
    if entry.family == "cogvideox":
        return {"hidden_states": r(batch, lf, c, lh, lw), "encoder_hidden_states": r(batch, 226, cfg["text_embed_dim"]),
                "timestep": torch.full((batch,), 900, dtype=torch.long), "return_dict": False}
    # svd: noisy latents concatenated with the image latents (8 channels), one image embedding
    return {"sample": r(batch, frames, 2 * c, lh, lw), "timestep": torch.full((batch,), 1.0),
            "encoder_hidden_states": r(batch, 1, cfg["cross_attention_dim"]),
            "added_time_ids": torch.tensor([[6.0, 127.0, 0.02]] * batch).to(dtype), "return_dict": False}


def child_step(model_id: str, width: int, height: int, frames: int) -> dict:
    import torch

    from engine.gen.catalog import get_model
    from engine.gen.families import family_of
    from engine.gen.planner import predict_peak

    entry = get_model(model_id)
    family = family_of(entry)
    dtype = torch.bfloat16
    name = "transformer" if "transformer" in entry.components else "unet"
    base = rss()
    model = real_size(entry.components[name], dtype)
    plan = predict_peak(entry, width=width, height=height, frames=frames, tier="gpu", dtype="bfloat16", device="cuda")
    batch = 2 if family.cfg_batch and entry.defaults.guidance > 1 else 1
    inputs = _step_inputs(entry, model, width, height, frames, batch, dtype)
    trim()
    held = rss()
    with torch.inference_mode(), PeakRss() as peak:
        t = time.perf_counter()
        model(**inputs)
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "held": held - base, "activation": peak.peak - held,
            "weights_predicted": entry.components[name].params * 2, "activation_predicted": plan.activation_bytes,
            "tokens": plan.tokens, "batch": batch, "threads": torch.get_num_threads()}


def child_decode(model_id: str, width: int, height: int, frames: int) -> dict:
    import torch

    from engine.gen.catalog import get_model
    from engine.gen.families import family_of

    entry = get_model(model_id)
    dtype = torch.bfloat16
    vae = real_size(entry.components["vae"], dtype)
    s, t, c = entry.vae.spatial, entry.vae.temporal, entry.vae.latent_channels
    g = torch.Generator().manual_seed(2)
    if t > 1:
        lat = torch.randn(1, c, (frames - 1) // t + 1, height // s, width // s, generator=g).to(dtype)
    else:
        lat = torch.randn(frames, c, height // s, width // s, generator=g).to(dtype)
    kwargs = {}
    if entry.family == "ltx":
        kwargs["temb"] = torch.tensor([0.05], dtype=dtype)
    if entry.family == "svd":
        kwargs["num_frames"] = frames
    predicted = family_of(entry).decode_bytes(entry, width, height, frames, 2, tiled=False)
    trim()
    held = rss()
    with torch.inference_mode(), PeakRss() as peak:
        t0 = time.perf_counter()
        vae.decode(lat, **kwargs)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "measured": peak.peak - held, "predicted": predicted}


def _run(args: list[str]) -> dict | str:
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, stderr=err,
                              text=True, cwd=ROOT, check=False)
        if proc.returncode:
            err.seek(0)
            lines = err.read().strip().splitlines()
            return lines[-1] if lines else f"exit {proc.returncode}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _err(predicted: float, measured: float) -> str:
    return f"{(predicted - measured) / measured * 100:+.0f} %"


def _measured(kind: str, rows: list[tuple[str, int, int, int]], width: int):
    """Each row measured in its own process; a failed one is printed and left out."""
    for model_id, w, h, f in rows:
        r = _run([kind, model_id, str(w), str(h), str(f)])
        if isinstance(r, str):
            print(f"{model_id:{width}} failed: {r}")
            continue
        yield model_id, w, h, f, r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["tiny", "steps", "decodes"])
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, model_id, *size = args.child
        fn = {"tiny": child_tiny, "step": child_step, "decode": child_decode}[kind]
        print(json.dumps(fn(model_id, *map(int, size))))
        return 0
    from engine.gen.catalog import load_catalog

    if args.only in (None, "tiny"):
        print("tiny builds end to end (system memory, float32, 1 thread):")
        print(f"{'model':22} {'measured GiB':>13} {'planned GiB':>12} {'error':>7}")
        for entry in [e for e in load_catalog() if e.test_model]:
            r = _run(["tiny", entry.id])
            if isinstance(r, str):
                print(f"{entry.id:22} failed: {r}")
                continue
            print(f"{entry.id:22} {r['measured'] / GIB:13.2f} {r['predicted'] / GIB:12.2f} "
                  f"{_err(r['predicted'], r['measured']):>7}")
    if args.only in (None, "steps"):
        print("real-size denoiser, one step, bf16 (weights and the step's working set):")
        print(f"{'model':18} {'size':>12} {'tokens':>7} {'batch':>5} {'step s':>7} {'weights GiB':>11} "
              f"{'planned':>8} {'error':>6} {'step GiB':>8} {'planned':>8} {'error':>6}")
        for model_id, w, h, f, r in _measured("step", STEPS, 18):
            print(f"{model_id:18} {f'{w}x{h}x{f}':>12} {r['tokens']:7d} {r['batch']:5d} {r['seconds']:7.1f} "
                  f"{r['held'] / GIB:11.2f} {r['weights_predicted'] / GIB:8.2f} "
                  f"{_err(r['weights_predicted'], r['held']):>6} {r['activation'] / GIB:8.2f} "
                  f"{r['activation_predicted'] / GIB:8.2f} {_err(r['activation_predicted'], r['activation']):>6}")
    if args.only in (None, "decodes"):
        print("real-size VAE decode, bf16, untiled (the decode's working set):")
        print(f"{'model':24} {'size':>12} {'seconds':>8} {'measured GiB':>13} {'planned GiB':>12} {'error':>7}")
        for model_id, w, h, f, r in _measured("decode", DECODES + DECODES_CHECK, 24):
            print(f"{model_id:24} {f'{w}x{h}x{f}':>12} {r['seconds']:8.1f} {r['measured'] / GIB:13.2f} "
                  f"{r['predicted'] / GIB:12.2f} {_err(r['predicted'], r['measured']):>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
