"""The LoRA picker in the shot inspector (strength sliders, undoable recipe edits, a LoRA for
another model refused) and the shot's Finish actions (slow motion, upscale) run as queue jobs by a
real worker, with cancel and an undoable take. LoRAs are made and added by a child process (peft
and torch never enter the editor process)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from editor_helpers import import_and_wait, make_project, wait_for
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QStyle, QStyleOptionSlider
from studio_helpers import ROOT, build_tiny_model, card_status, click_card, click_row, engine_window, focus_window
from test_farm_ui import choose
from test_studio_panels import pending_shot

MAKE_LORAS = textwrap.dedent("""
    import diffusers, torch
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict
    from pathlib import Path
    from engine.gen.catalog import get_model
    from engine.gen.families.base import build
    from engine.gen.loras import add_lora
    out = Path({out!r})
    for lora_id, model, pipe, seed in (("film-look", "tiny-ltx", diffusers.LTXPipeline, 1),
                                       ("grain", "tiny-ltx", diffusers.LTXPipeline, 2),
                                       ("wan-look", "tiny-wan", diffusers.WanPipeline, 3),
                                       ("extra-look", "tiny-ltx", diffusers.LTXPipeline, 4),
                                       ("wan-extra", "tiny-wan", diffusers.WanPipeline, 5)):
        t = build(get_model(model).components["transformer"], seed=seed)
        t.add_adapter(LoraConfig(r=2, lora_alpha=2, target_modules=["to_q", "to_v"], init_lora_weights=False))
        pipe.save_lora_weights(out / lora_id, transformer_lora_layers=get_peft_model_state_dict(t),
                               weight_name=lora_id + ".safetensors")
        if "extra" not in lora_id:  # the extra ones are files a person adds from the editor
            add_lora(out / lora_id / (lora_id + ".safetensors"), lora_id)
