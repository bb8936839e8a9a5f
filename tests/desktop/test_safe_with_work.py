"""The editor with people's work: an autosave older than a command's save is still offered (it holds
edits the file lacks), an autosave a killed editor was writing is swept at the next start, Save As
is not blocked by what a killed one left, and the export dialog refuses to overwrite the footage."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from editor_helpers import import_and_wait, make_project, wait_for
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel

REPO = Path(__file__).resolve().parents[2]


def test_an_autosave_older_than_a_commands_save_is_still_offered(qtbot, footage, tmp_path):
    from desktop.app import build_window
    from desktop.services import autosave as autosave_mod

    first = build_window()
    first.settings.proxies = False
    first.show()
    path = make_project(first, tmp_path, "busy")
    import_and_wait(qtbot, first, footage[:2])
    first.save()
    first.transport.seek(30)
    assert first.commands.split_at_playhead()  # an edit only the autosave holds
    assert first.autosave.autosave() is not None
    first.shutdown()  # the editor "crashes" (no save, no discard) …
    first.document.project.close()  # … and the system drops its lock with the process
    first.hide()
    first.deleteLater()
    time.sleep(0.05)
    # … and a command changes the saved file afterwards: it is now newer than the autosave.
    res = subprocess.run([sys.executable, "-m", "engine.cli", "shot", "trim", str(path), "1", "--in", "2"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    (info,) = autosave_mod.pending_recovery(path)
    assert info.changed_since is not None and "changed at" in info.note

    second = build_window()
    second.settings.proxies = False
    seen = {}

    def answer():
        dialog = second.flow.recovery_dialog
        seen["shown"] = dialog is not None and dialog.isVisible() and "busy" in dialog.findChild(QLabel).text()
        qtbot.mouseClick(dialog.recover_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(200, answer)
    assert second.open_project(path)
    assert seen == {"shown": True}
    recovered = second.document.project
    assert recovered.path.name == "busy (recovered).shotloom" and len(recovered.shots()) == 3
    second._closing_ok = True
    second.close()


def test_the_next_editor_run_sweeps_a_killed_autosave(qtbot, footage, tmp_path):
    from desktop.app import build_window
    from engine import paths
    from engine.fsutil import parse_partial

    folder = paths.autosave_dir() / "0f0f0f0f-0000-4000-8000-000000000000"
    folder.mkdir(parents=True)
    gone = subprocess.Popen(["true"])
    gone.wait()
    left = folder / f".project.partial-{gone.pid}-0123abcd.otio"  # the autosave a killed editor wrote
    left.write_bytes(b"{" * 1000)
    win = build_window()  # the next run: its first project sweeps the autosave folder
    win.settings.proxies = False
    make_project(win, tmp_path)
    assert not left.exists() and not [p for p in folder.iterdir() if parse_partial(p.name)]
    win._closing_ok = True
    win.close()


def test_save_as_is_not_blocked_by_a_killed_one(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path, "orig")
    import_and_wait(qtbot, win, footage[:1])
    win.save()
    stale = tmp_path / ".copy.shotloom.partial"  # what an older editor's killed Save As left
    (stale / "media").mkdir(parents=True)
    (stale / "media" / "big.bin").write_bytes(os.urandom(1 << 20))
    for p in (stale / "media" / "big.bin", stale / "media", stale):
        os.utime(p, (time.time() - 7200,) * 2)
    assert win.save_as(tmp_path / "copy.shotloom")
    assert win.document.project.path.name == "copy.shotloom"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith((".shotloom", ".partial"))) == [
        "copy.shotloom", "orig.shotloom"]


def test_the_export_dialog_refuses_to_overwrite_the_footage(qtbot, window, footage, tmp_path):
    from desktop.views.export_dialog import ExportDialog

    win = window
    make_project(win, tmp_path)
    source = tmp_path / "mine.mp4"
    source.write_bytes(footage[0].read_bytes())
    import_and_wait(qtbot, win, [source])
    before = source.read_bytes()
    dialog = ExportDialog(win.document.project, win.transport, win)
    dialog.show()
    dialog.path.setText(str(source))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: "Export failed" in dialog.status.text(), timeout=10)
    assert "the media of shot 'mine'" in dialog.status.text() and dialog.job is None
    assert source.read_bytes() == before
    dialog.close()
