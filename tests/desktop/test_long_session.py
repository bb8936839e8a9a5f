"""A long session of painting must not wear out the interpreter. PySide6 6.12.0 on CPython 3.11
dropped a reference to None on every void Qt call, so the editor aborted ("none_dealloc") after a
few seconds of playback; pyproject keeps PySide6 below 6.12 for that."""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter


def test_void_qt_calls_leave_none_alone():
    image = QImage(64, 64, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    colour = QColor(10, 20, 30)
    start = sys.getrefcount(None)
    for _ in range(20_000):
        painter.setPen(colour)
        painter.drawLine(QPointF(0, 0), QPointF(5, 5))
    painter.end()
    # A leak of one reference per call would lose 40,000 here; allow for unrelated churn.
    assert sys.getrefcount(None) > start - 1000
