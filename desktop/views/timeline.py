"""The timeline: a ruler in timecode and frames with the in/out range and markers, the video track
with shots at their real lengths (and their sound's waveform), transitions over the cuts, an audio
track with waveforms, seam markers and the playhead.

It draws from a small view-model (`TimelineData`) built from the editor model; what the mouse does
comes out as signals (the window turns them into edits, a drag merged into one undo step):

- a click on a shot selects it and moves the playhead there; dragging it reorders (an insertion
  line shows where it lands);
- each side of a cut has its own grab zone: the earlier shot's tail left of the cut, the later
  shot's head right of it. Dragging one is a ripple trim (the shots after it move); with Ctrl held
  it is a roll (the cut moves, the timeline keeps its length);
- the ruler scrubs; a marker on it can be dragged, double-clicked to edit;
- the top band of a transition sets its length.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QScrollBar, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from desktop.i18n import tr
from desktop.models.timecode import timecode

RULER_H = 32
VIDEO_H = 52
AUDIO_H = 32
GAP = 4
HEADER_W = 0
HANDLE_PX = 6  # transition length handle
EDGE_PX = 10  # grab zone of a shot's head or tail, inside the shot
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
MARKER_COLOURS = {
    "RED": QColor(230, 70, 60), "ORANGE": QColor(240, 150, 50), "YELLOW": QColor(240, 210, 60),
    "GREEN": QColor(110, 200, 100), "CYAN": QColor(80, 200, 220), "BLUE": QColor(80, 130, 240),
    "PURPLE": QColor(150, 100, 220), "MAGENTA": QColor(220, 80, 200), "PINK": QColor(240, 140, 180),
    "WHITE": QColor(240, 240, 240), "BLACK": QColor(30, 30, 30),
}
IN_OUT = QColor(90, 150, 235)


def marker_colour(name: str) -> QColor:
    return MARKER_COLOURS.get(str(name).upper(), MARKER_COLOURS["GREEN"])


@dataclass
class TimelineData:
    rate: Fraction = Fraction(24)
    frames: int = 0
    shots: list = field(default_factory=list)  # ShotInfo
    mixes: list = field(default_factory=list)  # (start, frames, kind, b_shot_id)
    audio: list = field(default_factory=list)  # AudioClipInfo
    markers: list = field(default_factory=list)  # MarkerInfo
    seams: dict = field(default_factory=dict)  # seam frame -> desktop.continuity.SeamMark (from the analysis)
    status: object = None  # shot -> status shown (the engine's state while generating); None: shot.status
    jobs: dict = field(default_factory=dict)  # shot id -> JobState (progress of a rendering shot)
    waveform: object = None  # path -> Waveform | False | None (WaveformService.get)


class TimelineCanvas(QWidget):
    seekRequested = Signal(int)
    shotClicked = Signal(str, bool)  # shot id, extend selection
    transitionEditRequested = Signal(str)  # shot id of the later shot
    trimDrag = Signal(str, str, int, object)  # shot id, side, delta frames, merge key (ripple)
    rollDrag = Signal(str, str, int, object)  # earlier shot id, later shot id, delta frames, merge key
    trimChanged = Signal()  # a trim started, took a step or ended (the viewer shows the trim frame)
    transitionDrag = Signal(str, str, int, object)  # shot id, kind, new length, merge key
    moveRequested = Signal(list, int)  # shot ids, destination row (before the move)
    markerDrag = Signal(str, int, object)  # marker id, new frame, merge key
    markerEditRequested = Signal(str)  # marker id
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
        self._wave_cache: dict = {}
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
        self._wave_cache.clear()
        self.viewChanged.emit()
        self.update()

    def zoom_fit(self) -> None:
        # An empty timeline shows its first ten seconds.
        frames = max(self.data.frames, int(10 * self.data.rate), 1)
        self.px_per_frame = min(max((self.width() - 24) / frames, 0.02), 64.0)
        self.scroll = 0.0
        self._wave_cache.clear()
        self.viewChanged.emit()
        self.update()

    def _clamp_scroll(self) -> None:
        self.scroll = min(max(self.scroll, 0.0), max(0.0, self.content_width() - self.width()))

    def _follow_playhead(self, frame: int) -> None:
        x = self.x_of(frame)
        if self._drag is None and (x < 0 or x > self.width() - 8):
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
        self._wave_cache.clear()
        if first and self.width() > 50:
            self.zoom_fit()
        self._clamp_scroll()
        self.viewChanged.emit()
        self.update()

    def waveform_ready(self, _path: str) -> None:
        self._wave_cache.clear()
        self.update()

    # -- hit testing ----------------------------------------------------------------------------
    def _edge_zone(self, x0: float, x1: float) -> float:
        """How far into a shot its head or tail can be grabbed (a third of a short shot)."""
        return min(EDGE_PX, max(2.0, (x1 - x0) / 3))

    def _hit(self, pos: QPointF) -> tuple[str, object]:
        y = pos.y()
        if RULER_H - SEAM_H <= y <= RULER_H + GAP:
            for frame in self.data.seams:
                if abs(pos.x() - self.x_of(frame)) <= SEAM_H / 2 + 1:
                    return "seam", frame
        if y < RULER_H:
            marker = self._marker_at(pos.x())
            return ("marker", marker) if marker is not None else ("ruler", None)
        video = self.video_rect()
        if video.top() <= y <= video.bottom():
            for start, frames, kind, b_id in self.data.mixes:
                x0, x1 = self.x_of(start), self.x_of(start + frames)
                if y <= video.top() + 16 and x0 - 2 <= pos.x() <= x1 + 2:
                    if abs(pos.x() - x0) <= HANDLE_PX:
                        return "mix_edge", (b_id, kind, frames)
                    return "mix", b_id
            shots = self.data.shots
            for i, shot in enumerate(shots):
                x0, x1 = self.x_of(shot.start), self.x_of(shot.end)
                zone = self._edge_zone(x0, x1)
                last = i == len(shots) - 1
                if x0 <= pos.x() < x0 + zone:
                    return "trim", (shot, "in")
                if x1 - zone <= pos.x() < x1 or (last and x1 <= pos.x() < x1 + EDGE_PX):
                    return "trim", (shot, "out")
                if x0 <= pos.x() < x1:
                    return "shot", shot
        return "empty", None

    def _marker_at(self, x: float):
        best, best_d = None, 6.0
        for marker in self.data.markers:
            d = abs(self.x_of(marker.frame) + self.px_per_frame / 2 - x)
            if d <= best_d:
                best, best_d = marker, d
        return best

    def _neighbour(self, shot, side: str):
        """The shot on the other side of `shot`'s head ("in") or tail ("out"), or None."""
        j = shot.index - 1 if side == "in" else shot.index + 1
        return self.data.shots[j] if 0 <= j < len(self.data.shots) else None

    def drop_row(self, x: float) -> int:
        """Where shots dragged to x would go: before the shot whose first half x is in."""
        for shot in self.data.shots:
            if x < (self.x_of(shot.start) + self.x_of(shot.end)) / 2:
                return shot.index
        return len(self.data.shots)

    def trim_state(self) -> dict | None:
        """The trim being dragged: {"mode": "ripple"|"roll", "shot", "side", "other", "applied"}."""
        drag = self._drag
        if drag is None or drag["kind"] not in ("trim", "roll"):
            return None
        return {"mode": "roll" if drag["kind"] == "roll" else "ripple", "shot": drag["shot"],
                "side": drag["side"], "other": drag.get("other"), "applied": drag["applied"]}

    # -- mouse ----------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        pos = event.position()
        kind, target = self._hit(pos)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        serial = next(self._serial)
        roll = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if kind == "seam":
            self.seamClicked.emit(target)
        elif kind == "trim":
            shot, side = target
            other = self._neighbour(shot, side)
            if roll and other is not None:
                a, b = (other, shot) if side == "in" else (shot, other)
                self._drag = {"kind": "roll", "shot": b.id, "side": "in", "other": a.id, "x0": pos.x(),
                              "applied": 0, "key": ("roll", a.id, b.id, serial)}
            else:
                self._drag = {"kind": "trim", "shot": shot.id, "side": side, "x0": pos.x(), "applied": 0,
                              "key": ("trim", shot.id, side, serial)}
            self.trimChanged.emit()
            self.update()
        elif kind == "mix_edge":
            b_id, mix_kind, frames = target
            self._drag = {"kind": "mix", "shot": b_id, "mix_kind": mix_kind, "x0": pos.x(),
                          "frames0": frames, "key": ("mix", b_id, serial)}
        elif kind == "mix":
            self.shotClicked.emit(target, False)
        elif kind == "marker":
            self._drag = {"kind": "marker", "marker": target.id, "frame0": target.frame, "x0": pos.x(),
                          "key": ("marker", target.id, serial), "moved": False}
            self.seekRequested.emit(target.frame)
        elif kind == "shot":
            extend = bool(event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                                | Qt.KeyboardModifier.ShiftModifier))
            if extend or target.id not in self.selected:
                self.shotClicked.emit(target.id, extend)
            self._drag = {"kind": "press", "shot": target.id, "x0": pos.x(), "y0": pos.y(),
                          "frame": self.frame_at(pos.x())}
        else:
            self._drag = {"kind": "scrub"}
            self.seekRequested.emit(max(0, self.frame_at(pos.x())))

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        drag = self._drag
        if drag is None:
            self._hover(pos, event.modifiers())
            return
        if drag["kind"] == "scrub":
            self.seekRequested.emit(max(0, self.frame_at(pos.x())))
        elif drag["kind"] == "press":
            if abs(pos.x() - drag["x0"]) + abs(pos.y() - drag["y0"]) >= QApplication.startDragDistance():
                ids = [s.id for s in self.data.shots if s.id in self.selected] or [drag["shot"]]
                if drag["shot"] not in ids:
                    ids = [drag["shot"]]
                drag.update(kind="move", ids=ids, x=pos.x(), row=self.drop_row(pos.x()))
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
                self.update()
        elif drag["kind"] == "move":
            drag["x"], drag["row"] = pos.x(), self.drop_row(pos.x())
            self.update()
        elif drag["kind"] in ("trim", "roll"):
            total = round((pos.x() - drag["x0"]) / self.px_per_frame)
            # Head ("in"): dragging right removes head frames (a positive in-trim); the roll moves
            # the cut the way the mouse goes.
            step = total - drag["applied"]
            if step:
                if drag["kind"] == "roll":
                    self.rollDrag.emit(drag["other"], drag["shot"], step, drag["key"])
                else:
                    self.trimDrag.emit(drag["shot"], drag["side"], step, drag["key"])
        elif drag["kind"] == "mix":
            frames = drag["frames0"] + round((drag["x0"] - pos.x()) / self.px_per_frame)
            frames = max(1, frames)
            if frames != drag.get("last", drag["frames0"]):
                drag["last"] = frames
                self.transitionDrag.emit(drag["shot"], drag["mix_kind"], frames, drag["key"])
        elif drag["kind"] == "marker":
            frame = max(0, drag["frame0"] + round((pos.x() - drag["x0"]) / self.px_per_frame))
            if frame != drag.get("last", drag["frame0"]):
                drag["last"], drag["moved"] = frame, True
                self.markerDrag.emit(drag["marker"], frame, drag["key"])
                self.seekRequested.emit(frame)

    def _hover(self, pos: QPointF, modifiers) -> None:
        kind, target = self._hit(pos)
        if kind == "trim" and modifiers & Qt.KeyboardModifier.ControlModifier \
                and self._neighbour(*target) is not None:
            shape = Qt.CursorShape.SplitHCursor
        elif kind in ("trim", "mix_edge", "marker"):
            shape = Qt.CursorShape.SizeHorCursor
        else:
            shape = Qt.CursorShape.ArrowCursor
        self.setCursor(shape)
        if kind == "trim":
            shot, side = target
            self.setToolTip(tr("Drag to trim the head of “{name}” (the shots after it move); Ctrl+drag rolls "
                               "the cut").format(name=shot.name) if side == "in" else
                            tr("Drag to trim the tail of “{name}” (the shots after it move); Ctrl+drag rolls "
                               "the cut").format(name=shot.name))
        elif kind == "marker":
            self.setToolTip(target.name or tr("Marker"))
        else:
            self.setToolTip("")

    def trim_accepted(self, step: int) -> None:
        """The document took the last trim step of the current drag."""
        if self._drag is not None and self._drag.get("kind") in ("trim", "roll"):
            self._drag["applied"] += step
            self.trimChanged.emit()
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        drag, self._drag = self._drag, None
        if drag is None:
            return
        if drag["kind"] == "move":
            self.unsetCursor()
            self.update()
            self.moveRequested.emit(drag["ids"], drag["row"])
        elif drag["kind"] == "press":
            self.seekRequested.emit(max(0, drag["frame"]))
        elif drag["kind"] in ("trim", "roll"):
            self.trimChanged.emit()
            self.update()

    def mouseDoubleClickEvent(self, event) -> None:
        kind, target = self._hit(event.position())
        if kind == "marker":
            self.markerEditRequested.emit(target.id)
        elif kind == "mix":
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
                return True
        return super().event(event)  # elsewhere: the tooltip the mouse's place set (trim zones, markers)

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
        self._paint_in_out_band(p)
        self._paint_markers(p)
        self._paint_drag(p)
        self._paint_playhead(p)
        p.end()

    def _in_out(self) -> tuple[int, int] | None:
        t = self.transport
        if t.mark_in is None and t.mark_out is None:
            return None
        a = t.mark_in if t.mark_in is not None else 0
        b = t.mark_out if t.mark_out is not None else max(self.data.frames - 1, 0)
        return a, b

    def _paint_ruler(self, p: QPainter) -> None:
        pal = self.palette()
        ruler = QRectF(0, 0, self.width(), RULER_H)
        p.fillRect(ruler, pal.color(pal.ColorRole.Window).darker(115))
        if not self.data.frames:
            return  # an empty timeline has nothing to measure
        span = self._in_out()
        if span is not None:  # the in/out band under the ticks and the seam markers
            band = QColor(IN_OUT)
            band.setAlpha(120)
            p.fillRect(QRectF(self.x_of(span[0]), RULER_H - 7, (span[1] + 1 - span[0]) * self.px_per_frame, 7), band)
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

    def in_out_texts(self) -> tuple[str, str]:
        """The labels of the in/out range: its first and last frames as timecode."""
        span = self._in_out()
        if span is None:
            return "", ""
        rate = self.data.rate
        return (tr("In {tc}").format(tc=timecode(span[0], rate)), tr("Out {tc}").format(tc=timecode(span[1], rate)))

    def _paint_in_out_band(self, p: QPainter) -> None:
        """The in/out range: a band on the ruler with brackets and its times, a tint over the tracks."""
        span = self._in_out()
        if span is None or not self.data.frames:
            return
        a, b = span
        x0, x1 = self.x_of(a), self.x_of(b + 1)
        tint = QColor(IN_OUT)
        tint.setAlpha(28)
        p.fillRect(QRectF(x0, RULER_H, x1 - x0, self.height() - RULER_H), tint)
        p.setPen(QPen(IN_OUT.lighter(130), 2))
        for x, sign in ((x0, 1), (x1, -1)):
            p.drawLine(QPointF(x, 2), QPointF(x, self.height()))
            p.drawLine(QPointF(x, 2), QPointF(x + 6 * sign, 2))
            p.drawLine(QPointF(x, RULER_H - 1), QPointF(x + 6 * sign, RULER_H - 1))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.8))
        small.setBold(True)
        p.setFont(small)
        fm = p.fontMetrics()
        first, last = self.in_out_texts()
        texts = [(x0 + 4, first, Qt.AlignmentFlag.AlignLeft), (x1 - 4, last, Qt.AlignmentFlag.AlignRight)]
        y = RULER_H + VIDEO_H + AUDIO_H + 3 * GAP
        for x, text, align in texts:
            w = fm.horizontalAdvance(text) + 8
            rect = QRectF(x if align == Qt.AlignmentFlag.AlignLeft else x - w, y, w, fm.height() + 2)
            if rect.bottom() > self.height():
                rect.moveBottom(self.height() - 1)
            p.fillRect(rect, QColor(20, 40, 70, 200))
            p.setPen(QColor(210, 230, 255))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_markers(self, p: QPainter) -> None:
        """Markers: a flag in the ruler in the marker's colour with its name, a line over the tracks."""
        markers = self.data.markers
        if not markers:
            return
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.8))
        p.setFont(small)
        fm = p.fontMetrics()
        xs = [self.x_of(m.frame) + self.px_per_frame / 2 for m in markers]
        for i, (marker, x) in enumerate(zip(markers, xs)):
            if x < -200 or x > self.width() + 10:
                continue
            colour = marker_colour(marker.colour)
            line = QColor(colour)
            line.setAlpha(150)
            p.setPen(QPen(line, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, RULER_H), QPointF(x, self.height()))
            if marker.frames:
                span = QColor(colour)
                span.setAlpha(90)
                p.fillRect(QRectF(x, 0, marker.frames * self.px_per_frame, 9), span)
            flag = QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x + 5, 9), QPointF(x, 14),
                              QPointF(x - 5, 9)])
            p.setPen(QPen(colour.darker(160), 1))
            p.setBrush(colour)
            p.drawPolygon(flag)
            room = (xs[i + 1] if i + 1 < len(xs) else self.width()) - x - 10
            if marker.name and room > 24:
                text = fm.elidedText(marker.name, Qt.TextElideMode.ElideRight, int(min(room, 160)))
                w = fm.horizontalAdvance(text) + 6
                rect = QRectF(x + 7, 0, w, fm.height())
                p.fillRect(rect, QColor(18, 18, 22, 235))  # over the ruler's timecode: it must stay readable
                p.setPen(colour.lighter(120))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_video(self, p: QPainter) -> None:
        pal = self.palette()
        track = self.video_rect()
        p.fillRect(track, pal.color(pal.ColorRole.AlternateBase))
        font = QFont(self.font())
        p.setFont(font)
        trim = self.trim_state()
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
            if shot.media_path is not None and rect.width() > 8:
                self._paint_waveform(p, ("shot", shot.id), shot.media_path, shot.source_in, shot.frames,
                                     QRectF(rect.left() + 2, rect.top() + rect.height() * 0.4,
                                            rect.width() - 4, rect.height() * 0.56),
                                     QColor(255, 255, 255, 95))
            if rect.width() > 24:
                p.setPen(QColor(240, 240, 245))
                p.drawText(rect.adjusted(6, 4, -6, -4),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                           p.fontMetrics().elidedText(f"{shot.name}  ({shot.frames})",
                                                      Qt.TextElideMode.ElideRight,
                                                      int(rect.width() - 12)))
            job = self.data.jobs.get(shot.id) if self.data.jobs else None
            if job is not None and job.status == "rendering":
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(110, 210, 230))
                p.drawRect(QRectF(rect.left(), rect.bottom() - 4, rect.width() * job.progress, 4))
            # head and tail grab zones
            p.setPen(Qt.PenStyle.NoPen)
            if rect.width() > 3 * HANDLE_PX:
                for side, left in (("in", rect.left()), ("out", rect.right() - 3)):
                    active = trim is not None and (
                        (trim["shot"] == shot.id and trim["side"] == side)
                        or (trim["mode"] == "roll" and trim["other"] == shot.id and side == "out"))
                    p.setBrush(QColor(255, 200, 60) if active else QColor(255, 255, 255, 60))
                    p.drawRect(QRectF(left, rect.top(), 4 if active else 3, rect.height()))
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

    def _paint_waveform(self, p: QPainter, key, path, source_in: int, frames: int, rect: QRectF,
                        colour: QColor) -> None:
        """The sound of `frames` frames of `path` from `source_in`, mirrored about the rect's middle."""
        if self.data.waveform is None:
            return
        wave = self.data.waveform(path)
        if not wave:
            return
        visible = rect.intersected(QRectF(0, 0, self.width(), self.height()))
        if visible.width() < 1:
            return
        cache_key = (key, str(path), source_in, frames, round(rect.left()), round(rect.width()),
                     round(visible.left()), round(visible.width()), round(rect.height()))
        polygon = self._wave_cache.get(cache_key)
        if polygon is None:
            rate = self.data.rate
            count = max(1, int(visible.width()))
            first_frame = source_in + (visible.left() - rect.left()) / max(rect.width(), 1) * frames
            seconds = Fraction(visible.width() / max(rect.width(), 1) * frames) / rate
            levels = wave.columns(Fraction(first_frame) / rate, seconds, count)
            mid, half = rect.center().y(), rect.height() / 2
            top = [QPointF(visible.left() + i, mid - float(v) * half) for i, v in enumerate(levels)]
            bottom = [QPointF(visible.left() + i, mid + float(v) * half) for i, v in reversed(list(enumerate(levels)))]
            polygon = QPolygonF(top + bottom)
            if len(self._wave_cache) > 512:
                self._wave_cache.clear()
            self._wave_cache[cache_key] = polygon
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawPolygon(polygon)

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
            self._paint_waveform(p, ("audio", clip.id), clip.path, clip.source_in, clip.frames,
                                 rect.adjusted(2, 3, -2, -3), QColor(190, 240, 200, 150))
            p.setPen(QColor(235, 240, 235))
            p.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                       p.fontMetrics().elidedText(getattr(clip.path, "name", str(clip.path)),
                                                  Qt.TextElideMode.ElideRight, int(rect.width() - 10)))
        if not self.data.audio:
            p.setPen(pal.color(pal.ColorRole.PlaceholderText))
            p.drawText(track, Qt.AlignmentFlag.AlignCenter, tr("Audio track"))

    def _paint_drag(self, p: QPainter) -> None:
        drag = self._drag
        if drag is None:
            return
        if drag["kind"] == "move":
            # The insertion line at the cut the shots will land on, and a ghost under the mouse.
            row = drag["row"]
            shots = self.data.shots
            frame = shots[row].start if row < len(shots) else self.data.frames
            x = self.x_of(frame)
            video = self.video_rect()
            accent = self.palette().color(self.palette().ColorRole.Highlight)
            p.setPen(QPen(accent.lighter(130), 3))
            p.drawLine(QPointF(x, video.top() - 4), QPointF(x, video.bottom() + 4))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(accent.lighter(130))
            for y, d in ((video.top() - 4, 1), (video.bottom() + 4, -1)):
                p.drawPolygon(QPolygonF([QPointF(x - 6, y), QPointF(x + 6, y), QPointF(x, y + 7 * d)]))
            moving = [s for s in shots if s.id in drag["ids"]]
            width = sum(s.frames for s in moving) * self.px_per_frame
            ghost = QRectF(drag["x"] - min(width, 160) / 2, video.top() + 6, min(width, 160), video.height() - 12)
            colour = QColor(accent)
            colour.setAlpha(90)
            p.setBrush(colour)
            p.setPen(QPen(accent, 1, Qt.PenStyle.DashLine))
            p.drawRoundedRect(ghost, 3, 3)
            if moving:
                p.setPen(QColor(255, 255, 255))
                name = moving[0].name if len(moving) == 1 else tr("{n} shots").format(n=len(moving))
                p.drawText(ghost.adjusted(4, 0, -4, 0), Qt.AlignmentFlag.AlignCenter,
                           p.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(ghost.width() - 8)))
        elif drag["kind"] in ("trim", "roll"):
            shot = next((s for s in self.data.shots if s.id == drag["shot"]), None)
            if shot is None:
                return
            x = self.x_of(shot.start if drag["side"] == "in" else shot.end)
            text = f"{drag['applied']:+d}"
            fm = p.fontMetrics()
            rect = QRectF(x - fm.horizontalAdvance(text) / 2 - 6, self.video_rect().bottom() - 20,
                          fm.horizontalAdvance(text) + 12, 18)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 190))
            p.drawRoundedRect(rect, 4, 4)
            p.setPen(QColor(255, 210, 90))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

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
        self.canvas._wave_cache.clear()
        self.canvas.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._sync_scrollbar()
