"""The studio's glue in the window: the engine's state and device in the status bar, the live
preview of the shot being generated under the playhead, replaying a take and reporting whether its
frames came out identical, comparing two takes, and the new-shot and models dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from desktop.i18n import Label, tr


class StudioUi(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.replays: dict[str, Path] = {}  # shot id -> the take being replayed

    def start_engine(self) -> None:
        self.window.engine.start()
        if not self.window.settings.models_offered:
            QTimer.singleShot(400, self.offer_models)

    def offer_models(self) -> None:
        """First run without a real model: show the catalog once (downloads, local folders, test models)."""
        from desktop.services.models import has_real_model

        self.window.settings.models_offered = True
        self.window._save_settings()
        if not has_real_model():
            self.models_dialog(first_run=True)


    def show_engine_state(self, state: str, detail: str) -> None:
        text = {"off": tr("Engine off"), "starting": tr("Engine starting…"), "idle": tr("Engine idle"),
                "busy": tr("Engine busy {n}").format(n=detail), "restarting": tr("Engine restarting…"),
                "error": tr("Engine error")}.get(state, state)
        if state == "idle" and detail == "paused":
            text = tr("Engine idle (queue paused)")
        self.window.engine_label.setText(text)
        self.window.engine_label.setToolTip(detail if state == "error" else "")

    def show_device(self, device: str) -> None:
        inspector = self.window.inspector
        inspector.on_gpu = self.window.engine.device_kind not in ("", "cpu")
        inspector.free_bytes = self.window.engine.free_bytes
        self.window.device_label.setText(device or tr("Device: not reported yet"))
        self.window.device_label.setToolTip(tr("The engine says which device it uses (GPU and free memory, or CPU) "
                                        "when it reports it"))

    def on_jobs(self, ids: list) -> None:
        self.window.timeline.canvas.update()
        shot = self.window.model.shot_at(self.window.transport.frame)
        if shot is not None and shot.id in ids:
            self.show_generation_in_viewer(shot)

    def on_playhead(self, _frame: int) -> None:
        shot = self.window.model.shot_at(self.window.transport.frame)
        if shot is not None and shot.id in self.window.model.jobs:
            self.show_generation_in_viewer(shot)
        elif self.window.viewer.canvas.generation_text is not None:
            self.window.viewer.show_generation(None, None)

    def on_preview(self, shot_id: str, path: str) -> None:
        shot = self.window.model.shot_at(self.window.transport.frame)
        if shot is not None and shot.id == shot_id:
            self.show_generation_in_viewer(shot)

    def show_generation_in_viewer(self, shot) -> None:
        job = self.window.model.jobs.get(shot.id)
        if job is not None and job.status == "rendering":
            self.window.viewer.show_generation(job.preview, tr("Generating “{name}” · {p}%").format(
                name=shot.name, p=int(job.progress * 100)))
        else:
            self.window.viewer.show_generation(None, None)

    def on_take_applied(self, shot_id: str, take_id: str) -> None:
        self.window.viewer.show_generation(None, None)
        replay = self.replays.pop(shot_id, None)
        if replay is not None:
            from desktop.generation import take_frames_identical

            shot = self.window.model.shot(shot_id)
            new = next((t for t in shot.takes if t.id == take_id), None) if shot is not None else None
            same = take_frames_identical(replay, new.path) if new is not None else None
            text = {True: tr("Replay: the frames came out identical to the original take."),
                    False: tr("Replay: the frames differ from the original take (another device, library "
                              "version or memory tier can change them)."),
                    None: tr("Replay finished; the two takes could not be compared (a recipe is missing).")}[same]
            self.window.takes.show_report(text)
            self.window.notify(text, 10000)

    def compare_takes(self, a, b, mode: str) -> None:
        self.window.viewer.compare_paths(a, b)
        self.window.registry["compare_side" if mode == "side" else "compare_wipe"].trigger()

    def replay_take(self, shot_id: str, take_id: str) -> None:
        """Queue the take's recipe again (its spec becomes the shot's if it was edited since)."""
        from engine.gen.takes import SPEC_KEY
        from engine.project import SetRecipe

        shot = self.window.model.shot(shot_id)
        take = next((t for t in shot.takes if t.id == take_id), None) if shot is not None else None
        if take is None:
            return
        spec = (take.recipe or {}).get(SPEC_KEY)
        if spec is not None and (shot.recipe or {}).get(SPEC_KEY) != spec:
            self.window.document.apply(SetRecipe(shot.id, {**(shot.recipe or {}), SPEC_KEY: spec}), Label("Replay Recipe"))
        if self.window.generation.generate([self.window.model.shot(shot_id)]):
            self.replays[shot_id] = take.path

    def new_shot_dialog(self) -> None:
        from desktop.views.dialogs import NewShotDialog
        from engine.gen.catalog import load_catalog

        if self.window.document.project is None:
            return
        from desktop.services.models import model_label

        models = [(e.id, model_label(e) + (f" — {tr('noise generator (test model)')}" if e.test_model else ""))
                  for e in load_catalog() if "text_to_video" in e.tasks]
        dialog = NewShotDialog(models, self.window.generation.default_model("text_to_video"), self.window)
        self.window.new_shot_widget = dialog
        if dialog.exec():
            prompt = dialog.prompt.toPlainText().strip()
            if not prompt:
                self.window.notify(tr("A prompt is needed: describe what the shot shows"), 6000)
                return
            self.window.generation.new_shot(prompt, model=dialog.model.currentData(), seconds=dialog.seconds.value(),
                                     generate=dialog.generate_now.isChecked())
        self.window.new_shot_widget = None

    def try_model(self, model_id: str) -> None:
        """Try It Now: a first shot generated at once by the model that ships with Shotloom, in the
        open project or, with none open, in the demo project (which generates its own shots)."""
        from engine.demo import GENERATED_SHOTS

        win = self.window
        if win.document.project is None:
            from desktop.theme import projects_folder

            win.flow.open_demo(projects_folder() / "Shotloom demo")
            return
        prompt = GENERATED_SHOTS[0][2]  # a caption of the shapes world, the only world it knows
        shot_id = win.generation.new_shot(prompt, model=model_id, seconds=1.0)
        if shot_id is None:
            return
        if win.engine.ready:
            win.generation.generate([win.model.shot(shot_id)])
        else:  # the engine is still starting: the shot is queued with the rest once it is up
            win.generation.render_all_when_ready()

    def models_dialog(self, first_run: bool = False):
        from desktop.services.models import available_ram
        from desktop.views.models_dialog import ModelsDialog

        free = self.window.engine.free_bytes if self.window.engine.free_bytes is not None else available_ram()
        dialog = ModelsDialog(free, self.window.engine.device, self.window, first_run=first_run)
        dialog.try_now.connect(self.try_model)
        self.window.models_dialog_widget = dialog
        dialog.open()
        return dialog
