"""Stepping with the keys shows exactly the expected frame (the index is encoded in the pixels)."""

from __future__ import annotations

from editor_helpers import import_and_wait, make_project, shown_frame
from PySide6.QtCore import Qt


def expected_source(win, t):
    for shot in win.shots:
        if shot.start <= t < shot.start + shot.frames:
            return shot.source_in + (t - shot.start)
    raise AssertionError(t)


def test_keys_step_exact_frames(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:2])
    win.activateWindow()
    assert shown_frame(qtbot, win, 0) == 0

    steps = [
        (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier, 1),
        (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier, 2),
        (Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier, 26),  # one second = 24 frames
        (Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier, 25),
        (Qt.Key.Key_Up, Qt.KeyboardModifier.NoModifier, 24),  # previous shot boundary
        (Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier, 0),
        (Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier, 24),  # next shot boundary
        (Qt.Key.Key_End, Qt.KeyboardModifier.NoModifier, 47),
        (Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier, 46),
        (Qt.Key.Key_Home, Qt.KeyboardModifier.NoModifier, 0),
    ]
    for key, modifier, t in steps:
        qtbot.keyClick(win, key, modifier)
        assert win.transport.frame == t
        assert shown_frame(qtbot, win, t) == expected_source(win, t), f"frame {t}"
    # the frame number and timecode are shown under the picture
    assert win.viewer.position.text().startswith("Frame 0 / 47")

    # In/out points and going to them.
    win.transport.seek(5)
    qtbot.keyClick(win, Qt.Key.Key_I)
    win.transport.seek(30)
    qtbot.keyClick(win, Qt.Key.Key_O)
    qtbot.keyClick(win, Qt.Key.Key_I, Qt.KeyboardModifier.ShiftModifier)
    assert (win.transport.mark_in, win.transport.mark_out, win.transport.frame) == (5, 30, 5)
    qtbot.keyClick(win, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    assert win.transport.frame == 30
    assert shown_frame(qtbot, win, 30) == expected_source(win, 30)

    # K held + L / J steps one frame; Space plays and pauses.
    qtbot.keyPress(win, Qt.Key.Key_K)
    qtbot.keyClick(win, Qt.Key.Key_L)
    assert win.transport.frame == 31 and not win.playback.playing
    qtbot.keyClick(win, Qt.Key.Key_J)
    qtbot.keyClick(win, Qt.Key.Key_J)
    assert win.transport.frame == 29
    qtbot.keyRelease(win, Qt.Key.Key_K)
    assert shown_frame(qtbot, win, 29) == expected_source(win, 29)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert win.playback.playing
    qtbot.wait(150)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    assert not win.playback.playing
    t = win.transport.frame
    assert shown_frame(qtbot, win, t) == expected_source(win, t)


def test_menus_show_the_keys_and_keys_are_remappable(qtbot, window, tmp_path):
    win = window
    keys = {k: win.registry.keys(k) for k in ("play_pause", "shuttle_back", "shuttle_stop", "shuttle_forward",
                                               "frame_back", "frame_forward", "second_back", "second_forward",
                                               "go_start", "go_end", "prev_boundary", "next_boundary", "mark_in",
                                               "mark_out", "go_in", "go_out", "split", "delete", "undo", "redo",
                                               "save", "export")}
    assert keys == {
        "play_pause": ["Space"], "shuttle_back": ["J"], "shuttle_stop": ["K"], "shuttle_forward": ["L"],
        "frame_back": ["Left"], "frame_forward": ["Right"], "second_back": ["Shift+Left"],
        "second_forward": ["Shift+Right"], "go_start": ["Home"], "go_end": ["End"], "prev_boundary": ["Up"],
        "next_boundary": ["Down"], "mark_in": ["I"], "mark_out": ["O"], "go_in": ["Shift+I"],
        "go_out": ["Shift+O"], "split": ["S", "Ctrl+K"], "delete": ["Del"], "undo": ["Ctrl+Z"],
        "redo": ["Ctrl+Shift+Z", "Ctrl+Y"], "save": ["Ctrl+S"], "export": ["Ctrl+E"],
    }
    assert win.registry.conflicts() == []
    # Menus list the actions, and Qt shows their shortcuts beside them.
    playback_menu = win.menus["playback"]
    assert win.registry["play_pause"] in playback_menu.actions()

    win.settings.keymap = {"frame_forward": ["."]}
    win.apply_settings()
    assert win.registry.keys("frame_forward") == ["."]
    make_project(win, tmp_path)
    from engine.project import InsertShot  # noqa: F401 - the project needs no shots for this check
    win.transport.length = 10
    qtbot.keyClick(win, Qt.Key.Key_Period)
    assert win.transport.frame == 1
    qtbot.keyClick(win, Qt.Key.Key_Right)
    assert win.transport.frame == 1
