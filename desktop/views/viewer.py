"""The viewer: the exact frame at the playhead with its frame number and timecode, safe areas,
onion skin, A/B compare (side by side or wipe), the trim frame with its ±frames readout while a cut
is being trimmed, and the sound's volume. It only paints frames the server sends."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import tr
from desktop.models.timecode import timecode

COMPARE_MODES = ("off", "side", "wipe")


def to_qimage(frame: np.ndarray) -> QImage:
    """Wrap an RGB uint8 frame without copying; the caller keeps `frame` alive while painting."""
    h, w, _ = frame.shape
    return QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_RGB888)


class ViewerCanvas(QWidget):
    painted = Signal(int)  # the timeline frame index just painted
    resized = Signal()
    wipeMoved = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewerCanvas")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 160)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.frame_index: int | None = None
        self.painted_index: int | None = None
        self.frame: np.ndarray | None = None
        self.onion: np.ndarray | None = None
        self.clip_a: np.ndarray | None = None
        self.clip_b: np.ndarray | None = None
        self.labels = ("A", "B")
        self.error: str | None = None
        self.rate = Fraction(24)
        self.length = 0
        self.safe_area = False
        self.onion_skin = False
        self.compare = "off"
        self.wipe = 0.5
        self.empty_text = tr("No shots yet. Drop video or image files here, or use File › Import Media.")
        self.generation: QImage | None = None  # the live preview of the shot being generated here
        self.generation_text: str | None = None
        self.generation_painted = 0.0  # when the last preview was painted (benchmarks)
        self.trim_text: str | None = None  # "Head +3 frames" while a cut is being trimmed

    # -- inputs ---------------------------------------------------------------------------------
    def show_frame(self, index: int, frame: np.ndarray) -> None:
        self.frame_index = index
        self.frame = frame
        self.error = None
        self.update()

    def show_error(self, index: int, message: str) -> None:
        self.frame_index = index
        self.frame = None
        self.error = message
        self.update()

    def clear(self) -> None:
        self.frame_index = None
        self.frame = self.onion = self.clip_a = self.clip_b = None
        self.error = None
        self.update()

    # -- painting -------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.resized.emit()

    def _fit(self, w: int, h: int, area: QRect) -> QRect:
        if w <= 0 or h <= 0:
            return area
        scale = min(area.width() / w, area.height() / h)
        sw, sh = max(1, int(w * scale)), max(1, int(h * scale))
        return QRect(area.x() + (area.width() - sw) // 2, area.y() + (area.height() - sh) // 2, sw, sh)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(12, 12, 14))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        if self.compare != "off" and (self.clip_a is not None or self.clip_b is not None):
            self._paint_compare(p)
        elif self.generation_text is not None:
            self._paint_generation(p)
        elif self.frame is not None:
            h, w, _ = self.frame.shape
            target = self._fit(w, h, self.rect())
            p.drawImage(target, to_qimage(self.frame))
            if self.onion_skin and self.onion is not None and self.onion.shape == self.frame.shape:
                p.setOpacity(0.4)
                p.drawImage(target, to_qimage(self.onion))
                p.setOpacity(1.0)
            if self.safe_area:
                self._paint_safe(p, target)
        else:
            p.setPen(QColor(150, 150, 160))
            text = self.error if self.error else (self.empty_text if self.length == 0 else "")
            p.drawText(self.rect().adjusted(24, 24, -24, -24),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        if self.frame_index is not None and self.length:
            self._paint_hud(p)
        if self.trim_text is not None:
            self._paint_trim(p)
        p.end()
        if self.frame_index is not None and self.frame is not None:
            self.painted_index = self.frame_index
            self.painted.emit(self.frame_index)

    def _paint_generation(self, p: QPainter) -> None:
        """The shot under the playhead is being generated: its denoising preview, and how far it is."""
        import time

        if self.generation is not None and not self.generation.isNull():
            w, h = self.generation.width(), self.generation.height()
            ref = self.frame.shape[1::-1] if self.frame is not None else (w, h)
            target = self._fit(ref[0], ref[1], self.rect())
            p.drawImage(target, self.generation)
            self.generation_painted = time.time()
        font = QFont(self.font())
        font.setPointSizeF(max(10.0, font.pointSizeF() * 1.1))
        p.setFont(font)
        box = p.fontMetrics().boundingRect(self.generation_text).adjusted(-10, -6, 10, 6)
        box.moveCenter(self.rect().center())
        box.moveTop(self.rect().top() + 14)
        p.fillRect(box, QColor(0, 0, 0, 180))
        p.setPen(QColor(120, 220, 235))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self.generation_text)

    def _paint_trim(self, p: QPainter) -> None:
        """The trim readout over the trim frame: which edge and by how many frames it moved (large),
        and the shot's new length (small)."""
        head, _, detail = self.trim_text.partition("\n")
        big = QFont(self.font())
        big.setPointSizeF(max(12.0, big.pointSizeF() * 1.4))
        big.setBold(True)
        small = QFont(self.font())
        p.setFont(big)
        top_rect = p.fontMetrics().boundingRect(head)
        p.setFont(small)
        bottom_rect = p.fontMetrics().boundingRect(detail) if detail else QRect()
        width = max(top_rect.width(), bottom_rect.width()) + 28
        height = top_rect.height() + (bottom_rect.height() + 4 if detail else 0) + 16
        box = QRect(0, 0, width, height)
        box.moveCenter(self.rect().center())
        box.moveTop(self.rect().top() + 14)
        p.fillRect(box, QColor(0, 0, 0, 200))
        p.setPen(QPen(QColor(255, 200, 60), 2))
        p.drawRect(box)
        p.setFont(big)
        p.setPen(QColor(255, 220, 120))
        p.drawText(QRect(box.left(), box.top() + 8, box.width(), top_rect.height()), Qt.AlignmentFlag.AlignCenter,
                   head)
        if detail:
            p.setFont(small)
            p.setPen(QColor(235, 235, 240))
            p.drawText(QRect(box.left(), box.top() + 12 + top_rect.height(), box.width(), bottom_rect.height()),
                       Qt.AlignmentFlag.AlignCenter, detail)

    def _paint_safe(self, p: QPainter, target: QRect) -> None:
        p.setPen(QPen(QColor(255, 255, 255, 140), 1, Qt.PenStyle.DashLine))
        for margin in (0.05, 0.10):  # action safe 90 %, title safe 80 %
            dx, dy = target.width() * margin, target.height() * margin
            p.drawRect(QRectF(target).adjusted(dx, dy, -dx, -dy))
        c = QPointF(target.center())
        p.drawLine(c + QPointF(-10, 0), c + QPointF(10, 0))
        p.drawLine(c + QPointF(0, -10), c + QPointF(0, 10))

    def _paint_hud(self, p: QPainter) -> None:
        text = f"{self.frame_index}   {timecode(self.frame_index, self.rate)}"
        font = QFont(self.font())
        font.setFamily("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(max(9.0, font.pointSizeF()))
        p.setFont(font)
        metrics = p.fontMetrics()
        box = metrics.boundingRect(text).adjusted(-8, -4, 8, 4)
        box.moveBottomLeft(self.rect().bottomLeft() + QPointF(10, -10).toPoint())
        p.fillRect(box, QColor(0, 0, 0, 170))
        p.setPen(QColor(235, 235, 240))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_compare(self, p: QPainter) -> None:
        a, b = self.clip_a, self.clip_b
        ref = a if a is not None else b
        h, w, _ = ref.shape
        if self.compare == "side":
            half_l = self.rect().adjusted(0, 0, -self.width() // 2 - 2, 0)
            half_r = self.rect().adjusted(self.width() // 2 + 2, 0, 0, 0)
            for img, area, label in ((a, half_l, self.labels[0]), (b, half_r, self.labels[1])):
                if img is None:
                    continue
                target = self._fit(img.shape[1], img.shape[0], area)
                p.drawImage(target, to_qimage(img))
                self._label(p, target, label)
            return
        target = self._fit(w, h, self.rect())
        split = int(target.width() * self.wipe)
        if a is not None:
            p.save()
            p.setClipRect(QRect(target.x(), target.y(), split, target.height()))
            p.drawImage(target, to_qimage(a))
            p.restore()
        if b is not None:
            p.save()
            p.setClipRect(QRect(target.x() + split, target.y(), target.width() - split, target.height()))
            p.drawImage(target, to_qimage(b))
            p.restore()
        p.setPen(QPen(QColor(255, 210, 80), 2))
        p.drawLine(target.x() + split, target.top(), target.x() + split, target.bottom())
        self._label(p, QRect(target.x(), target.y(), split, target.height()), self.labels[0])
        self._label(p, QRect(target.x() + split, target.y(), target.width() - split, target.height()),
                    self.labels[1])

    def _label(self, p: QPainter, area: QRect, text: str) -> None:
        box = p.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
        box.moveTopLeft(area.topLeft() + QPointF(8, 8).toPoint())
        p.fillRect(box, QColor(0, 0, 0, 170))
        p.setPen(QColor(255, 210, 80))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # -- wipe handle ---------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        self._move_wipe(event.position().x())

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._move_wipe(event.position().x())

    def _move_wipe(self, x: float) -> None:
        if self.compare != "wipe" or self.clip_a is None:
            return
        h, w, _ = self.clip_a.shape
        target = self._fit(w, h, self.rect())
        self.wipe = min(max((x - target.x()) / max(1, target.width()), 0.0), 1.0)
        self.wipeMoved.emit(self.wipe)
        self.update()


class ViewerPanel(QWidget):
    """The canvas with its transport bar and the A/B compare sources.

    The panel connects the transport (playhead) to the frame server: every playhead move is a
    request; the answer is painted when it arrives. Nothing here decodes. While a cut is trimmed it
    shows the trim frame instead of the playhead's.
    """

    volumeChanged = Signal(int, bool)  # volume 0..100, muted

    def __init__(self, server, transport, actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewerPanel")
        self.server = server
        self.transport = transport
        self.canvas = ViewerCanvas(self)
        self.compare_sources: list[tuple[str, object, int]] = []  # (label, path, source_in)
        self.pinned: tuple | None = None  # ((label, path, frame), (label, path, frame)): fixed A and B frames
        self.shots: list = []
        self.trim_frame: int | None = None

        bar = QWidget(self)
        bar.setObjectName("transportBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 2, 6, 2)
        row.setSpacing(2)
        for action_id in ("go_start", "frame_back", "play_pause", "frame_forward", "go_end"):
            button = QToolButton(bar)
            button.setDefaultAction(actions[action_id])
            button.setAutoRaise(True)
            row.addWidget(button)
        loop = QToolButton(bar)
        loop.setDefaultAction(actions["loop"])
        loop.setAutoRaise(True)
        row.addWidget(loop)
        row.addSpacing(12)
        self.position = QLabel(bar)
        self.position.setObjectName("positionLabel")
        row.addWidget(self.position)
        row.addStretch(1)
        self.compare_label = QLabel(bar)
        self.combo_a = QComboBox(bar)
        self.combo_b = QComboBox(bar)
        for combo in (self.combo_a, self.combo_b):
            combo.setMinimumContentsLength(18)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.currentIndexChanged.connect(self._unpin)
        row.addWidget(self.compare_label)
        row.addWidget(self.combo_a)
        row.addWidget(self.combo_b)
        row.addSpacing(12)
        self.mute = QToolButton(bar)
        self.mute.setObjectName("muteButton")
        self.mute.setCheckable(True)
        self.mute.setAutoRaise(True)
        self.volume = QSlider(Qt.Orientation.Horizontal, bar)
        self.volume.setObjectName("volumeSlider")
        self.volume.setRange(0, 100)
        self.volume.setValue(100)
        self.volume.setFixedWidth(90)
        self.mute.toggled.connect(lambda _on: self._volume_changed())
        self.volume.valueChanged.connect(lambda _v: self._volume_changed())
        row.addWidget(self.mute)
        row.addWidget(self.volume)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(bar)
        self.bar = bar

        self.canvas.resized.connect(self._on_resized)
        server.frameReady.connect(self._on_frame, Qt.ConnectionType.QueuedConnection)
        server.frameFailed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        transport.frameChanged.connect(lambda _t: self.request())
        self.set_compare("off")
        self.retranslate()

    def _on_resized(self) -> None:
        ratio = self.canvas.devicePixelRatioF()
        self.server.set_display_size((max(1, int(self.canvas.width() * ratio)),
                                      max(1, int(self.canvas.height() * ratio))))
        if self.transport.length and self.canvas.frame is not None:
            fh, fw = self.canvas.frame.shape[:2]
            if fw > self.canvas.width() * ratio or fh > self.canvas.height() * ratio:
                self.request()  # a sharper frame for the new size

    def set_volume(self, volume: int, muted: bool) -> None:
        self.volume.blockSignals(True)
        self.mute.blockSignals(True)
        self.volume.setValue(volume)
        self.mute.setChecked(muted)
        self.volume.blockSignals(False)
        self.mute.blockSignals(False)
        self._show_volume()

    def _volume_changed(self) -> None:
        self._show_volume()
        self.volumeChanged.emit(self.volume.value(), self.mute.isChecked())

    def _show_volume(self) -> None:
        off = self.mute.isChecked() or self.volume.value() == 0
        icon = QStyle.StandardPixmap.SP_MediaVolumeMuted if off else QStyle.StandardPixmap.SP_MediaVolume
        self.mute.setIcon(self.style().standardIcon(icon))
        self.mute.setToolTip(tr("Sound off (click to hear it)") if self.mute.isChecked() else tr("Mute"))
        self.volume.setToolTip(tr("Volume {n}%").format(n=self.volume.value()))

    def retranslate(self) -> None:
        self._show_volume()
        self.compare_label.setText(tr("Compare A/B:"))
        self.canvas.empty_text = tr(
            "No shots yet. Drop video or image files here, or use File › Import Media.")
        self._update_position()

    # -- frame flow -----------------------------------------------------------------------------
    def show_trim(self, frame: int | None, text: str | None) -> None:
        """Show timeline frame `frame` with the trim readout `text` (None: back to the playhead)."""
        self.trim_frame = frame
        self.canvas.trim_text = text
        self.request()

    def shown_frame(self) -> int:
        """The frame the viewer is showing: the trim frame while trimming, else the playhead's."""
        return self.trim_frame if self.trim_frame is not None else self.transport.frame

    def request(self, t: int | None = None) -> None:
        t = self.shown_frame() if t is None else t
        self._update_position()
        if self.transport.length == 0:
            self.canvas.length = 0
            self.canvas.clear()
            return
        self.canvas.length = self.transport.length
        self.canvas.rate = self.transport.rate
        self.server.request(t)
        if self.canvas.onion_skin and t > 0:
            self.server.request(t - 1, "onion")
        if self.canvas.compare != "off":
            self._request_compare()

    def _on_frame(self, channel: str, index: int, frame) -> None:
        if channel == "main":
            if index != self.shown_frame():
                return  # a stale answer: a newer request is on its way
            self.canvas.show_frame(index, frame)
        elif channel == "onion":
            if index == self.transport.frame - 1:
                self.canvas.onion = frame
                self.canvas.update()
        elif channel in ("a", "b"):
            setattr(self.canvas, f"clip_{channel}", frame)
            self.canvas.update()

    def _on_failed(self, channel: str, index: int, message: str) -> None:
        if channel == "main" and index == self.shown_frame():
            self.canvas.show_error(index, message)

    def _update_position(self) -> None:
        t, n = self.transport.frame, self.transport.length
        if n:
            self.position.setText(tr("Frame {frame} / {last}   {tc}").format(
                frame=t, last=n - 1, tc=timecode(t, self.transport.rate)))
        else:
            self.position.setText(tr("Empty timeline"))

    # -- view options ---------------------------------------------------------------------------
    def set_safe_area(self, on: bool) -> None:
        self.canvas.safe_area = on
        self.canvas.update()

    def set_onion_skin(self, on: bool) -> None:
        self.canvas.onion_skin = on
        self.canvas.onion = None
        self.request()

    def set_compare(self, mode: str) -> None:
        self.canvas.compare = mode
        visible = mode != "off"
        for w in (self.compare_label, self.combo_a, self.combo_b):
            w.setVisible(visible)
        if not visible:
            self.canvas.clip_a = self.canvas.clip_b = None
            self.pinned = None
        self.request()

    def compare_pinned(self, a: tuple, b: tuple) -> None:
        """Show two fixed frames as A and B, each (label, media path, source frame): the two sides of
        a seam. Choosing a source in the A/B boxes or turning compare off lets them go."""
        self.pinned = (a, b)
        self.canvas.clip_a = self.canvas.clip_b = None
        self._request_compare()

    def _unpin(self) -> None:
        self.pinned = None
        self._request_compare()

    def set_shots(self, shots: list) -> None:
        """Compare sources: every take of every shot (A/B compare of takes or of shots)."""
        self.shots = shots
        from desktop.views.takes_panel import ordered_takes

        sources = []
        for shot in shots:
            for n, take in enumerate(ordered_takes(shot) if len(shot.takes) > 1 else shot.takes, 1):
                if take.path is None:
                    continue
                suffix = "" if len(shot.takes) == 1 else " · " + tr("Take {n}").format(n=n)
                sources.append((f"{shot.name}{suffix}", take.path, shot.source_in, shot.id))
        if sources == self.compare_sources:
            return
        self.compare_sources = sources
        for i, combo in enumerate((self.combo_a, self.combo_b)):
            keep = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            for label, *_ in sources:
                combo.addItem(label)
            index = combo.findText(keep)
            combo.setCurrentIndex(index if index >= 0 else min(i, len(sources) - 1))
            combo.blockSignals(False)
        self._request_compare()

    def _request_compare(self) -> None:
        if self.canvas.compare == "off":
            return
        if self.pinned is not None:
            for channel, (_label, path, frame) in zip(("a", "b"), self.pinned):
                self.server.request_clip(channel, path, frame, self.transport.rate, tuple(self.canvas_size()))
            self.canvas.labels = tuple(side[0] for side in self.pinned)
            return
        if not self.compare_sources:
            return
        # In sync: both sources show the frame as far into their shot as the playhead is into
        # the shot under it.
        offset = 0
        for shot in self.shots:
            if shot.start <= self.transport.frame < shot.start + shot.frames:
                offset = self.transport.frame - shot.start
                break
        labels = []
        for channel, combo in (("a", self.combo_a), ("b", self.combo_b)):
            i = combo.currentIndex()
            if not 0 <= i < len(self.compare_sources):
                labels.append(channel.upper())
                continue
            label, path, source_in, _shot_id = self.compare_sources[i]
            labels.append(f"{channel.upper()}: {label}")
            self.server.request_clip(channel, path, source_in + offset, self.transport.rate,
                                     tuple(self.canvas_size()))
        self.canvas.labels = tuple(labels)

    def show_generation(self, preview: str | None, text: str | None) -> None:
        """Paint the live preview of the shot being generated under the playhead (None: stop)."""
        canvas = self.canvas
        if preview is not None:
            image = QImage(str(preview))
            if not image.isNull():
                canvas.generation = image
        elif text is None:
            canvas.generation = None
        canvas.generation_text = text
        canvas.update()

    def compare_paths(self, a, b) -> None:
        """Compare two takes (by their media paths): A and B are set to them, in sync."""
        paths = [str(src[1]) for src in self.compare_sources]
        for combo, path in ((self.combo_a, a), (self.combo_b, b)):
            if str(path) in paths:
                combo.setCurrentIndex(paths.index(str(path)))
        shot_id = next((src[3] for src in self.compare_sources if str(src[1]) == str(a)), None)
        shot = next((s for s in self.shots if s.id == shot_id), None)
        if shot is not None and not shot.start <= self.transport.frame < shot.start + shot.frames:
            self.transport.seek(shot.start)
        self._request_compare()

    def canvas_size(self) -> tuple[int, int]:
        frame = self.canvas.frame
        if frame is not None:
            return frame.shape[1], frame.shape[0]
        return getattr(self, "project_size", (768, 512))
