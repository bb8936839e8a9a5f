"""Importing a foreign .otio timeline is linear in its clips: prints the seconds to import N clips
(each a cut of one real media file, every tenth a missing file, every fifth cut a dissolve) and
the time per clip, for growing N; a linear import keeps the time per clip flat.

    .venv/bin/python tests/bench/bench_otio_import.py [--sizes 2000,20000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import opentimelineio as otio  # noqa: E402

from engine.media.synthetic import make_test_clip  # noqa: E402
from engine.project import Project  # noqa: E402
from engine.project.otio_io import import_otio  # noqa: E402


def foreign_timeline(folder: Path, media: Path, clips: int) -> Path:
    rate = 24.0

    def t(v: float) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(v, rate)

    track = otio.schema.Track(name="V1")
    for i in range(clips):
        missing = i % 10 == 9
        ref = otio.schema.ExternalReference(
            target_url=str(folder / f"gone{i}.mov") if missing else media.name,
            available_range=otio.opentime.TimeRange(t(0), t(240)))
        if i and i % 5 == 0:
            track.append(otio.schema.Transition(transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                                in_offset=t(2), out_offset=t(2)))
        track.append(otio.schema.Clip(name=f"c{i}", media_reference=ref,
                                      source_range=otio.opentime.TimeRange(t(10 + i % 50), t(12))))
    out = folder / f"cut{clips}.otio"
    otio.adapters.write_to_file(otio.schema.Timeline(name="big", tracks=[track]), str(out))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shotloom-bench-otio-") as tmp:
        folder = Path(tmp)
        media = make_test_clip(folder / "source.mp4", frames=240, rate=Fraction(24), size=(64, 48))
        print(f"{'clips':>7} {'shots':>7} {'import s':>9} {'save s':>8} {'ms/clip':>8}")
        for n in (int(v) for v in args.sizes.split(",")):
            timeline = foreign_timeline(folder, media, n)
            project = Project.create(folder / f"p{n}", fps=Fraction(24), size=(64, 48))
            start = time.perf_counter()
            report = import_otio(project, timeline)
            imported = time.perf_counter() - start
            start = time.perf_counter()
            project.save()
            saved = time.perf_counter() - start
            print(f"{n:>7} {len(report.shot_ids):>7} {imported:>9.2f} {saved:>8.2f} {1000 * imported / n:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
