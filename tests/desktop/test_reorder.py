"""Reordering shots the way people do it: dragging storyboard cards (with the insertion line showing
where they land), dragging clips on the timeline, and the move-earlier/later keys on the selection or
on the shot under the playhead. Every move is one undo step."""

from __future__ import annotations

from editor_helpers import DragDriver, drop_files, import_and_wait, make_project, mouse, wait_for, zoomed_timeline
from PySide6.QtCore import QEvent, QPoint, Qt


def names(win):
    return [s.name for s in win.shots]


def card_centre(win, row):
    return win.storyboard.visualRect(win.storyboard_model.index(row)).center()


def drag_card(win, driver, row, points, during=None):
    """Press on a card, move past the drag distance (the drag starts), and let the drag go to
    `points` on the storyboard."""
    board = win.storyboard
    start = card_centre(win, row)
    driver.plan(board.viewport(), points, during)
    mouse(board.viewport(), QEvent.Type.MouseButtonPress, start.x(), start.y())
    mouse(board.viewport(), QEvent.Type.MouseMove, start.x() + 12, start.y() + 2)
    mouse(board.viewport(), QEvent.Type.MouseButtonRelease, start.x() + 12, start.y() + 2, Qt.MouseButton.NoButton)


def test_drag_a_card_into_a_gap_shows_the_insertion_line_and_moves_it(qtbot, window, footage, tmp_path, monkeypatch):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    stack = win.document.undo_stack
    steps = stack.count()
    driver = DragDriver(monkeypatch)
    board = win.storyboard
    # Between the second and the third card: right half of the second card.
    second = board.visualRect(win.storyboard_model.index(1))
    target = (second.right() - 10, second.center().y())
    seen = []

    def look(_point):
        seen.append(board.drop_row)
        seen.append(board.grab().toImage())  # the line is painted while the drag is over the cards

    drag_card(win, driver, 0, [(second.left() + 5, second.center().y()), target], look)
    assert driver.results == [Qt.DropAction.MoveAction]
    assert seen[0] == 1 and seen[2] == 2  # left half of card 2: before it; right half: after it
    image = seen[3]
    x = second.right() + 2
    accent = board.palette().color(board.palette().ColorRole.Highlight).lighter(130)
    line = image.pixelColor(x, second.center().y())
    assert abs(line.red() - accent.red()) + abs(line.green() - accent.green()) + abs(line.blue() - accent.blue()) < 60
    assert names(win) == ["clip1", "clip0", "clip2"]
    assert board.drop_row is None and board.dragging_ids == ()
    assert stack.count() == steps + 1 and stack.undoText() == "Move Shot"
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert names(win) == ["clip0", "clip1", "clip2"]

    # Two cards selected with Ctrl+click, dragged past the end together.
    qtbot.mouseClick(board.viewport(), Qt.MouseButton.LeftButton, pos=card_centre(win, 0))
    qtbot.mouseClick(board.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     card_centre(win, 1))
    assert len(win.model.selection.ids) == 2
    last = board.visualRect(win.storyboard_model.index(2))
    drag_card(win, driver, 1, [(last.right() + 30, last.center().y())])
    assert names(win) == ["clip2", "clip0", "clip1"]
    assert stack.undoText() == "Move Shots"

    # A drop where it already is changes nothing.
    count = stack.count()
    drag_card(win, driver, 0, [(board.visualRect(win.storyboard_model.index(0)).left() + 4, 40)])
    assert names(win) == ["clip2", "clip0", "clip1"] and stack.count() == count


