"""The timeline: a ruler in timecode and frames, the video track with shots at their real lengths,
transitions over the cuts, an audio track, markers, in/out, seam markers and the playhead.

It draws from a small view-model (`TimelineData`) built from the project; edits (trim drags,
transition lengths) go through `Document.apply` and a drag is merged into one undo step.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QScrollBar, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from desktop.i18n import tr
from desktop.models.timecode import timecode

RULER_H = 34
VIDEO_H = 58
AUDIO_H = 30
GAP = 6
HEADER_W = 0
HANDLE_PX = 6
SEAM_H = 12  # the seam markers' diamonds at the foot of the ruler
SEAM_COLOURS = {"clean": QColor(80, 170, 110), "warning": QColor(235, 170, 60), "defect": QColor(225, 75, 65)}
STATUS_COLOURS = {
    "ready": QColor(70, 112, 170),
    "pending": QColor(120, 100, 60),
    "missing": QColor(150, 60, 60),
    "stale": QColor(110, 90, 140),
    "queued": QColor(120, 100, 60),
    "rendering": QColor(60, 120, 130),
    "failed": QColor(150, 60, 60),
}


@dataclass
class TimelineData:
    rate: Fraction = Fraction(24)
    frames: int = 0
    shots: list = field(default_factory=list)  # ShotInfo
    mixes: list = field(default_factory=list)  # (start, frames, kind, b_shot_id)
    audio: list = field(default_factory=list)  # AudioClipInfo
    seams: dict = field(default_factory=dict)  # seam frame -> desktop.continuity.SeamMark (from the analysis)
    status: object = None  # shot -> status shown (the engine's state while generating); None: shot.status
    jobs: dict = field(default_factory=dict)  # shot id -> JobState (progress of a rendering shot)


class TimelineCanvas(QWidget):
    seekRequested = Signal(int)
    shotClicked = Signal(str, bool)  # shot id, extend selection
    transitionEditRequested = Signal(str)  # shot id of the later shot
    trimDrag = Signal(str, str, int, object)  # shot id, side, delta frames, merge key
    transitionDrag = Signal(str, str, int, object)  # shot id, kind, new length, merge key
    contextRequested = Signal(str, object)  # shot id ("" for none), global QPoint
    seamClicked = Signal(int)  # the frame of an analysed seam's marker
    viewChanged = Signal()

    _serial = itertools.count(1)

    def __init__(self, transport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineCanvas")
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(RULER_H + VIDEO_H + AUDIO_H + 3 * GAP)
        self.transport = transport
        self.data = TimelineData()
        self.px_per_frame = 4.0
        self.scroll = 0.0  # pixels
        self.selected: set[str] = set()
        self._drag: dict | None = None
        self._playhead_px: float | None = None
        transport.frameChanged.connect(self._follow_playhead)
        transport.rangeChanged.connect(self.update)

    # -- geometry -------------------------------------------------------------------------------
    def x_of(self, frame: float) -> float:
        return HEADER_W + frame * self.px_per_frame - self.scroll

    def frame_at(self, x: float) -> int:
        return int((x - HEADER_W + self.scroll) // self.px_per_frame)

    def content_width(self) -> float:
        return (self.data.frames + 48) * self.px_per_frame

    def video_rect(self) -> QRectF:
        return QRectF(0, RULER_H + GAP, self.width(), VIDEO_H)

    def audio_rect(self) -> QRectF:
        return QRectF(0, RULER_H + GAP * 2 + VIDEO_H, self.width(), AUDIO_H)

    def set_zoom(self, px_per_frame: float, anchor_x: float | None = None) -> None:
        px_per_frame = min(max(px_per_frame, 0.02), 64.0)
        anchor_x = self.width() / 2 if anchor_x is None else anchor_x
        frame = (anchor_x - HEADER_W + self.scroll) / self.px_per_frame
        self.px_per_frame = px_per_frame
        self.scroll = max(0.0, frame * px_per_frame - (anchor_x - HEADER_W))
        self._clamp_scroll()
        self.viewChanged.emit()
        self.update()

    def zoom_fit(self) -> None:
        # An empty timeline shows its first ten seconds.
        frames = max(self.data.frames, int(10 * self.data.rate), 1)
        self.px_per_frame = min(max((self.width() - 24) / frames, 0.02), 64.0)
        self.scroll = 0.0
        self.viewChanged.emit()
        self.update()

    def _clamp_scroll(self) -> None:
        self.scroll = min(max(self.scroll, 0.0), max(0.0, self.content_width() - self.width()))

    def _follow_playhead(self, frame: int) -> None:
        x = self.x_of(frame)
        if x < 0 or x > self.width() - 8:
            self.scroll = max(0.0, frame * self.px_per_frame - self.width() * 0.25)
            self._clamp_scroll()
            self.viewChanged.emit()
            self.update()
        else:
            # Only the strips under the old and the new playhead need painting (cheap while playing).
            for px in (self._playhead_px, self._playhead_x(frame)):
                if px is not None:
                    self.update(int(px) - 8, 0, 17, self.height())
        self._playhead_px = self._playhead_x(frame)

    def _playhead_x(self, frame: int) -> float:
        return self.x_of(frame) + self.px_per_frame / 2

    def set_data(self, data: TimelineData) -> None:
        first = self.data.frames == 0 and data.frames > 0
        self.data = data
        ids = {s.id for s in data.shots}
        self.selected &= ids
        if first and self.width() > 50:
            self.zoom_fit()
        self._clamp_scroll()
        self.viewChanged.emit()
        self.update()

    # -- hit testing ----------------------------------------------------------------------------
    def _hit(self, pos: QPointF) -> tuple[str, object]:
        y = pos.y()
        if RULER_H - SEAM_H <= y <= RULER_H + GAP:
            for frame in self.data.seams:
                if abs(pos.x() - self.x_of(frame)) <= SEAM_H / 2 + 1:
                    return "seam", frame
        if y < RULER_H:
            return "ruler", None
        video = self.video_rect()
        if video.top() <= y <= video.bottom():
            for start, frames, kind, b_id in self.data.mixes:
                x0, x1 = self.x_of(start), self.x_of(start + frames)
                if y <= video.top() + 16 and x0 - 2 <= pos.x() <= x1 + 2:
                    if abs(pos.x() - x0) <= HANDLE_PX:
                        return "mix_edge", (b_id, kind, frames)
                    return "mix", b_id
            for shot in self.data.shots:
                x0, x1 = self.x_of(shot.start), self.x_of(shot.start + shot.frames)
                if abs(pos.x() - x0) <= HANDLE_PX and x1 - x0 > 2 * HANDLE_PX:
                    return "trim", (shot, "in")
                if abs(pos.x() - x1) <= HANDLE_PX and x1 - x0 > 2 * HANDLE_PX:
                    return "trim", (shot, "out")
                if x0 <= pos.x() < x1:
                    return "shot", shot
        return "empty", None

    # -- mouse ----------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        pos = event.position()
        kind, target = self._hit(pos)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if kind == "seam":
            self.seamClicked.emit(target)
        elif kind == "trim":
            shot, side = target
            self._drag = {"kind": "trim", "shot": shot.id, "side": side, "x0": pos.x(), "applied": 0,
                          "key": ("trim", shot.id, side, next(self._serial))}
        elif kind == "mix_edge":
            b_id, mix_kind, frames = target
            self._drag = {"kind": "mix", "shot": b_id, "mix_kind": mix_kind, "x0": pos.x(),
                          "frames0": frames, "key": ("mix", b_id, next(self._serial))}
        elif kind == "mix":
            self.shotClicked.emit(target, False)
        elif kind == "shot":
            self.shotClicked.emit(target.id, bool(event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)))
            self.seekRequested.emit(self.frame_at(pos.x()))
        else:
            self._drag = {"kind": "scrub"}
            self.seekRequested.emit(self.frame_at(pos.x()))

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._drag is None:
            kind, _ = self._hit(pos)
            shape = (Qt.CursorShape.SizeHorCursor if kind in ("trim", "mix_edge")
                     else Qt.CursorShape.ArrowCursor)
            self.setCursor(shape)
            return
        drag = self._drag
        if drag["kind"] == "scrub":
            self.seekRequested.emit(self.frame_at(pos.x()))
        elif drag["kind"] == "trim":
            total = round((pos.x() - drag["x0"]) / self.px_per_frame)
            # "in" side: dragging right removes head frames (a positive in-trim).
            step = total - drag["applied"]
            if step:
                drag["pending"] = step
                self.trimDrag.emit(drag["shot"], drag["side"], step, drag["key"])
        elif drag["kind"] == "mix":
            frames = drag["frames0"] + round((drag["x0"] - pos.x()) / self.px_per_frame)
            frames = max(1, frames)
            if frames != drag.get("last", drag["frames0"]):
                drag["last"] = frames
                self.transitionDrag.emit(drag["shot"], drag["mix_kind"], frames, drag["key"])

    def trim_accepted(self, step: int) -> None:
        """The document took the last trim step of the current drag."""
        if self._drag is not None and self._drag.get("kind") == "trim":
            self._drag["applied"] += step

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None

    def mouseDoubleClickEvent(self, event) -> None:
        kind, target = self._hit(event.position())
        if kind == "mix":
            self.transitionEditRequested.emit(target)
        elif kind in ("shot", "trim"):
            shot = target if kind == "shot" else target[0]
            if shot.index > 0:
                self.transitionEditRequested.emit(shot.id)

    def contextMenuEvent(self, event) -> None:
        kind, target = self._hit(QPointF(event.pos()))
        shot = target if kind == "shot" else target[0] if kind == "trim" else None
        self.contextRequested.emit(shot.id if shot is not None else "", event.globalPos())

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            kind, target = self._hit(QPointF(event.pos()))
            if kind == "seam":
                QToolTip.showText(event.globalPos(), self.data.seams[target].text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.25 if delta > 0 else 0.8
            self.set_zoom(self.px_per_frame * factor, event.position().x())
        else:
            self.scroll -= delta
            self._clamp_scroll()
            self.viewChanged.emit()
            self.update()

    # -- painting -------------------------------------------------------------------------------
    def _tick_step(self) -> int:
        """Frames between labelled ticks so that labels are at least ~90 px apart."""
        rate = max(1, round(self.data.rate))
        candidates = [1, 2, 5, 10, rate // 2 or 1, rate, 2 * rate, 5 * rate, 10 * rate, 30 * rate,
                      60 * rate, 300 * rate, 600 * rate, 1800 * rate, 3600 * rate]
        for step in sorted(set(candidates)):
            if step * self.px_per_frame >= 96:
                return step
        return 3600 * rate

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(pal.ColorRole.Base))
        self._paint_ruler(p)
        self._paint_video(p)
        self._paint_audio(p)
        self._paint_playhead(p)
        p.end()

    def _paint_ruler(self, p: QPainter) -> None:
        pal = self.palette()
        ruler = QRectF(0, 0, self.width(), RULER_H)
        p.fillRect(ruler, pal.color(pal.ColorRole.Window).darker(115))
        # in/out range
        t = self.transport
        if t.mark_in is not None or t.mark_out is not None:
            a = t.mark_in if t.mark_in is not None else 0
            b = (t.mark_out if t.mark_out is not None else max(self.data.frames - 1, 0)) + 1
            p.fillRect(QRectF(self.x_of(a), 0, self.x_of(b) - self.x_of(a), RULER_H),
                       QColor(90, 140, 220, 70))
        if not self.data.frames:
            return  # an empty timeline has nothing to measure
        step = self._tick_step()
        minor = max(1, step // 5) if step >= 5 else 1
        first = max(0, self.frame_at(0) // minor * minor)
        last = self.frame_at(self.width()) + 1
        text_pen = QPen(pal.color(pal.ColorRole.Text))
        tick_pen = QPen(pal.color(pal.ColorRole.Mid))
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() * 0.85))
        p.setFont(font)
        ticks, labels = [], []
        for f in range(first, last + 1, minor):
            x = self.x_of(f)
            if f % step == 0:
                ticks.append(QLineF(x, RULER_H - 12, x, RULER_H))
                labels.append((x, f))
            elif self.px_per_frame * minor >= 4:
                ticks.append(QLineF(x, RULER_H - 5, x, RULER_H))
        p.setPen(tick_pen)
        p.drawLines(ticks)  # one call: a zoomed-in ruler has hundreds of ticks
        placeholder = QPen(pal.color(pal.ColorRole.PlaceholderText))
        for x, f in labels:
            p.setPen(text_pen)
            p.drawText(QRectF(x + 3, 1, 160, 15), Qt.AlignmentFlag.AlignLeft, timecode(f, self.data.rate))
            p.setPen(placeholder)
            p.drawText(QRectF(x + 3, 15, 160, 14), Qt.AlignmentFlag.AlignLeft, str(f))
        # seam markers: the analysis' verdict on each join (none before an analysis)
        for frame, mark in self.data.seams.items():
            x = self.x_of(frame)
            p.setPen(QPen(QColor(20, 20, 20, 160), 1))
            p.setBrush(SEAM_COLOURS.get(mark.severity, SEAM_COLOURS["clean"]))
            path = QPainterPath()
            path.moveTo(x, RULER_H - SEAM_H)
            path.lineTo(x + SEAM_H / 2, RULER_H - SEAM_H / 2)
            path.lineTo(x, RULER_H)
            path.lineTo(x - SEAM_H / 2, RULER_H - SEAM_H / 2)
            path.closeSubpath()
            p.drawPath(path)
        # user markers
        for m in t.markers:
            x = self.x_of(m)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(120, 210, 120))
            p.drawRect(QRectF(x - 1, 0, 3, RULER_H))

    def _paint_video(self, p: QPainter) -> None:
        pal = self.palette()
        track = self.video_rect()
        p.fillRect(track, pal.color(pal.ColorRole.AlternateBase))
        font = QFont(self.font())
        p.setFont(font)
        for shot in self.data.shots:
            x0, x1 = self.x_of(shot.start), self.x_of(shot.start + shot.frames)
            if x1 < 0 or x0 > self.width():
                continue
            rect = QRectF(x0 + 1, track.top() + 2, max(1.0, x1 - x0 - 2), track.height() - 4)
            status = self.data.status(shot) if self.data.status is not None else shot.status
            colour = STATUS_COLOURS.get(status, STATUS_COLOURS["ready"])
            if shot.id in self.selected:
                colour = colour.lighter(140)
            p.setPen(QPen(colour.lighter(150) if shot.id in self.selected else colour.darker(130),
                          2 if shot.id in self.selected else 1))
            p.setBrush(colour)
            p.drawRoundedRect(rect, 3, 3)
            if rect.width() > 24:
                p.setPen(QColor(240, 240, 245))
                p.drawText(rect.adjusted(6, 4, -6, -4),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                           p.fontMetrics().elidedText(f"{shot.name}  ({shot.frames})",
                                                      Qt.TextElideMode.ElideRight,
                                                      int(rect.width() - 12)))
            job = self.data.jobs.get(shot.id) if self.data.jobs else None
            if job is not None and job.status == "rendering":
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(110, 210, 230))
                p.drawRect(QRectF(rect.left(), rect.bottom() - 4, rect.width() * job.progress, 4))
            # trim handles
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 255, 255, 60))
            if rect.width() > 3 * HANDLE_PX:
                p.drawRect(QRectF(rect.left(), rect.top(), 3, rect.height()))
                p.drawRect(QRectF(rect.right() - 3, rect.top(), 3, rect.height()))
        for start, frames, kind, _b in self.data.mixes:
            x0, x1 = self.x_of(start), self.x_of(start + frames)
            rect = QRectF(x0, track.top() + 1, max(2.0, x1 - x0), 16)
            p.setPen(QPen(QColor(255, 210, 80), 1))
            p.setBrush(QBrush(QColor(255, 210, 80, 110), Qt.BrushStyle.SolidPattern))
            p.drawRect(rect)
            p.setPen(QPen(QColor(255, 230, 150), 1))
            p.drawLine(rect.bottomLeft(), rect.topRight())
            p.drawLine(rect.topLeft(), rect.bottomRight())
            if rect.width() > 40:
                label = {"crossfade": tr("Crossfade"), "dip_black": tr("Dip to black"),
                         "dip_white": tr("Dip to white")}.get(kind, kind)
                p.setPen(QColor(20, 20, 20))
                small = QFont(font)
                small.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
                p.setFont(small)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                           p.fontMetrics().elidedText(f"{label} {frames}", Qt.TextElideMode.ElideRight,
                                                      int(rect.width() - 4)))
                p.setFont(font)
        if not self.data.shots:
            p.setPen(pal.color(pal.ColorRole.PlaceholderText))
            p.drawText(track, Qt.AlignmentFlag.AlignCenter, tr("Video track: drop media here"))

    def _paint_audio(self, p: QPainter) -> None:
        pal = self.palette()
        track = self.audio_rect()
        p.fillRect(track, pal.color(pal.ColorRole.AlternateBase).darker(108))
        for clip in self.data.audio:
            x0, x1 = self.x_of(clip.start), self.x_of(clip.start + clip.frames)
            rect = QRectF(x0 + 1, track.top() + 2, max(1.0, x1 - x0 - 2), track.height() - 4)
            p.setPen(QColor(60, 120, 80).darker(130))
            p.setBrush(QColor(60, 130, 90))
            p.drawRoundedRect(rect, 3, 3)
            p.setPen(QColor(235, 240, 235))
            p.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter,
                       p.fontMetrics().elidedText(getattr(clip.path, "name", str(clip.path)),
                                                  Qt.TextElideMode.ElideRight, int(rect.width() - 10)))
        if not self.data.audio:
            p.setPen(pal.color(pal.ColorRole.PlaceholderText))
            p.drawText(track, Qt.AlignmentFlag.AlignCenter, tr("Audio track"))

    def _paint_playhead(self, p: QPainter) -> None:
        if not self.data.frames:
            return
        x = self._playhead_x(self.transport.frame)
        self._playhead_px = x
        p.setPen(QPen(QColor(235, 64, 52), 2))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setBrush(QColor(235, 64, 52))
        p.setPen(Qt.PenStyle.NoPen)
        path = QPainterPath()
        path.moveTo(x - 6, 0)
        path.lineTo(x + 6, 0)
        path.lineTo(x, 8)
        path.closeSubpath()
        p.drawPath(path)


class TimelineView(QWidget):
    """The canvas plus its horizontal scroll bar."""

    def __init__(self, transport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.canvas = TimelineCanvas(transport, self)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.scrollbar)
        self.canvas.viewChanged.connect(self._sync_scrollbar)
        self.scrollbar.valueChanged.connect(self._scrolled)

    def _sync_scrollbar(self) -> None:
        c = self.canvas
        self.scrollbar.blockSignals(True)
        self.scrollbar.setRange(0, int(max(0.0, c.content_width() - c.width())))
        self.scrollbar.setPageStep(max(1, c.width()))
        self.scrollbar.setValue(int(c.scroll))
        self.scrollbar.blockSignals(False)

    def _scrolled(self, value: int) -> None:
        self.canvas.scroll = float(value)
        self.canvas.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._sync_scrollbar()
