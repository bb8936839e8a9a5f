"""The models dialog (shown on first run when no real model is on disk): the catalog with download
size, memory need and whether it fits this machine; download with progress (resumable, through
huggingface_hub) or add a local folder. Offline, a download says what to download and where to put
it. micro-ltx, which ships with Shotloom, is offered first as "try it now" (a shot generated at once);
the tiny test models are offered to try the workflow, labelled as noise generators."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import tr
from desktop.services.models import DownloadTask, ModelRow, add_local_folder, catalog_rows, hub_cache, model_label
from desktop.views.inspector import task_label
from engine.gen.memory import size_text

IdRole = Qt.ItemDataRole.UserRole + 30


def tier_short(tier: str) -> str:
    return {"gpu": tr("on the GPU"), "offload": tr("offloading"), "group_offload": tr("streaming layers")
            }.get(tier, tier)


def _gb(n: float) -> str:
    return f"{n:.1f} GB" if n >= 0.1 else "—"


def _bytes(n: int) -> str:
    return size_text(n, binary=True)


class ModelsDialog(QDialog):
    try_now = Signal(str)  # the id of the shipped model to generate a first shot with

    def __init__(self, free_bytes: int | None, device: str = "", parent: QWidget | None = None,
                 first_run: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.setWindowTitle(tr("Models"))
        self.resize(860, 520)
        self.free_bytes = free_bytes
        self.first_run = first_run
        self.on_gpu = bool(device) and not device.startswith("CPU")
        self.rows: list[ModelRow] = []
        self.task: DownloadTask | None = None
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.intro.setText(
            (tr("No video model for your own shots is on this computer yet. Try It Now generates a first shot "
                "with micro-ltx, the small model that ships with Shotloom (coloured shapes moving over plain "
                "backgrounds). Download a model to generate anything else, or add a model folder you already "
                "have.") + "\n\n"
             if first_run else "")
            + (tr("This computer: {device}.").format(device=device) if device else
               tr("This computer: {device}; {free}.").format(
                   device=tr("device not reported yet"),
                   free=tr("{free} of memory free").format(free=_bytes(free_bytes)) if free_bytes
                   else tr("free memory unknown"))))
        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("modelsTable")
        self.table.setHorizontalHeaderLabels([tr("Model"), tr("Tasks"), tr("Download"), tr("Needs"),
                                              tr("On this computer"), tr("State")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 200)
        for c in range(2, 6):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.hide()
        self.message = QLabel(self)
        self.message.setObjectName("modelsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(self)
        self.try_button = self.buttons.addButton(tr("Try It Now"), QDialogButtonBox.ButtonRole.ActionRole)
        self.try_button.setObjectName("tryNowButton")
        self.try_button.setToolTip(tr("Generate a first shot with micro-ltx, which ships with Shotloom: no download"))
        self.try_button.clicked.connect(self._try_now)
        self.download_button = self.buttons.addButton(tr("Download"), QDialogButtonBox.ButtonRole.ActionRole)
        self.add_button = self.buttons.addButton(tr("Add Local Folder…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button: QPushButton = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.download_button.clicked.connect(self.download)
        self.add_button.clicked.connect(self.add_folder)
        self.close_button.clicked.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.fill()

    def fill(self) -> None:
        self.rows = catalog_rows(self.free_bytes)
        if self.first_run:
            # Nothing real is on disk yet: the shipped model that works at once on top, then the
            # models to download; the test models (noise, for trying the workflow) last.
            self.rows.sort(key=lambda row: (not row.entry.micro, row.entry.test_model))
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            e = row.entry
            name = model_label(e) + (f"\n{tr('test model: a noise generator to try the workflow')}"
                                     if e.test_model else
                                     f"\n{tr('try it now: ships with Shotloom, no download (simple moving shapes)')}"
                                     if e.micro else "")
            tasks = ", ".join(task_label(t).lower() for t in e.tasks)
            if row.fit is None:
                fits = "?"
            elif row.fit and not self.on_gpu:
                fits = tr("fits in memory")
            elif row.fit:
                fits = tr("fits ({tier})").format(tier=tier_short(row.fit))
            else:
                fits = tr("too big")
            state = (tr("built on first use") if e.test_model else
                     tr("ships with Shotloom") if e.micro and row.installed else
                     tr("ready") if row.installed else tr("not downloaded"))
            cells = [name, tasks, _gb(e.download_gb), _bytes(row.need_bytes), fits, state]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(IdRole, e.id)
                if c == 0:
                    item.setToolTip(f"{e.repo or e.local_path or ''}\n{e.license_note}")
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        self._update_buttons()

    def selected(self) -> ModelRow | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.rows[rows.pop()] if len(rows) == 1 else None

    def select(self, model_id: str) -> None:
        for r, row in enumerate(self.rows):
            if row.entry.id == model_id:
                self.table.selectRow(r)

    def _micro_row(self) -> ModelRow | None:
        return next((row for row in self.rows if row.entry.micro and row.installed), None)

    def _try_now(self) -> None:
        row = self._micro_row()
        if row is not None:
            self.accept()
            self.try_now.emit(row.entry.id)

    def _update_buttons(self) -> None:
        row = self.selected()
        busy = self.task is not None and self.task.running
        self.try_button.setVisible(self._micro_row() is not None)
        self.try_button.setEnabled(not busy)
        self.download_button.setEnabled(row is not None and not busy and not row.entry.test_model
                                        and not row.entry.micro
                                        and not row.installed and bool(row.entry.repo))
        self.download_button.setText(tr("Cancel Download") if busy else tr("Download"))
        if busy:
            self.download_button.setEnabled(True)

    # -- download -------------------------------------------------------------------------------
    def download(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()
            self.message.setText(tr("Canceling… the part already downloaded is kept and resumes next time."))
            return
        row = self.selected()
        if row is None:
            return
        self.task = DownloadTask(row.entry, self)
        self.task.progress.connect(self._on_progress)
        self.task.succeeded.connect(self._on_done)
        self.task.failed.connect(self._on_failed)
        self.task.canceled.connect(self._on_canceled)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText(tr("Downloading {name} (about {size}) into {folder}…").format(
            name=row.entry.name, size=_gb(row.entry.download_gb), folder=hub_cache()))
        self.task.start()
        self._update_buttons()

    def _on_progress(self, done: int, total: int, eta: str) -> None:
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * done / max(total, 1)))
        text = tr("{done} of {total}").format(done=_bytes(done), total=_bytes(total))
        if eta:
            text += "  ·  " + tr("about {eta} left").format(eta=eta)
        self.message.setText(text)

    def _on_done(self, path: str) -> None:
        self.progress.hide()
        self.message.setText(tr("Downloaded to {path}").format(path=path))
        self.fill()
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self.progress.hide()
        self.message.setText(message)
        self._update_buttons()

    def _on_canceled(self) -> None:
        self.progress.hide()
        self.message.setText(tr("Download canceled; what was downloaded is kept and resumes next time."))
        self._update_buttons()

    def reject(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()
            self.task.wait(5)
        super().reject()

    # -- local folder ---------------------------------------------------------------------------
    def add_folder(self, folder: str | None = None, model_id: str | None = None) -> bool:
        from engine.errors import ShotloomError

        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, tr("Model Folder (holding model_index.json)"),
                                                      str(Path.home()))
            if not folder:
                return False
        if model_id is None:
            model_id, ok = QInputDialog.getText(self, tr("Model Name"), tr("A short id for this model:"),
                                                text=Path(folder).name.lower().replace(" ", "-"))
            if not ok or not model_id.strip():
                return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a child process reads the folder
        try:
            entry = add_local_folder(Path(folder), model_id.strip())
        except ShotloomError as exc:
            self.message.setText(str(exc))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.message.setText(tr("Added {name}").format(name=entry.name))
        self.fill()
        self.select(entry.id)
        return True
