"""Helpers shared by the editor benchmarks (tests/bench/bench_gui_*.py)."""

from __future__ import annotations

import time


def pump(app, until, timeout: float = 120.0) -> None:
    """Run the Qt event loop until `until()` is true; SystemExit after `timeout` seconds."""
    end = time.monotonic() + timeout
    while not until():
        if time.monotonic() > end:
            raise SystemExit("timed out waiting for the editor")
        app.processEvents()
        time.sleep(0.001)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[int(q * (len(values) - 1))]
