"""Trimming at a cut with the mouse: each side of the cut has its own grab zone (the earlier shot's
tail left of it, the later shot's head right of it); dragging is a ripple trim, Ctrl+drag a roll;
while dragging, the viewer shows the trim frame with how many frames the edge moved."""

from __future__ import annotations

from editor_helpers import import_and_wait, make_project, mouse, shown_frame, wait_for, zoomed_timeline
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

PX = 8.0  # pixels per frame


def setup(qtbot, win, footage, tmp_path):
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    canvas = zoomed_timeline(win, PX)
    return canvas, canvas.video_rect().center().y()


def shows(qtbot, win, t: int, source: int) -> None:
    """Wait until the viewer paints timeline frame t showing source frame `source` (while a drag
    goes on, an answer for an earlier step of the same frame may arrive first)."""
    from engine.media.synthetic import decode_index

    canvas = win.viewer.canvas
    wait_for(qtbot, lambda: canvas.painted_index == t and canvas.frame_index == t and canvas.frame is not None
             and decode_index(canvas.frame) == source, timeout=10)


def press(canvas, x, y, modifiers=Qt.KeyboardModifier.NoModifier):
    pos = QPointF(x, y)
    QApplication.sendEvent(canvas, QMouseEvent(QEvent.Type.MouseButtonPress, pos, canvas.mapToGlobal(pos),
                                               Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton, modifiers))


def test_head_of_a_later_shot_is_grabbed_right_of_the_cut_with_the_trim_frame_shown(qtbot, window, footage, tmp_path):
    win = window
    canvas, y = setup(qtbot, win, footage, tmp_path)
    cut = canvas.x_of(win.shots[1].start)
    stack = win.document.undo_stack
    steps = stack.count()
    win.transport.seek(60)

    # Three pixels right of the cut: the second shot's head (not the first shot's tail).
    press(canvas, cut + 3, y)
    assert canvas.trim_state()["shot"] == win.shots[1].id and canvas.trim_state()["side"] == "in"
    for k in range(1, 5):
        mouse(canvas, QEvent.Type.MouseMove, cut + 3 + PX * k, y)
    # While dragging: the viewer shows the new first frame of the shot, with the readout.
    assert win.shots[1].source_in == 4 and win.shots[1].frames == 20
    assert win.viewer.canvas.trim_text.startswith("Head +4 frames")
    shows(qtbot, win, 24, 4)
    assert win.transport.frame == 60  # the playhead itself did not move
    mouse(canvas, QEvent.Type.MouseButtonRelease, cut + 3 + PX * 4, y, Qt.MouseButton.NoButton)
    # Released: back to the playhead's frame.
    assert win.viewer.canvas.trim_text is None
    shown_frame(qtbot, win, 60)
    assert stack.count() == steps + 1 and stack.undoText() == "Trim Shot"
    assert [s.frames for s in win.shots] == [24, 20, 24]  # ripple: the last shot moved up

    # Three pixels left of the cut: the first shot's tail.
    cut = canvas.x_of(win.shots[1].start)
    press(canvas, cut - 3, y)
    assert canvas.trim_state()["shot"] == win.shots[0].id and canvas.trim_state()["side"] == "out"
    for k in range(1, 4):
        mouse(canvas, QEvent.Type.MouseMove, cut - 3 - PX * k, y)
    assert win.viewer.canvas.trim_text.startswith("Tail -3 frames")
    shows(qtbot, win, 20, 20)  # the shot's new last frame
    mouse(canvas, QEvent.Type.MouseButtonRelease, cut - 3 - PX * 3, y, Qt.MouseButton.NoButton)
    assert [s.frames for s in win.shots] == [21, 20, 24]

    # Further inside a shot, a press selects it: no trim.
    count = stack.count()
    press(canvas, canvas.x_of(win.shots[1].start) + 30, y)
    assert canvas.trim_state() is None
    mouse(canvas, QEvent.Type.MouseButtonRelease, canvas.x_of(win.shots[1].start) + 30, y, Qt.MouseButton.NoButton)
    assert stack.count() == count and win.model.selection.ids == (win.shots[1].id,)


def test_ctrl_drag_at_a_cut_rolls_it(qtbot, window, footage, tmp_path):
    win = window
    canvas, y = setup(qtbot, win, footage, tmp_path)
    # Give the second shot a head to roll into: trim 4 frames off it first.
    cut = canvas.x_of(win.shots[1].start)
    press(canvas, cut + 2, y)
    for k in range(1, 5):
        mouse(canvas, QEvent.Type.MouseMove, cut + 2 + PX * k, y)
    mouse(canvas, QEvent.Type.MouseButtonRelease, cut + 2 + PX * 4, y, Qt.MouseButton.NoButton)
    total = sum(s.frames for s in win.shots)
    stack = win.document.undo_stack
    steps = stack.count()

    cut = canvas.x_of(win.shots[1].start)
    press(canvas, cut - 2, y, Qt.KeyboardModifier.ControlModifier)
    assert canvas.trim_state()["mode"] == "roll"
    for k in range(1, 4):
        mouse(canvas, QEvent.Type.MouseMove, cut - 2 - PX * k, y)
    assert win.viewer.canvas.trim_text.startswith("Roll -3 frames")
    # The later shot's new first frame (source frame 1) at the moved cut.
    shows(qtbot, win, 21, 1)
    mouse(canvas, QEvent.Type.MouseButtonRelease, cut - 2 - PX * 3, y, Qt.MouseButton.NoButton)
    a, b = win.shots[0], win.shots[1]
    assert (a.frames, b.source_in, b.frames) == (21, 1, 23)
    assert sum(s.frames for s in win.shots) == total  # a roll keeps the timeline's length
    assert stack.count() == steps + 1 and stack.undoText() == "Roll Cut"
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (win.shots[0].frames, win.shots[1].source_in) == (24, 4)

    # A roll past the end of the earlier shot's media is refused, and says why.
    cut = canvas.x_of(win.shots[1].start)
    press(canvas, cut + 2, y, Qt.KeyboardModifier.ControlModifier)
    mouse(canvas, QEvent.Type.MouseMove, cut + 2 + PX, y)
    mouse(canvas, QEvent.Type.MouseButtonRelease, cut + 2 + PX, y, Qt.MouseButton.NoButton)
    assert win.shots[0].frames == 24
    wait_for(qtbot, lambda: "needs source frames up to 25" in win.statusBar().currentMessage(), 2)
