"""Look: Fusion style with a dark (default) or light palette, a small QSS, and SVG icons tinted
for the theme."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

ASSETS = Path(__file__).resolve().parent / "assets"
"""Icons and themes: package data of `desktop` (desktop/assets/), so they ship in the wheel."""
STILL_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})

_current = "dark"
_INK = {"dark": "#d6d6dc", "light": "#34343a"}


def icon_path(name: str) -> Path:
    return ASSETS / "icons" / f"{name}.svg"


def icon(name: str) -> QIcon:
    """An SVG icon drawn in the theme's ink colour (the files use #INK as a placeholder)."""
    from PySide6.QtSvg import QSvgRenderer

    path = icon_path(name)
    try:
        text = path.read_text(encoding="utf-8").replace("#INK", _INK[_current])
    except OSError:
        return QIcon()
    renderer = QSvgRenderer(QByteArray(text.encode()))
    result = QIcon()
    for size in (16, 24, 32, 48):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(QPixmap.fromImage(image))
    return result


def palette(name: str) -> QPalette:
    p = QPalette()
    if name == "light":
        colours = {
            QPalette.ColorRole.Window: "#ececef", QPalette.ColorRole.WindowText: "#1d1d22",
            QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#e2e2e7",
            QPalette.ColorRole.Text: "#1d1d22", QPalette.ColorRole.Button: "#f4f4f6",
            QPalette.ColorRole.ButtonText: "#1d1d22", QPalette.ColorRole.Highlight: "#3d7de0",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#ffffe8",
            QPalette.ColorRole.ToolTipText: "#1d1d22", QPalette.ColorRole.PlaceholderText: "#74747c",
            QPalette.ColorRole.Mid: "#a8a8b0", QPalette.ColorRole.Link: "#2a62c0",
        }
    else:
        colours = {
            QPalette.ColorRole.Window: "#232327", QPalette.ColorRole.WindowText: "#e2e2e6",
            QPalette.ColorRole.Base: "#1a1a1d", QPalette.ColorRole.AlternateBase: "#2a2a2f",
            QPalette.ColorRole.Text: "#e2e2e6", QPalette.ColorRole.Button: "#2e2e33",
            QPalette.ColorRole.ButtonText: "#e2e2e6", QPalette.ColorRole.Highlight: "#3d7de0",
            QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2e2e33",
            QPalette.ColorRole.ToolTipText: "#e2e2e6", QPalette.ColorRole.PlaceholderText: "#8c8c96",
            QPalette.ColorRole.Mid: "#4a4a52", QPalette.ColorRole.Link: "#6ea2f0",
            QPalette.ColorRole.Light: "#3a3a40", QPalette.ColorRole.Dark: "#141416",
            QPalette.ColorRole.Shadow: "#000000", QPalette.ColorRole.BrightText: "#ffffff",
        }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    disabled = QColor("#6a6a72" if name == "dark" else "#a0a0a8")
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def apply(app: QApplication, name: str = "dark") -> None:
    global _current
    _current = name if name in _INK else "dark"
    app.setStyle("Fusion")
    app.setPalette(palette(_current))
    try:
        app.setStyleSheet((ASSETS / "themes" / f"{_current}.qss").read_text(encoding="utf-8"))
    except OSError:
        app.setStyleSheet("")


def current() -> str:
    return _current


def projects_folder() -> Path:
    """Where new projects go by default: Documents/Shotloom (inside SHOTLOOM_HOME for tests)."""
    home = os.environ.get("SHOTLOOM_HOME")
    if home:
        folder = Path(home) / "projects"
    else:
        import platformdirs

        folder = Path(platformdirs.user_documents_dir()) / "Shotloom"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def app_icon_size() -> QSize:
    return QSize(256, 256)
