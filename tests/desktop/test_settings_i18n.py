"""Settings (theme, language, cache size) and the Chinese UI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_ui_string_has_a_chinese_translation():
    result = subprocess.run([sys.executable, str(ROOT / "installer/build_translations.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT, check=False,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert (ROOT / "desktop/assets/translations/shotloom_zh_CN.qm").stat().st_size > 1000


def test_switch_to_chinese_and_back_and_settings_persist(qtbot, window):
    from desktop.i18n import resolve_language
    from desktop.services.settings import Settings

    win = window
    assert resolve_language("zh_CN") == "zh_CN"
    win.settings.language = "zh_CN"
    win.settings.theme = "light"
    win.settings.cache_mb = 64
    win.apply_settings()
    assert win.menus["file"].title() == "文件(&F)"
    assert win.registry["split"].text() == "在播放头处分割(&P)"
    assert win.docks["storyboard"].windowTitle() == "故事板"
    assert win.server.cache.budget == 64 * 2**20
    win._save_settings()
    again = Settings.load()
    assert (again.language, again.theme, again.cache_mb) == ("zh_CN", "light", 64)

    win.settings.language = "en"
    win.settings.theme = "dark"
    win.apply_settings()
    assert win.menus["file"].title() == "&File"
    assert win.palette().color(win.palette().ColorRole.Window).lightness() < 80  # dark by default


def test_settings_dialog_keymap_round_trip(qtbot, window):
    from PySide6.QtGui import QKeySequence

    from desktop.views.settings_dialog import SettingsDialog

    win = window
    dialog = SettingsDialog(win.settings, win.registry, win)
    assert dialog.keymap() == {}  # defaults are not stored
    dialog.editors["split"].setKeySequence(QKeySequence("X"))
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    dialog.apply_to(win.settings)
    assert win.settings.keymap == {"split": ["X"]}
    win.apply_settings()
    assert win.registry.keys("split") == ["X"]
    assert win.menus["edit"].title() == "编辑(&E)"
    dialog._reset_keys()
    assert dialog.keymap() == {}


def test_damaged_settings_file_falls_back_to_defaults():
    from desktop.services.settings import Settings

    Settings.file().write_text("{not json", encoding="utf-8")
    settings = Settings.load()
    assert settings.theme == "dark" and settings.language == "system"


def test_bad_values_fall_back_field_by_field():
    from desktop.services.settings import Settings

    settings = Settings.from_dict({"theme": "purple", "cache_mb": 10**9, "language": "zh_CN",
                                   "keymap": {"split": ["X"]}, "recent": "not a list"})
    assert (settings.theme, settings.cache_mb, settings.language) == ("dark", 512, "zh_CN")
    assert settings.keymap == {"split": ["X"]} and settings.recent == []
