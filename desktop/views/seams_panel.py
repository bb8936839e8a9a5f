"""The seams panel: every join of the timeline as the continuity analysis judged it (clean, warning,
defect; its kinds and score), the analysis' progress, and the repairs of the selected seam. Also
the drift strip drawn under the timeline: the colour drift of each long take along its length.

The panel only shows and asks: ``desktop.continuity.ContinuityController`` runs the analysis and
the repairs.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
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
from desktop.models.timecode import timecode
from desktop.views.timeline import SEAM_COLOURS as SEVERITY_COLOURS

DRIFT_H = 46


class SeamsPanel(QWidget):
    analyzeRequested = Signal()
    cancelRequested = Signal()
    seamActivated = Signal(int)  # index in the report's seams
    repairRequested = Signal(str)  # "color" | "blend" | "bridge"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("seamsPanel")
        self.report = None
        self.names: dict[str, str] = {}
        self.rate = 24
        self.analyze_button = QPushButton(self)
        self.analyze_button.setObjectName("analyzeButton")
        self.cancel_button = QPushButton(self)
        self.cancel_button.setObjectName("cancelAnalysisButton")
        self.cancel_button.setVisible(False)
        self.bar = QProgressBar(self)
        self.bar.setMaximumHeight(8)
        self.bar.setTextVisible(False)
        self.bar.setVisible(False)
        self.status = QLabel(self)
        self.status.setObjectName("seamsStatus")
        self.status.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("seamsTree")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setColumnCount(5)
        self.tree.header().setStretchLastSection(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.details = QLabel(self)
        self.details.setObjectName("seamDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.repair_buttons = {m: QPushButton(self) for m in ("color", "blend", "bridge")}
        for method, button in self.repair_buttons.items():
            button.setObjectName(f"repair_{method}")
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, m=method: self.repairRequested.emit(m))

        top = QHBoxLayout()
        top.addWidget(self.analyze_button)
        top.addWidget(self.cancel_button)
        top.addStretch(1)
        repairs = QHBoxLayout()
        for button in self.repair_buttons.values():
            repairs.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.details)
        layout.addLayout(repairs)

        self.analyze_button.clicked.connect(self.analyzeRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.analyze_button.setText(tr("Analyse Continuity"))
        self.analyze_button.setToolTip(tr("Score every join for continuity defects (in the engine; only the shots "
                                          "that changed are measured again)"))
        self.cancel_button.setText(tr("Cancel"))
        self.tree.setHeaderLabels([tr("Verdict"), tr("Score"), tr("Frame"), tr("Shots"), tr("Join")])
        texts = {"color": (tr("Match Colour"), tr("A new take of the later shot graded to match the earlier one")),
                 "blend": (tr("Flow Blend"), tr("A new take of the later shot whose first frames flow in from the "
                                                "earlier one")),
                 "bridge": (tr("Generate Bridge"), tr("A generated shot between the two, to render later"))}
        for method, (text, tip) in texts.items():
            self.repair_buttons[method].setText(text)
            self.repair_buttons[method].setToolTip(tip)
        if self.report is None and not self.status.text():
            self.status.setText(tr("Not analysed yet"))
        self.show_report(self.report, self.names, self.rate)

    # -- what the controller tells -------------------------------------------------------------
    def show_report(self, report, names: dict[str, str], rate) -> None:
        from desktop.continuity import expected_label, kind_label, severity_label

        self.report, self.names, self.rate = report, names, rate
        keep = self.tree.currentIndex().row()
        self.tree.blockSignals(True)
        self.tree.clear()
        for seam in report.seams if report is not None else []:
            a, b = (names.get(s, s[:8]) for s in seam.shots)
            verdict = severity_label(seam.severity)
            if seam.kinds:
                verdict += ": " + ", ".join(kind_label(k) for k in seam.kinds)
            item = QTreeWidgetItem([verdict, f"{seam.score:.2f}", f"{timecode(seam.frame, rate)}  ({seam.frame})",
                                    f"{a} › {b}", expected_label(seam.expected)])
            colour = SEVERITY_COLOURS.get(seam.severity, SEVERITY_COLOURS["clean"])
            item.setForeground(0, QBrush(colour))
            item.setData(0, Qt.ItemDataRole.DecorationRole, colour)
            item.setToolTip(0, verdict)
            self.tree.addTopLevelItem(item)
        if report is not None and 0 <= keep < self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(keep))
        self.tree.blockSignals(False)
        if report is None:
            self.details.setText("")
        self._show_details()

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.status.setText(text)
        self.bar.setRange(0, max(total, 0))
        self.bar.setValue(done if total else 0)

    def set_busy(self, busy: bool, can_repair: bool) -> None:
        self.bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        for button in self.repair_buttons.values():
            button.setEnabled(can_repair and not busy)

    def select_row(self, index: int) -> None:
        if 0 <= index < self.tree.topLevelItemCount():
            self.tree.blockSignals(True)
            self.tree.setCurrentItem(self.tree.topLevelItem(index))
            self.tree.blockSignals(False)
            self._show_details()

    def _current_changed(self, current, _previous) -> None:
        if current is not None:
            self.seamActivated.emit(self.tree.indexOfTopLevelItem(current))

    def _show_details(self) -> None:
        from desktop.continuity import kind_label

        row = self.tree.currentIndex().row()
        if self.report is None or not 0 <= row < len(self.report.seams):
            self.details.setText(tr("Select a seam to see its two sides in the viewer (A/B) and repair it."))
            return
        seam = self.report.seams[row]
        lines = []
        if seam.reason:
            lines.append(tr("Meant to be continuous ({why})").format(why=seam.reason))
        scores = ", ".join(f"{kind_label(k)} {v:.2f}" for k, v in sorted(seam.scores.items(), key=lambda kv: -kv[1])
                           if v >= 0.3)
        if scores:
            lines.append(tr("Scores (1.0 is the line): {scores}").format(scores=scores))
        if seam.cut_index is None:
            lines.append(tr("A join inside one take: no repair from here"))
        self.details.setText("\n".join(lines))


class DriftStrip(QWidget):
    """Drift curves of the long takes under the timeline, on the timeline's own frame scale."""

    def __init__(self, canvas, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("driftStrip")
        self.canvas = canvas
        self.drift: list = []
        self.threshold = 6.0
        self.setFixedHeight(DRIFT_H)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        canvas.viewChanged.connect(self.update)
        self.setVisible(False)

    def set_drift(self, drift: list, threshold: float) -> None:
        self.drift = [d for d in drift if len(d.curve) >= 2 and len(d.starts) == len(d.curve)]
        self.threshold = threshold
        self.setVisible(bool(self.drift))
        self._tips()
        self.update()

    def _tips(self) -> None:
        lines = [tr("{state}: drift {value:.1f} ΔE at the end (line: {limit:.0f})").format(
            state=tr("drifting") if d.drifting else tr("steady"), value=d.curve[-1], limit=self.threshold)
            for d in self.drift]
        self.setToolTip(tr("Colour drift along long takes (ΔE from the take's first window)") + "\n" + "\n".join(lines))

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(pal.ColorRole.Base).darker(104))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        top, h = 4.0, self.height() - 8.0
        scale = max(self.threshold * 1.6, max((max(d.curve) for d in self.drift), default=0.0), 1.0)

        def y(v: float) -> float:
            return top + h - min(v, scale) / scale * h

        limit = QPen(QColor(225, 75, 65, 150), 1, Qt.PenStyle.DashLine)
        for d in self.drift:
            window = d.window or 1
            x0, x1 = self.canvas.x_of(d.starts[0]), self.canvas.x_of(d.starts[-1] + window)
            if x1 < 0 or x0 > self.width():
                continue
            p.setPen(limit)
            p.drawLine(QPointF(x0, y(self.threshold)), QPointF(x1, y(self.threshold)))
            colour = SEVERITY_COLOURS["defect" if d.drifting else "clean"]
            path = QPainterPath()
            fill = QPainterPath()
            fill.moveTo(self.canvas.x_of(d.starts[0] + window / 2), top + h)
            for i, (start, value) in enumerate(zip(d.starts, d.curve)):
                point = QPointF(self.canvas.x_of(start + window / 2), y(value))
                if i == 0 or i in d.scene_starts:
                    path.moveTo(point)
                else:
                    path.lineTo(point)
                fill.lineTo(point)
            fill.lineTo(self.canvas.x_of(d.starts[-1] + window / 2), top + h)
            fill.closeSubpath()
            p.setPen(Qt.PenStyle.NoPen)
            shade = QColor(colour)
            shade.setAlpha(50)
            p.setBrush(shade)
            p.drawPath(fill)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(colour, 1.6))
            p.drawPath(path)
        p.setPen(pal.color(pal.ColorRole.PlaceholderText))
        p.drawText(QRectF(6, 2, 300, 14), Qt.AlignmentFlag.AlignLeft, tr("Drift (ΔE)"))
        p.end()
