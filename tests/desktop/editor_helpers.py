"""Helpers shared by the editor tests (imported as a plain module: tests/ is not a package)."""

from __future__ import annotations

import time
from pathlib import Path

SIZE = (160, 96)


def wait_for(qtbot, predicate, timeout: float = 30.0) -> None:
    qtbot.waitUntil(predicate, timeout=int(timeout * 1000))


def make_project(win, tmp_path: Path, name: str = "film") -> Path:
    path = tmp_path / f"{name}.shotloom"
    assert win.new_project(path, size=SIZE)
    return path


def import_and_wait(qtbot, win, paths, row: int = -1) -> None:
    before = len(win.shots)
    win.import_files([str(p) for p in paths], row)
    wait_for(qtbot, lambda: not win.importer.busy and len(win.shots) >= before + len(paths))


def shown_frame(qtbot, win, t: int) -> int:
    """Wait until the viewer has painted timeline frame t; return the source index in its pixels."""
    from engine.media.synthetic import decode_index

    canvas = win.viewer.canvas
    wait_for(qtbot, lambda: canvas.painted_index == t and canvas.frame_index == t, timeout=10)
    return decode_index(canvas.frame)


def settle(seconds: float = 0.05) -> None:
    time.sleep(seconds)


def mouse(widget, kind, x, y, buttons=None) -> None:
    """A real mouse event (press, move with buttons held, release) at (x, y) in `widget`."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    pos = QPointF(x, y)
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons,
                                               Qt.KeyboardModifier.NoModifier))


def zoomed_timeline(win, px_per_frame: float = 6.0):
    """The timeline canvas at `px_per_frame`, scrolled to its start (tests place the mouse by frame)."""
    canvas = win.timeline.canvas
    canvas.set_zoom(px_per_frame, 0)
    canvas.scroll = 0
    return canvas


def crash_with_changes(win, path: Path, frame: int = 30) -> None:
    """A change (a split at `frame`) autosaved, then the editor "crashes": no save, no clean
    shutdown of the autosave. `path`'s saved file is made older than the autosave."""
    import os

    win.transport.seek(frame)
    assert win.commands.split_at_playhead()
    win.autosave.autosave()
    win.shutdown()
    win.hide()
    win.deleteLater()
    os.utime(path / "project.otio", (0, 1))


def drag_out_edge(win, shot, frames: int, px_per_frame: float = 8.0) -> None:
    """Trim a shot's tail by dragging its out edge `frames` frames left in the timeline, in steps."""
    from PySide6.QtCore import QEvent

    canvas = zoomed_timeline(win, px_per_frame)
    y = canvas.video_rect().center().y()
    x = canvas.x_of(shot.end) - 2  # the tail's grab zone is just left of the cut
    mouse(canvas, QEvent.Type.MouseButtonPress, x, y)
    for k in range(1, frames + 1):
        mouse(canvas, QEvent.Type.MouseMove, x - px_per_frame * k, y)
    mouse(canvas, QEvent.Type.MouseButtonRelease, x - px_per_frame * frames, y)


def drop_event(widget, pos, mime, kind=None, actions=None, modifiers=None):
    """Deliver one real drag event (enter, move or drop) of `mime` at `pos` to `widget`; returns the
    event (its dropAction() is what the target tells the drag's source)."""
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    kind = kind or QEvent.Type.Drop
    actions = actions if actions is not None else Qt.DropAction.MoveAction | Qt.DropAction.CopyAction
    left = Qt.MouseButton.LeftButton
    none = modifiers if modifiers is not None else Qt.KeyboardModifier.NoModifier
    if kind == QEvent.Type.DragEnter:
        event = QDragEnterEvent(QPoint(int(pos[0]), int(pos[1])), actions, mime, left, none)
    elif kind == QEvent.Type.DragMove:
        event = QDragMoveEvent(QPoint(int(pos[0]), int(pos[1])), actions, mime, left, none)
    else:
        event = QDropEvent(QPointF(pos[0], pos[1]), actions, mime, left, none)
    QApplication.sendEvent(widget, event)
    return event


def drop_files(widget, pos, paths):
    """Files dropped from a file manager at `pos`: enter, move and drop, as the windowing system
    delivers them, with Shift held so that the file manager proposes "move" (a target that took it
    would have the user's file deleted). Returns the drop event."""
    from PySide6.QtCore import QEvent, QMimeData, Qt, QUrl

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    shift = Qt.KeyboardModifier.ShiftModifier
    enter = drop_event(widget, pos, mime, QEvent.Type.DragEnter, modifiers=shift)
    assert enter.isAccepted()
    drop_event(widget, pos, mime, QEvent.Type.DragMove, modifiers=shift)
    drop = drop_event(widget, pos, mime, QEvent.Type.Drop, modifiers=shift)
    drop.mime = mime  # keep the data alive as long as the event
    return drop


class DragDriver:
    """Stands in for the windowing system's drag loop, which the offscreen platform does not run
    (there QDrag.exec returns at once): when the editor starts a drag from real mouse events
    (QDrag.exec in its mouse handler), the drag's own data goes to the target widget as real
    QDragEnter/QDragMove/QDrop events at the points given, and exec returns the action the target
    accepted, as it would on a desktop. `during(point)` runs after each move (to look at the
    insertion indicator while the drag is in progress)."""

    def __init__(self, monkeypatch) -> None:
        from PySide6.QtGui import QDrag

        self.route = None
        self.drags: list = []
        self.results: list = []
        driver = self

        def exec_(drag, supported=None, default=None):  # QDrag.exec, bound to the drag
            return driver.run(drag, supported, default)

        monkeypatch.setattr(QDrag, "exec", exec_)

    def plan(self, target, points, during=None) -> None:
        self.route = (target, list(points), during)

    def run(self, drag, supported=None, default=None):
        from PySide6.QtCore import QEvent, Qt

        self.drags.append(drag)
        target, points, during = self.route
        mime = drag.mimeData()
        actions = supported if supported is not None else Qt.DropAction.MoveAction
        enter = drop_event(target, points[0], mime, QEvent.Type.DragEnter, actions)
        if not enter.isAccepted():
            self.results.append(Qt.DropAction.IgnoreAction)
            return Qt.DropAction.IgnoreAction
        for point in points:
            drop_event(target, point, mime, QEvent.Type.DragMove, actions)
            if during is not None:
                during(point)
        drop = drop_event(target, points[-1], mime, QEvent.Type.Drop, actions)
        result = drop.dropAction() if drop.isAccepted() else Qt.DropAction.IgnoreAction
        self.results.append(result)
        return result
