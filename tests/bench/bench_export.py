"""Export throughput against the ffmpeg command line doing the same cut, and export peak memory.

Prints: frames per second for both, the ratio (ours / ffmpeg, higher is better, floor 1.0), and
peak RSS of a 60 s 1080p export next to a 15 s one (memory must not grow with duration).

    .venv/bin/python tests/bench/bench_export.py [--size 1920x1080] [--seconds 4] [--skip-memory]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg

from engine.media import VideoWriter
from engine.media.synthetic import synthetic_frame
from engine.media.writer import get_preset

RATE = Fraction(24)
XFADE = 12


def make_source(path: Path, frames: int, size: tuple[int, int], seed: int) -> Path:
    # Drawn once at a small size and scaled: drawing 1080p frames in numpy would dominate set-up.
    import cv2

    with VideoWriter(path, preset="h264", rate=RATE, size=size) as writer:
        for i in range(frames):
            small = synthetic_frame(i, (480, 270), seed=seed)
            writer.write(cv2.resize(small, size, interpolation=cv2.INTER_LINEAR))
    return path


def build_project(folder: Path, sources: list[Path], size: tuple[int, int], frames: int):
    from engine.project import Project
    from engine.project.edits import InsertShot, SetTransition

    folder.mkdir(parents=True, exist_ok=True)
    project = Project.create(folder / "bench.shotloom", fps=RATE, size=size)
    for n, src in enumerate(sources):
        project.apply(InsertShot(index=n, name=src.stem, media_path=project.import_media(src), frames=frames))
    for shot in project.shots()[1:]:
        project.apply(SetTransition(shot.id, "crossfade", XFADE))
    project.save()
    return project


def ffmpeg_command(sources: list[Path], frames: int, out: Path) -> list[str]:
    """The same cut with ffmpeg's xfade: each join overlaps XFADE frames, like Shotloom's crossfade."""
    preset = get_preset("h264")
    seconds = Fraction(frames, 1) / RATE
    dur = Fraction(XFADE) / RATE
    graph, label, offset = [], "[0:v]", Fraction(0)
    for i in range(1, len(sources)):
        offset += seconds - dur
        out_label = f"[v{i}]"
        graph.append(f"{label}[{i}:v]xfade=transition=fade:duration={float(dur)}:offset={float(offset)}{out_label}")
        label = out_label
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error"]
    for src in sources:
        cmd += ["-i", str(src)]
    cmd += ["-filter_complex", ";".join(graph), "-map", label, "-c:v", "libx264", "-pix_fmt", "yuv420p"]
    for key, value in preset.options.items():
        cmd += [f"-{key}", str(value)]
    return cmd + [str(out)]


def time_it(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_rss_of_export(project_path: Path, out: Path) -> float:
    """Peak RSS in MB of a separate process exporting the project (measured by the kernel)."""
    code = (
        "import resource, sys\n"
        "from engine.project import Project\n"
        "from engine.render import export\n"
        "export(Project.open(sys.argv[1]), sys.argv[2])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    res = subprocess.run([sys.executable, "-c", code, str(project_path), str(out)], capture_output=True,
                         text=True, check=True)
    return int(res.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each of the 3 sources")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    frames = int(args.seconds * RATE)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sources = [make_source(folder / f"src{i}.mp4", frames, size, seed=i) for i in range(3)]
        project = build_project(folder, sources, size, frames)
        total = project.duration

        from engine.render import export

        ours = min(time_it(lambda: export(project, folder / "ours.mp4")) for _ in range(2))
        cmd = ffmpeg_command(sources, frames, folder / "ffmpeg.mp4")
        theirs = min(time_it(lambda: subprocess.run(cmd, check=True)) for _ in range(2))
        print(f"export {size[0]}x{size[1]} h264, 3 shots, 2 crossfades, {total} frames")
        print(f"  shotloom export : {total / ours:7.1f} fps ({ours:.2f} s)")
        print(f"  ffmpeg xfade    : {total / theirs:7.1f} fps ({theirs:.2f} s)")
        print(f"  ratio shotloom/ffmpeg throughput: {theirs / ours:.2f}x (floor 1.0x)")

        if not args.skip_memory:
            for seconds in (15, 60):
                n = int(seconds * RATE)
                long_src = make_source(folder / f"long{seconds}.mp4", n // 2 + XFADE, (1920, 1080), seed=7)
                p = build_project(folder / f"m{seconds}", [long_src, long_src], (1920, 1080), n // 2 + XFADE)
                rss = peak_rss_of_export(p.path, folder / f"m{seconds}.mp4")
                print(f"  peak RSS exporting {seconds:2d} s of 1080p: {rss:6.0f} MB (floor 600 MB, flat in duration)")
    print(f"(this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
