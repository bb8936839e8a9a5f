"""The shot inspector: the selected shot's generation recipe, every field editable.

Each change is one undoable edit of the shot's recipe (`SetRecipe`). A value the engine would
refuse (an empty prompt, a size the model cannot make, more frames than it can make in one shot,
a missing image) is refused in the field with the reason beside it: the recipe keeps its last
good value and nothing is raised.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import Label, tr
from desktop.services.models import model_label

TASKS = ("text_to_video", "image_to_video", "extend", "bridge", "long_take")


def task_label(task: str) -> str:
    return {"text_to_video": tr("Text to video"), "image_to_video": tr("Image to video"),
            "extend": tr("Extend"), "bridge": tr("Bridge"), "long_take": tr("Long take")}.get(task, task)


def default_negative_prompt() -> str:
    """What the engine avoids when the recipe says nothing (shown greyed in the empty field)."""
    from engine.gen.requests import TextToVideoRequest

    return str(TextToVideoRequest.model_fields["negative_prompt"].default)


CACHE_KINDS = ("auto", "none", "first_block", "mag", "taylorseer")
"""The request's step caches (engine.gen.requests: GenerationRequest.cache)."""


def cache_label(kind: str) -> str:
    return {"auto": tr("Automatic"), "none": tr("None (exact)"), "first_block": tr("First-block cache"),
            "mag": tr("MagCache (calibrates once per model)"), "taylorseer": tr("TaylorSeer")}.get(kind, kind)


def tier_label(tier: str) -> str:
    return {"auto": tr("Automatic"), "gpu": tr("All on the GPU (fastest)"),
            "offload": tr("Offload to RAM"), "group_offload": tr("Stream layers (least memory)")}.get(tier, tier)


class _PromptEdit(QPlainTextEdit):
    """A prompt box that commits when it loses focus or on Ctrl+Enter."""

    committed = Signal()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.committed.emit()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.committed.emit()
            return
        super().keyPressEvent(event)


# The undo step of each recipe field (translated when shown, so it follows the UI's language).
CHANGES = {"prompt": "Change Prompt", "negative_prompt": "Change Avoid", "model": "Change Model",
           "seconds": "Change Duration", "width": "Change Size", "height": "Change Size", "seed": "Change Seed",
           "steps": "Change Steps", "guidance": "Change Guidance", "image": "Change Image", "task": "Change Task",
           "direction": "Change Direction", "context_frames": "Change Context Frames", "tier": "Change Memory",
           "draft": "Change Quality", "cache": "Change Step Cache", "prompts": "Change Prompts", "loras": "Change LoRAs",
           "lora_strength": "Change LoRA Strength"}


