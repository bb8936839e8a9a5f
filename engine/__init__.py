"""Shotloom engine: project document, media, render, generation, jobs. Never imports Qt."""

__version__ = "0.1.0"
