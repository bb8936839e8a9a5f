"""User folders (platformdirs). SHOTLOOM_HOME overrides them all, for tests and portable installs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "Shotloom"


def _root(kind: str) -> Path:
    home = os.environ.get("SHOTLOOM_HOME")
    if home:
        path = Path(home) / kind
    elif kind == "data":
        path = Path(platformdirs.user_data_dir(APP, appauthor=False))
    elif kind == "cache":
        path = Path(platformdirs.user_cache_dir(APP, appauthor=False))
    else:
        path = Path(platformdirs.user_config_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_data_dir() -> Path:
    """Queue database, autosaves, recent projects."""
    return _root("data")


def user_cache_dir() -> Path:
    """Tiny test models and other rebuildable files."""
    return _root("cache")


def user_config_dir() -> Path:
    """Settings: keymap, theme, language."""
    return _root("config")


def autosave_dir() -> Path:
    path = user_data_dir() / "autosave"
    path.mkdir(parents=True, exist_ok=True)
    return path
