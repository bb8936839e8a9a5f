"""The model catalog as the editor shows it: size, memory need, whether it fits this machine,
whether it is on disk; downloads through huggingface_hub (resumable) in the background.

Torch-free: the memory need is the planner's predicted peak (engine.gen.planner) at the model's
default size and length; the free memory is what the worker reports (or, on a machine without a
GPU, the available RAM).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject

from desktop.services.background import BackgroundTask


@dataclass(frozen=True)
class ModelRow:
    entry: Any
    installed: bool
    peak_bytes: dict[str, int]
    """Predicted peak per memory tier at the model's defaults."""
    fit: str | None
    """The fastest tier that fits the free memory, "" when none does, None when the memory is unknown."""

    @property
    def need_bytes(self) -> int:
        return min(self.peak_bytes.values()) if self.peak_bytes else 0


def model_label(entry: Any) -> str:
    """The catalog name, without the English note the test models and micro-ltx carry in it (the
    editor says that in the user's language)."""
    return entry.name.split(" (")[0] if entry.test_model or entry.micro else entry.name


def installed(entry: Any) -> bool:
    """On disk and loadable without a download (tiny test models are built on first use; micro-ltx
    ships with Shotloom)."""
    if entry.test_model:
        return True
    if entry.bundled_path is not None:
        return (entry.bundled_path / "model_index.json").is_file()
    if entry.local_path:
        return (Path(entry.local_path) / "model_index.json").is_file()
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(entry.repo, revision=entry.revision, local_files_only=True)
    except Exception:  # noqa: BLE001 - any miss (no cache, no snapshot, offline) means "not downloaded"
        return False
    return True


def predicted_peaks(entry: Any) -> dict[str, int]:
    """The planner's accelerator peak per tier at the model's default size and length (bytes)."""
    from engine.gen.planner import default_peaks

    return default_peaks(entry)


def fitting_tier(peaks: dict[str, int], free_bytes: int | None) -> str | None:
    if free_bytes is None:
        return None
    for tier, peak in peaks.items():
        if peak <= free_bytes * 0.92:
            return tier
    return ""


def available_ram() -> int | None:
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def catalog_rows(free_bytes: int | None) -> list[ModelRow]:
    from engine.gen.catalog import load_catalog

    rows = []
    for entry in load_catalog():
        peaks = predicted_peaks(entry)
        rows.append(ModelRow(entry, installed(entry), peaks, fitting_tier(peaks, free_bytes)))
    return rows


def has_real_model() -> bool:
    """A model for real work is on disk (the shipped micro-ltx only knows its shapes world)."""
    from engine.gen.catalog import load_catalog

    return any(not e.test_model and not e.micro and installed(e) for e in load_catalog())


def hub_cache() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _progress_tqdm(task: BackgroundTask):
    """A tqdm class for huggingface_hub that reports the bytes of the whole snapshot to `task`."""
    import os

    from tqdm.auto import tqdm

    class Bridge(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - closed with the bar
            kwargs.pop("name", None)
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            if self.unit == "B" and self.total:
                task.report(int(self.n), int(self.total), self.desc or "")
            task.token.raise_if_canceled()
            return shown

        def close(self) -> None:
            fp = self.fp
            super().close()
            fp.close()

    return Bridge


class DownloadTask(BackgroundTask):
    """Downloads a catalog model into the standard hub cache (partial files resume next time)."""

    def __init__(self, entry: Any, parent: QObject | None = None) -> None:
        self.entry = entry

        def run(task: BackgroundTask) -> str:
            from engine.gen.loading import download_model

            return str(download_model(entry, tqdm_class=_progress_tqdm(task)))

        super().__init__(run, f"download {entry.id}", parent)


def add_local_folder(folder: Path, model_id: str) -> Any:
    """Register a local diffusers folder through `shotloom models add` in a child process: reading
    a folder's text-encoder config needs transformers, which the editor process never imports."""
    import subprocess
    import sys

    from engine.errors import ShotloomError
    from engine.gen.catalog import get_model

    res = subprocess.run([sys.executable, "-m", "engine.cli", "models", "add", str(folder), "--id", model_id],
                         capture_output=True, text=True, timeout=300)
    if res.returncode != 0:
        lines = [line for line in res.stderr.splitlines() if line.strip()]
        raise ShotloomError(lines[-1].removeprefix("shotloom: ") if lines else
                            f"{folder}: could not be added (exit {res.returncode}); try `shotloom models add` in a terminal")
    return get_model(model_id)
