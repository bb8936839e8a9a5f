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


def mouse(widget, kind, x, y, buttons=None) -> None:
    """A real mouse event (press, move with buttons held, release) at (x, y) in `widget`."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    pos = QPointF(x, y)
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def drag_out_edge(win, shot, frames: int, px_per_frame: float = 8.0) -> None:
    """Trim a shot's tail by dragging its out edge `frames` frames left in the timeline, in steps."""
    from PySide6.QtCore import QEvent

    canvas = win.timeline.canvas
    canvas.set_zoom(px_per_frame, 0)
    canvas.scroll = 0
    y = canvas.video_rect().center().y()
    x = canvas.x_of(shot.end)
    mouse(canvas, QEvent.Type.MouseButtonPress, x, y)
    for k in range(1, frames + 1):
        mouse(canvas, QEvent.Type.MouseMove, x - px_per_frame * k, y)
    mouse(canvas, QEvent.Type.MouseButtonRelease, x - px_per_frame * frames, y)
