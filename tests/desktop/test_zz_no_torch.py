"""The editor process never imports torch, diffusers or transformers, nor Ray (the farm is reached over
HTTP); runs last in this folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "diffusers", "transformers", "ray")


def test_gui_process_has_not_imported_torch_after_all_the_editor_tests():
    loaded = [name for name in HEAVY if name in sys.modules]
    assert loaded == []


def test_every_desktop_module_imports_without_torch(tmp_path):
    code = (
        "import pkgutil, importlib, sys, desktop\n"
        "for m in pkgutil.walk_packages(desktop.__path__, 'desktop.'):\n"
        "    importlib.import_module(m.name)\n"
        "from desktop.app import build_window\n"
        "w = build_window(); w.show()\n"
        f"print(sorted(n for n in {HEAVY!r} if n in sys.modules))\n"
    )
    env = {"QT_QPA_PLATFORM": "offscreen", "SHOTLOOM_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
