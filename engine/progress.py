"""Progress reporting and cooperative cancellation shared by every long operation."""

from __future__ import annotations

import threading
from collections.abc import Callable

from engine.errors import Canceled

ProgressFn = Callable[[int, int, str], None]
"""Called as progress(done, total, message)."""


class CancelToken:
    """A thread-safe flag checked by long work at every step (frame, denoise step, window)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def canceled(self) -> bool:
        return self._event.is_set()

    def raise_if_canceled(self) -> None:
        if self._event.is_set():
            raise Canceled("canceled by the user")


def no_progress(done: int, total: int, message: str = "") -> None:
    """A progress callback that ignores its reports."""


def duration_text(seconds: float) -> str:
    """'0:42', '1:02:03': a duration as people read it on a progress bar."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def eta_text(done: float, total: float, elapsed: float) -> str:
    """Time left from the average speed so far ('0:42'; '' until there is a basis)."""
    if done <= 0 or total <= 0 or elapsed <= 0.2:
        return ""
    return duration_text(elapsed * (total - done) / done)

