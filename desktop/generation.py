"""Generation from the editor: the studio's commands (new shot from a prompt, generate, render all
pending or stale shots, extend, bridge, long take, regenerate with a new seed) and the way a
finished job comes back: exactly one edit, applied as one undo step by the editor, which owns
the project. Jobs submitted by another program (`shotloom render --queue`) come back the same way.

It also keeps the editor model's per-shot engine state (queued, rendering with progress and
preview, failed with its reason) from the worker's events and the queue.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.editor.model import JobState
from desktop.i18n import Label, tr
from desktop.services.engine import EngineService, project_key
from engine.progress import eta_text


def pending_shot_edit(project: Any, **spec: Any) -> tuple[Any, str]:
    """(InsertShot of a pending generation shot, its id), validated as `shotloom shot add` does."""
    from engine.gen.takes import generated_shot_edit

    shot_id, edit = generated_shot_edit(project, **spec)
    return edit, shot_id


class GenerationController(QObject):
    previewReady = Signal(str, str)  # shot id, preview image path (while denoising)
    takeApplied = Signal(str, str)  # shot id, take id

    def __init__(self, window: Any, engine: EngineService) -> None:
        super().__init__(window)
        self.window = window
        self.model = window.model
        self.document = window.document
        self.engine = engine
        self._shot_of: dict[str, str] = {}  # job id -> shot id (this project's jobs)
        self._started: dict[str, float] = {}  # job id -> when it was claimed (for the ETA)
        # Jobs whose result this editor applied (or could not) since the project opened: never
        # applied again, so undoing a take does not bring it back.
        self._applied: set[str] = set()
        engine.event.connect(self._on_event)
        engine.jobsChanged.connect(self.sync)
        self.model.opened.connect(self._on_opened)

    # -- commands ----------------------------------------------------------------------------
    def _ready(self) -> bool:
        if self.document.project is None:
            return False
        if not self.engine.ready:
            self.window.notify(tr("The engine is still starting; try again in a moment"), 6000)
            return False
        return True

    def generate(self, shots: list | None = None) -> list:
        """Queue the selected shots (or `shots`): a pending or stale shot gets its take made, a ready
        one gets a new take of the same recipe (a replay)."""
        from engine.jobs.apply import shot_spec

        shots = self.model.selected_shots() if shots is None else shots
        if not self._ready():
            return []
        shots = [s for s in shots if shot_spec(s) is not None]
        if not shots:
            self.window.notify(tr("Select a shot that has a prompt (imported footage is not generated)"), 6000)
            return []
        return self._submit(shots)

    def render_all(self) -> list:
        from engine.jobs.apply import needs_render

        if not self._ready():
            return []
        todo = [s for s in self.model.shots if needs_render(s)]
        if not todo:
            self.window.notify(tr("Every shot is generated; nothing is pending or stale"), 6000)
            return []
        return self._submit(todo)

    def render_all_when_ready(self, quiet: bool = False) -> None:
        """Queue every pending or stale shot as soon as the engine is up (the demo opens before it is)."""
        from engine.jobs.apply import needs_render

        if quiet and not any(needs_render(s) for s in self.model.shots):
            return
        if self.engine.ready:
            self.render_all()
            return

        def on_state(_state: str, _detail: str) -> None:
            if self.engine.ready:
                self.engine.stateChanged.disconnect(on_state)
                if self.document.project is not None:
                    self.render_all()

        self.engine.stateChanged.connect(on_state)

    def _submit(self, shots: list) -> list:
        from engine.errors import ShotloomError

        project = self.document.project
        try:
            waiting, done = self.engine.submit_shots(project, shots)
        except ShotloomError as exc:
            self.window.notify(str(exc), 10000)
            return []
        for job in done:
            self.apply_result(job)
        for job in waiting:
            if job.shot:
                self._shot_of[job.id] = job.shot
                self.model.set_job(job.shot, JobState("queued" if job.status == "queued" else "rendering", job.id,
                                                      job.progress))
        if waiting:
            self.window.notify(tr("{n} shot(s) queued for generation").format(n=len(waiting)), 4000)
        return waiting

    def new_shot(self, prompt: str, *, index: int | None = None, generate: bool = False, **spec: Any) -> str | None:
        """A pending shot from a prompt (after the selected shot, or at the end)."""
        from engine.errors import ShotloomError
        from engine.project import InsertShot

        project = self.document.project
        if project is None:
            return None
        try:
            edit, shot_id = pending_shot_edit(project, prompt=prompt, **spec)
        except ShotloomError as exc:
            self.window.notify(str(exc), 10000)
            return None
        if index is None:
            selected = self.model.selected_shots() if self.model.selection.ids else []
            index = selected[-1].index + 1 if selected else len(self.model.shots)
        if spec.get("task", "text_to_video") in ("text_to_video", "image_to_video", "long_take", "text", "image",
                                                 "long"):
            edit = InsertShot(index=index, name=edit.name, media_path=None, frames=edit.frames,
                              recipe=edit.recipe, shot_id=edit.shot_id)
        if not self.document.apply(edit, tr("New Shot “{name}”").format(name=edit.name)):
            return None
        self.model.selection.set([shot_id])
        if generate:
            self.generate([self.model.shot(shot_id)])
        return shot_id

    def extend(self, direction: str) -> str | None:
        """A pending extension beside the selected shot, its recipe filled in from the source's."""
        from engine.jobs.apply import shot_spec

        shot = self._one_selected()
        if shot is None:
            return None
        base = shot_spec(shot) or {}
        if shot.media_path is None and not base:
            self.window.notify(tr("Generate or import “{name}” before extending it").format(name=shot.name), 8000)
            return None
        model = base.get("model") or self.default_model("extend")
        name = tr("{name} ↦") if direction == "forward" else tr("↤ {name}")
        return self.new_shot(base.get("prompt") or shot.name, task="extend", model=model, source_shot=shot.id,
                             direction=direction, seconds=base.get("seconds"), steps=base.get("steps"),
                             guidance=base.get("guidance"), name=name.format(name=shot.name))

    def bridge_to_next(self) -> str | None:
        from engine.jobs.apply import shot_spec

        shot = self._one_selected()
        if shot is None:
            return None
        if shot.index + 1 >= len(self.model.shots):
            self.window.notify(tr("Select a shot that has a shot after it to bridge to"), 6000)
            return None
        nxt = self.model.shots[shot.index + 1]
        base = shot_spec(shot) or shot_spec(nxt) or {}
        model = base.get("model") or self.default_model("bridge")
        return self.new_shot(base.get("prompt") or f"{shot.name} → {nxt.name}", task="bridge", model=model,
                             between=(shot.id, nxt.id), steps=base.get("steps"), guidance=base.get("guidance"),
                             name=f"{shot.name} → {nxt.name}")

    def long_take_from_here(self, seconds: float = 10.0) -> str | None:
        from engine.jobs.apply import shot_spec

        shot = self._one_selected(quiet=True)
        base = (shot_spec(shot) if shot is not None else None) or {}
        model = base.get("model") or self.default_model("long_take")
        index = shot.index + 1 if shot is not None else len(self.model.shots)
        prompt = base.get("prompt") or (shot.name if shot is not None else tr("A long take"))
        return self.new_shot(prompt, task="long_take", model=model, seconds=seconds, index=index,
                             steps=base.get("steps"), guidance=base.get("guidance"))

    def regenerate_new_seed(self) -> list:
        """A new seed in each selected shot's recipe (one undo step), then generate them."""
        import random

        from engine.gen.takes import SPEC_KEY
        from engine.jobs.apply import shot_spec
        from engine.project import Composite, SetRecipe

        shots = [s for s in self.model.selected_shots() if shot_spec(s) is not None]
        if not shots:
            self.window.notify(tr("Select a shot that has a prompt (imported footage is not generated)"), 6000)
            return []
        edits = []
        for shot in shots:
            spec = dict(shot_spec(shot))
            spec["seed"] = random.randrange(2**31)
            edits.append(SetRecipe(shot.id, {**(shot.recipe or {}), SPEC_KEY: spec}))
        if not self.document.apply(edits[0] if len(edits) == 1 else Composite(edits), tr("New Seed")):
            return []
        return self.generate([self.model.shot(s.id) for s in shots])

    def _one_selected(self, quiet: bool = False):
        shots = self.model.selected_shots()
        if len(shots) != 1:
            if not quiet:
                self.window.notify(tr("Select one shot first"), 6000)
            return None
        return shots[0]

    @staticmethod
    def default_model(task: str) -> str:
        """The first installed real model that can do the task, else micro-ltx (ships with Shotloom:
        real pictures of its shapes world), else the tiny test model."""
        from desktop.services.models import installed
        from engine.gen.catalog import load_catalog

        entries = [e for e in load_catalog() if task in e.tasks]
        for group in ([e for e in entries if not e.test_model and not e.micro], [e for e in entries if e.micro]):
            for entry in group:
                if installed(entry):
                    return entry.id
        return next((e.id for e in entries if e.test_model), entries[0].id if entries else "tiny-ltx")

    # -- results ---------------------------------------------------------------------------
    def apply_result(self, job: Any) -> bool:
        """A succeeded job of this project becomes one undo step (never lost: a take whose shot is
        gone stays in the bundle and is listed as a loose take)."""
        from engine.errors import ShotloomError
        from engine.jobs.apply import result_edit

        project = self.document.project
        if project is None or job.project != project_key(project.path):
            return False
        try:
            edit = result_edit(project, job)
        except ShotloomError as exc:
            self._applied.add(job.id)  # said once, not at every change of the queue
            self.window.notify(str(exc), 10000)
            return False
        if edit is None:
            return False
        shot = self.model.shot(job.shot) if job.shot else None
        if shot is None:
            text = Label("Keep a Generated Take (its shot was deleted)")
        elif job.kind == "upscale":
            text = Label("Upscaled Take for “{name}”", name=shot.name)
        elif job.kind == "interpolate":
            text = Label("Interpolated Take for “{name}”", name=shot.name)
        else:
            text = Label("Generated Take for “{name}”", name=shot.name)
        if not self.document.apply(edit, text):
            return False
        if shot is None:
            self.window.notify(tr("A generated take was kept in the project (Takes panel); its shot had been "
                                  "deleted"), 8000)
        self._applied.add(job.id)
        if job.shot:
            self.model.set_job(job.shot, None)
        take_id = (job.result or {}).get("take_id") or job.params.get("take_id") or ""
        self.takeApplied.emit(job.shot or "", take_id)
        return True

    def apply_finished(self) -> int:
        """Every succeeded job of this project whose take is not in it yet: made while the editor
        was closed, by another program's worker, or whose worker's message never arrived. The
        queue is the truth; a job this editor applied once is not applied again (an undone take
        stays undone)."""
        from engine.errors import ShotloomError
        from engine.jobs.apply import unapplied_results

        project = self.document.project
        if project is None or self.engine.queue is None:
            return 0
        try:
            jobs = unapplied_results(project, self.engine.queue)
        except ShotloomError:
            return 0  # the queue is busy for a moment: the next change of it asks again
        return sum(1 for job in jobs if job.id not in self._applied and self.apply_result(job))

    def record_saved(self) -> None:
        """After a save: the takes now in project.otio count as applied for good, so a take the user
        deletes later is not brought back."""
        from engine.errors import ShotloomError
        from engine.jobs.apply import record_saved

        if self.document.project is not None and self.engine.queue is not None:
            try:
                record_saved(self.document.project, self.engine.queue)
            except ShotloomError as exc:  # the save itself is done; the queue catches up next time
                self.window.notify(str(exc), 10000)

    # -- engine state of the shots ---------------------------------------------------------
    def _on_opened(self) -> None:
        self._shot_of.clear()
        self._applied.clear()
        if self.engine.ready:
            self.sync()
            self.apply_finished()

    def sync(self) -> None:
        """Per-shot state from the queue (the durable truth): each shot's latest generation job."""
        from engine.jobs.models import TAKE_KINDS as generation_kinds  # generations and finishing

        project = self.document.project
        if project is None or not self.engine.ready:
            return
        latest: dict[str, Any] = {}
        for job in self.engine.jobs(project):
            if job.kind in generation_kinds and job.shot:
                self._shot_of[job.id] = job.shot
                if job.shot not in latest or job.created >= latest[job.shot].created:
                    latest[job.shot] = job
        for shot in self.model.shots:
            job = latest.get(shot.id)
            self.model.set_job(shot.id, self._state_of(job, shot))
        self.apply_finished()

    def _state_of(self, job: Any, shot: Any) -> JobState | None:
        if job is None:
            return None
        if job.status == "queued" or (job.status == "interrupted" and job.attempts < 3):
            return JobState("queued", job.id, job.progress, job.message or "")
        if job.status == "running":
            old = self.model.jobs.get(shot.id)
            started = self._started.setdefault(job.id, job.started or time.time())
            eta = eta_text(job.progress, 1.0, time.time() - started) if job.progress else ""
            preview = old.preview if old is not None and old.job_id == job.id else job.preview
            return JobState("rendering", job.id, job.progress, job.message or "", eta, preview)
        if job.status == "failed" and (shot.status in ("pending", "stale") or job.kind in ("upscale", "interpolate")):
            return JobState("failed", job.id, job.progress, job.error or job.message or tr("failed"))
        return None

    def _on_event(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        job_id = getattr(event, "job", None)
        if kind == "claimed" and event.shot:
            self._shot_of[job_id] = event.shot
            self._started[job_id] = time.monotonic()
            self.model.set_job(event.shot, JobState("rendering", job_id, 0.0, tr("starting…")))
            return
        shot_id = self._shot_of.get(job_id) if job_id else None
        if shot_id is None:
            if kind == "succeeded":
                self._apply_job(job_id)  # a job of this project submitted elsewhere
            return
        old = self.model.jobs.get(shot_id)
        if kind == "progress":
            started = self._started.setdefault(job_id, time.monotonic())
            fraction = event.done / event.total if event.total else 0.0
            eta = eta_text(event.done, event.total, time.monotonic() - started)
            self.model.set_job(shot_id, JobState("rendering", job_id, fraction, event.message, eta,
                                                 old.preview if old is not None else None))
        elif kind == "preview":
            self.model.set_job(shot_id, JobState("rendering", job_id, old.progress if old else 0.0,
                                                 old.message if old else "", old.eta if old else "",
                                                 event.path))
            self.previewReady.emit(shot_id, event.path)
        elif kind == "succeeded":
            self._apply_job(job_id)
        elif kind == "failed":
            self.model.set_job(shot_id, JobState("failed", job_id, 0.0, event.error))
        elif kind == "canceled":
            self.model.set_job(shot_id, None)
        elif kind == "interrupted":
            self.model.set_job(shot_id, JobState("queued", job_id, old.progress if old else 0.0, event.reason))

    def _apply_job(self, job_id: str) -> None:
        if self.engine.queue is None or self.document.project is None:
            return
        job = self.engine.job(job_id)
        if job.project == project_key(self.document.project.path):
            self.apply_result(job)


def take_frames_identical(a: Path | str, b: Path | str) -> bool | None:
    """Whether two takes' recipes record the same frames (sha256 of every output frame)."""
    import json

    try:
        ra = json.loads((Path(a).parent / "recipe.json").read_text(encoding="utf-8"))
        rb = json.loads((Path(b).parent / "recipe.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ha, hb = (ra.get("output") or {}).get("frames_sha256"), (rb.get("output") or {}).get("frames_sha256")
    if not ha or not hb:
        return None
    return ha == hb
