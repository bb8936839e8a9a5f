"""Crash recovery from autosave, autosave rules, and broken files dropped in."""

from __future__ import annotations

import os
import sys

from editor_helpers import crash_with_changes, drop_files, import_and_wait, make_project, wait_for
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel


def test_autosave_never_touches_the_users_file_and_runs_every_25_edits(qtbot, window, footage, tmp_path):
    from desktop.services.autosave import autosave_folder
    from engine.project import SetNotes

    win = window
    path = make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:1])
    win.save()
    before = (path / "project.otio").read_bytes()
    shot = win.shots[0].id
    folder = autosave_folder(win.document.project.id)
    for i in range(24):
        win.document.apply(SetNotes(shot, f"note {i}"), "Notes")
    assert not (folder / "project.otio").exists()
    win.document.apply(SetNotes(shot, "note 24"), "Notes")
    assert (folder / "project.otio").exists()
    assert (path / "project.otio").read_bytes() == before
    # A save removes the autosave: nothing left to recover.
    win.save()
    assert not folder.exists()


def test_recovery_dialog_after_a_crash_opens_a_copy(qtbot, footage, tmp_path):
    from desktop.app import build_window
    from engine.project import Project

    first = build_window()
    first.settings.proxies = False
    first.show()
    path = make_project(first, tmp_path, "crashy")
    import_and_wait(qtbot, first, footage[:2])
    first.save()
    saved = (path / "project.otio").read_bytes()
    crash_with_changes(first, path)

    second = build_window()
    second.settings.proxies = False
    seen = {}

    def answer():
        dialog = second.flow.recovery_dialog
        seen["visible"] = dialog.isVisible()
        seen["names"] = "crashy" in dialog.findChild(QLabel).text()
        dialog.recover_button.click()

    QTimer.singleShot(200, answer)
    assert second.open_project(path)
    assert seen == {"visible": True, "names": True}
    recovered = second.document.project
    assert recovered.path.name == "crashy (recovered).shotloom"
    assert len(recovered.shots()) == 3
    assert (path / "project.otio").read_bytes() == saved
    assert len(Project.open(path).shots()) == 2
    second._closing_ok = True
    second.close()


def test_broken_file_dropped_gives_a_message_and_changes_nothing(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:1])
    win.save()
    before = win.document.project.serialize()
    steps = win.document.undo_stack.count()
    garbage = tmp_path / "broken.mp4"
    garbage.write_bytes(os.urandom(4096))
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(footage[1].read_bytes()[:600])
    drop_files(win.storyboard.viewport(), (30, 30), [garbage, truncated])
    assert win.import_bar.isVisible()
    wait_for(qtbot, lambda: not win.importer.busy and getattr(win, "import_error_box", None) is not None, 60)
    box = win.import_error_box
    assert box.isVisible()
    assert "broken.mp4" in box.text() and "truncated.mp4" in box.text()
    assert all(len(line.splitlines()) == 1 for line in win.import_errors)
    box.close()
    same = win.document.project.serialize() == before
    assert same
    assert win.document.undo_stack.count() == steps and not win.document.dirty
    assert [s.name for s in win.shots] == ["clip0"]
    assert "torch" not in sys.modules