class LoraPicker(QWidget):
    """The shot's LoRAs, each with a strength slider (0–2) and a remove button, and a list of the
    library's LoRAs that fit the shot's model to add from. ``changed(refs, what)`` carries the new
    request entries ({id, strength, sha256}); the inspector makes it one recipe edit. A slider
    commits when it is let go (or at each key press), not while it is dragged."""

    changed = Signal(list, str)
    refused = Signal(str)  # a LoRA file the library would not take: the reason, one line
    SCALE = 100  # slider units per 1.0 of strength

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loraPicker")
        self.refs: list[dict] = []
        self.rows: list[tuple[QLabel, QSlider, QLabel, QToolButton]] = []
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(2)
        self.list_box = QVBoxLayout()
        self.layout_.addLayout(self.list_box)
        add_row = QHBoxLayout()
        self.pick = QComboBox(self)
        self.pick.setObjectName("loraPick")
        self.pick.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.pick.setMinimumContentsLength(8)
        self.add = QToolButton(self)
        self.add.setObjectName("loraAdd")
        self.add.setText("+")
        self.add_file = QToolButton(self)
        self.add_file.setObjectName("loraAddFile")
        add_row.addWidget(self.pick, 1)
        add_row.addWidget(self.add)
        add_row.addWidget(self.add_file)
        self.layout_.addLayout(add_row)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.layout_.addWidget(self.note)
        self.add.clicked.connect(self._add)
        self.add_file.clicked.connect(self._add_file)
        self.task = None
        self.retranslate()

    def retranslate(self) -> None:
        self.add.setToolTip(tr("Add the chosen LoRA to this shot"))
        self.add_file.setText(tr("File…"))
        self.add_file.setToolTip(tr("Add a LoRA .safetensors file to the library and to this shot"))

    def _add_file(self) -> None:
        from desktop.services.loras import AddLoraTask

        path, _ = QFileDialog.getOpenFileName(self, tr("Add a LoRA"), "", tr("LoRA (*.safetensors)"))
        if not path or self.task is not None:
            return
        self.task = AddLoraTask(Path(path), self)
        self.add_file.setEnabled(False)
        self.note.setText(tr("Reading {file}…").format(file=Path(path).name))
        self.note.show()
        self.task.succeeded.connect(self._file_added)
        self.task.failed.connect(self.refused.emit)
        self.task.ended.connect(self._task_ended)
        self.task.start()

    def _task_ended(self) -> None:
        self.task = None
        self.add_file.setEnabled(True)
        self.note.hide()

    def _file_added(self, lora_id: str) -> None:
        from engine.gen.loras import get_lora

        entry = get_lora(lora_id)
        self.changed.emit([*self.refs, {"id": entry.id, "strength": 1.0, "sha256": entry.sha256}], "loras")

    def fill(self, model: str, refs: list[dict]) -> None:
        from engine.errors import GenerationError
        from engine.gen.loras import list_loras

        self.refs = [dict(r) for r in refs]
        for widgets in self.rows:
            for w in widgets:
                w.deleteLater()
        self.rows = []
        for i, ref in enumerate(self.refs):
            name = QLabel(ref.get("id", "?"), self)
            slider = QSlider(Qt.Orientation.Horizontal, self)
            slider.setObjectName(f"loraStrength{i}")
            slider.setRange(0, 2 * self.SCALE)
            slider.setSingleStep(5)
            slider.setPageStep(25)
            slider.setValue(round(float(ref.get("strength", 1.0)) * self.SCALE))
            value = QLabel(f"{float(ref.get('strength', 1.0)):.2f}", self)
            value.setMinimumWidth(32)
            remove = QToolButton(self)
            remove.setObjectName(f"loraRemove{i}")
            remove.setText("−")
            remove.setToolTip(tr("Remove this LoRA from the shot"))
            row = QHBoxLayout()
            for w, stretch in ((name, 0), (slider, 1), (value, 0), (remove, 0)):
                row.addWidget(w, stretch)
            self.list_box.addLayout(row)
            slider.valueChanged.connect(lambda v, i=i, s=slider, lab=value: self._moved(i, s, lab, v))
            slider.sliderReleased.connect(lambda i=i, s=slider: self._commit(i, s.value()))
            remove.clicked.connect(lambda _=False, i=i: self._remove(i))
            self.rows.append((name, slider, value, remove))
        self.pick.clear()
        used = {r.get("sha256") for r in self.refs}
        try:
            fitting = [e for e in list_loras() if model in e.models and e.sha256 not in used]
            self.note.setText("" if fitting or self.refs else
                              tr("No LoRA in the library fits this model; add one with “shotloom lora add FILE”"))
        except GenerationError as exc:
            fitting = []
            self.note.setText(str(exc))
        for entry in fitting:
            self.pick.addItem(f"{entry.id}  ({entry.rank})", entry)
        self.pick.setEnabled(bool(fitting))
        self.add.setEnabled(bool(fitting))
        self.note.setVisible(bool(self.note.text()))

    def _moved(self, i: int, slider: QSlider, label: QLabel, value: int) -> None:
        label.setText(f"{value / self.SCALE:.2f}")
        if not slider.isSliderDown():  # a key press or a click on the groove: one step now
            self._commit(i, value)

    def _commit(self, i: int, value: int) -> None:
        strength = value / self.SCALE
        if i < len(self.refs) and self.refs[i].get("strength") != strength:
            refs = [dict(r) for r in self.refs]
            refs[i]["strength"] = strength
            self.changed.emit(refs, "lora_strength")

    def _add(self) -> None:
        entry = self.pick.currentData()
        if entry is not None:
            self.changed.emit([*self.refs, {"id": entry.id, "strength": 1.0, "sha256": entry.sha256}], "loras")

    def _remove(self, i: int) -> None:
        self.changed.emit([r for j, r in enumerate(self.refs) if j != i], "loras")


