"""One history for the command line and the editor: the steps `shotloom` made are the editor's undo
steps when it opens the project, and what the editor undoes and saves, `shotloom undo` continues."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

REPO = Path(__file__).resolve().parents[2]


def shotloom(*args) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                         cwd=REPO, env=dict(os.environ), timeout=300)
    assert res.returncode == 0, res.stderr
    return res


def frames(path: Path) -> list[int]:
    return [s["frames"] for s in json.loads(shotloom("info", path, "--json").stdout)["shots"]]


def test_command_line_steps_are_the_editors_undo_steps_and_back(qtbot, window, footage, tmp_path):
    path = tmp_path / "film.shotloom"
    shotloom("new", path, "--size", "160x96")
    shotloom("import", path, *footage[:2], "--no-proxy")
    shotloom("shot", "trim", path, "1", "--in", "4")
    assert frames(path) == [20, 24]

    win = window
    assert win.open_project(path)
    stack = win.document.undo_stack
    assert stack.count() == 2 and stack.index() == 2  # the import and the trim, both done
    assert "rim" in stack.undoText()
    assert [s.frames for s in win.shots] == [20, 24]

    # Ctrl+Z in the editor undoes the command line's trim, then its import.
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [s.frames for s in win.shots] == [24, 24]
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.shots == []
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier)
    assert [s.frames for s in win.shots] == [24, 24]
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not win.document.dirty
    win.document.project.close()  # as closing the window does: the lock goes with it

    # The command line continues from there: redo brings the trim back, undo takes it away again.
    assert frames(path) == [24, 24]
    shotloom("redo", path)
    assert frames(path) == [20, 24]
    shotloom("undo", path)
    assert frames(path) == [24, 24]
