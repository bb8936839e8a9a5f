"""The smaller things a creator notices: the in/out range on the ruler with its times, the export
dialog's frame count following in/out, exporting the timeline for other editors, the About box's Qt
version, undo steps and refusals in Chinese, a recovered project's name, and Ctrl+S on an unchanged
project writing nothing."""

from __future__ import annotations

import opentimelineio as otio
from editor_helpers import crash_with_changes, import_and_wait, make_project, mouse, wait_for, zoomed_timeline
from PySide6.QtCore import QEvent, Qt, QTimer


def test_in_out_range_on_the_ruler_with_its_times(qtbot, window, footage, tmp_path):
    from desktop.views.timeline import RULER_H

    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    canvas = zoomed_timeline(win)
    win.transport.seek(12)
    qtbot.keyClick(win, Qt.Key.Key_I)
    win.transport.seek(35)
    qtbot.keyClick(win, Qt.Key.Key_O)
    win.transport.seek(60)
    assert canvas.in_out_texts() == ("In 00:00:00:12", "Out 00:00:01:11")
    image = canvas.grab().toImage()

    def blueish(x: float) -> bool:
        c = image.pixelColor(int(x), RULER_H - 3)
        return c.blue() > c.red() + 40 and c.blue() > 100  # the band's blue (IN_OUT) over the ruler

    def share(first: int, last: int) -> float:
        xs = range(int(canvas.x_of(first)), int(canvas.x_of(last)))
        return sum(blueish(x) for x in xs) / len(xs)

    assert share(13, 35) > 0.85  # the band over the range (ticks cross it here and there)
    assert share(0, 11) < 0.1 and share(37, 60) < 0.1


def test_export_dialog_counts_in_out_and_writes_timelines(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    win.transport.seek(5)
    qtbot.keyClick(win, Qt.Key.Key_I)
    win.transport.seek(28)
    qtbot.keyClick(win, Qt.Key.Key_O)
    seen = {}

    def use() -> None:
        dialog = win.export_dialog_widget
        seen["in_out"] = dialog.status.text()
        qtbot.mouseClick(dialog.whole, Qt.MouseButton.LeftButton)
        seen["whole"] = dialog.status.text()
        dialog.preset.setFocus()
        while dialog.preset.currentData() != "fcp_xml":
            qtbot.keyClick(dialog.preset, Qt.Key.Key_Down)
        seen["timeline"] = dialog.status.text()
        seen["range_off"] = not dialog.whole.isEnabled() and not dialog.in_out.isEnabled()
        dialog.path.setFocus()
        dialog.path.selectAll()
        qtbot.keyClicks(dialog.path, str(tmp_path / "for-premiere.xml"))
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        wait_for(qtbot, lambda: dialog.result_path is not None, 30)
        seen["done"] = dialog.status.text()
        dialog.reject()

    QTimer.singleShot(100, use)
    qtbot.keyClick(win, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert seen["in_out"] == "Ready to export 24 frames (00:00:01:00)."
    assert seen["whole"] == "Ready to export 72 frames (00:00:03:00)."
    assert seen["timeline"].startswith("Writes the timeline (3 shots)") and seen["range_off"]
    assert "for-premiere.xml" in seen["done"]
    timeline = otio.adapters.read_from_file(str(tmp_path / "for-premiere.xml"), "fcp_xml")
    clips = [c for c in timeline.find_clips() if c.name.startswith("clip")]
    assert [c.name for c in clips] == ["clip0", "clip1", "clip2"]
    assert [c.source_range.duration.value for c in clips] == [24, 24, 24]
    assert clips[0].media_reference.target_url.endswith("clip0.mp4")


def test_about_names_the_qt_version(qtbot, window):
    from PySide6.QtCore import qVersion

    win = window
    seen = {}

    def read() -> None:
        seen["text"] = win.about_box.text()
        win.about_box.accept()

    QTimer.singleShot(100, read)
    win.registry["about"].trigger()
    assert f"Qt {qVersion()}" in seen["text"] and "Qt 0.1.0" not in seen["text"]


def test_undo_steps_and_refusals_in_chinese(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:2])
    canvas = zoomed_timeline(win, 8.0)
    y = canvas.video_rect().center().y()
    x = canvas.x_of(win.shots[0].end) - 2
    mouse(canvas, QEvent.Type.MouseButtonPress, x, y)
    mouse(canvas, QEvent.Type.MouseMove, x - 16, y)
    mouse(canvas, QEvent.Type.MouseButtonRelease, x - 16, y, Qt.MouseButton.NoButton)
    assert win.registry["undo"].text() == "&Undo Trim Shot"
    win.settings.language = "zh_CN"
    win.apply_settings()
    try:
        # The step made in English is named in Chinese now.
        assert win.registry["undo"].text() == "撤销 修剪镜头(&U)"
        assert win.document.undo_stack.undoText() == "修剪镜头"
        # A refused trim (past the end of the media) says why in Chinese.
        x = canvas.x_of(win.shots[0].end) - 2
        mouse(canvas, QEvent.Type.MouseButtonPress, x, y)
        mouse(canvas, QEvent.Type.MouseMove, x + 40, y)
        mouse(canvas, QEvent.Type.MouseButtonRelease, x + 40, y, Qt.MouseButton.NoButton)
        message = win.statusBar().currentMessage()
        assert "clip0" in message and "帧" in message and "needs" not in message, message
    finally:
        win.settings.language = "en"
        win.apply_settings()
    assert win.document.undo_stack.undoText() == "Trim Shot"


def crash(win, path, frame: int = 30) -> None:
    assert win.open_project(path, check_recovery=False)
    crash_with_changes(win, path, frame)


def recover(qtbot, path):
    from desktop.app import build_window

    win = build_window()
    win.settings.proxies = False
    QTimer.singleShot(200, lambda: win.flow.recovery_dialog.recover_button.click())
    assert win.open_project(path)
    return win


def test_a_recovered_project_is_named_after_its_copy(qtbot, window, footage, tmp_path):
    from desktop.app import build_window

    win = window
    path = make_project(win, tmp_path, "crashy")
    import_and_wait(qtbot, win, footage[:2])
    win.save()
    win.close_project()
    crash(build_window(), path)
    second = recover(qtbot, path)
    assert second.document.project.path.name == "crashy (recovered).shotloom"
    assert second.windowTitle().startswith("crashy (recovered)") and second.document.project.name == "crashy (recovered)"
    copy = second.document.project.path
    second._closing_ok = True
    second.close()
    # Recovering the recovered copy again: "crashy (recovered 2)", never "(recovered) (recovered)".
    crash(build_window(), copy, 40)
    third = recover(qtbot, copy)
    assert third.document.project.path.name == "crashy (recovered 2).shotloom"
    assert third.document.project.name == "crashy (recovered 2)"
    third._closing_ok = True
    third.close()


def test_ctrl_s_on_an_unchanged_project_writes_nothing(qtbot, window, footage, tmp_path):
    win = window
    path = make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:1])
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not win.document.dirty
    files = sorted(p.name for p in path.iterdir() if p.is_file())
    stamps = {name: ((path / name).stat().st_mtime_ns, (path / name).read_bytes()) for name in files}
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert win.statusBar().currentMessage() == "No changes to save"
    assert sorted(p.name for p in path.iterdir() if p.is_file()) == files
    assert {name: ((path / name).stat().st_mtime_ns, (path / name).read_bytes()) for name in files} == stamps
