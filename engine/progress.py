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
