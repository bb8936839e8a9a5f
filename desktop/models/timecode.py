"""Frame numbers and timecode for display (OpenTimelineIO does the arithmetic)."""

from __future__ import annotations

from fractions import Fraction


def timecode(frame: int, rate: Fraction) -> str:
    """HH:MM:SS:FF (drop-frame ';' for 29.97/59.94 as OTIO decides)."""
    import opentimelineio as otio  # here, not at import: the empty window paints without it

    try:
        return otio.opentime.to_timecode(otio.opentime.RationalTime(frame, float(rate)), float(rate))
    except (ValueError, RuntimeError):
        seconds = Fraction(frame) / rate
        whole = int(seconds)
        ff = frame - int(whole * rate)
        return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}:{ff:02d}"


def duration_text(frames: int, rate: Fraction) -> str:
    """A short human length: '2.0 s' or '1:05.3'."""
    seconds = float(Fraction(frames) / rate) if rate else 0.0
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"
