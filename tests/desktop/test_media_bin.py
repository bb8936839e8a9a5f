"""Importing: the dialog offers every common format and "All files"; the media bin keeps imported
files whether or not a shot uses them (saved in the project), imports without making shots (files
dropped on it, reported as a copy), and lists generated and loose takes too."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from editor_helpers import drop_files, import_and_wait, make_project, wait_for
from PySide6.QtCore import Qt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from media_files import ffmpeg  # noqa: E402


def bin_names(win) -> list[str]:
    return [e.path.name for e in win.bin_model.items]


def test_import_dialog_offers_every_common_format_and_all_files(qtbot, window, footage, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    win = window
    make_project(win, tmp_path)
    mpg, ts = tmp_path / "camcorder.mpg", tmp_path / "broadcast.ts"
    ffmpeg("-i", footage[0], "-c:v", "mpeg2video", "-q:v", "4", mpg)
    ffmpeg("-i", footage[1], "-c:v", "mpeg2video", "-q:v", "4", "-f", "mpegts", ts)
    asked = {}

    def pick(parent, caption, folder, filters):  # the platform's file dialog cannot run offscreen
        asked["filters"] = filters
        return [str(mpg), str(ts)], filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", pick)
    qtbot.keyClick(win, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    for suffix in ("mpg", "mpeg", "ts", "m2ts", "mts", "vob", "wmv", "flv", "3gp", "mxf", "webm", "MOV", "png"):
        assert f"*.{suffix}" in asked["filters"].split(";;")[0], suffix
    assert asked["filters"].split(";;")[-1] == "All files (*)"
    wait_for(qtbot, lambda: len(win.shots) == 2 and not win.importer.busy, 60)
    assert [s.name for s in win.shots] == ["camcorder", "broadcast"]
    assert all(s.frames == 24 for s in win.shots)


def test_media_bin_keeps_files_imports_without_shots_and_lists_takes(qtbot, window, footage, tmp_path):
    from engine.project import AddTake, KeepLooseTake, Project

    win = window
    path = make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:2])
    assert bin_names(win) == ["clip0.mp4", "clip1.mp4"]
    stack = win.document.undo_stack

    # Deleting a shot keeps its file in the bin.
    win.model.selection.set([win.shots[0].id])
    qtbot.keyClick(win, Qt.Key.Key_Delete)
    assert [s.name for s in win.shots] == ["clip1"]
    assert bin_names(win) == ["clip0.mp4", "clip1.mp4"]

    # Files dropped on the bin are imported into it only: no shot, one undo step, reported as a copy.
    steps = stack.count()
    drop = drop_files(win.bin.viewport(), (20, 20), [footage[2]])
    assert drop.dropAction() == Qt.DropAction.CopyAction
    wait_for(qtbot, lambda: "clip2.mp4" in bin_names(win) and not win.importer.busy, 60)
    assert [s.name for s in win.shots] == ["clip1"]
    assert stack.count() == steps + 1 and stack.undoText() == "Import clip2.mp4 to the Media Bin"
    wait_for(qtbot, lambda: "24 frames" in win.bin_model.data(win.bin_model.index(2)), 30)

    # A generated take and a loose take are listed too.
    take_dir = path / "media" / "generated" / "t-gen"
    take_dir.mkdir(parents=True)
    shutil.copy(footage[0], take_dir / "master.mp4")
    loose_dir = path / "media" / "generated" / "t-loose"
    loose_dir.mkdir(parents=True)
    shutil.copy(footage[1], loose_dir / "master.mp4")
    win.document.apply(AddTake(win.shots[0].id, "t-gen", take_dir / "master.mp4", kind="generated",
                               activate=False), "Add Take")
    win.document.apply(KeepLooseTake("t-loose", loose_dir / "master.mp4", "gone", "Old shot"), "Keep Take")
    kinds = {e.path.parent.name if e.kind != "imported" else e.path.name: (e.kind, e.label)
             for e in win.bin_model.items}
    assert kinds["t-gen"] == ("generated", "clip1 · take 2")
    assert kinds["t-loose"] == ("loose", "loose take of Old shot")

    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [b.path.name for b in Project.open(path).bin_items()] == ["clip0.mp4", "clip1.mp4", "clip2.mp4"]

    # Undo the drop: clip2 leaves the bin again (it was never a shot).
    while stack.undoText() != "Import clip2.mp4 to the Media Bin":
        stack.undo()
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "clip2.mp4" not in bin_names(win)

    # Dragging a file from the bin to the storyboard makes it a shot (and it stays in the bin).
    from editor_helpers import drop_event

    mime = win.bin_model.mimeData([win.bin_model.index(0)])
    board = win.storyboard.viewport()
    from PySide6.QtCore import QEvent

    assert drop_event(board, (5, 20), mime, QEvent.Type.DragEnter, Qt.DropAction.CopyAction).isAccepted()
    result = drop_event(board, (5, 20), mime, QEvent.Type.Drop, Qt.DropAction.CopyAction)
    assert result.dropAction() == Qt.DropAction.CopyAction
    wait_for(qtbot, lambda: len(win.shots) == 2 and not win.importer.busy, 60)
    assert [s.name for s in win.shots] == ["clip0", "clip1"]
    assert bin_names(win)[:2] == ["clip0.mp4", "clip1.mp4"]
