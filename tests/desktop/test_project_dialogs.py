"""The new-project dialog (size and rate presets, custom values refused in place with the engine's
reason) and the project settings later (a new rate conforms the cut, a new size letterboxes or crops,
all one undo step)."""

from __future__ import annotations

from fractions import Fraction

from editor_helpers import import_and_wait, make_project, shown_frame, wait_for
from PySide6.QtCore import Qt, QTimer


def choose(qtbot, combo, data) -> None:
    """Pick an entry of a combo box with the keyboard, as a person does."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    while combo.currentData() != data:
        before = combo.currentIndex()
        qtbot.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() != before, f"{data} is not in the list"


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def test_new_project_with_a_preset_and_a_custom_rate(qtbot, window, tmp_path, monkeypatch):
    from desktop import theme

    win = window
    monkeypatch.setattr(theme, "projects_folder", lambda: tmp_path)
    seen = {}

    def fill() -> None:
        dialog = win.flow.new_project_widget
        seen["title"] = dialog.windowTitle()
        type_into(qtbot, dialog.name, "trailer")
        choose(qtbot, dialog.format.size_combo, (1920, 1080))
        choose(qtbot, dialog.format.rate_combo, "custom")
        assert dialog.format.rate_edit.isVisible()
        type_into(qtbot, dialog.format.rate_edit, "0")
        seen["refused"] = dialog.format.error.text()
        seen["ok_disabled"] = not dialog.ok.isEnabled()
        type_into(qtbot, dialog.format.rate_edit, "12.5")
        seen["ok_enabled"] = dialog.ok.isEnabled()
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(100, fill)
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert seen == {"title": "New Project", "refused": "Frame rate '0' must be between 0 and 1000 frames per second",
                    "ok_disabled": True, "ok_enabled": True}
    project = win.document.project
    assert project.path == tmp_path / "trailer.shotloom"
    assert (project.size, project.fps) == ((1920, 1080), Fraction(25, 2))
    assert "trailer" in win.windowTitle() and "1920×1080 · 12.5 fps" in win.info_label.text()


def test_new_project_custom_size_is_checked_by_the_engine(qtbot, window, tmp_path, monkeypatch):
    from desktop import theme

    win = window
    monkeypatch.setattr(theme, "projects_folder", lambda: tmp_path)
    (tmp_path / "taken.shotloom").mkdir()
    (tmp_path / "taken.shotloom" / "x").write_text("x")
    seen = {}

    def fill() -> None:
        dialog = win.flow.new_project_widget
        type_into(qtbot, dialog.name, "taken")
        seen["exists"] = dialog.problem.text()
        type_into(qtbot, dialog.name, "square")
        choose(qtbot, dialog.format.size_combo, "custom")
        type_into(qtbot, dialog.format.width_box, "1001")
        type_into(qtbot, dialog.format.height_box, "1000")
        seen["odd"] = dialog.format.error.text()
        seen["blocked"] = not dialog.ok.isEnabled()
        type_into(qtbot, dialog.format.width_box, "1000")
        choose(qtbot, dialog.format.rate_combo, Fraction(30000, 1001))
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)

    QTimer.singleShot(100, fill)
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert "already exists" in seen["exists"]
    assert seen["odd"] == "Frame size 1001×1000 must have even sides (video is encoded in 2×2 blocks); try 1002×1000"
    assert seen["blocked"]
    project = win.document.project
    assert (project.name, project.size, project.fps) == ("square", (1000, 1000), Fraction(30000, 1001))


def test_project_settings_conform_the_rate_and_crop_a_new_size(qtbot, window, footage, tmp_path):
    from engine.media import FrameReader, conform_frame

    win = window
    make_project(win, tmp_path)  # 160×96 at 24 fps
    import_and_wait(qtbot, win, footage)
    win.transport.seek(30)
    qtbot.keyClick(win, Qt.Key.Key_M)
    stack = win.document.undo_stack
    steps = stack.count()

    def fill() -> None:
        dialog = win.project_settings_widget
        choose(qtbot, dialog.format.rate_combo, Fraction(30))
        assert "from 24 to 30 fps" in dialog.note.text()
        choose(qtbot, dialog.format.size_combo, "custom")
        type_into(qtbot, dialog.format.width_box, "96")
        type_into(qtbot, dialog.format.height_box, "96")
        qtbot.mouseClick(dialog.crop, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(100, fill)
    assert win.registry["project_settings"] in win.menus["file"].actions()
    win.registry["project_settings"].trigger()  # File › Project Settings…
    project = win.document.project
    assert (project.fps, project.size, project.fit) == (Fraction(30), (96, 96), "fill")
    # Conformed: each 24-frame shot is 30 frames at 30 fps; the marker kept its time.
    assert [s.frames for s in win.shots] == [30, 30, 30]
    assert [m.frame for m in win.model.markers] == [38]
    assert win.transport.length == 90 and "96×96 · 30 fps" in win.info_label.text()
    assert stack.count() == steps + 1 and stack.undoText() == "Change Project Settings"
    # The viewer shows the 160×96 footage cropped to the square frame.
    win.transport.seek(0)
    shown_frame(qtbot, win, 0)
    source = FrameReader(footage[0], rate=Fraction(30)).frame(0)
    assert win.viewer.canvas.frame.shape[:2] == (96, 96)
    expected = conform_frame(source, (96, 96), "fill")
    assert abs(int(win.viewer.canvas.frame.astype(int).sum()) - int(expected.astype(int).sum())) < 96 * 96 * 3

    win.activateWindow()  # the dialog has gone; a desktop gives the window back its focus
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    project = win.document.project
    assert (project.fps, project.size, project.fit) == (Fraction(24), (160, 96), "fit")
    assert [s.frames for s in win.shots] == [24, 24, 24]
    assert [m.frame for m in win.model.markers] == [30]
    wait_for(qtbot, lambda: win.transport.length == 72, 2)
