"""An edit refreshes only what it changed: a trim drag repaints the trimmed card (no storyboard
reset), and frames that did not change stay in the frame cache wherever they now sit."""

from __future__ import annotations

from editor_helpers import drag_out_edge, import_and_wait, make_project, shown_frame
from PySide6.QtCore import Qt


def test_trim_drag_repaints_one_card_and_keeps_cached_frames(qtbot, window, footage, tmp_path):
    from engine.media.synthetic import decode_index

    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    # The viewer shows frame 5 of the third shot (timeline frame 53): it is now in the cache.
    win.transport.seek(53)
    assert shown_frame(qtbot, win, 53) == 5
    third = win.shots[2].id

    resets, rows = [], set()
    model = win.storyboard_model
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, *_: rows.update(range(a.row(), b.row() + 1)))

    drag_out_edge(win, win.shots[0], 4)
    assert win.shots[0].frames == 20
    assert resets == [] and rows == {0}  # one card repainted, four times; no reset
    assert win.model.shots == win.document.project.shots()  # what the views show is the full read
    assert win.storyboard_model.index(0).data(Qt.ItemDataRole.UserRole + 1).frames == 20

    # The same picture now sits 4 frames earlier: it comes from the cache, not from a decode.
    hits = win.server.cache.hits
    win.transport.seek(win.model.shot(third).start + 5)
    assert win.transport.frame == 49
    assert shown_frame(qtbot, win, 49) == 5
    assert win.server.cache.hits > hits
    assert decode_index(win.viewer.canvas.frame) == 5
