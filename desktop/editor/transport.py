"""Playhead, in/out points and loop: editor state that is not part of the document (markers are:
they are project edits, see EditorModel.markers)."""

from __future__ import annotations

from fractions import Fraction

from desktop.editor.events import Event


class Transport:
    def __init__(self) -> None:
        self.frameChanged = Event()  # (frame)
        self.rangeChanged = Event()  # in/out/loop
        self.frame = 0
        self.length = 0
        self.rate = Fraction(24)
        self.mark_in: int | None = None
        self.mark_out: int | None = None
        self.loop = False

    def reset(self, length: int, rate: Fraction) -> None:
        self.length = length
        self.rate = rate
        self.mark_in = self.mark_out = None
        self.frame = 0
        self.rangeChanged.emit()
        self.frameChanged.emit(0)

    def set_length(self, length: int) -> None:
        self.length = length
        if self.mark_in is not None and self.mark_in >= length:
            self.mark_in = None
        if self.mark_out is not None and self.mark_out >= length:
            self.mark_out = None
        self.rangeChanged.emit()
        self.seek(self.frame)

    def last(self) -> int:
        return max(self.length - 1, 0)

    def seek(self, frame: int) -> None:
        frame = min(max(int(frame), 0), self.last())
        changed = frame != self.frame
        self.frame = frame
        if changed:
            self.frameChanged.emit(frame)

    def step(self, frames: int) -> None:
        self.seek(self.frame + frames)

    def second(self) -> int:
        return max(1, round(self.rate))

    def play_range(self) -> tuple[int, int]:
        """[first, last] frames playback loops over: in/out when looping, else the whole timeline."""
        first = self.mark_in if (self.loop and self.mark_in is not None) else 0
        last = self.mark_out if (self.loop and self.mark_out is not None) else self.last()
        return first, max(first, last)

    def set_in(self) -> None:
        self.mark_in = self.frame
        if self.mark_out is not None and self.mark_out < self.frame:
            self.mark_out = None
        self.rangeChanged.emit()

    def set_out(self) -> None:
        self.mark_out = self.frame
        if self.mark_in is not None and self.mark_in > self.frame:
            self.mark_in = None
        self.rangeChanged.emit()
