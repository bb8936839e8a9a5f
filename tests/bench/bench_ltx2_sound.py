"""What LTX-2's sound costs to decode, beside the picture's decode of the same seconds.

    nice -n 10 .venv/bin/python tests/bench/bench_ltx2_sound.py [--seconds 2] [--size 256x160] [--dtype float32]

For each real LTX-2 structure in the catalog (LTX-2 19B, LTX-2.3 22B): its real-size audio VAE and
vocoder (catalog configs, random weights) decode ``--seconds`` of sound (25 audio latents a
second, as the pipelines make them), and its real-size video VAE decodes the latents of the same
seconds at 24 fps at ``--size`` in the same run. Prints the seconds of each, the sound's times real
time, and the ratio sound / picture (the figure that does not depend on the machine's load).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--size", default="256x160")
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"))
    parser.add_argument("--device", default="cuda" if _cuda() else "cpu")
    args = parser.parse_args()
    import torch

    from engine.gen.catalog import get_model
    from engine.gen.families.base import build

    width, height = (int(v) for v in args.size.split("x"))
    dtype = getattr(torch, args.dtype)
    frames = int(round(args.seconds * 24)) // 8 * 8 + 1
    print(f"{args.seconds:g} s of sound; the picture: {frames} frames at {width}x{height}; {args.dtype} on {args.device}")
    for model_id in ("ltx2-19b", "ltx2.3-22b"):
        entry = get_model(model_id)
        c = entry.components
        audio_vae, vocoder, vae = (build(c[n]).to(args.device, dtype) for n in ("audio_vae", "vocoder", "vae"))
        g = torch.Generator().manual_seed(0)
        audio = torch.randn(1, 8, round(args.seconds * 25), 16, generator=g).to(args.device, dtype)
        video = torch.randn(1, 128, (frames - 1) // 8 + 1, height // 32, width // 32, generator=g).to(args.device, dtype)
        with torch.inference_mode():
            t0 = time.perf_counter()
            wave = vocoder(audio_vae.decode(audio, return_dict=False)[0])
            _sync(args.device)
            t1 = time.perf_counter()
            vae.decode(video, None, return_dict=False)
            _sync(args.device)
            t2 = time.perf_counter()
        sound, picture = t1 - t0, t2 - t1
        rate = c["vocoder"].config["output_sampling_rate"]
        print(f"{model_id}: sound {sound:.2f} s ({wave.shape[-1] / rate:.2f} s at {rate} Hz, "
              f"{sound / args.seconds:.1f}x real time); picture {picture:.2f} s; sound / picture {sound / picture:.2f}")
        del audio_vae, vocoder, vae
    return 0


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


if __name__ == "__main__":
    sys.exit(main())
