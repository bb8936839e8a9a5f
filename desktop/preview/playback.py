"""Playback at the project rate. At 1× the sound is the clock (the picture shows the frame being
heard, see desktop.preview.audio); shuttling (J/K/L at other speeds, or backwards) is silent and
runs on the wall clock. A frame that is late is skipped (dropped) rather than slowing the picture.
A seek while playing (a click on the timeline) carries on from there."""

from __future__ import annotations

import time
from fractions import Fraction

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from desktop.editor.transport import Transport

SHUTTLE_SPEEDS = (1, 2, 4, 8)


class Playback(QObject):
    stateChanged = Signal(bool)

    def __init__(self, transport: Transport, parent: QObject | None = None, audio=None) -> None:
        super().__init__(parent)
        self.transport = transport
        self.audio = audio  # AudioPlayer, or None for a silent playback
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.speed = 0  # signed: frames of timeline per frame of wall clock
        self._anchor_time = 0.0
        self._anchor_frame = 0
        self._ticking = False
        self.last_painted: int | None = None
        self.dropped = 0
        self.shown = 0
        transport.frameChanged.connect(self._on_seek)

    @property
    def playing(self) -> bool:
        return self.speed != 0

    @property
    def audible(self) -> bool:
        """Whether the sound plays (1× forward only: shuttling is muted)."""
        return self.speed == 1 and self.audio is not None

    def play(self, speed: int = 1) -> None:
        first, last = self.transport.play_range()
        if speed > 0 and self.transport.frame >= last and not self.transport.loop:
            self.transport.seek(first if self.transport.loop else 0)
        self.speed = speed
        self._anchor()
        self.last_painted = None
        rate = float(self.transport.rate) or 24.0
        self.timer.start(max(1, int(250 / rate)))  # four ticks a frame: the picture is never a frame late
        self.stateChanged.emit(True)

    def _anchor(self) -> None:
        self._anchor_time = time.perf_counter()
        self._anchor_frame = self.transport.frame
        if self.audio is not None:
            if self.audible:
                self.audio.start(self.transport.frame)
            else:
                self.audio.stop()

    def pause(self) -> None:
        if self.speed == 0:
            return
        self.speed = 0
        self.timer.stop()
        if self.audio is not None:
            self.audio.stop()
        self.stateChanged.emit(False)

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play(1)

    def shuttle(self, direction: int) -> None:
        """L (direction +1) / J (-1): start, or go faster in that direction; the other way slows."""
        if self.speed == 0 or (self.speed > 0) != (direction > 0):
            self.play(direction)
            return
        i = SHUTTLE_SPEEDS.index(abs(self.speed)) if abs(self.speed) in SHUTTLE_SPEEDS else 0
        self.play(direction * SHUTTLE_SPEEDS[min(i + 1, len(SHUTTLE_SPEEDS) - 1)])

    def _on_seek(self, _frame: int) -> None:
        """The playhead moved while playing, and not by playback: go on from there."""
        if self.playing and not self._ticking:
            self._anchor()
            self.last_painted = None

    def _target(self) -> int:
        heard = self.audio.heard_frame() if self.audible else None
        if heard is not None:
            return int(heard)
        rate: Fraction = self.transport.rate
        elapsed = time.perf_counter() - self._anchor_time
        return self._anchor_frame + self.speed * int(elapsed * float(rate))

    def _tick(self) -> None:
        target = self._target()
        first, last = self.transport.play_range()
        self._ticking = True
        try:
            if target > last or target < first:
                if self.transport.loop:
                    span = last - first + 1
                    target = first + (target - first) % span if self.speed < 0 else first
                    self.transport.seek(target)
                    self._anchor()
                    self.last_painted = None
                else:
                    self.transport.seek(min(max(target, first), last))
                    self.pause()
                return
            if target != self.transport.frame:
                self.transport.seek(target)
        finally:
            self._ticking = False

    def painted(self, frame: int) -> None:
        """The viewer painted `frame`: count the frames playback skipped since the last one."""
        if not self.playing:
            return
        if self.last_painted is not None:
            gap = abs(frame - self.last_painted)
            if 1 < gap <= abs(self.speed) * 10_000:
                self.dropped += max(0, gap // max(1, abs(self.speed)) - 1)
        self.last_painted = frame
        self.shown += 1
