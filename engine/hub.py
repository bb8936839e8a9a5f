"""Files from the Hugging Face Hub through huggingface_hub: the local cache first, then a resumable
download; offline (HF_HUB_OFFLINE) or when the hub cannot be reached, one GenerationError line made
by the caller's ``missing(why)`` (what to download and where to put it). Safetensors only: a pickle
checkpoint is never returned. Used by the finishing models and the LoRA library; whole model repos
go through ``engine.gen.loading.download_model``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.errors import GenerationError

Missing = Callable[[str], str]


def checked_safetensors(path: Path) -> Path:
    if path.suffix != ".safetensors":
        raise GenerationError(f"{path} is not a .safetensors file; Shotloom never loads pickle checkpoints "
                              f"because unpickling can run code — use a safetensors copy")
    return path


def fetch_file(repo: str, filename: str, missing: Missing, *, download: bool = True,
               endpoint: str | None = None) -> Path:
    """The local path of ``repo``'s ``filename``: from the cache, else downloaded (unless ``download``
    is False)."""
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    checked_safetensors(Path(filename))
    try:
        return checked_safetensors(Path(hf_hub_download(repo, filename, local_files_only=True)))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        pass
    if not download:
        raise GenerationError(missing("downloads are off for this run"))
    if constants.HF_HUB_OFFLINE:
        raise GenerationError(missing("offline mode is on (HF_HUB_OFFLINE)"))
    try:
        return checked_safetensors(Path(hf_hub_download(repo, filename, endpoint=endpoint)))
    except OfflineModeIsEnabled:
        raise GenerationError(missing("offline mode is on (HF_HUB_OFFLINE)")) from None
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise GenerationError(missing(f"the hub could not be reached ({type(exc).__name__})")) from None


def fetch_safetensors(repo: str, missing: Missing, *, endpoint: str | None = None) -> list[Path]:
    """Every .safetensors file of ``repo`` (nothing else is fetched): from the cache, else downloaded."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    patterns = ["*.safetensors"]
    try:
        folder = Path(snapshot_download(repo, allow_patterns=patterns, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        folder = None
    if folder is None or not any(folder.rglob("*.safetensors")):
        if constants.HF_HUB_OFFLINE:
            raise GenerationError(missing("offline mode is on (HF_HUB_OFFLINE)"))
        try:
            folder = Path(snapshot_download(repo, allow_patterns=patterns, endpoint=endpoint))
        except OfflineModeIsEnabled:
            raise GenerationError(missing("offline mode is on (HF_HUB_OFFLINE)")) from None
        except (HfHubHTTPError, OSError, ValueError) as exc:
            raise GenerationError(missing(f"the hub could not be reached ({type(exc).__name__})")) from None
    return sorted(folder.rglob("*.safetensors"))