""")


@pytest.fixture(scope="session")
def lora_library(tmp_path_factory):
    home = tmp_path_factory.mktemp("lora-home")
    env = dict(os.environ, SHOTLOOM_HOME=str(home))
    subprocess.run([sys.executable, "-c", MAKE_LORAS.format(out=str(home / "files"))], check=True, cwd=ROOT,
                   env=env, timeout=600)
    return home / "data" / "loras"


def handle_center(slider) -> QPoint:
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    rect = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle,
                                         slider)
    return rect.center()


def test_lora_picker_sets_strengths_as_undoable_recipe_edits(qtbot, window, tmp_path, lora_library, shotloom_home,
                                                             monkeypatch):
    from editor_helpers import mouse
    from PySide6.QtCore import QEvent

    from engine.gen.takes import SPEC_KEY

    shutil.copytree(lora_library, shotloom_home / "data" / "loras")
    win = window
    make_project(win, tmp_path)
    shot_id = pending_shot(win)
    click_card(qtbot, win, 0)
    picker = win.inspector.loras
    spec = lambda: win.model.shot(shot_id).recipe[SPEC_KEY]  # noqa: E731
    stack = win.document.undo_stack
    # Only the LoRAs that fit the shot's model are offered.
    assert [picker.pick.itemText(i).split()[0] for i in range(picker.pick.count())] == ["film-look", "grain"]

    choose(qtbot, picker.pick, "grain")
    qtbot.mouseClick(picker.add, Qt.MouseButton.LeftButton)
    (ref,) = spec()["loras"]
    assert (ref["id"], ref["strength"], len(ref["sha256"])) == ("grain", 1.0, 64)
    assert stack.undoText() == "Change LoRAs"
    assert [picker.pick.itemText(i).split()[0] for i in range(picker.pick.count())] == ["film-look"]
    qtbot.mouseClick(picker.add, Qt.MouseButton.LeftButton)
    assert [r["id"] for r in spec()["loras"]] == ["grain", "film-look"]

    # A drag of the first slider is one step when it is let go.
    steps = stack.index()
    slider = picker.findChild(type(picker.rows[0][1]), "loraStrength0")
    start = handle_center(slider)
    mouse(slider, QEvent.Type.MouseButtonPress, start.x(), start.y())
    for dx in (10, 20, 30, 40):
        mouse(slider, QEvent.Type.MouseMove, start.x() - dx, start.y())
    assert stack.index() == steps  # nothing yet while it is held
    mouse(slider, QEvent.Type.MouseButtonRelease, start.x() - 40, start.y())
    dragged = spec()["loras"][0]["strength"]
    assert dragged < 1.0 and stack.index() == steps + 1 and stack.undoText() == "Change LoRA Strength"
    # A key press on the focused slider is one step too.
    slider = picker.findChild(type(picker.rows[0][1]), "loraStrength1")
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=handle_center(slider))
    qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    assert spec()["loras"][1]["strength"] == 0.75 and spec()["loras"][0]["strength"] == dragged
    focus_window(win)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert spec()["loras"][1]["strength"] == 1.0
    assert picker.findChild(type(slider), "loraStrength1").value() == 100

    # Another model that the LoRAs do not fit: refused in the field, the recipe unchanged.
    before = dict(spec())
    choose(qtbot, win.inspector.model_box, next(win.inspector.model_box.itemText(i) for i in
                                                range(win.inspector.model_box.count())
                                                if win.inspector.model_box.itemData(i) == "tiny-wan"))
    assert win.inspector.reason.isVisible()
    assert "LoRA 'grain' does not fit model 'tiny-wan' (wan): it is a LoRA for ltx" in win.inspector.reason.text()
    assert spec() == before

    # Remove one.
    qtbot.mouseClick(picker.findChild(type(picker.add), "loraRemove0"), Qt.MouseButton.LeftButton)
    assert [r["id"] for r in spec()["loras"]] == ["film-look"]

    # A LoRA file added from the inspector: into the library (by `shotloom lora add` in a child
    # process) and onto the shot, one step; a file for another model goes into the library only.
    files = lora_library.parents[1] / "files"
    for name in ("extra-look", "wan-extra"):
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            lambda *a, n=name, **k: (str(files / n / f"{n}.safetensors"), ""))
        qtbot.mouseClick(picker.add_file, Qt.MouseButton.LeftButton)
        wait_for(qtbot, lambda: picker.task is None, timeout=120)
    assert [r["id"] for r in spec()["loras"]] == ["film-look", "extra-look"]
    assert stack.undoText() == "Change LoRAs"
    assert win.inspector.reason.isVisible()
    assert "LoRA 'wan-extra' does not fit model 'tiny-ltx' (ltx)" in win.inspector.reason.text()
    from engine.gen.loras import list_loras

    assert {e.id for e in list_loras()} == {"film-look", "grain", "wan-look", "extra-look", "wan-extra"}
    for name in ("torch", "peft", "diffusers"):
        assert name not in sys.modules


@pytest.fixture(scope="session")
def tiny_ltx(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny-home"))


@pytest.fixture
def studio(qtbot, tiny_ltx, shotloom_home, monkeypatch):
    from studio_helpers import link_tiny_model

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the worker never waits on a hub it cannot reach
    link_tiny_model(tiny_ltx, shotloom_home)
    yield from engine_window(qtbot)


def menu_path(qtbot, menu, path: list[str]) -> None:
    """Walk an open menu with the keys: Down to each entry of `path`, Right into a submenu, Return."""
    for depth, text in enumerate(path):
        wait_for(qtbot, menu.isVisible, timeout=5)
        for _ in range(len(menu.actions()) + 1):
            if menu.activeAction() is not None and menu.activeAction().text().replace("&", "") == text:
                break
            qtbot.keyClick(menu, Qt.Key.Key_Down)
        assert menu.activeAction().text().replace("&", "") == text
        if depth < len(path) - 1:
            qtbot.keyClick(menu, Qt.Key.Key_Right)
            menu = menu.activeAction().menu()
        else:
            qtbot.keyClick(menu, Qt.Key.Key_Return)


def context_menu(qtbot, win, row: int):
    view = win.storyboard
    pos = view.visualRect(win.storyboard_model.index(row)).center()
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos,
                                                              view.viewport().mapToGlobal(pos)))
    wait_for(qtbot, lambda: win._context_menu.isVisible(), timeout=5)
    return win._context_menu


MAKE_UPSCALER = textwrap.dedent("""
    import sys
    sys.path.insert(0, "tests/engine")
    from test_finish import _tiny_esrgan
    from engine.finish.weights import MODELS, local_dir
    model = MODELS["realesrgan-x2plus"]
    _tiny_esrgan(local_dir(model), model.filename)
