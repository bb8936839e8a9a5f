"""Title, save prompt on close, recent projects, opening from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from editor_helpers import import_and_wait, make_project
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

ROOT = Path(__file__).resolve().parents[2]


def answer_message_box(button):
    def click():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        box.button(button).click()

    QTimer.singleShot(150, click)


def test_save_prompt_on_close_and_recent_projects(qtbot, footage, tmp_path):
    from desktop.app import build_window
    from desktop.services.settings import Settings

    win = build_window()
    win.settings.proxies = False
    win.show()
    path = make_project(win, tmp_path, "prompted")
    import_and_wait(qtbot, win, footage[:1])
    assert win.windowTitle() == "prompted* — Shotloom"
    answer_message_box(QMessageBox.StandardButton.Cancel)
    assert not win.close()
    assert win.isVisible()
    answer_message_box(QMessageBox.StandardButton.Save)
    assert win.close()
    assert len(__import__("engine.project", fromlist=["Project"]).Project.open(path).shots()) == 1
    assert Settings.load().recent[0] == str(path.resolve())


def test_shotloom_gui_refuses_a_missing_project(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import sys; from desktop.app import main; sys.exit(main())",
                             str(tmp_path / "nope.shotloom")], check=False, cwd=ROOT, capture_output=True, text=True,
                            env={"QT_QPA_PLATFORM": "offscreen", "SHOTLOOM_HOME": str(tmp_path),
                                 "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 1
    assert "nope.shotloom" in result.stderr and "Traceback" not in result.stderr


def test_open_project_given_on_the_command_line(qtbot, window, tmp_path):
    from desktop.app import build_window
    from engine.project import Project

    Project.create(tmp_path / "given.shotloom", size=(160, 96))
    win = build_window(tmp_path / "given.shotloom")
    assert win.document.project is not None
    assert "given" in win.windowTitle() and "Shotloom" in win.windowTitle()
    win._closing_ok = True
    win.close()


def test_demo_project_opens(qtbot, tmp_path):
    from engine.demo import make_demo_project
    from engine.project import Project

    bundle = make_demo_project(tmp_path, size=(160, 96), seconds=1)
    project = Project.open(bundle)
    assert [s.name for s in project.shots()] == ["dawn", "sea", "forest"]
    assert project.shots()[1].transition_in.kind == "crossfade"
    assert project.shots()[2].transition_in.kind == "dip_black"
    assert make_demo_project(tmp_path, size=(160, 96), seconds=1) == bundle  # reused, not rebuilt


def test_full_screen_viewer_and_back(qtbot, window):
    from PySide6.QtCore import Qt

    win = window
    win.registry["fullscreen"].trigger()
    assert win.registry["fullscreen"].isChecked()
    assert not win.docks["timeline"].isVisible() and not win.menuBar().isVisible()
    assert win.viewer.canvas.isVisible()
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert not win.registry["fullscreen"].isChecked()
    assert win.docks["timeline"].isVisible() and win.menuBar().isVisible()
