"""Render on a farm from the editor, as a creator does it: a real farm (`shotloom farm serve
--num-cpus 1`: a Ray head on this machine's CPU and the tiny model) started once for the module,
chosen in the queue panel's Render on list with its URL and token; a wrong token and a farm that is
not there are refused in one line; the farm's status shows nodes, GPUs and workers; a pending shot
generated on the farm arrives as one undoable step. The editor process itself never imports Ray
(test_zz_no_torch checks it after every editor test)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from editor_helpers import make_project, wait_for
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import build_tiny_model, card_status, click_card, engine_window, focus_window, new_shot_by_dialog

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Farm:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    """`shotloom farm serve` on this machine (its own Ray head on a free port, one CPU worker), with
    the tiny model in its models folder; stopped (Ray with it) after the module."""
    from engine.farm.client import FarmClient

    models_home = tmp_path_factory.mktemp("farm-models")
    build_tiny_model(models_home)
    home = tmp_path_factory.mktemp("farm-home")
    env = {**os.environ, "SHOTLOOM_HOME": str(models_home), "RAY_USAGE_STATS_ENABLED": "0", "HF_HUB_OFFLINE": "1"}
    env.pop("SHOTLOOM_FARM_TOKEN", None)
    log = open(home / "serve.log", "w")  # noqa: SIM115 - closed after the farm stops
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "farm", "serve", "--num-cpus", "1", "--port", "0",
                             "--ray-port", str(free_port()), "--home", str(home)],
                            stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT, env=env, start_new_session=True)
    try:
        url = next((line.split()[-1] for line in proc.stdout if line.startswith("farm: serving ")), None)
        assert url, (home / "serve.log").read_text()[-3000:]
        farm = Farm(url, (home / "token").read_text().strip())
        client = FarmClient(url, farm.token)
        deadline = time.monotonic() + 120
        while not any(w.state == "idle" for w in client.status().workers):
            assert time.monotonic() < deadline, "the farm's worker did not start"
            time.sleep(0.25)
        client.close()
        yield farm
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything of Ray's left in the farm's session
        except ProcessLookupError:
            pass
        proc.wait()
        log.close()


@pytest.fixture
def editor(qtbot, shotloom_home):
    yield from engine_window(qtbot)


def choose(qtbot, combo, text: str) -> None:
    """Open the list with the mouse, walk to the entry that starts with `text` with the arrow keys
    and take it with Return (the offscreen platform's popups do not take mouse clicks)."""
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    view = combo.view()
    wait_for(qtbot, view.isVisible, timeout=5)
    row = next(i for i in range(combo.count()) if combo.itemText(i).startswith(text))
    step = Qt.Key.Key_Down if row > combo.currentIndex() else Qt.Key.Key_Up
    for _ in range(abs(row - combo.currentIndex())):
        qtbot.keyClick(view, step)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    wait_for(qtbot, lambda: not view.isVisible(), timeout=5)


def type_into(qtbot, field, text: str) -> None:
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    QTest.keyClicks(field, text)


def connect(qtbot, dialog, url: str, token: str) -> str:
    """Fill in the farm dialog, press Connect, and return the line it answers (empty: accepted)."""
    type_into(qtbot, dialog.url, url)
    type_into(qtbot, dialog.token, token)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: not dialog.isVisible() or (dialog.connect_button.isEnabled()
                                                       and dialog.result.text() != "Connecting…"), timeout=30)
    return "" if not dialog.isVisible() else dialog.result.text()


