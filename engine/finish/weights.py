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
    FinishModel("rife-4.26", "interpolator", "Comfy-Org/frame_interpolation",
                "frame_interpolation/rife_v4.26.safetensors", None, 23,
                "RIFE 4.26 IFNet (hzwer/Practical-RIFE, MIT), the safetensors copy ComfyUI's frame interpolation "
                "downloads (repo and path as named by ComfyUI nodes' sources; not checked against the hub)"),
)}
INTERPOLATORS: tuple[str, ...] = tuple(m.id for m in MODELS.values() if m.kind == "interpolator")
"""The learned interpolators, in the order the default one is looked for."""
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


def local_file(model: FinishModel) -> Path:
    """The file a person puts there (the hub file's own name, without its folder in the repo)."""
    return local_dir(model) / Path(model.filename).name


def missing_message(model: FinishModel, why: str) -> str:
    return (f"the {model.kind} '{model.id}' is not downloaded and {why}; download {model.filename} "
            f"(about {model.size_mb} MB) from https://huggingface.co/{model.repo} and put it at "
            f"{local_file(model)}")


def resolve_weights(model: FinishModel, *, download: bool = True, endpoint: str | None = None) -> Path:
    """The local path of ``model``'s weights (see the module docstring); GenerationError with the
    one-line message when they cannot be had."""
    from engine.hub import checked_safetensors, fetch_file

    mine = local_file(model)
    if mine.is_file():
        return checked_safetensors(mine)
    return fetch_file(model.repo, model.filename, lambda why: missing_message(model, why), download=download,
                      endpoint=endpoint)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
