"""Finishing on the CPU: seconds per output frame of frame interpolation and of upscaling at
768×512, and the peak memory of a whole finishing job against the clip's length.

    nice -n 10 .venv/bin/python tests/bench/bench_finish.py [--size 768x512] [--frames 17] [--rife-frames 5]
        [--upscaler compact|x2plus] [--upscale-frames 1] [--lengths 48,144] [--memory-size 192x128]
        [--latent-size 384x256] [--latent-model ltx-video-13b-distilled|ltx2-19b|ltx2.3-22b] [--only latent]

Interpolation: 16 → 24 fps (the generation conform) and ×2 slow motion of a moving textured
picture, by optical flow (engine.media.retime) and by RIFE 4.22 (engine.finish.rife, random
weights; on its first --rife-frames frames, a ratio to flow's time per interpolated frame measured
in the same run); the interpolation alone, then the whole job
(decode, interpolate, encode master + all-intra scrub). Upscale: ×2 with a real-size Real-ESRGAN
class network with random weights, loaded from safetensors by spandrel and run tile by tile
(``compact``: SRVGGNetCompact 64×16, the realesr-general class; ``x2plus``: RRDB 64×23 as in
RealESRGAN_x2plus — minutes per frame on a laptop CPU). Latent upscale (an LTX take): ×2 through
the latent upsampler of --latent-model (LTX-Video 13B 0.9.8, or LTX-2 / LTX-2.3 through
``LTX2LatentUpsamplePipeline``) on its VAE, both real-size configs from the catalog with
random weights, one chunk of 17 frames from --latent-size (384x256: 768x512 out), against the
Real-ESRGAN-class network per output frame at the same output size, measured in the same run.
Memory: each job runs in a child process of its own, which prints its peak resident memory
(ru_maxrss), for clips of each length (interpolation by optical flow, and by RIFE unless
--rife-frames is 0); the lengths are past the H.264 encoder's look-ahead (about 40 frames held
while it fills, at any length beyond that the same), and the upscale runs are at --memory-size
(the network's cost per frame is what varies with size; what is held per frame does not grow
with the clip).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def scene(position: float, size: tuple[int, int]):
    import cv2
    import numpy as np

    w, h = size
    rng = np.random.default_rng(0)
    big = cv2.GaussianBlur(rng.integers(0, 256, (h + 200, w + 400, 3), dtype=np.uint8), (0, 0), 1.5)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32) + 20 + position,
                         np.arange(h, dtype=np.float32) + 20 + 0.3 * position)
    return cv2.remap(big, xs, ys, cv2.INTER_LINEAR)


def write_clip(path: Path, frames: int, size: tuple[int, int], rate: Fraction) -> Path:
    from engine.media import VideoWriter

    with VideoWriter(path, preset="h264", rate=rate, size=size) as writer:
        for k in range(frames):
            writer.write(scene(6 * k, size))
    return path


def make_upscaler(kind: str, folder: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    from engine.finish.upscale import _import_spandrel

    _import_spandrel()
    torch.manual_seed(0)
    if kind == "x2plus":
        from spandrel.architectures.ESRGAN import ESRGAN

        net = ESRGAN(in_nc=12, num_filters=64, num_blocks=23, scale=4, shuffle_factor=2)
    elif kind == "tiny":
        from spandrel.architectures.ESRGAN import ESRGAN

        net = ESRGAN(in_nc=12, num_filters=8, num_blocks=1, scale=4, shuffle_factor=2)
    else:
        from spandrel.architectures.Compact import Compact

        net = Compact(num_feat=64, num_conv=16, upscale=2)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


def write_rife(path: Path) -> Path:
    """RIFE 4.22's network with random weights saved to safetensors at ``path``."""
    import torch
    from safetensors.torch import save_file

    from engine.finish.rife import IFNet

    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in IFNet().state_dict().items()}, str(path))
    return path


def make_rife(folder: Path):
    """RIFE 4.22 with random weights, loaded from safetensors the way a job loads it."""
    from engine.finish.rife import load_rife

    return load_rife(write_rife(folder / "rife422.safetensors"), device="cpu")


class _Quiet:
    def __call__(self, done, total, message=""):
        pass