class InspectorPanel(QWidget):
    """Shows the shot the editor model has selected (one shot) and edits its recipe."""

    def __init__(self, model, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.model = model
        self.document = document
        self.shot = None
        self.spec: dict | None = None
        self.locked_seeds: set[str] = set()
        self.free_bytes: int | None = None
        self.on_gpu = False  # the engine's device is a GPU (memory tiers are about its memory)
        self._loading = False

        self.title = QLabel(self)
        self.title.setObjectName("inspectorTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop)

        self.task = QComboBox(self)
        for task in TASKS:
            self.task.addItem("", task)
        self.prompt = _PromptEdit(self)
        self.prompt.setObjectName("promptEdit")
        self.prompt.setFixedHeight(78)
        self.negative = _PromptEdit(self)
        self.negative.setFixedHeight(52)
        self.spans = QTableWidget(0, 2, self)
        self.spans.setObjectName("promptSpans")
        self.spans.verticalHeader().hide()
        self.spans.horizontalHeader().setStretchLastSection(True)
        self.spans.setFixedHeight(96)
        self.add_span = QToolButton(self)
        self.add_span.setText("+")
        self.remove_span = QToolButton(self)
        self.remove_span.setText("−")
        self.model_box = QComboBox(self)
        self.model_box.setObjectName("modelBox")
        self.fit = QLabel(self)
        self.fit.setWordWrap(True)
        self.seconds = QDoubleSpinBox(self)
        self.seconds.setObjectName("secondsBox")
        self.seconds.setRange(0.04, 3600.0)
        self.seconds.setDecimals(2)
        self.seconds.setSingleStep(0.5)
        self.seconds.setKeyboardTracking(False)
        self.frames_label = QLabel(self)
        self.width_box = QSpinBox(self)
        self.height_box = QSpinBox(self)
        for box in (self.width_box, self.height_box):
            box.setRange(16, 4096)
            box.setKeyboardTracking(False)
        self.width_box.setObjectName("widthBox")
        self.seed = QSpinBox(self)
        self.seed.setObjectName("seedBox")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed_lock = QCheckBox(self)
        self.shuffle = QToolButton(self)
        self.steps = QSpinBox(self)
        self.steps.setObjectName("stepsBox")
        self.steps.setRange(0, 500)
        self.steps.setKeyboardTracking(False)
        self.guidance = QDoubleSpinBox(self)
        self.guidance.setRange(-0.1, 30.0)
        self.guidance.setDecimals(1)
        self.guidance.setSingleStep(0.5)
        self.guidance.setKeyboardTracking(False)
        self.image = QLineEdit(self)
        self.browse = QPushButton(self)
        self.source = QLabel(self)
        self.source.setWordWrap(True)
        self.direction = QComboBox(self)
        self.direction.addItem("", "forward")
        self.direction.addItem("", "backward")
        self.context = QSpinBox(self)
        self.context.setRange(0, 257)
        self.context.setKeyboardTracking(False)
        self.tier = QComboBox(self)
        for tier in ("auto", "gpu", "offload", "group_offload"):
            self.tier.addItem("", tier)
        self.draft = QComboBox(self)
        self.draft.addItem("", False)
        self.draft.addItem("", True)
        self.cache = QComboBox(self)  # the step cache (the engine leaves it out where it cannot apply)
        self.cache.setObjectName("stepCache")
        for kind in CACHE_KINDS:
            self.cache.addItem("", kind)
        self.loras = LoraPicker(self)
        self.loras.changed.connect(self._loras_edited)
        self.loras.refused.connect(self._refuse)
        self.reason = QLabel(self)
        self.reason.setObjectName("refusal")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #e0705a;")
        self.reason.hide()

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.labels: dict[str, QLabel] = {}

        def row(key: str, field) -> None:
            label = QLabel(self)
            self.labels[key] = label
            self.form.addRow(label, field)

        row("task", self.task)
        row("prompt", self.prompt)
        row("negative", self.negative)
        spans = QWidget(self)
        sl = QVBoxLayout(spans)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.spans)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_span)
        buttons.addWidget(self.remove_span)
        buttons.addStretch(1)
        sl.addLayout(buttons)
        self.spans_row = spans
        row("spans", spans)
        model_row = QWidget(self)
        ml = QVBoxLayout(model_row)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(self.model_box)
        ml.addWidget(self.fit)
        row("model", model_row)
        duration = QWidget(self)
        dl = QVBoxLayout(duration)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.setSpacing(2)
        dl.addWidget(self.seconds)
        dl.addWidget(self.frames_label)
        self.frames_label.setWordWrap(True)
        row("seconds", duration)
        size = QWidget(self)
        zl = QHBoxLayout(size)
        zl.setContentsMargins(0, 0, 0, 0)
        zl.addWidget(self.width_box)
        zl.addWidget(QLabel("×", self))
        zl.addWidget(self.height_box)
        row("size", size)
        seed = QWidget(self)
        el = QHBoxLayout(seed)
        el.setContentsMargins(0, 0, 0, 0)
        el.addWidget(self.seed, 1)
        el.addWidget(self.seed_lock)
        el.addWidget(self.shuffle)
        row("seed", seed)
        row("steps", self.steps)
        row("guidance", self.guidance)
        row("loras", self.loras)
        image = QWidget(self)
        il = QHBoxLayout(image)
        il.setContentsMargins(0, 0, 0, 0)
        il.addWidget(self.image, 1)
        il.addWidget(self.browse)
        self.image_row = image
        row("image", image)
        row("source", self.source)
        row("direction", self.direction)
        row("context", self.context)
        row("tier", self.tier)
        row("draft", self.draft)
        row("cache", self.cache)

        self.editor = QWidget(self)
        el2 = QVBoxLayout(self.editor)
        el2.setContentsMargins(0, 0, 0, 0)
        el2.addLayout(self.form)
        el2.addWidget(self.reason)
        el2.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.editor)
        self.scroll = scroll
        for combo in (self.task, self.model_box, self.direction, self.tier, self.draft, self.cache):
            # Long model names must not make the panel wider than its dock.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)

        # edits
        self.task.activated.connect(lambda _i: self._change_task(self.task.currentData()))
        self.prompt.committed.connect(lambda: self._set("prompt", self.prompt.toPlainText().strip()))
        self.negative.committed.connect(lambda: self._set("negative_prompt", self.negative.toPlainText().strip()))
        self.model_box.activated.connect(lambda _i: self._set("model", self.model_box.currentData()))
        self.seconds.valueChanged.connect(lambda v: self._set("seconds", round(v, 3)))
        self.width_box.valueChanged.connect(lambda v: self._set("width", v))
        self.height_box.valueChanged.connect(lambda v: self._set("height", v))
        self.seed.valueChanged.connect(lambda v: self._set("seed", v))
        self.seed_lock.toggled.connect(self._lock_seed)
        self.shuffle.clicked.connect(lambda: self._set("seed", random.randrange(2**31)))
        self.steps.valueChanged.connect(lambda v: self._set("steps", v or None))
        self.guidance.valueChanged.connect(lambda v: self._set("guidance", None if v < 0 else round(v, 2)))
        self.image.editingFinished.connect(lambda: self._set("image", self.image.text().strip() or None))
        self.browse.clicked.connect(self._browse)
        self.direction.activated.connect(lambda _i: self._set("direction", self.direction.currentData()))
        self.context.valueChanged.connect(lambda v: self._set("context_frames", v or None))
        self.tier.activated.connect(lambda _i: self._set("tier", self.tier.currentData()))
        self.draft.activated.connect(lambda _i: self._set("draft", self.draft.currentData()))
        self.cache.activated.connect(lambda _i: self._set("cache", None if self.cache.currentData() == "auto"
                                                          else self.cache.currentData()))
        self.spans.itemChanged.connect(lambda _item: self._spans_edited())
        self.add_span.clicked.connect(self._add_span)
        self.remove_span.clicked.connect(self._remove_span)
        self._hide_reason = QTimer(self)
        self._hide_reason.setSingleShot(True)
        self._hide_reason.timeout.connect(self.reason.hide)

        # The form follows the dock's width: fields shrink rather than push the panel wider.
        for field in self.editor.findChildren(QWidget):
            if isinstance(field, (QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit, QPlainTextEdit, QTableWidget)):
                field.setMinimumWidth(48)
                policy = field.sizePolicy()
                policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
                field.setSizePolicy(policy)
        for label in (self.fit, self.frames_label, self.source):
            label.setMinimumWidth(40)
        model.selection.changed.connect(lambda _ids: self.show_shot())
        model.opened.connect(self.show_shot)
        model.changed.connect(self._on_change)
        model.jobsChanged.connect(self._on_jobs)
        self.retranslate()
        self.show_shot()

    # -- text ----------------------------------------------------------------------------------
    def retranslate(self) -> None:
        for key, text in (("task", tr("Task:")), ("prompt", tr("Prompt:")), ("negative", tr("Avoid:")),
                          ("spans", tr("Prompt from second:")), ("model", tr("Model:")),
                          ("seconds", tr("Duration (s):")), ("size", tr("Size:")), ("seed", tr("Seed:")),
                          ("steps", tr("Steps:")), ("guidance", tr("Guidance:")), ("image", tr("Image:")),
                          ("source", tr("Source:")), ("direction", tr("Direction:")),
                          ("context", tr("Context frames:")), ("tier", tr("Memory:")), ("draft", tr("Quality:")),
                          ("cache", tr("Step cache:")),
                          ("loras", tr("LoRAs:"))):
            self.labels[key].setText(text)
        for i, task in enumerate(TASKS):
            self.task.setItemText(i, task_label(task))
        self.direction.setItemText(0, tr("Forward (after the source)"))
        self.direction.setItemText(1, tr("Backward (before the source)"))
        for i in range(self.tier.count()):
            self.tier.setItemText(i, tier_label(self.tier.itemData(i)))
        self.draft.setItemText(0, tr("Final"))
        self.draft.setItemText(1, tr("Draft (faster)"))
        for i in range(self.cache.count()):
            self.cache.setItemText(i, cache_label(self.cache.itemData(i)))
        self.cache.setToolTip(tr("Reuses the denoiser's work between steps: faster, a little less exact. "
                                 "Automatic: the first-block cache on drafts, none on finals"))
        self.seed_lock.setText(tr("Lock"))
        self.seed_lock.setToolTip(tr("A locked seed is kept by “Regenerate with New Seed”"))
        self.shuffle.setText("⚄")
        self.shuffle.setToolTip(tr("Shuffle: a new random seed"))
        self.browse.setText(tr("Browse…"))
        self.steps.setSpecialValueText(tr("model default"))
        self.guidance.setSpecialValueText(tr("model default"))
        self.context.setSpecialValueText(tr("automatic"))
        self.spans.setHorizontalHeaderLabels([tr("From (s)"), tr("Prompt")])
        self.loras.retranslate()
        self.show_shot()

    # -- showing -------------------------------------------------------------------------------
    def _on_change(self, refresh) -> None:
        if self.shot is not None and (self.shot.id in refresh.rows or refresh.order):
            self.show_shot()

    def _on_jobs(self, ids) -> None:
        if self.shot is not None and self.shot.id in ids:
            self._show_status()

    def show_shot(self) -> None:
        ids = self.model.selection.ids
        shot = self.model.shot(ids[0]) if len(ids) == 1 else None
        self.shot = shot
        self.spec = None
        if shot is not None:
            from engine.jobs.apply import shot_spec  # not at start-up: it brings pydantic and the queue

            self.spec = shot_spec(shot)
        self.title.setText(shot.name if shot is not None else tr("Shot"))
        if shot is None:
            self.empty.setText(tr("Select one shot to see its recipe.") if not ids
                               else tr("{n} shots selected; select one to see its recipe.").format(n=len(ids)))
        elif self.spec is None:
            media = Path(shot.media_path).name if shot.media_path else "—"
            self.empty.setText(tr("Imported footage ({file}): it has no generation recipe.").format(file=media))
        self.empty.setVisible(shot is None or self.spec is None)
        self.scroll.setVisible(self.spec is not None)
        self.status.setVisible(shot is not None)
        if shot is not None:
            self._show_status()
        if self.spec is not None:
            self._fill()

    def _show_status(self) -> None:
        from desktop.views.storyboard import status_text

        shot = self.shot
        job = self.model.jobs.get(shot.id)
        status = self.model.status(shot)
        text = tr("Status: {status}").format(status=status_text(status))
        if job is not None and job.status == "rendering":
            text += f" · {int(job.progress * 100)}%" + (f" · {tr('about {eta} left').format(eta=job.eta)}"
                                                        if job.eta else "")
        elif job is not None and job.status == "failed":
            text += " · " + job.message
        elif status == "stale":
            text += " · " + tr("a shot it was made from changed; generate it again (Ctrl+G)")
        self.status.setText(text)

    def _fill(self) -> None:
        from engine.gen.catalog import load_catalog

        spec = self.spec
        self._loading = True
        try:
            task = spec.get("task", "text_to_video")
            self.task.setCurrentIndex(max(0, self.task.findData(task)))
            # Extensions and bridges are made from their sources (Generate menu); the others switch.
            switchable = task in ("text_to_video", "image_to_video", "long_take")
            self.task.setEnabled(switchable)
            for i, name in enumerate(TASKS):
                item = self.task.model().item(i)
                item.setEnabled(name in ("text_to_video", "image_to_video", "long_take") or name == task)
            if not self.prompt.hasFocus():
                self.prompt.setPlainText(spec.get("prompt", ""))
            if not self.negative.hasFocus():
                self.negative.setPlainText(spec.get("negative_prompt", ""))
                self.negative.setPlaceholderText(default_negative_prompt())
            self.model_box.clear()
            for entry in load_catalog():
                if task in entry.tasks:
                    label = model_label(entry) + (f" — {tr('noise generator (test model)')}"
                                                  if entry.test_model else "")
                    self.model_box.addItem(label, entry.id)
            self.model_box.setCurrentIndex(max(0, self.model_box.findData(spec.get("model"))))
            entry = self._entry()
            seconds = spec.get("seconds")
            if seconds is None and entry is not None:
                seconds = float(entry.defaults.frames / entry.fps)
            self.seconds.setValue(float(seconds or 1.0))
            w, h = spec.get("width"), spec.get("height")
            if entry is not None:
                self.width_box.setSingleStep(entry.size_multiple)
                self.height_box.setSingleStep(entry.size_multiple)
                w, h = w or entry.defaults.width, h or entry.defaults.height
            self.width_box.setValue(int(w or 768))
            self.height_box.setValue(int(h or 512))
            self.seed.setValue(int(spec.get("seed", 0)) % 2**31)
            self.seed_lock.setChecked(self.shot.id in self.locked_seeds)
            self.seed.setEnabled(not self.seed_lock.isChecked())
            self.shuffle.setEnabled(not self.seed_lock.isChecked())
            self.steps.setValue(int(spec.get("steps") or 0))
            guidance = spec.get("guidance")
            self.guidance.setValue(-0.1 if guidance is None else float(guidance))
            self.image.setText(str(spec.get("image") or ""))
            self.direction.setCurrentIndex(max(0, self.direction.findData(spec.get("direction", "forward"))))
            self.context.setValue(int(spec.get("context_frames") or 0))
            self.tier.setCurrentIndex(max(0, self.tier.findData(spec.get("tier", "auto"))))
            self.draft.setCurrentIndex(1 if spec.get("draft") else 0)
            self.cache.setCurrentIndex(max(0, self.cache.findData(spec.get("cache") or "auto")))
            self._fill_spans(spec.get("prompts") or [])
            self.loras.fill(spec.get("model", "ltx-video-2b"), spec.get("loras") or [])
            self._fill_sources(task)
            self._show_frames()
            self._show_fit()
            visible = {"image": task in ("image_to_video", "long_take"), "source": task in ("extend", "bridge"),
                       "direction": task == "extend", "context": task in ("extend", "bridge"),
                       "spans": task == "long_take"}
            rows = {"image": self.image_row, "source": self.source, "direction": self.direction,
                    "context": self.context, "spans": self.spans_row}
            for key, on in visible.items():
                self.form.setRowVisible(rows[key], on)
        finally:
            self._loading = False

    def _fill_spans(self, spans: list) -> None:
        self.spans.blockSignals(True)
        self.spans.setRowCount(len(spans))
        for r, span in enumerate(spans):
            self.spans.setItem(r, 0, QTableWidgetItem(f"{float(span.get('start_seconds', 0)):g}"))
            self.spans.setItem(r, 1, QTableWidgetItem(str(span.get("prompt", ""))))
        self.spans.blockSignals(False)

    def _fill_sources(self, task: str) -> None:
        names = []
        if task == "extend" and self.spec.get("source_shot"):
            src = self.model.shot(self.spec["source_shot"])
            names.append(src.name if src is not None else tr("(deleted shot)"))
            end = tr("its last frames") if self.spec.get("direction", "forward") == "forward" \
                else tr("its first frames")
            self.source.setText(tr("“{name}”, from {end}").format(name=names[0], end=end))
        elif task == "bridge" and self.spec.get("between"):
            for sid in self.spec["between"]:
                src = self.model.shot(sid)
                names.append(src.name if src is not None else tr("(deleted shot)"))
            self.source.setText(tr("the end of “{a}” and the start of “{b}”").format(a=names[0], b=names[-1]))
        else:
            self.source.setText("")

    def _entry(self):
        from engine.errors import GenerationError
        from engine.gen.catalog import get_model

        try:
            return get_model(self.spec.get("model", "ltx-video-2b"))
        except GenerationError:
            return None

    def _show_frames(self) -> None:
        from engine.errors import GenerationError
        from engine.gen.takes import _expected_frames

        project = self.document.project
        try:
            frames = _expected_frames(self.spec, project.fps)
        except (GenerationError, KeyError, ValueError):
            self.frames_label.setText("")
            return
        rate = float(project.fps)
        self.frames_label.setText(tr("{frames} frames ({seconds:.2f} s at {rate:g} fps)").format(
            frames=frames, seconds=frames / rate, rate=rate))

    def _show_fit(self) -> None:
        from desktop.services.models import available_ram, fitting_tier, predicted_peaks
        from engine.gen.memory import size_text

        entry = self._entry()
        if entry is None:
            self.fit.setText(tr("Unknown model; pick one from the catalog"))
            return
        peaks = predicted_peaks(entry)
        free = self.free_bytes if self.free_bytes is not None else available_ram()
        tier = fitting_tier(peaks, free)
        need = size_text(min(peaks.values()), binary=True)
        if entry.test_model:
            self.fit.setText(tr("Test model: its output is noise; use it to try the workflow"))
        elif tier is None:
            self.fit.setText(tr("Needs at least {need}").format(need=need))
        elif tier and not self.on_gpu:
            self.fit.setText(tr("Fits this computer's memory (needs {need})").format(need=need))
        elif tier:
            self.fit.setText(tr("Fits this machine ({tier}; needs {need})").format(
                tier=tier_label(tier), need=size_text(peaks[tier], binary=True)))
        else:
            self.fit.setText(tr("Too big for this machine: needs {need}, {free} free").format(
                need=need, free=size_text(free or 0, binary=True)))

    # -- editing -------------------------------------------------------------------------------
    def _refuse(self, reason: str) -> None:
        self.reason.setText(reason)
        self.reason.show()
        self._hide_reason.start(8000)
        self._fill()  # the field shows the recipe's value again

    def _check(self, spec: dict) -> str | None:
        """Why the engine would refuse this recipe (one line), or None."""
        from engine.errors import GenerationError
        from engine.gen.catalog import get_model
        from engine.gen.requests import parse_request
        from engine.gen.takes import request_dict

        if not str(spec.get("prompt", "")).strip():
            return tr("A prompt is needed: describe what the shot shows")
        try:
            entry = get_model(spec.get("model", "ltx-video-2b"))
        except GenerationError as exc:
            return str(exc)
        if spec.get("task") not in entry.tasks:
            return tr("{model} cannot do {task}; pick another model").format(
                model=entry.name, task=task_label(spec.get("task", "")).lower())
        m = entry.size_multiple
        for key in ("width", "height"):
            value = spec.get(key)
            if value is not None and value % m:
                return tr("{model} makes sizes in steps of {m} pixels; {value} is not one (try {near})").format(
                    model=entry.name, m=m, value=value, near=max(m, round(value / m) * m))
        seconds = spec.get("seconds")
        if seconds is not None and spec.get("task") != "long_take":
            most = entry.frame_rule.max_frames / entry.fps
            if seconds > float(most) + 1e-6:
                return tr("{model} makes at most {n} frames ({s:.1f} s) in one shot; use a long take for longer"
                          ).format(model=entry.name, n=entry.frame_rule.max_frames, s=float(most))
        for ref in spec.get("loras") or []:
            from engine.gen.loras import check_fits, get_lora

            try:
                check_fits(get_lora(ref.get("id", "")), entry.id)
            except GenerationError as exc:
                return str(exc)
        image = spec.get("image")
        if image and not Path(image).is_file():
            return tr("{path} does not exist; pick an image file").format(path=image)
        if spec.get("task") == "image_to_video" and not image:
            return tr("Image to video needs an image; pick one")
        try:
            parse_request(request_dict(self.document.project, spec, check_sources=False))
        except ValueError as exc:
            return str(exc).splitlines()[0]
        except (GenerationError, KeyError) as exc:
            return str(exc)
        return None

    def _set(self, key: str, value: Any) -> None:
        if self._loading or self.spec is None or self.shot is None:
            return
        spec = dict(self.spec)
        if spec.get(key) == value or (value is None and key not in spec):
            return
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
        if key == "image" and value:
            spec["image"] = str(Path(value).expanduser().resolve())
        self.apply_spec(spec, key)

    def apply_spec(self, spec: dict, what: str = "") -> bool:
        from engine.gen.takes import SPEC_KEY
        from engine.project import SetRecipe

        reason = self._check(spec)
        if reason is not None:
            self._refuse(reason)
            return False
        self.reason.hide()
        text = Label(CHANGES.get(what, "Change Recipe"))
        recipe = {**(self.shot.recipe or {}), SPEC_KEY: spec}
        return self.document.apply(SetRecipe(self.shot.id, recipe), text)

    def _loras_edited(self, refs: list, what: str) -> None:
        if self._loading or self.spec is None or self.shot is None:
            return
        spec = {k: v for k, v in self.spec.items() if k != "loras"}
        if refs:
            spec["loras"] = refs
        if spec != self.spec:
            self.apply_spec(spec, what)

    def _change_task(self, task: str) -> None:
        """Text, image and long take switch into each other; fields the new task does not take go.
        Image to video needs its image: it is asked for at once."""
        if self._loading or self.spec is None or task == self.spec.get("task"):
            return
        spec = {k: v for k, v in self.spec.items() if k not in ("prompts", "direction", "context_frames")}
        if task != "long_take":
            spec.pop("prompts", None)
        if task == "image_to_video" and not spec.get("image"):
            path, _ = QFileDialog.getOpenFileName(self, tr("Pick an Image"), str(Path.home()),
                                                  "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp)")
            if not path:
                self._fill()
                return
            spec["image"] = str(Path(path).resolve())
        if task == "text_to_video":
            spec.pop("image", None)
        if task == "long_take":
            spec.setdefault("seconds", round(self.seconds.value(), 3))
        spec["task"] = task
        self.apply_spec(spec, "task")

    def _lock_seed(self, on: bool) -> None:
        if self.shot is None:
            return
        (self.locked_seeds.add if on else self.locked_seeds.discard)(self.shot.id)
        self.seed.setEnabled(not on)
        self.shuffle.setEnabled(not on)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Pick an Image"), self.image.text() or str(Path.home()),
                                              "Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp)")
        if path:
            self._set("image", path)

    def _spans_edited(self) -> None:
        spans = []
        for r in range(self.spans.rowCount()):
            start, text = self.spans.item(r, 0), self.spans.item(r, 1)
            try:
                seconds = float(start.text()) if start is not None else 0.0
            except ValueError:
                self._refuse(tr("“{text}” is not a time in seconds").format(text=start.text()))
                return
            if seconds < 0:
                self._refuse(tr("A prompt starts at 0 s or later"))
                return
            if text is not None and text.text().strip():
                spans.append({"start_seconds": seconds, "prompt": text.text().strip()})
        self._set("prompts", sorted(spans, key=lambda s: s["start_seconds"]) or None)

    def _add_span(self) -> None:
        spans = list(self.spec.get("prompts") or []) if self.spec else []
        start = (max(s["start_seconds"] for s in spans) + 2.0) if spans else 0.0
        spans.append({"start_seconds": start, "prompt": self.spec.get("prompt", "") if self.spec else ""})
        self._set("prompts", spans)

    def _remove_span(self) -> None:
        row = self.spans.currentRow()
        spans = list(self.spec.get("prompts") or []) if self.spec else []
        if 0 <= row < len(spans):
            del spans[row]
            self._set("prompts", spans or None)
