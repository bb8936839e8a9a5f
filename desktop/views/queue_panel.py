"""The queue panel: where generation runs (Render on: this machine or a farm, with the farm's
status in one line), this project's generation jobs with progress, ETA and the live preview of
the running one, farm jobs among them like local ones; cancel, retry, reorder, pause and resume. It
reads the durable queue (through the engine adapter) and updates the running row from the
worker's progress events."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import tr
from engine.progress import eta_text

JobRole = Qt.ItemDataRole.UserRole + 20
PREVIEW_W, PREVIEW_H = 160, 100  # the smallest it gets (it grows with the panel's width)


def job_status_text(status: str) -> str:
    return {"queued": tr("queued"), "running": tr("rendering"), "succeeded": tr("done"), "failed": tr("failed"),
            "canceled": tr("canceled"), "interrupted": tr("interrupted")}.get(status, status)


class QueuePanel(QWidget):
    def __init__(self, model, engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanel")
        self.model = model
        self.engine = engine
        self.jobs: list = []
        self.bars: dict[str, QProgressBar] = {}
        self._started: dict[str, float] = {}
        self.preview_job: str | None = None
        self.preview_painted_at = 0.0
        self.preview = QLabel(self)
        self.preview.setObjectName("livePreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(PREVIEW_W, PREVIEW_H)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.preview.setStyleSheet("background: #101014; color: #8a8a96; border-radius: 4px;")
        self.preview_caption = QLabel(self)
        self.preview_caption.setWordWrap(True)
        self.render_on_label = QLabel(self)
        self.render_on = QComboBox(self)  # filled by desktop.render_on.RenderOnController
        self.render_on.setObjectName("renderOn")
        self.render_on.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.render_on.setMinimumContentsLength(12)
        self.render_on_label.setBuddy(self.render_on)
        self.farm_status = QLabel(self)
        self.farm_status.setObjectName("farmStatus")
        self.farm_status.setWordWrap(True)
        self.farm_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.farm_status.hide()
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("queueList")
        self.tree.setMinimumHeight(60)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setColumnCount(4)
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        self.tree.header().resizeSection(2, 110)
        self.tree.header().setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.cancel_button = QPushButton(self)
        self.retry_button = QPushButton(self)
        self.up_button = QPushButton(self)
        self.down_button = QPushButton(self)
        self.pause_button = QPushButton(self)
        self.clear_button = QPushButton(self)
        for name, b in (("cancelJob", self.cancel_button), ("retryJob", self.retry_button),
                        ("moveUp", self.up_button), ("moveDown", self.down_button),
                        ("pauseQueue", self.pause_button), ("clearFinished", self.clear_button)):
            b.setObjectName(f"{name}Button")
        # Two by two: the panel shares a narrow dock with the inspector, and must not force the
        # window wider or taller than a small screen.
        row1 = QGridLayout()
        for i, b in enumerate((self.cancel_button, self.retry_button, self.up_button, self.down_button)):
            row1.addWidget(b, i // 2, i % 2)
        row2 = QHBoxLayout()
        row2.addWidget(self.pause_button)
        row2.addWidget(self.clear_button)
        row2.addStretch(1)
        target = QHBoxLayout()
        target.addWidget(self.render_on_label)
        target.addWidget(self.render_on, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(target)
        layout.addWidget(self.farm_status)
        layout.addWidget(self.preview)
        layout.addWidget(self.preview_caption)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.state)

        self.cancel_button.clicked.connect(lambda: self._on_selected(self.engine.cancel))
        self.retry_button.clicked.connect(lambda: self._on_selected(self.engine.retry))
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.pause_button.clicked.connect(self._toggle_pause)
        self.clear_button.clicked.connect(self._clear_finished)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        engine.jobsChanged.connect(self.refresh)
        engine.event.connect(self._on_event)
        model.opened.connect(self.refresh)
        self.retranslate()

    def retranslate(self) -> None:
        self.render_on_label.setText(tr("Render on:"))
        self.tree.setHeaderLabels([tr("Shot"), tr("Status"), tr("Progress"), tr("Left")])
        self.cancel_button.setText(tr("Cancel"))
        self.retry_button.setText(tr("Retry"))
        self.up_button.setText(tr("Earlier"))
        self.down_button.setText(tr("Later"))
        self.clear_button.setText(tr("Clear Finished"))
        if self.preview.pixmap() is None or self.preview.pixmap().isNull():
            self.preview.setText(tr("The picture of the shot being generated appears here"))
        self._caption()
        self.refresh()

    # -- rows ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        project = self.model.project
        selected = self.selected_job()
        keep = selected.id if selected is not None else None
        self.jobs = self.engine.jobs(project) if project is not None and self.engine.ready else []
        self.jobs = [j for j in self.jobs if j.shot]
        self.tree.clear()
        self.bars.clear()
        for job in self.jobs:
            shot = self.model.shot(job.shot)
            name = shot.name if shot is not None else tr("(deleted shot)")
            on_farm = job.status == "running" and self.engine.farm_job(job)
            item = QTreeWidgetItem([name, tr("on the farm") if on_farm else job_status_text(job.status),
                                    "", ""])
            item.setData(0, JobRole, job.id)
            if on_farm and job.message:
                item.setToolTip(1, job.message)
            if job.status == "failed" and job.error:
                item.setToolTip(0, job.error)
                item.setToolTip(1, job.error)
            self.tree.addTopLevelItem(item)
            bar = QProgressBar(self.tree)
            bar.setRange(0, 1000)
            bar.setValue(int(job.progress * 1000) if job.status != "succeeded" else 1000)
            bar.setTextVisible(True)
            bar.setFormat("%p%")
            self.tree.setItemWidget(item, 2, bar)
            self.bars[job.id] = bar
            if job.status == "running":
                started = self._started.setdefault(job.id, job.started or time.time())
                item.setText(3, eta_text(job.progress, 1.0, time.time() - started) if job.progress else "")
            elif job.status == "failed":
                item.setText(3, (job.error or "").split(";")[0][:60])
            elif job.finished:
                # When it ended, beside its state ("done 14:02"): the last column is time left.
                item.setText(1, f"{job_status_text(job.status)} {time.strftime('%H:%M', time.localtime(job.finished))}")
                item.setToolTip(1, tr("Finished at {time}").format(
                    time=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(job.finished))))
            if job.id == keep:
                item.setSelected(True)
        self._update_state()
        self._update_buttons()

    def item_of(self, job_id: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, JobRole) == job_id:
                return item
        return None

    def selected_job(self):
        items = self.tree.selectedItems()
        if not items:
            return None
        job_id = items[0].data(0, JobRole)
        return next((j for j in self.jobs if j.id == job_id), None)

    def _update_buttons(self) -> None:
        job = self.selected_job()
        status = job.status if job is not None else ""
        self.cancel_button.setEnabled(status in ("queued", "running"))
        self.retry_button.setEnabled(status in ("failed", "canceled", "interrupted"))
        queued = [j for j in self.jobs if j.status == "queued"]
        self.up_button.setEnabled(status == "queued" and queued and queued[0].id != job.id)
        self.down_button.setEnabled(status == "queued" and queued and queued[-1].id != job.id)
        self.pause_button.setText(tr("Resume Queue") if self.engine.paused else tr("Pause Queue"))
        self.pause_button.setEnabled(self.engine.ready)
        self.clear_button.setEnabled(any(j.status in ("succeeded", "canceled") for j in self.jobs))

    def _update_state(self) -> None:
        active = [j for j in self.jobs if j.status in ("queued", "running")]
        if not self.engine.ready:
            self.state.setText(tr("The engine is starting…"))
        elif self.engine.paused:
            self.state.setText(tr("The queue is paused: running work finishes, nothing new starts."))
        elif not self.jobs:
            self.state.setText(tr("No generations yet. Select a shot and press Ctrl+G."))
        else:
            self.state.setText(tr("{n} waiting or rendering").format(n=len(active)) if active
                               else tr("All done"))

    # -- actions -------------------------------------------------------------------------------
    def _on_selected(self, fn) -> None:
        from engine.errors import ShotloomError

        job = self.selected_job()
        if job is None:
            return
        try:
            fn(job.id)
        except ShotloomError as exc:
            self.state.setText(str(exc))

    def _move(self, delta: int) -> None:
        job = self.selected_job()
        queued = [j.id for j in self.jobs if j.status == "queued"]
        if job is None or job.id not in queued:
            return
        self.engine.move(job.id, max(0, queued.index(job.id) + delta))

    def _toggle_pause(self) -> None:
        if self.engine.paused:
            self.engine.resume()
        else:
            self.engine.pause()

    def _clear_finished(self) -> None:
        for job in self.jobs:
            if job.status in ("succeeded", "canceled"):
                self.engine.remove(job.id)

    # -- live updates --------------------------------------------------------------------------
    def _on_event(self, event) -> None:
        kind = getattr(event, "type", "")
        job_id = getattr(event, "job", None)
        if kind == "progress":
            bar = self.bars.get(job_id)
            if bar is None:
                return
            bar.setValue(int(1000 * event.done / event.total) if event.total else 0)
            item = self.item_of(job_id)
            if item is not None:
                started = self._started.setdefault(job_id, time.time())
                if not self.engine.farm_job(next((j for j in self.jobs if j.id == job_id), None)):
                    item.setText(1, job_status_text("running"))
                item.setText(3, eta_text(event.done, event.total, time.time() - started))
                if event.message:
                    item.setToolTip(2, event.message)
        elif kind == "claimed":
            self._started[job_id] = time.time()
        elif kind == "preview":
            self.show_preview(job_id, event.path)
        elif kind in ("succeeded", "canceled", "failed") and job_id == self.preview_job:
            self.preview_job = None

    def _caption(self) -> None:
        job = next((j for j in self.jobs if j.id == self.preview_job), None)
        shot = self.model.shot(job.shot) if job is not None and job.shot else None
        self.preview_caption.setText(tr("Denoising “{name}” (live preview)").format(name=shot.name)
                                     if shot is not None else "")

    def show_preview(self, job_id: str, path: str) -> None:
        image = QImage(str(path))
        if image.isNull():
            return
        self.preview_job = job_id
        pixmap = QPixmap.fromImage(image).scaled(self.preview.width(), self.preview.height(),
                                                 Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        self.preview.setPixmap(pixmap)
        self._caption()
        self.preview.repaint()
        self.preview_painted_at = time.time()