def child(kind: str, frames: int, size: tuple[int, int], upscaler: str) -> None:
    """One whole job in this process; prints its peak memory and time as JSON."""
    from engine.finish.jobs import run_finish_job
    from engine.finish.weights import MODELS, local_dir
    from engine.jobs.models import FinishParams
    from engine.progress import CancelToken

    work = Path(tempfile.mkdtemp(prefix="shotloom-bench-finish-"))
    rate = Fraction(24) if kind == "upscale" else Fraction(16)
    src = write_clip(work / "take.mp4", frames, size, rate)
    extra: dict = {"factor": 2} if kind == "upscale" else {"fps": "24/1"}
    if kind == "interpolate-rife":
        from engine.finish.weights import local_file

        write_rife(local_file(MODELS["rife-4.22"]))  # where a person puts the file they downloaded
        extra["model"] = "rife-4.22"
        kind = "interpolate"
    if kind == "upscale":
        model = MODELS["realesrgan-x2plus"]
        weights = make_upscaler(upscaler, local_dir(model))
        weights.rename(local_dir(model) / model.filename)
    params = FinishParams(operation=kind, source=str(src), source_take="t", take_id="b", project_rate="24/1",
                          **extra)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    result = run_finish_job(params, work / "out", _Quiet(), CancelToken())
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"frames_out": result["frames"], "seconds": seconds, "peak_mib": peak / 1024,
                      "start_mib": base / 1024}))


def run_child(kind: str, frames: int, size: tuple[int, int], upscaler: str) -> dict:
    env = dict(os.environ)
    cmd = [sys.executable, __file__, "--child", kind, "--frames", str(frames), "--size", f"{size[0]}x{size[1]}",
           "--upscaler", upscaler]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="768x512")
    ap.add_argument("--frames", type=int, default=17, help="native frames (16 fps) to interpolate")
    ap.add_argument("--upscaler", choices=["compact", "x2plus", "tiny"], default="compact")
    ap.add_argument("--upscale-frames", type=int, default=1)
    ap.add_argument("--rife-frames", type=int, default=5,
                    help="source frames RIFE interpolates (of --frames; 0: leave RIFE out)")
    ap.add_argument("--lengths", default="48,144", help="clip lengths (frames) for the peak-memory runs")
    ap.add_argument("--memory-size", default="192x128", help="frame size of the upscale memory runs")
    ap.add_argument("--memory-upscaler", choices=["compact", "x2plus", "tiny"], default="tiny",
                    help="network of the upscale memory runs (tiny: the x2plus structure at width 8)")
    ap.add_argument("--threads", type=int, default=0, help="torch/OpenCV threads (0: their default)")
    ap.add_argument("--skip-speed", action="store_true", help="only the memory runs")
    ap.add_argument("--latent-size", default="384x256", help="input size of the latent upscale (x2 out)")
    ap.add_argument("--latent-model", default="ltx-video-13b-distilled",
                    help="the catalog entry whose latent upsampler and VAE the latent upscale runs")
    ap.add_argument("--only", choices=["latent"], default=None, help="only the latent upscale figure")
    ap.add_argument("--child", choices=["interpolate", "interpolate-rife", "upscale"], default=None,
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("SHOTLOOM_HOME", tempfile.mkdtemp(prefix="shotloom-bench-"))
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if args.threads:
        import cv2
        import torch

        torch.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)
    if args.child:
        child(args.child, args.frames, size, args.upscaler)
        return 0

    print(f"finishing on the CPU at {size[0]}x{size[1]} ({os.cpu_count()} cores seen)")
    if args.only == "latent":
        latent(args)
        return 0
    if not args.skip_speed:
        speed(args, size)
    memory(args, size)
    return 0


def speed(args: argparse.Namespace, size: tuple[int, int]) -> None:
    import numpy as np

    from engine.media.retime import FlowInterpolator, retime, retimed_count

    native = [scene(6 * k, size) for k in range(args.frames)]
    rife = None if args.rife_frames < 2 else make_rife(Path(tempfile.mkdtemp(prefix="shotloom-bench-rife-")))
    for name, out_rate in (("16 -> 24 fps (conform)", Fraction(24)), ("x2 slow motion (16 -> 32)", Fraction(32))):
        count = retimed_count(len(native), Fraction(16), out_rate)
        t0 = time.perf_counter()
        made = list(retime(iter(native), Fraction(16), out_rate, count, interpolator=FlowInterpolator()))
        flow_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        list(retime(iter(native), Fraction(16), out_rate, count, method="repeat"))
        repeat_s = time.perf_counter() - t0
        new = sum(1 for f in made if not any(f is n for n in native))
        print(f"interpolate {name}: {flow_s / count:.3f} s per output frame ({count} frames, {new} interpolated; "
              f"{flow_s / max(new, 1):.3f} s per interpolated frame; repeating frames instead: "
              f"{repeat_s / count * 1000:.3f} ms per frame)")
        del made
        if rife is not None:
            t0 = time.perf_counter()
            made = list(retime(iter(native[:args.rife_frames]), Fraction(16), out_rate,
                               retimed_count(args.rife_frames, Fraction(16), out_rate), interpolator=rife))
            rife_s = time.perf_counter() - t0
            rife_new = sum(1 for f in made if not any(f is n for n in native))
            print(f"  RIFE 4.22 (random weights, {args.rife_frames} source frames): {rife_s / len(made):.3f} s per "
                  f"output frame, {rife_s / max(rife_new, 1):.3f} s per interpolated frame = "
                  f"{(rife_s / max(rife_new, 1)) / (flow_s / max(new, 1)):.1f}x optical flow's")
            del made
    job = run_child("interpolate", args.frames, size, args.upscaler)
    print(f"interpolate job 16 -> 24 fps (decode + flow + master and scrub encode): "
          f"{job['seconds'] / job['frames_out']:.3f} s per output frame")

    from engine.finish.upscale import load_upscaler

    folder = Path(tempfile.mkdtemp(prefix="shotloom-bench-up-"))
    up = load_upscaler(make_upscaler(args.upscaler, folder))
    params = sum(p.numel() for p in up.model.model.parameters())
    frame = np.ascontiguousarray(native[0])
    t0 = time.perf_counter()
    for _ in range(args.upscale_frames):
        out = up.upscale(frame, 2)
    up_s = (time.perf_counter() - t0) / args.upscale_frames
    print(f"upscale x2 ({args.upscaler}, {params / 1e6:.1f} M parameters, random weights, tiles of 192): "
          f"{up_s:.2f} s per output frame ({out.shape[1]}x{out.shape[0]}; x4 is two passes, about 5x that)")


