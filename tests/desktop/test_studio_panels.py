"""The studio's panels without a worker: the inspector edits a shot's recipe as undoable steps and
refuses bad values in the field with a reason; the models dialog lists the catalog, says offline
what to download and where, and adds a local model folder; the project is the editor's alone."""

from __future__ import annotations

import os
import subprocess
import sys

from editor_helpers import make_project, wait_for
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import ROOT, build_tiny_model, click_card, focus_window


def pending_shot(win, prompt: str = "a quiet harbour at dawn") -> str:
    shot_id = win.generation.new_shot(prompt, model="tiny-ltx", seconds=0.4)
    assert shot_id is not None
    focus_window(win)
    return shot_id


def type_into(qtbot, box, text: str) -> None:
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    box.selectAll()
    QTest.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def test_inspector_edits_are_undoable_and_bad_values_are_refused(qtbot, window, tmp_path):
    from engine.gen.takes import SPEC_KEY

    win = window
    make_project(win, tmp_path)
    shot_id = pending_shot(win)
    click_card(qtbot, win, 0)
    inspector = win.inspector
    assert inspector.scroll.isVisible() and inspector.title.text() == "a quiet harbour at dawn"
    assert inspector.model_box.currentData() == "tiny-ltx"
    assert "noise" in inspector.fit.text().lower()
    assert "frames" in inspector.frames_label.text()
    stack = win.document.undo_stack
    steps = stack.index()
    spec = lambda: win.model.shot(shot_id).recipe[SPEC_KEY]  # noqa: E731

    # A good value: one undo step, undone with Ctrl+Z.
    type_into(qtbot, inspector.seed, "4242")
    assert spec()["seed"] == 4242 and stack.index() == steps + 1 and stack.undoText() == "Change Seed"
    focus_window(win)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert spec()["seed"] != 4242 and inspector.seed.value() == spec()["seed"]

    # A width the model cannot make is refused in the field, with the reason beside it.
    before = dict(spec())
    type_into(qtbot, inspector.width_box, "100")
    assert inspector.reason.isVisible()
    assert "32" in inspector.reason.text() and "100" in inspector.reason.text()
    assert spec() == before and stack.index() == steps
    assert inspector.width_box.value() != 100  # the field shows the recipe's value again

    # More seconds than the model makes in one shot: refused, with what to do instead.
    type_into(qtbot, inspector.seconds, "60")
    assert "long take" in inspector.reason.text() and spec() == before

    # An empty prompt is refused; a new prompt is a step.
    qtbot.mouseClick(inspector.prompt.viewport(), Qt.MouseButton.LeftButton)
    inspector.prompt.selectAll()
    qtbot.keyClick(inspector.prompt, Qt.Key.Key_Delete)
    qtbot.keyClick(inspector.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "prompt is needed" in inspector.reason.text() and spec()["prompt"] == "a quiet harbour at dawn"
    inspector.prompt.selectAll()
    QTest.keyClicks(inspector.prompt, "a stormy harbour at night")
    qtbot.keyClick(inspector.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert spec()["prompt"] == "a stormy harbour at night" and stack.undoText() == "Change Prompt"

    # The memory tier and draft are recipe fields too.
    for _ in range(inspector.tier.findData("offload")):
        qtbot.keyClick(inspector.tier, Qt.Key.Key_Down)
    assert spec()["tier"] == "offload"
    # The step cache, chosen from the keyboard: one undo step each, and back to automatic.
    cache = inspector.cache
    assert cache.currentData() == "auto" and "cache" not in spec()
    playhead = win.transport.frame
    qtbot.keyClick(cache, Qt.Key.Key_Down)
    qtbot.keyClick(cache, Qt.Key.Key_Down)
    assert spec()["cache"] == "first_block" and stack.undoText() == "Change Step Cache"
    assert win.transport.frame == playhead  # Down in a field is the field's, not "next cut"
    qtbot.keyClick(cache, Qt.Key.Key_Home)
    assert "cache" not in spec() and cache.currentText() == "Automatic"
    assert "torch" not in sys.modules


def test_models_dialog_offline_message_and_local_folder(qtbot, window, tmp_path_factory, monkeypatch):
    import huggingface_hub.constants

    win = window
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # never a real download from a test
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    win.registry["models"].trigger()
    dialog = win.models_dialog_widget
    wait_for(qtbot, dialog.isVisible, 5)
    rows = {row.entry.id: r for r, row in enumerate(dialog.rows)}
    assert "tiny-ltx" in rows and "ltx-video-2b" in rows
    assert "noise" in dialog.table.item(rows["tiny-ltx"], 0).text()
    assert dialog.table.item(rows["ltx-video-2b"], 5).text() == "not downloaded"
    assert "GB" in dialog.table.item(rows["ltx-video-2b"], 2).text()
    # Small models' memory need reads in MiB, never "0 GB" / "0.0 GiB".
    for small in ("tiny-ltx", "micro-ltx"):
        need = dialog.table.item(rows[small], 3).text()
        assert need.endswith(" MiB") and int(need.split()[0]) >= 1, need
    assert dialog.table.item(rows["ltx-video-2b"], 3).text().endswith(" GiB")

    # Offline: the download says what to download and where to put it, in one message.
    dialog.table.selectRow(rows["ltx-video-2b"])
    assert dialog.download_button.isEnabled()
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: dialog.task is not None and not dialog.task.running, 60)
    wait_for(qtbot, lambda: "download" in dialog.message.text() and not dialog.progress.isVisible(), 10)
    text = dialog.message.text()
    assert "Lightricks/LTX-Video-0.9.5" in text and "shotloom models download ltx-video-2b" in text
    assert "\n" not in text

    # A folder that is not a model is refused with the reason; a real diffusers folder is added.
    assert not dialog.add_folder(str(tmp_path_factory.mktemp("empty")), "nothing")
    assert "model_index.json" in dialog.message.text()
    built = build_tiny_model(tmp_path_factory.mktemp("tiny-home-2"))
    assert dialog.add_folder(str(built), "my-ltx")
    row = next(r for r, x in enumerate(dialog.rows) if x.entry.id == "my-ltx")
    assert dialog.table.item(row, 5).text() == "ready"
    dialog.close()


def test_the_editor_is_the_projects_one_writer(qtbot, window, tmp_path):
    """While the editor has a project open, another writer is refused in one line naming the
    editor; a project held by another program is refused by the editor the same way."""
    from engine.project import Project

    win = window
    path = make_project(win, tmp_path, "owned")
    code = ("import sys\nfrom engine.project import Project\n"
            "try:\n    Project.open(sys.argv[1], writer='shotloom-cli')\n"
            "except Exception as exc:\n    print(type(exc).__name__, exc); sys.exit(1)\nprint('opened')\n")
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("ProjectLockedError") and "shotloom-gui" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1
    # Closing the project releases it.
    win.close_project()
    other = Project.open(path, writer="shotloom-cli")
    messages = []
    from PySide6.QtWidgets import QMessageBox

    monkey = QMessageBox.critical
    QMessageBox.critical = staticmethod(lambda parent, title, text: messages.append((title, text)))
    try:
        assert not win.open_project(path)
    finally:
        QMessageBox.critical = monkey
    assert messages and "shotloom-cli" in messages[0][1] and "\n" not in messages[0][1]
    other.close()
    assert win.open_project(path)
