"""The studio, driven as a creator drives it, with a real engine worker process on the tiny test
model (2–4 denoise steps, 64×64): new shot from a prompt, generate with progress, live preview
and the take appearing; extend forward; a second take, set active and undo; cancel from the queue
panel; the worker killed mid-job and the job resumed by a fresh one."""

from __future__ import annotations

import sys

import pytest
from editor_helpers import make_project, wait_for
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import (
    build_tiny_model,
    card_status,
    click_card,
    click_list_item,
    click_row,
    engine_window,
    focus_window,
    link_tiny_model,
    new_shot_by_dialog,
)

SIZE = (64, 64)


@pytest.fixture(scope="session")
def tiny_ltx(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny-home"))


@pytest.fixture
def studio(qtbot, tiny_ltx, shotloom_home):
    link_tiny_model(tiny_ltx, shotloom_home)
    yield from engine_window(qtbot)


def set_steps_in_inspector(qtbot, win, steps: int) -> None:
    box = win.inspector.steps
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    box.selectAll()
    QTest.keyClicks(box, str(steps))
    qtbot.keyClick(box, Qt.Key.Key_Return)


def test_generate_extend_takes_cancel_and_recover(qtbot, studio, tmp_path):
    from engine.gen.takes import SPEC_KEY

    win = studio
    make_project(win, tmp_path, "studio")
    assert "idle" in win.engine_label.text().lower()

    # A new shot from a prompt, then 4 steps in the inspector (one undo step).
    shot_id = new_shot_by_dialog(qtbot, win, "a red lighthouse at dusk")
    assert card_status(win, shot_id) == "pending"
    assert win.inspector.prompt.toPlainText() == "a red lighthouse at dusk"
    set_steps_in_inspector(qtbot, win, 4)
    assert win.model.shot(shot_id).recipe[SPEC_KEY]["steps"] == 4
    assert win.document.undo_stack.undoText() == "Change Steps"

    # Generate (Ctrl+G): queued, rendering with progress and a live preview, then the take.
    events = []
    win.engine.event.connect(lambda e: events.append(getattr(e, "type", "")))
    click_card(qtbot, win, 0)
    qtbot.keyClick(win, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert card_status(win, shot_id) in ("queued", "rendering"), win.statusBar().currentMessage()
    assert win.queue_panel.tree.topLevelItemCount() == 1
    wait_for(qtbot, lambda: card_status(win, shot_id) == "rendering" and win.model.jobs[shot_id].progress > 0,
             timeout=120)
    assert "busy" in win.engine_label.text().lower()
    wait_for(qtbot, lambda: win.queue_panel.preview_painted_at > 0, timeout=60)
    assert not win.queue_panel.preview.pixmap().isNull()
    wait_for(qtbot, lambda: len(win.model.shot(shot_id).takes) == 1, timeout=120)
    shot = win.model.shot(shot_id)
    assert shot.status == "ready" and card_status(win, shot_id) == "ready"
    assert win.document.undo_stack.undoText().startswith("Generated Take for")
    assert "progress" in events and "preview" in events
    first_take = shot.takes[0].id
    assert win.device_label.text().startswith("CPU · ") and "GiB free" in win.device_label.text()

    # Extend forward (Ctrl+]): a pending shot placed right after its source, recipe filled in.
    click_card(qtbot, win, 0)
    qtbot.keyClick(win, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier)
    assert len(win.shots) == 2
    ext = win.shots[1]
    spec = ext.recipe[SPEC_KEY]
    assert (spec["task"], spec["source_shot"], spec["direction"]) == ("extend", shot_id, "forward")
    assert spec["prompt"] == "a red lighthouse at dusk" and ext.status == "pending"

    # A second take of the first shot (Ctrl+G on a ready shot replays its recipe).
    click_card(qtbot, win, 0)
    qtbot.keyClick(win, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    wait_for(qtbot, lambda: len(win.model.shot(shot_id).takes) == 2, timeout=120)
    second_take = next(t.id for t in win.model.shot(shot_id).takes if t.active)
    assert second_take != first_take
    # Set the first take active in the takes panel, then undo it.
    click_card(qtbot, win, 0)
    assert win.takes.list.count() == 2
    # Take 1 is the first one made; the second is active.
    assert win.takes.list.item(0).data(Qt.ItemDataRole.UserRole + 10).id == first_take
    assert win.takes.list.item(1).text().startswith("Take 2  ·  active")
    click_list_item(qtbot, win.takes.list, 0)
    assert win.takes.active_button.isEnabled()
    qtbot.mouseClick(win.takes.active_button, Qt.MouseButton.LeftButton)
    assert win.model.shot(shot_id).take_id == first_take
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.model.shot(shot_id).take_id == second_take

    # Cancel the extension's job from the queue panel.
    click_card(qtbot, win, 1)
    qtbot.keyClick(win, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    ext_id = ext.id
    wait_for(qtbot, lambda: win.model.jobs.get(ext_id) is not None, timeout=10)
    job_id = win.model.jobs[ext_id].job_id
    row = next(i for i in range(win.queue_panel.tree.topLevelItemCount())
               if win.queue_panel.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole + 20) == job_id)
    win.docks["queue"].raise_()  # the Queue tab
    qtbot.waitUntil(win.queue_panel.tree.isVisible)
    click_row(qtbot, win.queue_panel.tree, row)
    assert win.queue_panel.selected_job().id == job_id
    assert win.queue_panel.cancel_button.isEnabled(), win.engine.job(job_id).status
    qtbot.mouseClick(win.queue_panel.cancel_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: win.engine.job(job_id).status == "canceled", timeout=60)
    wait_for(qtbot, lambda: card_status(win, ext_id) == "pending", timeout=10)
    assert win.model.shot(ext_id).takes == ()

    # Generate it again and kill the worker mid-job: the editor says so, a fresh worker resumes it.
    click_card(qtbot, win, 1)
    qtbot.keyClick(win, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    wait_for(qtbot, lambda: card_status(win, ext_id) == "rendering", timeout=120)
    old_pid = win.engine.worker_pid
    messages = []
    win.engine.workerDied.connect(messages.append)
    win.engine.kill_worker()
    wait_for(qtbot, lambda: bool(messages), timeout=30)
    assert "stopped unexpectedly" in messages[0] and "restarting" in messages[0]
    wait_for(qtbot, lambda: len(win.model.shot(ext_id).takes) == 1, timeout=180)
    assert win.engine.worker_pid != old_pid
    assert win.model.shot(ext_id).status == "ready"
    assert "torch" not in sys.modules


def test_render_from_a_terminal_while_the_editor_owns_the_project(qtbot, studio, tmp_path, shotloom_home):
    """`shotloom render` in another process is refused (the editor holds the project), or its take
    ends up in the project: the editor sees the file change and reloads it, never overwriting it."""
    import os
    import subprocess

    from studio_helpers import ROOT

    win = studio
    path = make_project(win, tmp_path, "shared")
    new_shot_by_dialog(qtbot, win, "a boat on a calm sea")
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not win.document.dirty
    env = dict(os.environ, SHOTLOOM_HOME=str(shotloom_home))
    result = subprocess.run([sys.executable, "-m", "engine.cli", "render", str(path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    if result.returncode == 1:
        # Refused: one line naming who holds the project; nothing changed.
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        assert len(lines) == 1 and "shotloom-gui" in lines[0], result.stderr
        assert win.model.shots[0].status == "pending"
        return
    assert result.returncode == 0, result.stderr[-2000:]
    # The take was written by the terminal: the editor offers to reload, and the take is not lost.
    wait_for(qtbot, lambda: win.flow.reload_box is not None and win.flow.reload_box.isVisible(), 10)
    qtbot.mouseClick(win.flow.reload_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: win.model.shots and len(win.model.shots[0].takes) == 1, timeout=10)
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    from engine.project import Project

    assert len(Project.open(path).shots()[0].takes) == 1


SUBMIT = """
import sys
from engine.jobs.commands import submit_shots
from engine.jobs.queue import JobQueue
from engine.project import Project

project = Project.open(sys.argv[1])
shot = project.shot(sys.argv[2])
with JobQueue() as queue:
    waiting, _ = submit_shots(project, queue, [shot])
print(waiting[0].id)
"""


def test_a_take_whose_worker_the_editor_never_hears_from_still_lands(qtbot, studio, tmp_path, shotloom_home):
    """The queue is the truth, not the worker's messages: a job of the open project submitted and
    run by other processes (a terminal's `render --queue`, another machine's worker on the shared
    queue; the same as a message lost when a worker is killed right after its commit) shows on its
    card and its take lands as one undo step, though the editor's own worker never says a word of it."""
    import os
    import subprocess

    from studio_helpers import ROOT

    from engine.jobs.apply import project_key
    from engine.jobs.models import GENERATION_KINDS, JobKind

    win = studio
    path = make_project(win, tmp_path, "elsewhere")
    shot_id = new_shot_by_dialog(qtbot, win, "a lighthouse at dusk")
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    # The editor's worker keeps to everything but generation (as when a farm renders).
    from typing import get_args

    win.engine.client.set_kinds([k for k in get_args(JobKind) if k not in GENERATION_KINDS])
    env = dict(os.environ, SHOTLOOM_HOME=str(shotloom_home))
    submitted = subprocess.run([sys.executable, "-c", SUBMIT, str(path), shot_id], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120, check=False)
    assert submitted.returncode == 0, submitted.stderr[-2000:]
    wait_for(qtbot, lambda: card_status(win, shot_id) == "queued", timeout=10)
    undo_steps = win.document.undo_stack.count()
    worker = subprocess.run([sys.executable, "-m", "engine.worker", "--kinds", ",".join(GENERATION_KINDS),
                             "--project", project_key(path), "--exit-when-idle"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert worker.returncode == 0, worker.stderr[-2000:]
    wait_for(qtbot, lambda: win.model.shot(shot_id).status == "ready", timeout=10)
    assert len(win.model.shot(shot_id).takes) == 1 and card_status(win, shot_id) == "ready"
    assert win.document.undo_stack.count() == undo_steps + 1
    assert win.document.undo_stack.undoText().startswith("Generated Take for")
    # Undone, it stays undone: the queue still lists the job, but this editor applied it already.
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_for(qtbot, lambda: win.model.shot(shot_id).status == "pending", timeout=10)
    qtbot.wait(1500)
    assert win.model.shot(shot_id).status == "pending" and win.document.undo_stack.canRedo()


def test_queued_from_a_terminal_then_a_trimmed_source_marks_its_extension_stale(qtbot, studio, tmp_path,
                                                                                   shotloom_home):
    """A job of the open project submitted by another program (as `shotloom render --queue` does) is
    run by the editor's worker and its take lands in the project as one undo step. Trimming the
    shot it extends then marks the extension stale, and Ctrl+Shift+G queues it again."""
    import os
    import subprocess
    from fractions import Fraction

    from editor_helpers import import_and_wait
    from studio_helpers import ROOT

    from engine.media.synthetic import make_test_clip

    win = studio
    path = make_project(win, tmp_path, "stale")
    clip = make_test_clip(tmp_path / "sea.mp4", frames=24, rate=Fraction(24), size=SIZE, seed=3, gop=1)
    import_and_wait(qtbot, win, [clip])
    focus_window(win)
    click_card(qtbot, win, 0)
    qtbot.keyClick(win, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier)
    source, ext = win.shots[0], win.shots[1]
    assert ext.status == "pending"
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    env = dict(os.environ, SHOTLOOM_HOME=str(shotloom_home))
    result = subprocess.run([sys.executable, "-c", SUBMIT, str(path), ext.id], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    wait_for(qtbot, lambda: len(win.model.shot(ext.id).takes) == 1, timeout=180)
    assert win.model.shot(ext.id).status == "ready"
    assert win.document.undo_stack.undoText().startswith("Generated Take for")

    # Trim the source's tail by dragging its out edge: the extension no longer continues it.
    from editor_helpers import drag_out_edge

    drag_out_edge(win, source, 4)
    assert win.model.shot(source.id).frames == source.frames - 4
    assert card_status(win, ext.id) == "stale"
    assert win.model.shots == win.document.project.shots()  # the incremental view is the full read
    focus_window(win)
    qtbot.keyClick(win, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert card_status(win, ext.id) in ("queued", "rendering")
