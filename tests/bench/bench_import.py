"""Import time of a 1080p long-GOP file against `ffprobe -count_frames` on the same file.

Both decode every frame (that is how the frame count becomes the count a decode reaches). Prints
the median time of each over paired runs (ours, theirs, ours, theirs ...) and the median of the
pair ratios (ours / ffprobe: lower is better), for the whole `shotloom import` command (start-up,
the child-process probe, the project save) and for import_as_shot itself (the child-process
probe and the length), each run with an empty scan cache.

    .venv/bin/python tests/bench/bench_import.py [--size 1920x1080] [--seconds 10] [--runs 5]

Needs ffprobe on the PATH (Debian: apt-get install ffmpeg; installer/install.sh --dev does it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg


def make_source(path: Path, size: str, seconds: float) -> Path:
    """A camera-like long-GOP H.264: one keyframe every 10 s, B-frames, moving detail."""
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i",
                    f"testsrc2=size={size}:rate=24:duration={seconds}", "-c:v", "libx264", "-preset", "veryfast",
                    "-g", "240", "-bf", "3", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


IMPORT_AS_SHOT = """
import sys, time
from engine.project import Project
from engine.project.importing import import_as_shot
project = Project.open(sys.argv[1])
start = time.perf_counter()
import_as_shot(project, sys.argv[2])
print(time.perf_counter() - start)
"""


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        sys.exit("bench_import: ffprobe is not on the PATH; install ffmpeg (apt-get install ffmpeg)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = make_source(folder / "camera.mp4", args.size, args.seconds)
        theirs_cmd = [ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
                      "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(source)]
        command, function, theirs_s = [], [], []
        frames = None
        for run in range(args.runs + 1):  # the first round warms the disk cache and is not counted
            project = folder / f"p{run}.shotloom"
            env = dict(os.environ, SHOTLOOM_HOME=str(folder / f"home{run}"))  # an empty scan cache
            subprocess.run([sys.executable, "-m", "engine.cli", "new", str(project), "--size", args.size],
                           env=env, check=True, capture_output=True)
            whole, _ = timed([sys.executable, "-m", "engine.cli", "import", str(project), str(source), "--no-proxy"],
                             env=env)
            theirs, out = timed(theirs_cmd)
            env = dict(os.environ, SHOTLOOM_HOME=str(folder / f"fresh{run}"))
            _, seconds = timed([sys.executable, "-c", IMPORT_AS_SHOT, str(project), str(source)], env=env)
            frames = int(out.strip())
            if run:
                command.append(whole)
                function.append(float(seconds))
                theirs_s.append(theirs)
        info = subprocess.run([sys.executable, "-m", "engine.cli", "info", str(folder / "p1.shotloom"), "--json"],
                              env=dict(os.environ, SHOTLOOM_HOME=str(folder / "home1")), capture_output=True,
                              text=True, check=True).stdout
        import json

        shot_frames = json.loads(info)["shots"][0]["frames"]
    print(f"import of a {args.size} long-GOP H.264, {args.seconds:g} s, {frames} frames "
          f"(shotloom counted {shot_frames}), {args.runs} paired runs")
    median = statistics.median
    print(f"  ffprobe -count_frames : {median(theirs_s):6.2f} s (median)")
    print(f"  shotloom import       : {median(command):6.2f} s, ratio {median(a / b for a, b in zip(command, theirs_s)):.2f}x")
    print(f"  import_as_shot        : {median(function):6.2f} s, ratio {median(a / b for a, b in zip(function, theirs_s)):.2f}x")
    print("  (ratios: median over the runs of ours / ffprobe in the same round; lower is better)")


if __name__ == "__main__":
    main()
