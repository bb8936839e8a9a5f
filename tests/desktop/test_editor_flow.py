"""The whole editing flow a user goes through, undone and redone back to the saved document."""

from __future__ import annotations

import sys

from editor_helpers import DragDriver, drop_files, make_project, shown_frame, wait_for
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication


def mouse(widget, kind, x, y, buttons=Qt.MouseButton.LeftButton):
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    pos = QPointF(x, y)
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def names(win):
    return [s.name for s in win.shots]


def test_create_import_reorder_trim_split_crossfade_undo_redo(qtbot, window, footage, tmp_path, monkeypatch):
    win = window
    make_project(win, tmp_path)
    assert "Shotloom" in win.windowTitle() and "film" in win.windowTitle()

    # Files dropped from the file manager onto the storyboard import in the background.
    drop = drop_files(win.storyboard.viewport(), (20, 20), footage)
    assert drop.dropAction() == Qt.DropAction.CopyAction
    wait_for(qtbot, lambda: len(win.shots) == 3 and not win.importer.busy)
    assert names(win) == ["clip0", "clip1", "clip2"]
    assert [s.start for s in win.shots] == [0, 24, 48]
    assert win.storyboard_model.rowCount() == 3

    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not win.document.dirty and "*" not in win.windowTitle()
    saved = win.document.project.serialize()
    stack = win.document.undo_stack

    # Reorder by dragging the last card in front of the first with the mouse.
    board = win.storyboard
    driver = DragDriver(monkeypatch)
    first = board.visualRect(win.storyboard_model.index(0))
    last = board.visualRect(win.storyboard_model.index(2)).center()
    driver.plan(board.viewport(), [(last.x() - 40, last.y()), (first.left() + 10, first.center().y())])
    mouse(board.viewport(), QEvent.Type.MouseButtonPress, last.x(), last.y())
    mouse(board.viewport(), QEvent.Type.MouseMove, last.x() - 30, last.y())
    mouse(board.viewport(), QEvent.Type.MouseButtonRelease, last.x() - 30, last.y(), Qt.MouseButton.NoButton)
    assert driver.results == [Qt.DropAction.MoveAction]
    assert names(win) == ["clip2", "clip0", "clip1"]
    assert "*" in win.windowTitle()

    # Trim the first shot's out edge by dragging it 6 frames left in several mouse moves: one step.
    canvas = win.timeline.canvas
    canvas.set_zoom(8.0, 0)
    canvas.scroll = 0
    first = win.shots[0]
    y = canvas.video_rect().center().y()
    x_edge = canvas.x_of(first.start + first.frames) - 2  # the tail's grab zone, just left of the cut
    mouse(canvas, QEvent.Type.MouseButtonPress, x_edge, y)
    for k in (1, 2, 3, 4, 5, 6):
        mouse(canvas, QEvent.Type.MouseMove, x_edge - 8 * k, y)
    mouse(canvas, QEvent.Type.MouseButtonRelease, x_edge - 48, y, Qt.MouseButton.NoButton)
    assert win.shots[0].frames == 18
    assert stack.count() == 3 and stack.undoText() == "Trim Shot"  # import, move, one trim

    # Split at the playhead with S.
    win.transport.seek(10)
    qtbot.keyClick(win, Qt.Key.Key_S)
    assert [s.frames for s in win.shots] == [10, 8, 24, 24]
    assert names(win)[:2] == ["clip2", "clip2"]

    # Crossfade into the third shot (Ctrl+T on the selected card); the mix shows on the timeline.
    third = win.shots[2]
    card = win.storyboard.visualRect(win.storyboard_model.index(2)).center()
    qtbot.mouseClick(win.storyboard.viewport(), Qt.MouseButton.LeftButton, pos=card)
    assert win.model.selection.ids == (third.id,)
    qtbot.keyClick(win, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    third = win.shots[2]
    assert third.transition_in is not None and third.transition_in.kind == "crossfade"
    assert third.transition_in.frames == 8  # capped by the 8-frame shot before it
    assert canvas.data.mixes and canvas.data.mixes[0][2] == "crossfade"
    edited = win.document.project.serialize()
    assert stack.count() == 5

    # The viewer shows the mixed frames through the same compositor as export.
    win.transport.seek(20)
    shown_frame(qtbot, win, 20)

    for _ in range(4):
        qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    back_to_saved = win.document.project.serialize() == saved  # (a bool: a diff of two documents is slow)
    assert back_to_saved
    assert not win.document.dirty and "*" not in win.windowTitle()
    assert names(win) == ["clip0", "clip1", "clip2"]

    for _ in range(4):
        qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    redone = win.document.project.serialize() == edited
    assert redone
    assert "*" in win.windowTitle()

    assert "torch" not in sys.modules and "diffusers" not in sys.modules
