"""The model catalog: families, variants, their rules and needs (engine/assets/models.json + user entries).

Torch-free, so the editor can list models. User-added local folders live in
``user_config_dir()/models.json`` and are validated by the same pydantic model.
"""

from __future__ import annotations

import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine import paths
from engine.errors import GenerationError

CATALOG_PATH = Path(__file__).resolve().parents[1] / "assets" / "models.json"
"""The built-in catalog: package data of `engine` (engine/assets/models.json), so it ships in the wheel."""
Task = Literal["text_to_video", "image_to_video", "extend", "bridge", "long_take"]
Tier = Literal["gpu", "offload", "group_offload"]
TIERS: tuple[Tier, ...] = ("gpu", "offload", "group_offload")


class FrameRule(BaseModel):
    """Valid frame counts are ``multiple * k + offset`` (LTX 8k+1, Wan 4k+1)."""

    model_config = ConfigDict(extra="forbid")
    multiple: int = Field(ge=1)
    offset: int = Field(ge=0)
    max_frames: int = Field(ge=1)

    def snap(self, frames: int) -> int:
        """Nearest valid count ≥ the request where possible (never below the minimum, never above max)."""
        frames = max(frames, self.offset + self.multiple if self.multiple > 1 else 1)
        k = -(-(frames - self.offset) // self.multiple)  # ceil
        snapped = k * self.multiple + self.offset
        while snapped > self.max_frames:
            snapped -= self.multiple
        return snapped

    def valid(self, frames: int) -> bool:
        return frames <= self.max_frames and frames >= self.offset and (frames - self.offset) % self.multiple == 0


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    width: int
    height: int
    frames: int
    steps: int
    guidance: float
    draft_steps: int


class TransformerFile(BaseModel):
    repo: str
    filename: str


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    family: Literal["ltx", "wan", "cogvideox", "hunyuan_framepack", "svd"]
    repo: str | None = None
    revision: str = "main"
    local_path: str | None = None
    transformer_file: TransformerFile | None = None
    extra_repos: list[str] = Field(default_factory=list)  # more hub repos a pipeline needs (FramePack)
    license: str
    license_note: str
    test_model: bool = False
    custom: bool = False
    distilled: bool = False
    tasks: list[Task]
    pipelines: dict[Task, str]
    frame_rule: FrameRule
    size_multiple: int
    native_fps: str
    defaults: Defaults
    vram_gb: dict[Tier, float]
    download_gb: float
    multilingual: bool = False
    transformer_config: dict = Field(default_factory=dict)
    vae: dict = Field(default_factory=dict)
    text_encoder_gb: float = 0.0

    @property
    def fps(self) -> Fraction:
        return Fraction(self.native_fps)

    def snap_size(self, width: int, height: int) -> tuple[int, int]:
        m = self.size_multiple
        return max(m, round(width / m) * m), max(m, round(height / m) * m)

    def supports(self, task: str) -> bool:
        return task in self.tasks


class Catalog(BaseModel):
    schema_version: int = 1
    models: list[ModelEntry]


def _user_catalog_path() -> Path:
    return paths.user_config_dir() / "models.json"


def _read(path: Path) -> Catalog:
    try:
        return Catalog.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError) as exc:
        raise GenerationError(f"model catalog {path} is unreadable ({type(exc).__name__}); "
                              f"restore it or delete it to start over") from exc


def load_catalog() -> list[ModelEntry]:
    """Built-in entries followed by the user's custom entries."""
    entries = list(_read(CATALOG_PATH).models)
    user = _user_catalog_path()
    if user.is_file():
        entries.extend(_read(user).models)
    return entries


def get_model(model_id: str) -> ModelEntry:
    for entry in load_catalog():
        if entry.id == model_id:
            return entry
    known = ", ".join(e.id for e in load_catalog())
    raise GenerationError(f"unknown model '{model_id}'; known models: {known}")


_CLASS_FAMILY = {
    "LTXPipeline": "ltx", "LTXImageToVideoPipeline": "ltx", "LTXConditionPipeline": "ltx",
    "WanPipeline": "wan", "WanImageToVideoPipeline": "wan", "WanVACEPipeline": "wan",
    "CogVideoXPipeline": "cogvideox", "CogVideoXImageToVideoPipeline": "cogvideox",
    "HunyuanVideoFramepackPipeline": "hunyuan_framepack", "StableVideoDiffusionPipeline": "svd",
}
_FAMILY_TEMPLATE = {"ltx": "ltx-video-2b", "wan": "wan2.1-t2v-1.3b", "cogvideox": "cogvideox-2b",
                    "hunyuan_framepack": "hunyuanvideo-framepack", "svd": "svd-xt"}


def add_local_model(path: Path, model_id: str) -> ModelEntry:
    """Register a local diffusers model folder as a custom catalog entry (saved atomically)."""
    path = Path(path).expanduser().resolve()
    index = path / "model_index.json"
    if not index.is_file():
        raise GenerationError(f"{path} is not a diffusers model folder (no model_index.json); "
                              f"point to the folder that holds model_index.json")
    try:
        class_name = json.loads(index.read_text(encoding="utf-8"))["_class_name"]
    except (OSError, ValueError, KeyError) as exc:
        raise GenerationError(f"{index} is unreadable; check the model folder") from exc
    family = _CLASS_FAMILY.get(class_name)
    if family is None:
        raise GenerationError(f"{path} holds a {class_name}, which Shotloom cannot run; supported: "
                              f"{', '.join(sorted(_CLASS_FAMILY))}")
    if any(e.id == model_id for e in load_catalog()):
        raise GenerationError(f"a model with id '{model_id}' already exists; choose another --id")
    template = get_model(_FAMILY_TEMPLATE[family])
    tasks = [t for t, cls in template.pipelines.items() if cls == class_name] or list(template.tasks)
    entry = template.model_copy(update={
        "id": model_id, "name": f"{model_id} (local folder)", "repo": None, "revision": "local",
        "local_path": str(path), "custom": True, "transformer_file": None, "extra_repos": [],
        "license": "unknown", "license_note": "Local folder added by the user; check its license yourself.",
        "tasks": tasks if family != "ltx" else list(template.tasks),
        "download_gb": 0.0,
    })
    user = _user_catalog_path()
    existing = _read(user).models if user.is_file() else []
    catalog = Catalog(models=[*existing, entry])
    fd, tmp = tempfile.mkstemp(prefix=".models-", dir=user.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(catalog.model_dump_json(indent=2))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, user)
    return entry
