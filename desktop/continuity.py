"""The continuity inspector in the editor: runs the analysis in the engine worker (job kind
``analyze``, on a snapshot of the timeline as the editor has it, saved or not), reads its report
(``engine.analysis.load_report``), and turns it into seam markers on the timeline, the rows of
the seams panel, the A/B view of a seam's two sides and its repairs.

The worker keeps what it measured per shot in the bundle's cache, so a new analysis after an
edit measures only the shots that changed. Once the user has asked for one, the analysis runs
again by itself a moment after each edit that changes the timeline.

A repair (colour match, flow blend: a new take written off the UI thread from a snapshot of the
project; a generated bridge: a pending shot) is placed by its one edit through ``Document.apply``:
one undo step.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.i18n import tr
from desktop.services.background import BackgroundTask
from engine.progress import eta_text

RERUN_MS = 1500  # quiet time after an edit before the analysis runs again
SNAPSHOTS = "analysis"  # folder under the bundle's cache/ for the timelines sent to the worker


@dataclass(frozen=True)
class SeamMark:
    """What the timeline draws for a seam: where, how it looks, what its tooltip says."""

    frame: int
    severity: str  # "clean" | "warning" | "defect"
    text: str
    index: int  # in the report's seams


def kind_label(kind: str) -> str:
    return {"flash": tr("flash"), "color": tr("colour jump"), "frozen": tr("frozen frames"),
            "dropped": tr("dropped frames"), "motion": tr("motion turn"), "black": tr("black frame"),
            "jump": tr("jump (picture skips)")}.get(kind, kind)


def expected_label(expected: str) -> str:
    return {"continuous": tr("continuous"), "cut": tr("cut"), "transition": tr("transition")}.get(expected, expected)


def severity_label(severity: str) -> str:
    return {"clean": tr("clean"), "warning": tr("warning"), "defect": tr("defect")}.get(severity, severity)


def seam_summary(seam: Any) -> str:
    """One line for a seam: its verdict, kinds and score."""
    kinds = ", ".join(kind_label(k) for k in seam.kinds)
    verdict = severity_label(seam.severity)
    text = f"{verdict}: {kinds}" if kinds else verdict
    return tr("{verdict} · score {score:.2f} · {expected}").format(
        verdict=text, score=seam.score, expected=expected_label(seam.expected))


class ContinuityController(QObject):
    reportChanged = Signal(object)  # CheckReport or None
    seamSelected = Signal(int)  # index in the report's seams, -1 for none
    progress = Signal(int, int, str)  # done, total, status text
    busyChanged = Signal(bool)
    repaired = Signal(str)  # the repair method, after its edit was applied

    def __init__(self, window: Any, engine: Any) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.model = window.model
        self.engine = engine
        self.report: Any = None
        self.selected = -1
        self.stale = False  # the timeline changed since the report
        self.auto = False  # analyse again after edits (once the user asked for an analysis)
        self.job_id: str | None = None
        self.repair_task: BackgroundTask | None = None
        self._layout: str | None = None
        self._snapshot: Path | None = None
        self._submitted: str | None = None  # the layout the running analysis was asked for
        self._started = 0.0
        self._rerun = QTimer(self)
        self._rerun.setSingleShot(True)
        self._rerun.setInterval(RERUN_MS)
        self._rerun.timeout.connect(self.analyze)
        engine.event.connect(self._on_event)
        self.model.opened.connect(self._on_opened)
        self.model.changed.connect(self._on_changed)

    # -- analysis ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.job_id is not None

    def analyze(self) -> str | None:
        """Queue an analysis of the timeline as it is now; returns the job id."""
        project = self.document.project
        if project is None or not self.model.shots:
            return None
        if not self.engine.ready:
            self.window.notify(tr("The engine is still starting; try again in a moment"), 6000)
            return None
        if self.job_id is not None:
            self._rerun.start()  # one at a time: the next one after this one
            return None
        folder = project.cache_dir / SNAPSHOTS
        snapshot = project.save_to(folder / f"editor-{uuid.uuid4().hex}.otio")
        from engine.analysis.timeline import layout_key

        job = self.engine.submit_analysis(project, snapshot)
        self._submitted = layout_key(project)
        self.auto = True
        self.job_id, self._snapshot, self._started = job.id, snapshot, time.monotonic()
        self.busyChanged.emit(True)
        self.progress.emit(0, 0, tr("Analysis queued…"))
        return job.id

    def cancel(self) -> None:
        if self.job_id is not None:
            self.engine.cancel(self.job_id)

    def _on_event(self, event: Any) -> None:
        if self.job_id is None or getattr(event, "job", None) != self.job_id:
            return
        kind = event.type
        if kind == "progress":
            eta = eta_text(event.done, event.total, time.monotonic() - self._started)
            text = tr("Analysing… {done}/{total} frames").format(done=event.done, total=event.total)
            self.progress.emit(event.done, event.total, f"{text} · {tr('{eta} left').format(eta=eta)}" if eta else text)
        elif kind in ("succeeded", "failed", "canceled"):
            self._finish()
            if kind == "succeeded":
                self.load()
            elif kind == "failed":
                self.progress.emit(0, 0, tr("Analysis failed: {why}").format(why=event.error))
                self.window.notify(tr("The continuity analysis failed: {why}").format(why=event.error), 10000)
            else:
                self.progress.emit(0, 0, tr("Analysis canceled"))

    def _finish(self) -> None:
        self.job_id = None
        if self._snapshot is not None:
            self._snapshot.unlink(missing_ok=True)
            self._snapshot = None
        self.busyChanged.emit(False)

    def load(self) -> bool:
        """Read the last report; shown when it was made for the timeline as it is now."""
        from engine.analysis import load_report
        from engine.analysis.timeline import layout_key

        project = self.document.project
        report = load_report(project) if project is not None else None
        if report is None:
            self.stale = self.report is not None or self.stale
            if self.auto and project is not None and layout_key(project) != self._submitted:
                self._rerun.start()  # edited while it ran: once more, for the timeline as it is
            return False
        self.report, self.stale, self._layout = report, False, layout_key(project)
        if not 0 <= self.selected < len(report.seams):
            self.selected = -1
        defects = len(report.defects)
        self.progress.emit(1, 1, tr("{n} seams · {d} with defects").format(n=len(report.seams), d=defects))
        self.reportChanged.emit(report)
        return True

    def _on_opened(self) -> None:
        self._rerun.stop()
        self.report, self.selected, self.stale, self.auto = None, -1, False, False
        self.job_id = None
        self.reportChanged.emit(None)
        if self.document.project is not None:
            self.load()

    def _on_changed(self, _refresh: Any) -> None:
        from engine.analysis.timeline import layout_key

        project = self.document.project
        if project is None or self._layout is None or layout_key(project) == self._layout:
            return
        # The timeline changed: the markers no longer say what is there.
        self.report, self.selected, self.stale, self._layout = None, -1, True, None
        self.reportChanged.emit(None)
        if self.auto:
            self._rerun.start()

    # -- what the views show -------------------------------------------------------------------
    def marks(self) -> dict[int, SeamMark]:
        if self.report is None:
            return {}
        out = {}
        for i, seam in enumerate(self.report.seams):
            a, b = (self._name(s) for s in seam.shots)
            text = f"{a} › {b}\n{seam_summary(seam)}"
            out[seam.frame] = SeamMark(seam.frame, seam.severity, text, i)
        return out

    def _name(self, shot_id: str) -> str:
        shot = self.model.shot(shot_id)
        return shot.name if shot is not None else shot_id[:8]

    def drift(self) -> list:
        return list(self.report.drift) if self.report is not None else []

    def select(self, index: int) -> None:
        """Select a seam: the playhead goes to it and the viewer shows its two sides, A and B."""
        if self.report is None or not 0 <= index < len(self.report.seams):
            return
        self.selected = index
        seam = self.report.seams[index]
        self.window.transport.seek(seam.frame)
        sides = self.sides(seam)
        if sides is not None:
            self.window.viewer.compare_pinned(*sides)
            self.window.registry["compare_side"].trigger()
        self.seamSelected.emit(index)

    def select_at(self, frame: int) -> None:
        mark = self.marks().get(frame)
        if mark is not None:
            self.select(mark.index)

    def sides(self, seam: Any) -> tuple[tuple, tuple] | None:
        """((label, media, source frame), (label, media, source frame)): the last frame before
        the seam and the first after it, as their takes hold them."""
        a = self.model.shot_at(seam.frame - 1)
        b = self.model.shot_at(seam.frame)
        if a is None or b is None or a.media_path is None or b.media_path is None:
            return None
        fa = a.source_in + (seam.frame - 1 - a.start)
        fb = b.source_in + (seam.frame - b.start)
        return ((f"A: {a.name} · {fa}", a.media_path, fa), (f"B: {b.name} · {fb}", b.media_path, fb))

    def selected_seam(self) -> Any:
        if self.report is None or not 0 <= self.selected < len(self.report.seams):
            return None
        return self.report.seams[self.selected]

    def can_repair(self) -> bool:
        seam = self.selected_seam()
        return seam is not None and seam.cut_index is not None and self.repair_task is None

    # -- repairs -------------------------------------------------------------------------------
    def repair(self, method: str) -> BackgroundTask | None:
        """Repair the selected seam: ``color``, ``blend`` or ``bridge``, placed as one undo step."""
        from engine.analysis.timeline import layout_key
        from engine.project import Project

        seam, project = self.selected_seam(), self.document.project
        if seam is None or seam.cut_index is None or project is None or self.repair_task is not None:
            return None
        folder = project.cache_dir / SNAPSHOTS
        snapshot = project.save_to(folder / f"repair-{uuid.uuid4().hex}.otio")
        layout, path, frame = layout_key(project), project.path, seam.frame

        def work(task: BackgroundTask):
            from engine.analysis.repair import prepare

            try:
                copy = Project.open(path, from_file=snapshot)
                return prepare(copy, frame, method, progress=task.report, cancel=task.token)
            finally:
                snapshot.unlink(missing_ok=True)

        task = BackgroundTask(work, "repair", self)
        task.progress.connect(lambda d, t, eta: self.progress.emit(
            d, t, tr("Repairing… {done}/{total} frames").format(done=d, total=t) + (f" · {eta}" if eta else "")))
        task.succeeded.connect(lambda made: self._place(made, method, layout))
        task.failed.connect(lambda msg: self.window.notify(tr("The repair failed: {why}").format(why=msg), 10000))
        task.ended.connect(self._repair_ended)
        self.repair_task = task
        self.busyChanged.emit(True)
        return task.start()

    def _repair_ended(self) -> None:
        self.repair_task = None
        self.busyChanged.emit(self.busy)

    def _place(self, made: Any, method: str, layout: str) -> None:
        from engine.analysis.timeline import layout_key

        project = self.document.project
        if project is None or layout_key(project) != layout:
            made.discard()
            self.window.notify(tr("The timeline changed while the repair was made; it was not applied"), 8000)
            return
        text = {"color": tr("Repair Seam: Match Colour"), "blend": tr("Repair Seam: Flow Blend"),
                "bridge": tr("Repair Seam: Generated Bridge")}[method]
        if not self.document.apply(made.edit, text):
            made.discard()
            return
        self.window.notify(made.message, 8000)
        self.repaired.emit(method)


def install(window: Any) -> ContinuityController:
    """Make the controller, the seams panel (a dock beside the takes) and the drift strip (under
    the timeline), and connect them to the window's timeline, viewer and document."""
    from PySide6.QtCore import Qt

    from desktop.views.seams_panel import DriftStrip, SeamsPanel

    controller = ContinuityController(window, window.engine)
    panel = SeamsPanel(window)
    canvas = window.timeline.canvas
    strip = DriftStrip(canvas, window.timeline)
    window.timeline.layout().insertWidget(1, strip)
    dock = window.add_panel("seams", panel, tr("Seams"), Qt.DockWidgetArea.RightDockWidgetArea)
    window.tabifyDockWidget(window.docks["queue"], dock)
    controller.panel, controller.strip = panel, strip

    def names() -> dict[str, str]:
        return {s.id: s.name for s in window.model.shots}

    def show(report: Any) -> None:
        canvas.data.seams = controller.marks()
        canvas.update()
        rate = window.document.project.fps if window.document.project is not None else 24
        panel.show_report(report, names(), rate)
        threshold = report.thresholds.drift_delta_e if report is not None else 6.0
        strip.set_drift(controller.drift(), threshold)
        if report is None and controller.stale:
            panel.show_progress(0, 0, tr("The timeline changed; analysing again…") if controller.auto
                                else tr("The timeline changed since the last analysis"))
        panel.set_busy(controller.busy or controller.repair_task is not None, controller.can_repair())

    panel.analyzeRequested.connect(controller.analyze)
    panel.cancelRequested.connect(controller.cancel)
    panel.seamActivated.connect(controller.select)
    panel.repairRequested.connect(controller.repair)
    canvas.seamClicked.connect(controller.select_at)
    controller.reportChanged.connect(show)
    controller.progress.connect(panel.show_progress)
    controller.busyChanged.connect(lambda busy: panel.set_busy(busy or controller.repair_task is not None,
                                                               controller.can_repair()))

    def selected(index: int) -> None:
        panel.select_row(index)
        panel.set_busy(controller.busy or controller.repair_task is not None, controller.can_repair())
        dock.raise_()

    controller.seamSelected.connect(selected)
    return controller