def test_choose_a_farm_and_generate_a_shot_on_it(qtbot, farm, editor, tmp_path, shotloom_home):
    from desktop.services.settings import Settings

    win = editor
    make_project(win, tmp_path, "farmed")
    shot_id = new_shot_by_dialog(qtbot, win, "a lighthouse rendered far away")
    assert card_status(win, shot_id) == "pending"
    win.docks["queue"].raise_()  # the Queue tab
    panel = win.queue_panel
    assert panel.render_on.currentText() == "This machine"
    assert win.farm_label.text() == "Render on: this machine" and not panel.farm_status.isVisible()

    # Farm at URL…: nobody at that address, then the wrong token; each refused in one line.
    choose(qtbot, panel.render_on, "Farm at URL")
    wait_for(qtbot, lambda: win.farm_dialog_widget is not None and win.farm_dialog_widget.isVisible(), timeout=5)
    dialog = win.farm_dialog_widget
    dead = f"http://127.0.0.1:{free_port()}"
    line = connect(qtbot, dialog, dead, farm.token)
    assert line.startswith(f"The farm at {dead} cannot be reached: start `shotloom farm serve` there")
    line = connect(qtbot, dialog, farm.url, "not-the-token")
    assert line == (f"The farm at {farm.url} refused the token: run `shotloom farm token` on the farm and paste "
                    "the current one in Render on › Farm at URL…")
    assert "\n" not in line and Settings.load().render_on == "local"
    assert not (shotloom_home / "config" / "farms.json").exists() or farm.token not in (
        shotloom_home / "config" / "farms.json").read_text()

    # The right token: remembered for the URL (owner-only file), the farm chosen, its status shown.
    assert connect(qtbot, dialog, farm.url, farm.token) == ""
    focus_window(win)
    assert panel.render_on.currentText() == f"Farm {farm.url}"
    wait_for(qtbot, lambda: panel.farm_status.isVisible() and "ready" in panel.farm_status.text(), timeout=20)
    assert panel.farm_status.text() == f"Farm {farm.url}: 1 node(s), 0 GPU(s), 1 worker(s) ready · 0 rendering, 0 waiting"
    assert win.farm_label.text() == "Render on: farm (1 node(s), 0 GPU(s))"
    saved = Settings.load()
    assert (saved.render_on, saved.farm_url) == ("farm", farm.url)
    tokens = next(shotloom_home.rglob("farms.json"))
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    assert json.loads(tokens.read_text())[farm.url]["token"] == farm.token

    # Ctrl+G on the pending shot: it is rendered by the farm and lands as one undoable step.
    click_card(qtbot, win, 0)
    qtbot.keyClick(win, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    wait_for(qtbot, lambda: panel.tree.topLevelItemCount() == 1, timeout=10)
    # Its row in the queue panel like a local job's, saying where it renders (loading the tiny model
    # on the farm's worker alone takes longer than this panel takes to show it).
    wait_for(qtbot, lambda: panel.tree.topLevelItem(0).text(1) == "on the farm", timeout=60)
    wait_for(qtbot, lambda: card_status(win, shot_id) == "ready", timeout=120)
    assert win.document.undo_stack.undoText() == "Generated Take for “a lighthouse rendered far away”"
    job = win.engine.jobs(win.document.project)[0]
    assert job.status == "succeeded" and win.engine.farm_job(job)
    take = win.model.shot(shot_id).takes[0]
    record = json.loads((Path(take.path).parent / "farm-job.json").read_text())
    assert record["url"] == farm.url and record["farm"]["attempts"] == 1  # made on the farm, fetched here
    assert panel.tree.topLevelItem(0).text(1).startswith("done")
    focus_window(win)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_for(qtbot, lambda: card_status(win, shot_id) == "pending", timeout=5)
    assert win.model.shot(shot_id).takes == [] or not win.model.shot(shot_id).media_path
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    wait_for(qtbot, lambda: card_status(win, shot_id) == "ready", timeout=5)

    # Back to this machine: remembered, the farm's agent stops, the status line goes.
    choose(qtbot, panel.render_on, "This machine")
    assert Settings.load().render_on == "local" and Settings.load().farm_url == farm.url
    assert not panel.farm_status.isVisible() and win.farm_label.text() == "Render on: this machine"
    wait_for(qtbot, lambda: win.engine.farm_client is None and not win.engine._draining, timeout=10)
