"""Shotloom's editor: a PySide6 adapter over the Qt-free engine (never imports torch or diffusers)."""

__version__ = "0.1.0"
