"""Export from the dialog (decoded back frame by frame) and cancel an export half way."""

from __future__ import annotations

import threading

from editor_helpers import import_and_wait, make_project, wait_for
from PySide6.QtCore import Qt


def open_dialog(win):
    from desktop.views.export_dialog import ExportDialog

    dialog = ExportDialog(win.document.project, win.transport, win)
    dialog.show()
    return dialog


def test_export_from_dialog_and_decode(qtbot, window, footage, tmp_path):
    from engine.media import FrameReader
    from engine.media.synthetic import decode_index

    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage[:2])
    # Export frames 10..33 (in/out inclusive) as H.264.
    win.transport.seek(10)
    win.transport.set_in()
    win.transport.seek(33)
    win.transport.set_out()
    dialog = open_dialog(win)
    assert dialog.in_out.isChecked()
    out = tmp_path / "cut.mp4"
    dialog.path.setText(str(out))
    dialog.preset.setCurrentIndex(dialog.preset.findData("h264"))
    dialog.export_button.click()
    wait_for(qtbot, lambda: dialog.result_path is not None, timeout=60)
    assert dialog.progress.value() == 100
    assert dialog.folder_button.isVisible()
    assert "cut.mp4" in dialog.status.text()
    with FrameReader(out) as reader:
        assert reader.frame_count == 24
        shown = [decode_index(reader.frame(i)) for i in range(24)]
    # timeline frames 10..23 are clip0 frames 10..23, then clip1 frames 0..9
    assert shown == list(range(10, 24)) + list(range(10))
    dialog.close()


def test_cancel_an_export_leaves_no_file(qtbot, window, footage, tmp_path):
    win = window
    make_project(win, tmp_path)
    import_and_wait(qtbot, win, footage)
    dialog = open_dialog(win)
    out = tmp_path / "canceled.mp4"
    dialog.path.setText(str(out))
    reported = threading.Event()
    release = threading.Event()

    def hold(done, total, eta):  # runs on the export thread: wait until the user pressed Cancel
        reported.set()
        release.wait(10)

    dialog.jobCreated.connect(lambda job: job.progress.connect(hold, Qt.ConnectionType.DirectConnection))
    dialog.export_button.click()
    wait_for(qtbot, reported.is_set, timeout=60)
    assert dialog.cancel_button.text() == "Cancel"
    dialog.cancel_button.click()
    release.set()
    wait_for(qtbot, lambda: not dialog.job.running and "canceled" in dialog.status.text(), timeout=60)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]
    assert dialog.export_button.isEnabled()
    dialog.close()