def latent(args: argparse.Namespace) -> None:
    """Seconds per output frame of the LTX latent upscale x2, and of the spandrel network at the same
    output size (the baseline, same run)."""
    import diffusers
    import numpy as np
    import torch

    from engine.finish.upscale import LATENT_CHUNK, LatentUpscaler, load_upscaler
    from engine.gen.catalog import get_model
    from engine.gen.families import family_of
    from engine.gen.families.base import build

    w, h = (int(v) for v in args.latent_size.lower().split("x"))
    entry = get_model(args.latent_model)
    family = family_of(entry)
    with torch.inference_mode():
        pipe = getattr(diffusers, family.upsample_pipeline)(vae=build(entry.components["vae"]),
                                                            latent_upsampler=build(entry.components["latent_upsampler"]))
    pipe.set_progress_bar_config(disable=True)
    up = LatentUpscaler(pipe=pipe, device="cpu", name=entry.id, args=family.upscale_args)
    params = {k: entry.components[k].params / 1e6 for k in ("latent_upsampler", "vae")}
    frames = [scene(6 * k, (w, h)) for k in range(LATENT_CHUNK)]
    t0 = time.perf_counter()
    out = list(up.frames(iter(frames), 2))
    latent_s = (time.perf_counter() - t0) / len(out)
    folder = Path(tempfile.mkdtemp(prefix="shotloom-bench-up-"))
    esr = load_upscaler(make_upscaler(args.upscaler, folder))
    t0 = time.perf_counter()
    esr.upscale(np.ascontiguousarray(frames[0]), 2)
    esr_s = time.perf_counter() - t0
    print(f"latent upscale x2 ({entry.name}: latent upsampler {params['latent_upsampler']:.0f} M + VAE "
          f"{params['vae']:.0f} M parameters, random weights, "
          f"{LATENT_CHUNK} frames at once): {latent_s:.2f} s per output frame ({out[0].shape[1]}x{out[0].shape[0]}); "
          f"{args.upscaler} network at the same size: {esr_s:.2f} s per output frame; ratio {latent_s / esr_s:.2f}")


def memory(args: argparse.Namespace, size: tuple[int, int]) -> None:
    lengths = [int(v) for v in args.lengths.split(",")]
    memory_size = tuple(int(v) for v in args.memory_size.lower().split("x"))
    for kind in ("interpolate", "interpolate-rife", "upscale"):
        if kind == "interpolate-rife" and args.rife_frames < 2:
            continue
        at = memory_size if kind == "upscale" else size
        runs = [(n, run_child(kind, n, at, args.memory_upscaler)) for n in lengths]
        text = ", ".join(f"{n} frames in -> {r['frames_out']} out: peak {r['peak_mib']:.0f} MiB" for n, r in runs)
        ratio = runs[-1][1]["peak_mib"] / runs[0][1]["peak_mib"]
        what = f" at {at[0]}x{at[1]}" + (f" ({args.memory_upscaler} network)" if kind == "upscale" else
                                          " (RIFE 4.22, random weights)" if kind == "interpolate-rife" else "")
        print(f"peak memory of the {kind} job{what} vs clip length: {text}; "
              f"ratio {ratio:.2f} for {lengths[-1] / lengths[0]:.1f}x the frames")


if __name__ == "__main__":
    sys.exit(main())
