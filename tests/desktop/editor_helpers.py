"""Helpers shared by the editor tests (imported as a plain module: tests/ is not a package)."""

from __future__ import annotations

import time
from pathlib import Path

SIZE = (160, 96)


def wait_for(qtbot, predicate, timeout: float = 30.0) -> None:
    qtbot.waitUntil(predicate, timeout=int(timeout * 1000))


def make_project(win, tmp_path: Path, name: str = "film") -> Path:
    path = tmp_path / f"{name}.shotloom"
    assert win.new_project(path, size=SIZE)
    return path


def import_and_wait(qtbot, win, paths, row: int = -1) -> None:
    before = len(win.shots)
    win.import_files([str(p) for p in paths], row)
    wait_for(qtbot, lambda: not win.importer.busy and len(win.shots) >= before + len(paths))


def shown_frame(qtbot, win, t: int) -> int:
    """Wait until the viewer has painted timeline frame t; return the source index in its pixels."""
    from engine.media.synthetic import decode_index

    canvas = win.viewer.canvas
    wait_for(qtbot, lambda: canvas.painted_index == t and canvas.frame_index == t, timeout=10)
    return decode_index(canvas.frame)


def settle(seconds: float = 0.05) -> None:
    time.sleep(seconds)
