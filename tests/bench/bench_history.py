"""What the edit history costs a command: open + one edit + save of a 100-shot project, with the
history appended vs with its commit replaced by a no-op (paired, same run), and `undo` with a full
history (200 steps). Prints medians and the ratio.

    .venv/bin/python tests/bench/bench_history.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.media.synthetic import make_test_clip  # noqa: E402
from engine.project import InsertShot, Project, TrimShot  # noqa: E402
from engine.project import history as history_module  # noqa: E402


def command(bundle: Path, n: int) -> float:
    t0 = time.perf_counter()
    with Project.open(bundle, writer="bench") as p:
        p.history.one_step_per_save = True
        p.apply(TrimShot(p.shots()[n % 100].id, "in", 1 if (n // 100) % 2 == 0 else -1))
        p.save()
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = make_test_clip(folder / "c.mp4", frames=48, size=(64, 48))
        p = Project.create(folder / "b", size=(64, 48), writer="bench")
        for i in range(100):
            p.apply(InsertShot(i, f"s{i}", media_path=clip, frames=24))
        p.save()
        p.close()
        bundle = p.path
        for n in range(history_module.MAX_STEPS):  # a full history to load and replay
            command(bundle, n)
        real = history_module.History.commit
        runs: dict[str, list[float]] = {"with": [], "without": []}
        n = 0
        for _ in range(5):
            for key in ("with", "without"):
                if key == "without":
                    history_module.History.commit = lambda self, before, after: (lambda: None)
                for _ in range(20):
                    runs[key].append(command(bundle, n))
                    n += 1
                history_module.History.commit = real
        w, wo = statistics.median(runs["with"]), statistics.median(runs["without"])
        print(f"open + trim + save, 100 shots: with history {w * 1000:.1f} ms, without {wo * 1000:.1f} ms, "
              f"ratio {w / wo:.2f}")
        undo = []
        for _ in range(20):
            t0 = time.perf_counter()
            with Project.open(bundle, writer="bench") as q:
                q.undo()
                q.save()
            undo.append(time.perf_counter() - t0)
        size = (bundle / history_module.HISTORY_FILE).stat().st_size
        print(f"undo + save with {history_module.MAX_STEPS} steps in the history ({size / 1024:.0f} KiB): "
              f"{statistics.median(undo) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
