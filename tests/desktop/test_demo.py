"""The first run with no model downloaded: `shotloom-gui --demo` and the models dialog's Try It Now
generate real shots with micro-ltx, the model that ships with Shotloom, through a real worker."""

from __future__ import annotations

import time

import pytest
from editor_helpers import make_project, wait_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar
from studio_helpers import card_status, focus_window

from engine.demo import GENERATED_SHOTS


def _window(offered: bool):
    """A real window with its engine starting; on a first run (`offered` False) the models dialog
    comes up by itself."""
    from desktop.app import build_window
    from desktop.services.settings import Settings

    Settings(language="en", engine_autostart=True, models_offered=offered, proxies=False).save()
    win = build_window()
    win.show()
    yield win
    if getattr(win, "models_dialog_widget", None) is not None:
        win.models_dialog_widget.close()
    win._closing_ok = True
    win.document.undo_stack.setClean()
    win.close()


@pytest.fixture
def first_run_window(qtbot):
    yield from _window(offered=False)


@pytest.fixture
def demo_window(qtbot):
    yield from _window(offered=True)


def test_demo_opens_at_once_and_micro_ltx_generates_its_shots(qtbot, demo_window, tmp_path):
    win = demo_window
    started = time.monotonic()
    win.flow.open_demo(tmp_path / "Shotloom demo")
    assert time.monotonic() - started < 1.0  # nothing is made on the UI thread
    bar = win.findChild(QProgressBar, "demoProgress")
    assert win.isVisible() and bar is not None and bar.isVisible()
    assert win.viewer.canvas.empty_text.startswith("Setting up the demo")
    wait_for(qtbot, lambda: win.document.project is not None, timeout=60)
    # Every shot is on the storyboard at once, pending (a bridge between its two shots, the extension
    # after its source), then the worker makes them one after the other.
    assert [s.name for s in win.shots] == ["text", "bridge", "image", "extension", "long take"]
    assert not win.viewer.canvas.empty_text.startswith("Setting up")
    wait_for(qtbot, lambda: all(s.status == "ready" for s in win.shots), timeout=600)
    assert all(card_status(win, s.id) == "ready" for s in win.shots)
    for shot in win.shots:
        take = shot.takes[0]
        assert take.path.name == "master.mp4" and take.path.with_name("recipe.json").is_file()
        assert '"micro-ltx"' in take.path.with_name("recipe.json").read_text()
    # The project's history: the shots added, then every take as one undo step.
    assert win.document.undo_stack.count() == 2 * len(GENERATED_SHOTS)
    stack = win.document.undo_stack
    last = stack.text(stack.count() - 1)
    win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_for(qtbot, lambda: sum(s.status == "pending" for s in win.shots) == 1, 10)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_for(qtbot, lambda: all(s.status == "ready" for s in win.shots), 10)
    assert last and stack.text(stack.count() - 1) == last
    # Saved and closed, the second time it is there already: opened at once, nothing generated again
    # (and no recovery offered: the save made the autosave of the generated takes obsolete).
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not win.document.dirty
    win.close_project()
    win.flow.open_demo(tmp_path / "Shotloom demo")
    assert win.document.project is not None and win.document.project.name == "Shotloom demo"
    assert all(s.status == "ready" for s in win.shots) and not win.model.jobs


def test_first_run_try_it_now_generates_a_shot_with_the_shipped_model(qtbot, first_run_window, tmp_path):
    win = first_run_window
    make_project(win, tmp_path)
    wait_for(qtbot, lambda: getattr(win, "models_dialog_widget", None) is not None and win.models_dialog_widget.isVisible(), 30)
    dialog = win.models_dialog_widget
    # The shipped model is on top, ready, with no download; the test models say they make noise.
    first = dialog.table.item(0, 0).text()
    assert first.startswith("micro-ltx") and "try it now" in first and "no download" in first
    assert dialog.table.item(0, 5).text() == "ships with Shotloom"
    # Then the models to download; the noise-making test models come last.
    n = dialog.table.rowCount()
    noise = [r for r in range(n) if "noise" in dialog.table.item(r, 0).text()]
    assert noise == list(range(n - len(noise), n)) and n - len(noise) > 1
    assert dialog.table.item(1, 5).text() == "not downloaded"
    dialog.table.selectRow(0)
    assert not dialog.download_button.isEnabled()
    assert dialog.try_button.isVisible() and dialog.try_button.isEnabled()
    qtbot.mouseClick(dialog.try_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: not dialog.isVisible() and len(win.shots) == 1, 10)
    focus_window(win)
    shot = win.shots[0]
    assert shot.recipe["shotloom_gen"]["model"] == "micro-ltx"
    wait_for(qtbot, lambda: win.model.shot(shot.id).status == "ready", timeout=300)
    assert card_status(win, shot.id) == "ready"
    # New shots default to the shipped model from now on, not to a noise generator.
    assert win.generation.default_model("text_to_video") == "micro-ltx"
