"""Screenshots of the real editor window (run under Xvfb by make_screenshots.sh, or on a desktop).

Makes a demo project of synthetic footage and saves PNGs of: the empty window, a storyboard of
several shots with thumbnails, the timeline zoomed in on a transition, the export dialog (idle and
exporting), A/B wipe compare with safe areas, the settings dialog and the Chinese UI; a card being
dragged with its insertion line, a clip dragged on the timeline, a head trim with its readout, the
waveforms, markers and the marker list, the new-project and project settings dialogs, a small
window (SHOTLOOM_SHOTS=editing stops here); then the
studio with a real engine worker on the tiny test model: a shot's recipe in the inspector, a
generation in progress with its live preview, two takes compared, the queue panel, the first-run
models dialog, and the new panels in Chinese. SHOTLOOM_SHOTS=farm: only the editor rendering on a
local farm (`shotloom farm serve --num-cpus 1`, Ray on the CPU): the farm dialog refusing a wrong
token, the queue panel with the farm's status and a farm job, the farm down, and in Chinese.

    tests/screenshots/make_screenshots.sh [OUT_DIR]     (default tests/screenshots/out)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def pump(app, seconds: float = 0.3, until=None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.01)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "tests" / "screenshots" / "out").absolute()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="shotloom-shots-"))
    os.environ["SHOTLOOM_HOME"] = str(work / "home")

    from desktop.app import build_window, create_app
    from desktop.services.settings import Settings
    from engine.media.synthetic import make_test_clip

    Settings(engine_autostart=True, models_offered=True).save()
    app = create_app()
    win = build_window()
    win.resize(1440, 900)
    win.show()
    pump(app, 0.8)
    if os.environ.get("SHOTLOOM_SHOTS") in ("continuity", "farm"):  # only these shots
        (farm_shots if os.environ["SHOTLOOM_SHOTS"] == "farm" else continuity_shots)(app, win, work, out)
        win._closing_ok = True
        win.close()
        return 0
    win.grab().save(str(out / "01-empty.png"))

    clips = []
    for i, name in enumerate(["opening", "street", "market", "harbour", "night"]):
        clips.append(make_test_clip(work / f"{name}.mp4", frames=48, rate=Fraction(24), size=(384, 256), seed=i,
                                    gop=24))
    win.new_project(work / "Demo film.shotloom", size=(768, 512))
    win.import_files([str(c) for c in clips])
    pump(app, 60, until=lambda: len(win.shots) == 5 and not win.importer.busy)
    pump(app, 20, until=lambda: all(win.thumbnails.get(s.media_path, s.source_in) is not None for s in win.shots))
    win.transport.seek(60)
    win.storyboard.select_ids([win.shots[1].id])
    pump(app, 1.5)
    win.grab().save(str(out / "02-storyboard.png"))

    # A crossfade into the third shot, the timeline zoomed in on it.
    third = win.shots[2]
    win.storyboard.select_ids([third.id])
    win.commands.set_transition_on_selected("crossfade")
    mix = win.plan.mixes[0]
    win.transport.seek(mix.start + mix.frames // 2)
    canvas = win.timeline.canvas
    canvas.set_zoom(14.0)
    canvas.scroll = max(0.0, mix.start * canvas.px_per_frame - canvas.width() * 0.35)
    canvas.viewChanged.emit()
    pump(app, 1.5)
    win.grab().save(str(out / "03-timeline-transition.png"))
    win.docks["timeline"].grab().save(str(out / "03b-timeline-detail.png"))

    # A/B compare as a wipe, with safe areas.
    win.registry["safe_area"].setChecked(True)
    win.registry["compare_wipe"].trigger()
    win.viewer.combo_b.setCurrentIndex(3)
    pump(app, 1.5)
    win.viewer.grab().save(str(out / "04-compare-wipe.png"))
    win.registry["compare_side"].trigger()
    pump(app, 1.0)
    win.viewer.grab().save(str(out / "04b-compare-side.png"))
    win.registry["compare_off"].trigger()
    win.registry["safe_area"].setChecked(False)

    from desktop.views.export_dialog import ExportDialog

    dialog = ExportDialog(win.document.project, win.transport, win)
    dialog.show()
    pump(app, 0.5)
    dialog.grab().save(str(out / "05-export.png"))
    dialog.path.setText(str(work / "Demo film.mp4"))
    dialog.export_button.click()
    pump(app, 30, until=lambda: dialog.progress.value() >= 30)
    dialog.grab().save(str(out / "05b-export-running.png"))
    pump(app, 60, until=lambda: dialog.result_path is not None)
    pump(app, 0.3)
    dialog.grab().save(str(out / "05c-export-done.png"))
    dialog.close()

    from desktop.views.settings_dialog import SettingsDialog

    settings = SettingsDialog(win.settings, win.registry, win)
    settings.show()
    pump(app, 0.5)
    settings.grab().save(str(out / "06-settings.png"))
    settings.close()

    win.settings.language = "zh_CN"
    win.apply_settings()
    pump(app, 1.0)
    win.grab().save(str(out / "07-chinese.png"))
    win.menus["edit"].popup(win.mapToGlobal(win.menuBar().geometry().bottomLeft()))
    pump(app, 0.5)
    win.menus["edit"].grab().save(str(out / "07b-chinese-edit-menu.png"))
    win.menus["edit"].close()
    zh_settings = SettingsDialog(win.settings, win.registry, win)
    zh_settings.show()
    pump(app, 0.5)
    zh_settings.grab().save(str(out / "07c-chinese-settings.png"))
    zh_settings.close()

    win.settings.language = "en"
    win.settings.theme = "light"
    win.apply_settings()
    pump(app, 1.0)
    win.grab().save(str(out / "08-light-theme.png"))
    win.settings.theme = "dark"
    win.apply_settings()

    continuity_shots(app, win, work, out)
    editing_shots(app, win, work, out)
    if os.environ.get("SHOTLOOM_SHOTS") != "editing":
        studio_shots(app, win, work, out)

    win._closing_ok = True
    win.close()
    for png in sorted(out.glob("*.png")):
        print(png)
    return 0


def farm_shots(app, win, work: Path, out: Path) -> None:
    import signal
    import socket
    import subprocess

    from engine.gen.takes import SPEC_KEY
    from engine.project import SetRecipe

    subprocess.run([sys.executable, "-c", "from engine.gen.tiny import ensure_tiny_model; "
                    "ensure_tiny_model('tiny-ltx')"], check=True, cwd=ROOT)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        ray_port = sock.getsockname()[1]
    home = work / "farm"
    serve = subprocess.Popen([sys.executable, "-m", "engine.cli", "farm", "serve", "--num-cpus", "1", "--port", "0",
                              "--ray-port", str(ray_port), "--home", str(home)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, cwd=ROOT, start_new_session=True,
                             env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
    try:
        url = next(line.split()[-1] for line in serve.stdout if line.startswith("farm: serving "))
        token = (home / "token").read_text().strip()
        pump(app, 120, until=lambda: win.engine.ready and win.engine.state == "idle")
        win.new_project(work / "Farm.shotloom", size=(768, 512))
        shot_id = win.generation.new_shot("a red lighthouse on a cliff at dusk, waves below, slow push in",
                                          model="tiny-ltx", seconds=1.0, name="Lighthouse")
        spec = {**win.model.shot(shot_id).recipe[SPEC_KEY], "steps": 6, "width": 256, "height": 160}
        win.document.apply(SetRecipe(shot_id, {SPEC_KEY: spec}), "steps")
        win.docks["queue"].raise_()
        win.render_target.open_dialog()
        dialog = win.farm_dialog_widget
        dialog.url.setText(url)
        dialog.token.setText("not-the-token")
        dialog.connect_button.click()
        pump(app, 30, until=lambda: dialog.connect_button.isEnabled())
        pump(app, 0.5)
        dialog.grab().save(str(out / "40-farm-dialog-refused.png"))
        dialog.token.setText(token)
        dialog.connect_button.click()
        pump(app, 30, until=lambda: not dialog.isVisible())
        pump(app, 60, until=lambda: win.render_target.farm.readout.state == "ready"
             and win.render_target.farm.readout.workers > 0)
        win.model.selection.set([shot_id])
        win.generation.generate()
        pump(app, 120, until=lambda: any(win.engine.farm_job(j) for j in win.engine.jobs(win.document.project)
                                         if j.status == "running"))
        win.render_target.farm.refresh()
        pump(app, 2.0)
        win.grab().save(str(out / "41-farm-window.png"))
        win.docks["queue"].grab().save(str(out / "41b-farm-queue-panel.png"))
        pump(app, 240, until=lambda: len(win.model.shot(shot_id).takes) == 1)
        pump(app, 1.0)
        win.docks["queue"].grab().save(str(out / "42-farm-take-arrived.png"))
        win.settings.language = "zh_CN"
        win.apply_settings()
        pump(app, 1.0)
        win.docks["queue"].grab().save(str(out / "43-farm-chinese.png"))
        win.settings.language = "en"
        win.apply_settings()
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
    win.render_target.farm.refresh()
    pump(app, 15, until=lambda: win.render_target.farm.readout.state == "down")
    pump(app, 0.5)
    win.docks["queue"].grab().save(str(out / "44-farm-down.png"))
    win.save()


def continuity_shots(app, win, work: Path, out: Path) -> None:
    """The continuity inspector on real footage (OpenCV's samples): a jump cut inside one
    recording selected in the seams panel with its two sides in the A/B viewer, and the drift
    curve of a take whose grade creeps."""
    import numpy as np

    from engine.analysis.footage import clip_frames, footage_path
    from engine.analysis.synthetic import lab_shift
    from engine.media import VideoWriter
    from engine.project import InsertShot, Project

    drifting = work / "cup-drifting.mp4"
    with VideoWriter(drifting, preset="h264", rate=Fraction(10), size=(320, 240)) as writer:
        for i, frame in enumerate(clip_frames("cup")[40:130]):
            grade = lab_shift((0.0, 0.22 * i, -0.15 * i))
            writer.write(np.clip(grade(frame.astype(np.float32)) + 0.5, 0, 255).astype(np.uint8))
    project = Project.create(work / "Square.shotloom", fps=Fraction(10), size=(320, 240))
    vtest = footage_path("vtest")
    for index, (name, media, start, frames) in enumerate((
            ("square", vtest, 100, 40), ("square, later", vtest, 160, 40), ("cup", drifting, 0, 90),
            ("box", footage_path("box"), 0, 30))):
        project.apply(InsertShot(index=index, name=name, media_path=media, source_in=start, frames=frames))
    project.save()
    win.save()  # the demo film has unsaved edits: no "save changes?" prompt
    win.open_project(project.path)
    pump(app, 60, until=lambda: win.engine.ready and win.engine.state == "idle")
    win.docks["seams"].raise_()
    win.continuity.panel.analyze_button.click()
    pump(app, 180, until=lambda: win.continuity.report is not None and not win.continuity.busy)
    defect = next(i for i, s in enumerate(win.continuity.report.seams) if s.defect)
    win.continuity.panel.tree.setCurrentItem(win.continuity.panel.tree.topLevelItem(defect))
    canvas = win.timeline.canvas
    canvas.zoom_fit()
    pump(app, 3.0, until=lambda: win.viewer.canvas.clip_a is not None and win.viewer.canvas.clip_b is not None)
    pump(app, 0.5)
    win.grab().save(str(out / "20-seams-defect-ab.png"))
    win.docks["seams"].grab().save(str(out / "20b-seams-panel.png"))
    win.docks["timeline"].grab().save(str(out / "21-timeline-drift.png"))


def deliver_drag(target, points, during):
    """Stands in for the platform's drag loop during a screenshot (under Xvfb nobody moves the
    mouse, so QDrag.exec would wait forever): the drag's data goes to `target` as real drag events,
    and `during()` runs while the drag is over the last point, before the drop."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QDrag, QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    original = QDrag.exec

    def exec_(drag, supported=None, default=None):
        mime, actions = drag.mimeData(), Qt.DropAction.MoveAction
        left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        x, y = points[0]
        QApplication.sendEvent(target, QDragEnterEvent(QPoint(x, y), actions, mime, left, none))
        for x, y in points:
            QApplication.sendEvent(target, QDragMoveEvent(QPoint(x, y), actions, mime, left, none))
        during()
        drop = QDropEvent(QPointF(x, y), actions, mime, left, none)
        QApplication.sendEvent(target, drop)
        return drop.dropAction()

    QDrag.exec = exec_
    return lambda: setattr(QDrag, "exec", original)


