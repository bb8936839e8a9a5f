"""Packages whose names load on first use (PEP 562), so that importing a package — which every
`shotloom` command does to register its subcommands, and the probe's child process does to read
one file — costs nothing until a name is used.

    __getattr__, __dir__ = lazy_names(__name__, {"FrameReader": "engine.media.reader", ...})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def lazy_names(package: str, homes: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module `__getattr__` that imports `homes[name]` the first time `name` is used (and keeps
    it in the package), and the matching `__dir__`."""
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(homes))

    return __getattr__, __dir__