def test_files_dropped_from_outside_are_imported_there_and_reported_as_a_copy(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:2])
    board = win.storyboard
    first = board.visualRect(win.storyboard_model.index(0))
    drop = drop_files(board.viewport(), (first.right() - 8, first.center().y()), [footage[2]])
    # The file manager proposed a move; the editor answers "copy", so the user's file stays.
    assert drop.proposedAction() == Qt.DropAction.MoveAction
    assert drop.dropAction() == Qt.DropAction.CopyAction
    wait_for(qtbot, lambda: len(win.shots) == 3 and not win.importer.busy)
    assert names(win) == ["clip0", "clip2", "clip1"]
    assert footage[2].exists()

    # The same on the timeline: dropped on the second half of the first clip, it lands after it.
    canvas = win.timeline.canvas
    shot = win.shots[0]
    x = canvas.x_of(shot.start + shot.frames * 0.75)
    drop = drop_files(canvas, (x, canvas.video_rect().center().y()), [footage[1]])
    assert drop.dropAction() == Qt.DropAction.CopyAction
    wait_for(qtbot, lambda: len(win.shots) == 4 and not win.importer.busy)
    assert names(win) == ["clip0", "clip1", "clip2", "clip1"]


def test_drag_a_clip_on_the_timeline_with_the_insertion_line(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    canvas = zoomed_timeline(win)
    y = canvas.video_rect().center().y()
    first, third = win.shots[0], win.shots[2]
    x0 = canvas.x_of(first.start + first.frames / 2)
    mouse(canvas, QEvent.Type.MouseButtonPress, x0, y)
    assert win.model.selection.ids == (first.id,)
    for x in (x0 + 20, x0 + 60, canvas.x_of(third.start + third.frames * 0.8)):
        mouse(canvas, QEvent.Type.MouseMove, x, y)
    assert canvas._drag["kind"] == "move" and canvas._drag["row"] == 3
    # The insertion line is drawn at the end of the last clip.
    image = canvas.grab().toImage()
    accent = canvas.palette().color(canvas.palette().ColorRole.Highlight).lighter(130)
    seen = image.pixelColor(int(canvas.x_of(third.end)), int(canvas.video_rect().top()) - 2)
    assert abs(seen.red() - accent.red()) + abs(seen.green() - accent.green()) + abs(seen.blue() - accent.blue()) < 60
    mouse(canvas, QEvent.Type.MouseButtonRelease, canvas.x_of(third.start + third.frames * 0.8), y,
          Qt.MouseButton.NoButton)
    assert names(win) == ["clip1", "clip2", "clip0"]
    assert win.document.undo_stack.undoText() == "Move Shot"

    # A click without a drag selects the clip and moves the playhead there; nothing moves.
    count = win.document.undo_stack.count()
    second = win.shots[1]
    x = canvas.x_of(second.start + 10)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(int(x), int(y)))
    assert win.model.selection.ids == (second.id,)
    assert win.transport.frame == canvas.frame_at(x)
    assert win.document.undo_stack.count() == count


def test_move_earlier_and_later_keys(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    keys = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    assert win.registry.keys("move_earlier") == ["Ctrl+Alt+Left"]
    assert win.registry.keys("move_later") == ["Ctrl+Alt+Right"]

    # The selected shot.
    qtbot.mouseClick(win.storyboard.viewport(), Qt.MouseButton.LeftButton, pos=card_centre(win, 2))
    qtbot.keyClick(win, Qt.Key.Key_Left, keys)
    assert names(win) == ["clip0", "clip2", "clip1"]
    qtbot.keyClick(win, Qt.Key.Key_Left, keys)
    assert names(win) == ["clip2", "clip0", "clip1"]
    qtbot.keyClick(win, Qt.Key.Key_Left, keys)  # already first: nothing, and the status bar says so
    assert names(win) == ["clip2", "clip0", "clip1"]
    assert "already first" in win.statusBar().currentMessage()

    # Nothing selected: the shot under the playhead moves, and the playhead goes with it.
    win.model.selection.set(())
    win.transport.seek(30)  # frame 6 of clip0
    qtbot.keyClick(win, Qt.Key.Key_Right, keys)
    assert names(win) == ["clip2", "clip1", "clip0"]
    assert win.transport.frame == 48 + 6
    assert win.model.selection.ids == ()
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert names(win) == ["clip2", "clip0", "clip1"]
