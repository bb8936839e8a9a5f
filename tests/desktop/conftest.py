"""Fixtures for the editor tests: tiny synthetic footage (frame index encoded in the pixels) and a
real main window on the offscreen platform."""

from __future__ import annotations

import sys
from pathlib import Path as _Path

# pytest puts tests/ on sys.path (rootdir conftest), where this folder would shadow the real
# `desktop` package as a namespace package; the repository root must come first.
_ROOT = str(_Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if "desktop" in sys.modules and getattr(sys.modules["desktop"], "__file__", None) is None:
    del sys.modules["desktop"]

from fractions import Fraction  # noqa: E402 - after the sys.path fix above
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

SIZE = (160, 96)


@pytest.fixture(scope="session")
def footage(tmp_path_factory) -> list[Path]:
    """Three 24-frame H.264 clips (long GOP with B-frames, so exact seeking is really exercised)."""
    from engine.media.synthetic import make_test_clip

    folder = tmp_path_factory.mktemp("footage")
    return [make_test_clip(folder / f"clip{i}.mp4", frames=24, rate=Fraction(24), size=SIZE, seed=i, gop=12)
            for i in range(3)]


@pytest.fixture(autouse=True)
def english_ui(shotloom_home):
    """Tests read English texts whatever the machine's locale (the Chinese UI has its own test)."""
    from desktop.services.settings import Settings

    Settings(language="en", engine_autostart=False, models_offered=True).save()


@pytest.fixture
def window(qtbot):
    from desktop.app import build_window

    win = build_window()
    win.settings.proxies = False  # tests read the originals; proxies have their own bench
    win.show()
    yield win
    win._closing_ok = True
    win.document.undo_stack.setClean()
    win.close()
