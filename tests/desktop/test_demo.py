"""`shotloom-gui --demo` on a first run: the window is there at once, with progress while the demo
footage is made behind it, then the demo opens."""

from __future__ import annotations

import time

from editor_helpers import wait_for
from PySide6.QtWidgets import QProgressBar


def test_demo_shows_the_window_at_once_with_progress(qtbot, window, tmp_path):
    win = window
    started = time.monotonic()
    win.flow.open_demo(tmp_path / "Shotloom demo", size=(96, 64), seconds=1)
    assert time.monotonic() - started < 1.0  # nothing is made on the UI thread
    bar = win.findChild(QProgressBar, "demoProgress")
    assert win.isVisible() and bar is not None and bar.isVisible()
    assert win.viewer.canvas.empty_text.startswith("Making the demo footage (1 of 3)")
    wait_for(qtbot, lambda: win.document.project is not None, timeout=120)
    assert [s.name for s in win.shots] == ["dawn", "sea", "forest"]
    assert win.findChild(QProgressBar, "demoProgress") is None or not bar.isVisible()
    assert not win.viewer.canvas.empty_text.startswith("Making")
    # The second time it is there already: opened at once.
    win.close_project()
    win.flow.open_demo(tmp_path / "Shotloom demo")
    assert win.document.project is not None and win.document.project.name == "Shotloom demo"
