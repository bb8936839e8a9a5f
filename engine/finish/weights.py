"""The finishing models and where their weights come from.

A finishing model is one safetensors file. It is looked for, in order: in Shotloom's own folder
for it (``<data>/models/finish/<id>/<file>``: where a person puts a copy they downloaded
themselves), in the Hugging Face cache, then downloaded through huggingface_hub (resumable; the
files are small). Offline, or when the hub cannot be reached, the job stops with one line saying
which file to download from where and the exact path to put it at. Pickle checkpoints are never
loaded. Hub ids could not be checked from this machine (no hub is reachable here); the model
cards they were taken from are named in ``source``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine import paths
from engine.errors import GenerationError

FinishKind = Literal["upscaler", "interpolator"]


@dataclass(frozen=True)
class FinishModel:
    id: str
    kind: FinishKind
    repo: str
    filename: str
    scale: int | None
    """Upscalers: the factor of one pass."""
    size_mb: int
    source: str


MODELS: dict[str, FinishModel] = {m.id: m for m in (
    FinishModel("realesrgan-x2plus", "upscaler", "Comfy-Org/Real-ESRGAN_repackaged",
                "RealESRGAN_x2plus.safetensors", 2, 67,
                "Real-ESRGAN x2plus (xinntao/Real-ESRGAN, BSD-3), safetensors repackaging"),
    FinishModel("rife-4.22", "interpolator", "Comfy-Org/RIFE_repackaged", "rife422.safetensors", None, 23,
                "RIFE 4.22 IFNet (hzwer/Practical-RIFE, MIT), safetensors repackaging"),
)}
DEFAULT_UPSCALER = "realesrgan-x2plus"


def get_finish_model(model_id: str, kind: FinishKind) -> FinishModel:
    model = MODELS.get(model_id)
    if model is None or model.kind != kind:
        names = ", ".join(m.id for m in MODELS.values() if m.kind == kind)
        raise GenerationError(f"there is no {kind} '{model_id}'; use one of: {names}")
    return model


def local_dir(model: FinishModel) -> Path:
    """Where a person puts the weights of ``model`` by hand."""
    return paths.user_data_dir() / "models" / "finish" / model.id


def missing_message(model: FinishModel, why: str) -> str:
    return (f"the {model.kind} '{model.id}' is not downloaded and {why}; download {model.filename} "
            f"(about {model.size_mb} MB) from https://huggingface.co/{model.repo} and put it at "
            f"{local_dir(model) / model.filename}")


def _checked(path: Path) -> Path:
    if path.suffix != ".safetensors":
        raise GenerationError(f"{path} is not a .safetensors file; Shotloom never loads pickle checkpoints "
                              f"because unpickling can run code — use a safetensors copy")
    return path


def resolve_weights(model: FinishModel, *, download: bool = True, endpoint: str | None = None) -> Path:
    """The local path of ``model``'s weights (see the module docstring); GenerationError with the
    one-line message when they cannot be had."""
    mine = local_dir(model) / model.filename
    if mine.is_file():
        return _checked(mine)
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    try:
        return _checked(Path(hf_hub_download(model.repo, model.filename, local_files_only=True)))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        pass
    if not download:
        raise GenerationError(missing_message(model, "downloads are off for this run"))
    if constants.HF_HUB_OFFLINE:
        raise GenerationError(missing_message(model, "offline mode is on (HF_HUB_OFFLINE)"))
    try:
        return _checked(Path(hf_hub_download(model.repo, model.filename, endpoint=endpoint)))
    except OfflineModeIsEnabled:
        raise GenerationError(missing_message(model, "offline mode is on (HF_HUB_OFFLINE)")) from None
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise GenerationError(missing_message(model, f"the hub could not be reached ({type(exc).__name__})")) from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
