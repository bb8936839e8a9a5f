"""A Qt-free signal: callbacks run synchronously, in connection order, on the emitting thread.

The editor model uses it so that it can be driven (and tested) without Qt; Qt widgets connect
their slots to it like to a Qt signal. The model lives as long as the window that owns the views,
so connections are strong references.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    __slots__ = ("_slots",)

    def __init__(self) -> None:
        self._slots: list[Callable[..., Any]] = []

    def connect(self, slot: Callable[..., Any]) -> Callable[..., Any]:
        self._slots.append(slot)
        return slot

    def disconnect(self, slot: Callable[..., Any]) -> None:
        if slot in self._slots:
            self._slots.remove(slot)

    def emit(self, *args: Any) -> None:
        for slot in list(self._slots):
            slot(*args)
