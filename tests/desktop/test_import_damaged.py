"""Importing files with damage in the editor: one undo step, a warning that names the frames, and
the preview showing the nearest good frame where a frame is damaged."""

from __future__ import annotations

import sys
from pathlib import Path

from editor_helpers import SIZE, drop_files, make_project, shown_frame, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from media_files import FRAMES, b_frame_packets, ffmpeg, garble_packets  # noqa: E402


def test_damaged_avi_and_a_still_import_in_one_step_with_a_warning(qtbot, window, tmp_path):
    from engine.media.synthetic import make_test_clip

    win = window
    make_project(win, tmp_path)
    master = make_test_clip(tmp_path / "master.mkv", frames=FRAMES, size=SIZE, codec="ffv1", gop=1)
    avi = tmp_path / "camera.avi"
    ffmpeg("-i", master, "-c:v", "mpeg4", "-bf", "2", "-g", "12", "-q:v", "3", avi)
    damaged = garble_packets(avi, tmp_path / "camera_damaged.avi", b_frame_packets(avi)[2:3])
    still = make_test_clip(tmp_path / "poster.png", frames=1, size=SIZE)

    steps = win.document.undo_stack.count()
    drop_files(win.storyboard.viewport(), (30, 30), [damaged, still])
    wait_for(qtbot, lambda: not win.importer.busy and getattr(win, "import_warning_box", None) is not None, 60)

    assert [s.frames for s in win.shots] == [FRAMES, 3 * 24]  # a still lasts 3 s, as on the command line
    assert win.document.undo_stack.count() == steps + 1
    box = win.import_warning_box
    assert box.isVisible() and "camera_damaged.avi" in box.text() and "1 of 36 frames are damaged (frame 4)" in box.text()
    box.close()
    # The damaged frame shows the good frame before it; its neighbours are themselves.
    shown = []
    for t in (3, 4, 5):
        win.transport.seek(t)
        shown.append(shown_frame(qtbot, win, t))
    assert shown == [3, 3, 5]
    win.document.undo_stack.undo()
    assert win.shots == []
