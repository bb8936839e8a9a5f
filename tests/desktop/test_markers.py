"""Markers are project edits: M adds one at the playhead (undoable, saved in project.otio as an OTIO
marker), they have a name, a colour and a note, the keys jump between them, the marker list shows
and edits them, and they can be dragged on the ruler."""

from __future__ import annotations

from editor_helpers import import_and_wait, make_project, mouse, wait_for, zoomed_timeline
from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtWidgets import QLineEdit


def test_m_adds_a_saved_undoable_marker_and_the_keys_jump_between_markers(qtbot, window, footage, tmp_path):
    from engine.project import Project

    win = window
    path = make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    for frame in (10, 40, 60):
        win.transport.seek(frame)
        qtbot.keyClick(win, Qt.Key.Key_M)
    assert [m.frame for m in win.model.markers] == [10, 40, 60]
    assert win.document.undo_stack.undoText() == "Add Marker"
    assert [m.name for m in win.model.markers] == ["Marker 1", "Marker 2", "Marker 3"]
    qtbot.keyClick(win, Qt.Key.Key_M)  # one marker per frame
    assert len(win.model.markers) == 3
    assert "already a marker" in win.statusBar().currentMessage()

    # Next / previous marker (Shift+M, Ctrl+Shift+M).
    win.transport.seek(0)
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    assert win.transport.frame == 10
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    assert win.transport.frame == 40
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert win.transport.frame == 10

    # Undo, redo, save, reopen.
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [m.frame for m in win.model.markers] == [10, 40]
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert [m.frame for m in win.model.markers] == [10, 40, 60]
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved = Project.open(path)
    assert [(m.frame, m.name, m.colour) for m in saved.markers()] == [
        (10, "Marker 1", "GREEN"), (40, "Marker 2", "GREEN"), (60, "Marker 3", "GREEN")]
    assert len(saved.timeline.tracks.markers) == 3

    # Ctrl+Alt+M deletes the marker at the playhead.
    win.transport.seek(40)
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert [m.frame for m in win.model.markers] == [10, 60]
    assert win.document.undo_stack.undoText() == "Delete Marker"


def test_marker_list_and_dialog_name_colour_and_delete(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    win.docks["markers"].show()
    win.docks["markers"].raise_()
    panel = win.markers
    assert panel.empty.isVisible() and panel.table.rowCount() == 0
    for frame in (30, 5):
        win.transport.seek(frame)
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    table = panel.table
    assert table.rowCount() == 2 and table.item(0, 0).text() == "00:00:00:05"

    # Rename in place: double-click the name, type, Enter.
    rect = table.visualItemRect(table.item(1, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.transport.frame == 30  # clicking a marker goes there
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = table.findChild(QLineEdit)
    assert editor is not None and editor.text() == "Marker 1"
    editor.selectAll()
    qtbot.keyClicks(editor, "Drums in")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    wait_for(qtbot, lambda: win.model.markers[1].name == "Drums in", 5)  # the view commits on the next loop
    assert win.document.undo_stack.undoText() == "Edit Marker"

    # The dialog (Ctrl+M at the playhead): colour and note.
    def fill() -> None:
        dialog = win.commands.marker_dialog
        dialog.colour.setFocus()
        while dialog.colour.currentData() != "RED":
            qtbot.keyClick(dialog.colour, Qt.Key.Key_Up)
        dialog.note.setFocus()
        qtbot.keyClicks(dialog.note, "louder here")
        dialog.accept()

    QTimer.singleShot(100, fill)
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    marker = win.model.markers[1]
    assert (marker.colour, marker.note, marker.name) == ("RED", "louder here", "Drums in")
    assert table.item(1, 2).text() == "louder here"

    # Delete from the list: the marker, not the shot (Delete elsewhere deletes the shot).
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    shots = len(win.shots)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(0, 0)).center())
    assert table.hasFocus()
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert [m.frame for m in win.model.markers] == [30] and len(win.shots) == shots
    assert win.document.undo_stack.undoText() == "Delete Marker"
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [m.frame for m in win.model.markers] == [5, 30]


def test_markers_on_the_ruler_drag_and_double_click(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    win.transport.seek(20)
    qtbot.keyClick(win, Qt.Key.Key_M)
    canvas = zoomed_timeline(win)
    x = canvas.x_of(20) + 3
    # The marker's flag is drawn in its colour.
    win.transport.seek(50)
    image = canvas.grab().toImage()
    assert image.pixelColor(int(x), 4).green() > 150
    steps = win.document.undo_stack.count()
    mouse(canvas, QEvent.Type.MouseButtonPress, x, 6)
    for k in range(1, 6):
        mouse(canvas, QEvent.Type.MouseMove, x + 6 * k, 6)
    mouse(canvas, QEvent.Type.MouseButtonRelease, x + 30, 6, buttons=Qt.MouseButton.NoButton)
    assert [m.frame for m in win.model.markers] == [25]
    assert win.document.undo_stack.count() == steps + 1 and win.document.undo_stack.undoText() == "Move Marker"
    assert win.transport.frame == 25

    def rename() -> None:
        dialog = win.commands.marker_dialog
        dialog.name.selectAll()
        qtbot.keyClicks(dialog.name, "Cut here")
        dialog.accept()

    QTimer.singleShot(100, rename)
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(canvas.x_of(25) + 3), 6))
    wait_for(qtbot, lambda: win.model.markers[0].name == "Cut here", 5)
