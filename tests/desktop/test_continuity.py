"""The continuity inspector in the editor, on real footage (OpenCV's vtest: people walking past a
still camera) through the real engine worker: the seam markers come from a real analysis,
clicking a marker or a row shows the seam's two sides in the A/B viewer, a repair is one undo
step, and an edit makes the analysis run again for the new timeline."""

from __future__ import annotations

import uuid
from fractions import Fraction

import pytest
from editor_helpers import make_project, wait_for
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from studio_helpers import click_row, engine_window

from desktop.views.timeline import RULER_H, SEAM_H


@pytest.fixture
def jump_cut_project(tmp_path):
    """vtest 100-179 split at 30 with 2 s removed after the split (a jump cut), then a cut to box."""
    from engine.analysis.footage import footage_path
    from engine.project import InsertShot, Project, SplitShot, TrimShot

    project = Project.create(tmp_path / "square", fps=Fraction(10), size=(320, 240))
    project.apply(InsertShot(index=0, name="square", media_path=footage_path("vtest"), source_in=100, frames=80))
    right = uuid.uuid4().hex
    project.apply(SplitShot(project.shots()[0].id, 30, new_shot_id=right))
    project.apply(TrimShot(right, "in", 20))
    project.apply(InsertShot(index=2, name="box", media_path=footage_path("box"), source_in=0, frames=30))
    project.save()
    return project.path


@pytest.fixture
def window_with_engine(qtbot, shotloom_home):
    yield from engine_window(qtbot)


def analyse(qtbot, win) -> None:
    panel = win.continuity.panel
    win.docks["seams"].raise_()
    qtbot.mouseClick(panel.analyze_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: win.continuity.report is not None and not win.continuity.busy, timeout=120)


def test_markers_from_a_real_analysis_select_the_seam_and_show_both_sides(qtbot, window_with_engine,
                                                                          jump_cut_project):
    win = window_with_engine
    assert win.open_project(jump_cut_project)
    canvas = win.timeline.canvas
    assert canvas.data.seams == {}  # no marker before an analysis (no triangle at every cut)
    analyse(qtbot, win)

    report = win.continuity.report
    jump, cut = report.seams
    assert (jump.frame, jump.kinds, jump.severity, jump.expected) == (30, ["jump"], "defect", "continuous")
    assert cut.expected == "cut" and cut.severity != "defect"
    marks = canvas.data.seams
    assert marks[30].severity == "defect" and "jump" in marks[30].text and "score" in marks[30].text
    assert marks[cut.frame].severity == cut.severity
    panel = win.continuity.panel
    assert panel.tree.topLevelItemCount() == 2 and "jump" in panel.tree.topLevelItem(0).text(0)

    # Hover the jump's marker: the tooltip Qt asks for names the kind and the score.
    canvas.set_zoom(4.0)
    x = round(canvas.x_of(30))
    at = QPoint(x, RULER_H - SEAM_H // 2)
    QApplication.sendEvent(canvas, QHelpEvent(QEvent.Type.ToolTip, at, canvas.mapToGlobal(at)))
    assert QToolTip.isVisible() and "jump" in QToolTip.text() and "score" in QToolTip.text(), QToolTip.text()
    QToolTip.hideText()

    # Click the jump's marker on the timeline: the seam is selected, the viewer shows A and B.
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, RULER_H - SEAM_H // 2))
    assert win.continuity.selected == 0 and panel.tree.currentIndex().row() == 0
    assert win.transport.frame == 30
    viewer = win.viewer
    assert viewer.canvas.compare == "side"
    (_, path_a, frame_a), (_, path_b, frame_b) = viewer.pinned
    assert (frame_a, frame_b) == (129, 150)  # the last frame before the removed 2 s, the first after
    wait_for(qtbot, lambda: viewer.canvas.clip_a is not None and viewer.canvas.clip_b is not None, timeout=20)
    assert viewer.canvas.labels[0].startswith("A: square") and viewer.canvas.labels[1].startswith("B: square")

    # A row of the panel selects its seam the same way.
    click_row(qtbot, panel.tree, 1)
    assert win.continuity.selected == 1 and win.transport.frame == cut.frame
    assert viewer.pinned[1][0].startswith("B: box")

    # Another project opened: the seam's two sides go with the project they belong to.
    win.document.undo_stack.setClean()
    make_project(win, jump_cut_project.parent, "next")
    assert viewer.canvas.compare == "off" and viewer.pinned is None and not viewer.combo_a.isVisible()
    assert win.actions["compare_off"].isChecked() and panel.tree.topLevelItemCount() == 0


def test_a_repair_from_the_panel_is_one_undo_step_and_the_analysis_follows(qtbot, window_with_engine,
                                                                          jump_cut_project):
    win = window_with_engine
    assert win.open_project(jump_cut_project)
    analyse(qtbot, win)
    panel = win.continuity.panel
    click_row(qtbot, panel.tree, 0)
    button = panel.repair_buttons["color"]
    assert button.isEnabled()
    b = win.model.shots[1]
    takes_before, count_before = len(b.takes), win.document.undo_stack.count()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: win.document.undo_stack.count() == count_before + 1, timeout=60)
    b = win.model.shots[1]
    assert len(b.takes) == takes_before + 1 and b.take_id != win.model.shots[0].take_id
    assert win.document.undo_stack.undoText() == "Repair Seam: Match Colour"
    # The timeline changed: the old markers go, and the analysis runs again by itself.
    assert win.timeline.canvas.data.seams == {} or win.continuity.busy
    wait_for(qtbot, lambda: win.continuity.report is not None and not win.continuity.busy, timeout=120)
    # The repaired take keeps the join's meaning (still one recording: a jump, now graded alike).
    assert win.continuity.report.seams[0].expected == "continuous"

    win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.document.undo_stack.index() == count_before  # one step undoes the whole repair
    assert len(win.model.shots[1].takes) == takes_before
