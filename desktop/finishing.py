"""Finishing from the editor: Upscale ×2/×4, Interpolate to a frame rate and Slow Motion ×2/×4 of
the selected shot's active take. Each is a queue job (engine.finish.jobs) run by the engine's
worker, with progress, preview and cancel in the shot's card and the queue panel like a
generation; the finished take comes back through the generation controller as one undoable edit
(the take added to the shot and made active)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from PySide6.QtCore import QObject

from desktop.editor.model import JobState
from desktop.i18n import tr

INTERPOLATE_RATES = (24, 30, 48, 60)


class FinishController(QObject):
    def __init__(self, window: Any, generation: Any) -> None:
        super().__init__(window)
        self.window = window
        self.generation = generation

    def upscale(self, factor: int) -> Any:
        return self._submit("upscale", factor=factor)

    def interpolate(self, fps: int | Fraction) -> Any:
        return self._submit("interpolate", fps=Fraction(fps))

    def slow_motion(self, factor: int) -> Any:
        return self._submit("interpolate", factor=factor)

    def _submit(self, kind: str, *, factor: int | None = None, fps: Fraction | None = None) -> Any:
        from engine.errors import ShotloomError
        from engine.finish.jobs import plan_finish_job

        g = self.generation
        if not g._ready():
            return None
        shot = g._one_selected()
        if shot is None:
            return None
        project = self.window.document.project
        try:
            params, out_dir = plan_finish_job(project, shot, kind, factor=factor, fps=fps)
            job = g.engine.submit_job(project, kind, params, shot=shot.id, out_dir=out_dir)
        except ShotloomError as exc:
            self.window.notify(str(exc), 10000)
            return None
        g._shot_of[job.id] = shot.id
        self.window.model.set_job(shot.id, JobState("queued", job.id, 0.0, ""))
        what = tr("Upscale ×{n}").format(n=factor) if kind == "upscale" else (
            tr("Slow motion ×{n}").format(n=factor) if factor else tr("Interpolate to {fps} fps").format(fps=fps))
        self.window.notify(tr("{what} of “{name}” queued").format(what=what, name=shot.name), 4000)
        return job
