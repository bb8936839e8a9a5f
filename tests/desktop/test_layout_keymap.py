"""The viewer gets the space (a compact storyboard; the docks' sizes are the user's and are
remembered), and the keyboard settings never leave two commands on one key: a taken key is offered
as a swap or refused, with the commands' names as people read them."""

from __future__ import annotations

from editor_helpers import import_and_wait, make_project, mouse, wait_for
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication


def test_viewer_takes_the_space_and_dock_sizes_are_remembered(qtbot, window, footage, tmp_path):
    from desktop.app import build_window

    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:1])
    qtbot.waitUntil(lambda: win.viewer.canvas.height() > 0)
    canvas = win.viewer.canvas
    # 1360×860 (the default): a 3:2 picture was 470×312 before; now it is about 680×456.
    assert (win.width(), win.height()) == (1360, 860)
    assert canvas.height() >= 430 and canvas.width() >= 760, (canvas.width(), canvas.height())
    assert win.storyboard.height() <= 130
    # 1024×640 (a small laptop screen): it was 240×160; now about 354×236. The window fits.
    win.resize(1024, 640)
    qtbot.waitUntil(lambda: win.height() == 640)
    qtbot.wait(50)
    assert canvas.height() >= 220 and canvas.width() >= 440, (canvas.width(), canvas.height())
    win.resize(1360, 860)
    qtbot.wait(50)

    # Drag the splitter between the viewer and the panels below it 60 px up: a taller timeline.
    bottom = win.docks["storyboard"].geometry().top()
    y = (win.viewer.geometry().bottom() + bottom) // 2 + 1
    x = win.width() // 2
    before, timeline_before = canvas.height(), win.docks["timeline"].height()
    mouse(win, QEvent.Type.MouseButtonPress, x, y)
    for k in range(1, 7):
        mouse(win, QEvent.Type.MouseMove, x, y - 10 * k)
        qtbot.wait(5)  # the window moves its splitter on a timer after each mouse move
    mouse(win, QEvent.Type.MouseButtonRelease, x, y - 60, Qt.MouseButton.NoButton)
    qtbot.wait(50)
    assert canvas.height() <= before - 40 and win.docks["timeline"].height() >= timeline_before + 40
    timeline_height = win.docks["timeline"].height()
    win_size = win.size()
    win._closing_ok = True
    win.document.undo_stack.setClean()
    win.close()  # the layout is saved with the settings, per user

    again = build_window()
    again.show()
    try:
        qtbot.waitUntil(lambda: again.viewer.canvas.height() > 0)
        qtbot.wait(50)
        assert abs(again.docks["timeline"].height() - timeline_height) <= 4
        # (The window's own size is restored too, within the screen: the offscreen screen is small.)
        assert again.settings.window_geometry and again.size().width() <= win_size.width()
    finally:
        again._closing_ok = True
        again.close()


def test_a_taken_key_is_swapped_or_refused_and_commands_have_their_names(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    assert win.registry["undo"].text().startswith("&Undo Import")
    seen = {}

    def keyboard() -> None:
        dialog = win.settings_dialog_widget
        names = [dialog.table.item(r, 0).text() if dialog.table.item(r, 0) else
                 dialog.table.model().index(r, 0).data() for r in range(dialog.table.rowCount())]
        seen["names"] = names
        # "Move Shot Earlier" gets S, which "Split at Playhead" has: swap.
        editor = dialog.editors["move_earlier"]
        qtbot.mouseClick(editor, Qt.MouseButton.LeftButton)
        qtbot.keyClick(editor, Qt.Key.Key_S)
        wait_for(qtbot, lambda: dialog.conflict_box is not None and dialog.conflict_box.isVisible(), 5)
        seen["question"] = dialog.conflict_box.text() + " " + dialog.conflict_box.informativeText()
        qtbot.mouseClick(dialog.swap_button, Qt.MouseButton.LeftButton)
        seen["split"] = dialog.keys_of("split")
        # "Delete Shot" gets Space, which "Play / Pause" has: cancel keeps both as they were.
        editor = dialog.editors["delete"]
        qtbot.mouseClick(editor, Qt.MouseButton.LeftButton)
        qtbot.keyClick(editor, Qt.Key.Key_Space)
        wait_for(qtbot, lambda: dialog.conflict_box is not None and dialog.conflict_box.isVisible(), 5)
        box = dialog.conflict_box
        qtbot.keyClick(box, Qt.Key.Key_Escape)
        wait_for(qtbot, lambda: dialog.conflict_box is None, 5)
        seen["delete"] = dialog.keys_of("delete")
        seen["note"] = dialog.conflicts.text()
        dialog.accept()

    QTimer.singleShot(100, keyboard)
    qtbot.keyClick(win, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert "Undo" in seen["names"] and not any(n.startswith("Undo Import") for n in seen["names"])
    assert "Move Shot Earlier" in seen["names"] and "Split at Playhead" in seen["names"]
    assert "“Split at Playhead”" in seen["question"] and "“Move Shot Earlier”" in seen["question"]
    assert seen["split"] == ["Ctrl+K", "Ctrl+Alt+Left"]
    assert seen["delete"] == ["Del"] and "stays with “Play / Pause”" in seen["note"]
    assert win.registry.keys("move_earlier") == ["S"]
    assert win.registry.keys("split") == ["Ctrl+K", "Ctrl+Alt+Left"]
    assert win.registry.conflicts() == []
    # The keys work as set: S moves the selected shot earlier.
    win.activateWindow()  # the dialog has gone; a desktop gives the window back its focus
    qtbot.waitUntil(win.isActiveWindow)
    win.model.selection.set([win.shots[2].id])
    # No question outlives its dialog (the key editor can report one edit twice: one box, not two).
    assert not [b for b in QApplication.topLevelWidgets() if b.objectName() == "keyConflictBox" and b.isVisible()]
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    qtbot.keyClick(win, Qt.Key.Key_S)
    assert [s.name for s in win.shots] == ["clip0", "clip2", "clip1"]


def test_conflict_notice_names_commands_by_their_names(qtbot, window):
    win = window
    win.settings.keymap = {"duplicate": ["J"]}
    win.apply_settings()
    text = win.statusBar().currentMessage()
    assert "“Duplicate Shot”" in text and "“Shuttle Backward”" in text and "shuttle_back" not in text