""")


def test_finish_actions_run_as_jobs_cancel_and_undo(qtbot, studio, tmp_path, footage, shotloom_home):
    from engine.media import probe

    win = studio
    make_project(win, tmp_path, "finish")
    import_and_wait(qtbot, win, footage[:1])
    shot_id = win.shots[0].id
    click_card(qtbot, win, 0)
    original = win.model.shot(shot_id).take_id

    # Slow motion ×2 from the shot's context menu: a queue job, then one undoable take.
    menu_path(qtbot, context_menu(qtbot, win, 0), ["Finish", "Slow Motion ×2"])
    wait_for(qtbot, lambda: len(win.model.shot(shot_id).takes) == 2, timeout=120)
    shot = win.model.shot(shot_id)
    assert shot.take_id != original and win.document.undo_stack.undoText() == "Interpolated Take for “clip0”"
    slow = next(t for t in shot.takes if t.active)
    assert probe(slow.path).frame_count >= 2 * 24 - 2
    job = next(j for j in win.engine.jobs(win.document.project) if j.kind == "interpolate")
    assert job.status == "succeeded" and job.params["factor"] == 2
    focus_window(win)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.model.shot(shot_id).take_id == original and len(win.model.shot(shot_id).takes) == 1

    # Queued while the queue is paused, then canceled from the queue panel: nothing changes.
    win.docks["queue"].raise_()
    qtbot.waitUntil(win.queue_panel.tree.isVisible)
    qtbot.mouseClick(win.queue_panel.pause_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: win.engine.paused, timeout=10)
    click_card(qtbot, win, 0)
    menu_path(qtbot, context_menu(qtbot, win, 0), ["Finish", "Interpolate to", "48 fps"])
    wait_for(qtbot, lambda: win.model.jobs.get(shot_id) is not None, timeout=10)
    job_id = win.model.jobs[shot_id].job_id
    assert win.engine.job(job_id).params["fps"] == "48/1"
    row = next(i for i in range(win.queue_panel.tree.topLevelItemCount())
               if win.queue_panel.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole + 20) == job_id)
    click_row(qtbot, win.queue_panel.tree, row)
    qtbot.mouseClick(win.queue_panel.cancel_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: win.engine.job(job_id).status == "canceled", timeout=30)
    qtbot.mouseClick(win.queue_panel.pause_button, Qt.MouseButton.LeftButton)
    wait_for(qtbot, lambda: not win.engine.paused, timeout=10)
    assert len(win.model.shot(shot_id).takes) == 1 and win.model.shot(shot_id).take_id == original
    assert not (tmp_path / "finish.shotloom" / "media" / "generated" / win.engine.job(job_id).params["take_id"]).exists()

    # Upscale ×2 from the Finish menu with no upscaler weights here: the job fails with the one line
    # saying what to download and where; the shot keeps its take.
    click_card(qtbot, win, 0)
    finish = win.menus["finish"]
    finish.popup(win.mapToGlobal(QPoint(10, 10)))
    menu_path(qtbot, finish, ["Upscale ×2"])
    wait_for(qtbot, lambda: card_status(win, shot_id) == "failed" or (
        win.model.jobs.get(shot_id) is not None and win.model.jobs[shot_id].status == "failed"), timeout=120)
    assert "realesrgan-x2plus' is not downloaded" in win.model.jobs[shot_id].message
    assert win.model.shot(shot_id).take_id == original

    # With the upscaler's weights where the message said (a tiny Real-ESRGAN made by a child
    # process): Upscale ×4 from the context menu, with progress, is one undoable take 4× the size.
    subprocess.run([sys.executable, "-c", MAKE_UPSCALER], check=True, cwd=ROOT, timeout=300,
                   env=dict(os.environ, SHOTLOOM_HOME=str(shotloom_home)))
    events = []
    win.engine.event.connect(lambda e: events.append((getattr(e, "type", ""), getattr(e, "job", None))))
    click_card(qtbot, win, 0)
    menu_path(qtbot, context_menu(qtbot, win, 0), ["Finish", "Upscale ×4"])
    wait_for(qtbot, lambda: len(win.model.shot(shot_id).takes) == 2, timeout=300)
    job = max((j for j in win.engine.jobs(win.document.project) if j.kind == "upscale"), key=lambda j: j.created)
    assert job.status == "succeeded" and job.params["factor"] == 4
    assert ("progress", job.id) in events
    big = next(t for t in win.model.shot(shot_id).takes if t.active)
    info = probe(big.path)
    assert (info.width, info.height, info.frame_count) == (4 * 160, 4 * 96, 24)
    assert win.document.undo_stack.undoText() == "Upscaled Take for “clip0”"
    focus_window(win)
    qtbot.keyClick(win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert win.model.shot(shot_id).take_id == original
    assert "torch" not in sys.modules


MAKE_RIFE = textwrap.dedent("""
    import sys
    sys.path.insert(0, "tests/engine")
    from safetensors.torch import save_file
    from test_rife import model_file, random_weights
    path = model_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(random_weights("module."), str(path))
""")


def test_finish_interpolates_with_rife_where_its_weights_are_here(qtbot, studio, tmp_path, footage, shotloom_home):
    """RIFE 4.22's weights in Shotloom's model folder (a random-weights file in the authors' layout,
    made by a child process: the editor never imports torch): Interpolate to 48 fps from the Finish
    menu runs the learned interpolator, not optical flow, and the take says so."""
    win = studio
    make_project(win, tmp_path, "rife")
    import_and_wait(qtbot, win, footage[:1])
    shot_id = win.shots[0].id
    subprocess.run([sys.executable, "-c", MAKE_RIFE], check=True, cwd=ROOT, timeout=300,
                   env=dict(os.environ, SHOTLOOM_HOME=str(shotloom_home)))
    click_card(qtbot, win, 0)
    finish = win.menus["finish"]
    finish.popup(win.mapToGlobal(QPoint(10, 10)))
    menu_path(qtbot, finish, ["Interpolate to", "48 fps"])
    wait_for(qtbot, lambda: len(win.model.shot(shot_id).takes) == 2, timeout=300)
    job = next(j for j in win.engine.jobs(win.document.project) if j.kind == "interpolate")
    assert job.status == "succeeded" and job.params["model"] == "rife-4.22" and job.params["fps"] == "48/1"
    take = next(t for t in win.model.shot(shot_id).takes if t.active)
    assert take.recipe["model"]["id"] == "rife-4.22" and "by rife-4.22" in take.recipe["message"]
    assert "torch" not in sys.modules