def mouse(widget, kind, x, y, modifiers=None) -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    held = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else Qt.MouseButton.LeftButton
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    QApplication.sendEvent(widget, QMouseEvent(kind, QPointF(x, y), widget.mapToGlobal(QPointF(x, y)), button, held,
                                               modifiers or Qt.KeyboardModifier.NoModifier))


def editing_shots(app, win, work: Path, out: Path) -> None:
    """Reordering, trimming, sound, markers, the new-project dialog and a small window."""
    import wave

    import numpy as np
    from PySide6.QtCore import QEvent

    from engine.media.synthetic import make_test_clip
    from engine.project import AddAudioClip

    win.save()
    clips = [make_test_clip(work / f"{name}.mp4", frames=60, rate=Fraction(24), size=(384, 256), seed=i, gop=24,
                            audio=True) for i, name in enumerate(["arrival", "dialogue", "walk", "farewell"])]
    t = np.arange(8 * 48000) / 48000
    chord = sum(np.sin(2 * np.pi * f * t) for f in (196.0, 246.9, 293.7)) / 3
    swell = 0.25 + 0.2 * np.sin(2 * np.pi * t / 4) + 0.15 * (np.sin(2 * np.pi * 2 * t) > 0.6)
    pcm = np.round(np.stack([chord * swell] * 2, axis=1) * 32767).astype("<i2")
    music = work / "score.wav"
    with wave.open(str(music), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(48000)
        wav.writeframes(pcm.tobytes())
    win.new_project(work / "Sound and cuts.shotloom", size=(768, 512))
    win.import_files([str(c) for c in clips])
    pump(app, 60, until=lambda: len(win.shots) == 4 and not win.importer.busy)
    win.document.apply(AddAudioClip(music, 12, 180), "Add Music")
    pump(app, 20, until=lambda: all(win.thumbnails.get(s.media_path, s.source_in) is not None for s in win.shots))
    pump(app, 30, until=lambda: all(win.waveforms.get(p) not in (None,) for p in clips + [music]))

    # A card dragged between two others: the insertion line shows where it lands.
    board = win.storyboard
    second = board.visualRect(win.storyboard_model.index(1))
    start = board.visualRect(win.storyboard_model.index(3)).center()
    restore = deliver_drag(board.viewport(), [(second.right() - 30, second.center().y()),
                                              (second.right() - 8, second.center().y())],
                           lambda: (pump(app, 0.4), win.grab().save(str(out / "30-drag-storyboard.png")),
                                    win.docks["storyboard"].grab().save(str(out / "30b-drag-storyboard-detail.png"))))
    mouse(board.viewport(), QEvent.Type.MouseButtonPress, start.x(), start.y())
    mouse(board.viewport(), QEvent.Type.MouseMove, start.x() - 20, start.y())
    mouse(board.viewport(), QEvent.Type.MouseButtonRelease, start.x() - 20, start.y())
    restore()
    pump(app, 0.5)

    # A clip dragged on the timeline.
    canvas = win.timeline.canvas
    canvas.zoom_fit()
    pump(app, 0.3)
    y = canvas.video_rect().center().y()
    first = win.shots[0]
    x0 = canvas.x_of(first.start + first.frames / 2)
    mouse(canvas, QEvent.Type.MouseButtonPress, x0, y)
    for x in (x0 + 30, x0 + 120, canvas.x_of(win.shots[2].start + win.shots[2].frames * 0.7)):
        mouse(canvas, QEvent.Type.MouseMove, x, y)
    pump(app, 0.4)
    win.docks["timeline"].grab().save(str(out / "31-drag-timeline.png"))
    mouse(canvas, QEvent.Type.MouseButtonRelease, x, y)
    pump(app, 0.3)

    # The head of the third shot trimmed by dragging right of the cut: the trim frame and readout.
    canvas.set_zoom(6.0)
    canvas.scroll = max(0.0, win.shots[2].start * canvas.px_per_frame - canvas.width() * 0.4)
    canvas.viewChanged.emit()
    pump(app, 0.3)
    cut = canvas.x_of(win.shots[2].start)
    mouse(canvas, QEvent.Type.MouseButtonPress, cut + 3, y)
    for k in range(1, 9):
        mouse(canvas, QEvent.Type.MouseMove, cut + 3 + 6 * k, y)
        pump(app, 0.05)
    pump(app, 1.0)
    win.grab().save(str(out / "32-head-trim.png"))
    mouse(canvas, QEvent.Type.MouseButtonRelease, cut + 51, y)
    pump(app, 0.5)

    # Waveforms on the clips and on the music track.
    canvas.zoom_fit()
    pump(app, 0.8)
    win.docks["timeline"].grab().save(str(out / "33-waveforms.png"))

    # Markers on the ruler and in the marker list.
    for frame, name, colour in ((20, "Title in", "GREEN"), (95, "Music swells", "ORANGE"),
                                (150, "Cut to wide", "RED"), (200, "Last line", "BLUE")):
        win.transport.seek(frame)
        win.commands.add_marker(name, colour)
    win.transport.seek(120)
    win.transport.seek(30)
    win.transport.set_in()
    win.transport.seek(170)
    win.transport.set_out()
    win.docks["markers"].raise_()
    pump(app, 1.0)
    win.grab().save(str(out / "34-markers.png"))
    win.docks["markers"].grab().save(str(out / "34b-marker-list.png"))
    win.docks["timeline"].grab().save(str(out / "34c-markers-ruler.png"))

    # The new-project dialog, with a custom rate, and the project settings with a rate change.
    from desktop.views.project_dialog import NewProjectDialog, ProjectSettingsDialog, find_data

    dialog = NewProjectDialog(work, win)
    dialog.show()
    pump(app, 0.5)
    dialog.grab().save(str(out / "35-new-project.png"))
    dialog.format.rate_combo.setCurrentIndex(dialog.format.rate_combo.count() - 1)
    dialog.format.size_combo.setCurrentIndex(dialog.format.size_combo.count() - 1)
    dialog.format.width_box.setValue(1001)
    dialog.format.rate_edit.setText("12.5")
    pump(app, 0.5)
    dialog.grab().save(str(out / "35b-new-project-custom.png"))
    dialog.close()
    settings = ProjectSettingsDialog(win.document.project, win)
    settings.format.rate_combo.setCurrentIndex(find_data(settings.format.rate_combo, Fraction(25)))
    settings.format.size_combo.setCurrentIndex(find_data(settings.format.size_combo, (1080, 1920)))
    settings.show()
    pump(app, 0.5)
    settings.grab().save(str(out / "36-project-settings.png"))
    settings.close()

    # A small window (a laptop screen): the viewer still gets the space.
    win.resize(1024, 640)
    pump(app, 1.5)
    win.grab().save(str(out / "37-small-window.png"))
    win.resize(1440, 900)
    pump(app, 0.5)

    win.settings.language = "zh_CN"
    win.apply_settings()
    pump(app, 1.0)
    win.grab().save(str(out / "38-chinese-markers.png"))
    win.settings.language = "en"
    win.apply_settings()
    win.save()


def studio_shots(app, win, work: Path, out: Path) -> None:
    from engine.gen.takes import SPEC_KEY
    from engine.project import SetRecipe

    pump(app, 120, until=lambda: win.engine.ready and win.engine.state == "idle")
    win.save()  # the demo film has unsaved edits: no "save changes?" prompt
    win.new_project(work / "Studio.shotloom", size=(768, 512))
    clip = make_clip(work, "harbour", 5)
    win.import_files([str(clip)])
    pump(app, 60, until=lambda: len(win.shots) == 1 and not win.importer.busy)
    shot_id = win.generation.new_shot("a red lighthouse on a cliff at dusk, waves below, slow push in",
                                      model="tiny-ltx", seconds=1.0, name="Lighthouse")
    spec = {**win.model.shot(shot_id).recipe[SPEC_KEY], "steps": 2, "width": 256, "height": 160}
    win.document.apply(SetRecipe(shot_id, {SPEC_KEY: spec}), "steps")
    win.model.selection.set([shot_id])
    win.generation.generate()
    pump(app, 240, until=lambda: len(win.model.shot(shot_id).takes) == 1)
    win.generation.generate()
    pump(app, 240, until=lambda: len(win.model.shot(shot_id).takes) == 2)
    win.model.selection.set([shot_id])
    win.transport.seek(win.model.shot(shot_id).start + 6)
    win.docks["inspector"].raise_()
    pump(app, 1.5)
    win.grab().save(str(out / "09-inspector.png"))
    win.docks["inspector"].grab().save(str(out / "09b-inspector-detail.png"))

    # Two takes compared side by side, then with the wipe.
    win.docks["takes"].raise_()
    win.takes.list.selectAll()
    win.takes.compare("side")
    pump(app, 1.5)
    win.grab().save(str(out / "10-takes-compare.png"))
    win.takes.compare("wipe")
    pump(app, 1.0)
    win.viewer.grab().save(str(out / "10b-takes-wipe.png"))
    win.registry["compare_off"].trigger()

    # A long generation in progress: the card's ring, the viewer's and the queue's live preview.
    spec = {**win.model.shot(shot_id).recipe[SPEC_KEY], "steps": 400, "width": 128, "height": 96}
    win.document.apply(SetRecipe(shot_id, {**win.model.shot(shot_id).recipe, SPEC_KEY: spec}), "steps")
    win.model.selection.set([shot_id])
    win.generation.generate()
    win.docks["queue"].raise_()
    pump(app, 600, until=lambda: win.queue_panel.preview_painted_at > 0 and shot_id in win.model.jobs
         and win.model.jobs[shot_id].progress >= 0.01)
    pump(app, 2.0)
    win.grab().save(str(out / "11-generating.png"))
    win.docks["queue"].grab().save(str(out / "12-queue.png"))

    dialog = win.studio.models_dialog(first_run=True)
    pump(app, 1.0)
    dialog.grab().save(str(out / "13-models-first-run.png"))
    dialog.close()

    win.settings.language = "zh_CN"
    win.apply_settings()
    pump(app, 1.5)
    win.grab().save(str(out / "14-chinese-generating.png"))
    win.docks["inspector"].raise_()
    pump(app, 0.8)
    win.docks["inspector"].grab().save(str(out / "14b-chinese-inspector.png"))
    win.docks["takes"].raise_()
    pump(app, 0.8)
    win.docks["takes"].grab().save(str(out / "14c-chinese-takes.png"))
    dialog = win.studio.models_dialog(first_run=True)
    pump(app, 1.0)
    dialog.grab().save(str(out / "14d-chinese-models.png"))
    dialog.close()
    win.menus["generate"].popup(win.mapToGlobal(win.menuBar().geometry().bottomLeft()))
    pump(app, 0.5)
    win.menus["generate"].grab().save(str(out / "14e-chinese-generate-menu.png"))
    win.menus["generate"].close()
    if shot_id in win.model.jobs:
        win.engine.cancel(win.model.jobs[shot_id].job_id)
    pump(app, 30, until=lambda: shot_id not in win.model.jobs)
    win.settings.language = "en"
    win.apply_settings()


def make_clip(work: Path, name: str, seed: int) -> Path:
    from engine.media.synthetic import make_test_clip

    return make_test_clip(work / f"{name}.mp4", frames=48, rate=Fraction(24), size=(384, 256), seed=seed, gop=24)


if __name__ == "__main__":
    sys.exit(main())
