"""User settings (theme, language, cache size, keymap, recent projects, where generation runs)
stored as JSON. A farm's token is not here: it lives with the farm's URL in the 0600 file that
`shotloom farm token URL` writes too (engine.farm.security.KnownFarms).

A plain dataclass with explicit checks rather than a pydantic model: importing pydantic costs
~0.2-0.4 s, a third of the editor's cold-start budget, and this file has a dozen fields that the
editor itself writes. A damaged file or a bad value falls back to the default, field by field.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from engine import paths

THEMES = ("dark", "light")
LANGUAGES = ("system", "en", "zh_CN")
RENDER_TARGETS = ("local", "farm")


def _int_in(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


CHECKS = {
    "theme": lambda v: v in THEMES,
    "language": lambda v: v in LANGUAGES,
    "cache_mb": lambda v: _int_in(v, 32, 65536),
    "keymap": lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and isinstance(keys, list) and all(isinstance(x, str) for x in keys)
        for k, keys in v.items()),
    "autosave_seconds": lambda v: _int_in(v, 5, 3600),
    "autosave_edits": lambda v: _int_in(v, 1, 10000),
    "recent": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "proxies": lambda v: isinstance(v, bool),
    "engine_autostart": lambda v: isinstance(v, bool),
    "models_offered": lambda v: isinstance(v, bool),
    "volume": lambda v: _int_in(v, 0, 100),
    "muted": lambda v: isinstance(v, bool),
    "window_state": lambda v: isinstance(v, str) and len(v) < 65536,
    "window_geometry": lambda v: isinstance(v, str) and len(v) < 4096,
    "render_on": lambda v: v in RENDER_TARGETS,
    "farm_url": lambda v: isinstance(v, str) and len(v) < 2048,
}


@dataclass
class Settings:
    theme: str = "dark"
    language: str = "system"
    cache_mb: int = 512
    keymap: dict[str, list[str]] = field(default_factory=dict)  # action id -> key sequences
    autosave_seconds: int = 60
    autosave_edits: int = 25
    recent: list[str] = field(default_factory=list)
    proxies: bool = True  # build all-intra preview proxies of imported video
    engine_autostart: bool = True  # start the generation engine's worker when the editor starts
    models_offered: bool = False  # the first-run models dialog was shown
    volume: int = 80  # the viewer's sound, 0..100
    muted: bool = False
    window_state: str = ""  # the docks' places and sizes (QMainWindow.saveState, base64)
    window_geometry: str = ""  # the window's size and place (base64)
    render_on: str = "local"  # where generation runs: "local" (this machine) or "farm" (farm_url)
    farm_url: str = ""  # the farm last chosen (kept when rendering here again)

    @staticmethod
    def file() -> Path:
        return paths.user_config_dir() / "settings.json"

    @classmethod
    def from_dict(cls, data: object) -> Settings:
        settings = cls()
        if isinstance(data, dict):
            for f in fields(cls):
                value = data.get(f.name)
                if value is not None and CHECKS[f.name](value):
                    setattr(settings, f.name, value)
        return settings

    @classmethod
    def load(cls) -> Settings:
        try:
            data = json.loads(cls.file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None  # missing or damaged: defaults; rewritten on the next save
        return cls.from_dict(data)

    def save(self) -> None:
        from engine.fsutil import write_json_atomic  # not at start-up (it brings `secrets`)

        write_json_atomic(self.file(), asdict(self), indent=2)

    def add_recent(self, project_path: Path, limit: int = 10) -> None:
        text = str(Path(project_path).resolve())
        self.recent = [text] + [p for p in self.recent if p != text]
        del self.recent[limit:]
