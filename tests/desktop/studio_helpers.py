"""Helpers for the studio tests: a real editor window with a real engine worker on the tiny
test model (built once per session in a child process: the editor process never imports torch)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from editor_helpers import wait_for
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]


def build_tiny_model(cache_home: Path) -> Path:
    """tiny-ltx built under cache_home (once), by a child process."""
    target = cache_home / "cache" / "models" / "tiny-ltx"
    if not (target / "model_index.json").is_file():
        env = dict(os.environ, SHOTLOOM_HOME=str(cache_home))
        subprocess.run([sys.executable, "-c", "from engine.gen.tiny import ensure_tiny_model; "
                        "ensure_tiny_model('tiny-ltx')"], check=True, cwd=ROOT, env=env, timeout=600)
    return target


def link_tiny_model(built: Path, home: Path) -> None:
    models = home / "cache" / "models"
    models.mkdir(parents=True, exist_ok=True)
    if not (models / "tiny-ltx").exists():
        (models / "tiny-ltx").symlink_to(built, target_is_directory=True)


def click_card(qtbot, win, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    view = win.storyboard
    rect = view.visualRect(win.storyboard_model.index(row))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def card_status(win, shot_id: str) -> str:
    from desktop.models.storyboard import StatusRole

    row = win.storyboard_model.rows[shot_id]
    return win.storyboard_model.index(row).data(StatusRole)


def answer_dialog(attribute: str, fill, win, delay: int = 100) -> None:
    """Fill and accept the modal dialog the window keeps as `win.<attribute>` once it is open."""

    def later():
        dialog = getattr(win, attribute, None)
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(50, later)
            return
        fill(dialog)

    QTimer.singleShot(delay, later)


def click_row(qtbot, tree, row: int) -> None:
    item = tree.topLevelItem(row)
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 8, rect.center().y()))


def click_list_item(qtbot, widget, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    rect = widget.visualItemRect(widget.item(row))
    qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def focus_window(win) -> None:
    win.activateWindow()
    QApplication.processEvents()


def engine_window(qtbot):
    """A real editor window whose engine worker started and is idle (yielded; closed after)."""
    from desktop.app import build_window
    from desktop.services.settings import Settings

    Settings(language="en", engine_autostart=True, models_offered=True, proxies=False).save()
    win = build_window()
    win.show()
    qtbot.waitUntil(lambda: win.engine.ready and win.engine.state == "idle", timeout=60_000)
    yield win
    win._closing_ok = True
    win.document.undo_stack.setClean()
    win.close()


def new_shot_by_dialog(qtbot, win, prompt: str) -> str:
    def fill(dialog):
        QTest.keyClicks(dialog.prompt, prompt)
        dialog.model.setCurrentIndex(dialog.model.findData("tiny-ltx"))
        dialog.seconds.setValue(0.4)
        dialog.generate_now.setChecked(False)
        from PySide6.QtWidgets import QDialogButtonBox

        box = dialog.findChild(QDialogButtonBox)
        qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    before = len(win.shots)
    answer_dialog("new_shot_widget", fill, win)
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_for(qtbot, lambda: len(win.shots) == before + 1, timeout=10)
    focus_window(win)  # the offscreen platform does not give the window back its focus after a dialog
    return win.model.selection.ids[0]
