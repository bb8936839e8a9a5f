"""The model catalog: families, variants, their rules and needs (engine/assets/models.json + user entries).

Torch-free, so the editor can list models. Every entry names its components with the real class,
the config it is built from and its parameter count (tests instantiate each real-size config on
the meta device and check the count; the planner works from these figures). User-added local
folders live in ``user_config_dir()/models.json`` and are validated by the same pydantic model.

A user catalog written by an older Shotloom (schema 1: a template copy per local folder, with the
planner's figures written into it) is migrated when it is first read (``migrate_user_catalog``):
each entry keeps its id, name, folder or hub repo and licence, and takes today's components and
tasks from its folder (or, when the folder is not there now, from the built-in entry it was copied
from); the old file is kept beside the new one as ``models.schema-1.json``.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine import paths
from engine.errors import GenerationError
from engine.fsutil import write_text_atomic

ASSETS = Path(__file__).resolve().parents[1] / "assets"
"""Package data of `engine` (engine/assets/): the built-in catalog and the weights that ship with
Shotloom, so a wheel carries them."""
CATALOG_PATH = ASSETS / "models.json"
Task = Literal["text_to_video", "image_to_video", "extend", "bridge", "long_take"]
TASKS: tuple[Task, ...] = ("text_to_video", "image_to_video", "extend", "bridge", "long_take")
Tier = Literal["gpu", "offload", "group_offload"]
TIERS: tuple[Tier, ...] = ("gpu", "offload", "group_offload")
Family = Literal["ltx", "wan", "cogvideox", "hunyuan_framepack", "svd", "micro_ltx", "skyreels"]


class FrameRule(BaseModel):
    """Valid frame counts are ``multiple * k + offset`` (LTX 8k+1, Wan 4k+1) within [min, max]."""

    model_config = ConfigDict(extra="forbid")
    multiple: int = Field(ge=1)
    offset: int = Field(ge=0)
    max_frames: int = Field(ge=1)
    min_frames: int | None = Field(default=None, ge=1)
    """Models with learned positional embeddings over time accept exactly one length (min = max)."""

    def snap(self, frames: int) -> int:
        """Nearest valid count ≥ the request where possible (never below the minimum, never above max)."""
        floor = self.offset + self.multiple if self.multiple > 1 else 1
        frames = max(frames, floor, self.min_frames or 0)
        k = -(-(frames - self.offset) // self.multiple)  # ceil
        snapped = k * self.multiple + self.offset
        while snapped > self.max_frames:
            snapped -= self.multiple
        return snapped

    def valid(self, frames: int) -> bool:
        return (self.min_frames or 0) <= frames <= self.max_frames and frames >= self.offset \
            and (frames - self.offset) % self.multiple == 0


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    width: int
    height: int
    frames: int
    steps: int
    guidance: float
    draft_steps: int
    guidance_2: float | None = None
    """Two-expert models (Wan 2.2 A14B): the guidance of the low-noise expert (``guidance_scale_2``)."""


class TransformerFile(BaseModel):
    """A single-file transformer checkpoint used instead of the base repo's (distilled variants).
    ``repo`` "local" means a file inside the model's own folder (the tiny test builds)."""

    model_config = ConfigDict(extra="forbid")
    repo: str
    filename: str


class Component(BaseModel):
    """One model of a pipeline: its real class, the config it is built from, its parameter count."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    library: Literal["diffusers", "transformers"]
    cls: str = Field(alias="class")
    config_class: str | None = None  # transformers models: the PretrainedConfig subclass
    module: str | None = None
    """A class that only its pipeline's package defines: that package under ``diffusers.pipelines``
    (model_index.json's library for it, e.g. LTX-2's ``ltx2`` vocoder and text connectors)."""
    config: dict = Field(default_factory=dict)
    params: int = Field(ge=0)


class Latent(BaseModel):
    """The VAE's compression: pixels per latent in space and time, and latent channels."""

    model_config = ConfigDict(extra="forbid")
    spatial: int
    temporal: int
    latent_channels: int


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    family: Family
    repo: str | None = None
    repo_checked: str | None = None
    """Where the hub id and file layout were checked (no hub is reachable where the catalog is written)."""
    revision: str = "main"
    local_path: str | None = None
    transformer_file: TransformerFile | None = None
    extra_repos: list[str] = Field(default_factory=list)  # more hub repos a pipeline needs (FramePack)
    variant: str | None = None  # weight file variant on the hub ("fp16": SVD-XT 1.1 ships only those)
    license: str
    license_note: str
    test_model: bool = False  # random weights built on first use: its output is noise
    micro: bool = False  # a small model Shotloom trained on its shapes world: real pictures of that world
    bundled: str | None = None  # its weights ship with Shotloom, in this folder under engine/assets/
    custom: bool = False
    distilled: bool = False
    tasks: list[Task]
    pipelines: dict[Task, str]
    frame_rule: FrameRule
    size_multiple: int
    fixed_size: tuple[int, int] | None = None
    """Learned positional embeddings over space: the only size the model can make (then conformed)."""
    native_fps: str
    defaults: Defaults
    download_gb: float = 0.0
    multilingual: bool = False
    vae: Latent
    components: dict[str, Component]

    @property
    def fps(self) -> Fraction:
        return Fraction(self.native_fps)

    def snap_size(self, width: int, height: int) -> tuple[int, int]:
        if self.fixed_size is not None:
            return self.fixed_size
        m = self.size_multiple
        return max(m, round(width / m) * m), max(m, round(height / m) * m)

    def supports(self, task: str) -> bool:
        return task in self.tasks

    @property
    def bundled_path(self) -> Path | None:
        return ASSETS / self.bundled if self.bundled else None

    @property
    def task_names(self) -> str:
        """The tasks as people read them: "text to video, extend"."""
        return ", ".join(t.replace("_", " ") for t in self.tasks)

    @property
    def vram_gb(self) -> dict[str, float]:
        """The planner's accelerator peak per tier at the default size and length (GB of 10^9 bytes,
        one decimal, bf16), as ``models list`` shows it."""
        from engine.gen.planner import default_peaks

        return {tier: round(b / 1e9, 1) for tier, b in default_peaks(self).items()}

    @property
    def denoiser(self) -> Component:
        return self.components.get("transformer") or self.components["unet"]


SCHEMA_VERSION = 2


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    models: list[ModelEntry]


def _user_catalog_path() -> Path:
    return paths.user_config_dir() / "models.json"


def _read(path: Path) -> Catalog:
    try:
        return Catalog.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError) as exc:
        raise GenerationError(f"model catalog {path} is unreadable ({type(exc).__name__}); "
                              f"restore it or delete it to start over") from exc


def builtin_catalog() -> list[ModelEntry]:
    """The entries that ship with Shotloom (templates for local folders)."""
    return list(_read(CATALOG_PATH).models)


def _read_user(path: Path) -> Catalog:
    """The user's catalog, migrated first if an older Shotloom wrote it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise GenerationError(f"model catalog {path} has schema {version}, from a newer Shotloom; update Shotloom "
                              f"or move that file away to start over")
    if isinstance(version, int) and version < SCHEMA_VERSION:
        return migrate_user_catalog(path, data)
    return _read(path)


def load_catalog() -> list[ModelEntry]:
    """Built-in entries followed by the user's custom entries."""
    entries = builtin_catalog()
    user = _user_catalog_path()
    if user.is_file():
        entries.extend(_read_user(user).models)
    return entries


# ---- older user catalogs ----------------------------------------------------------------------------

_KEPT_V1 = ("id", "name", "repo", "revision", "local_path", "transformer_file", "extra_repos", "license",
            "license_note", "custom", "distilled", "multilingual", "download_gb")
"""Schema-1 fields that are the user's (the rest were copied from a template and are re-derived)."""


def _migrate_v1_entry(old: dict, builtin: list[ModelEntry]) -> ModelEntry:
    family = old.get("family")
    local = old.get("local_path")
    if local and (Path(local) / "model_index.json").is_file():
        from engine.gen.families import entry_for_folder

        # What the folder can do, from the folder (schema 1 registered every folder as its
        # family's text-to-video template).
        entry = entry_for_folder(Path(local), old["id"])
        return entry.model_copy(update={k: old[k] for k in ("name", "license", "license_note") if k in old})
    # The folder is not there now (an unplugged drive) or it is a hub entry: keep it as the built-in
    # entry it was copied from (same repo, or the family's first), with the user's fields.
    base = next((e for e in builtin if e.repo and e.repo == old.get("repo") and not e.test_model), None) or next(
        (e for e in builtin if e.family == family and not e.test_model), None)
    if base is None:
        raise ValueError(f"model '{old.get('id')}' is of family '{family}', which this Shotloom cannot run")
    kept = {k: old[k] for k in _KEPT_V1 if k in old}
    if "transformer_file" in kept and kept["transformer_file"] is not None:
        kept["transformer_file"] = TransformerFile(**kept["transformer_file"])
    tasks = [t for t in old.get("tasks", []) if t in base.pipelines] or list(base.tasks)
    return base.model_copy(update={**kept, "tasks": tasks, "pipelines": {t: base.pipelines[t] for t in tasks}})


def migrate_user_catalog(path: Path, data: dict) -> Catalog:
    """Rewrite an older user catalog in today's schema (one atomic write; the old file is kept,
    atomically too, as ``models.schema-N.json`` beside it). Nothing the user added is dropped: an
    entry that cannot be migrated stops the migration with a one-line error and changes nothing."""
    version = data["schema_version"]
    if version != 1:
        raise GenerationError(f"model catalog {path} has schema {version}, which this Shotloom cannot read; "
                              f"restore it or delete it to start over")
    builtin = builtin_catalog()
    try:
        models = [_migrate_v1_entry(old, builtin) for old in data.get("models", [])]
        catalog = Catalog(models=models)
    except (ValidationError, ValueError, TypeError, KeyError, GenerationError) as exc:
        raise GenerationError(f"model catalog {path} is from an older Shotloom and could not be migrated "
                              f"({exc}); fix or delete that entry and try again") from exc
    backup = path.with_name(f"{path.stem}.schema-{version}{path.suffix}")
    # A backup already there is the user's older file (another process migrated it first): kept.
    write_text_atomic(path, catalog.model_dump_json(indent=1, by_alias=True),
                      backup=None if backup.exists() else backup)
    return catalog


def get_model(model_id: str) -> ModelEntry:
    for entry in load_catalog():
        if entry.id == model_id:
            return entry
    known = ", ".join(e.id for e in load_catalog())
    raise GenerationError(f"unknown model '{model_id}'; known models: {known}")


def save_user_entry(entry: ModelEntry) -> None:
    """Append a custom entry to the user's catalog (one atomic write)."""
    user = _user_catalog_path()
    existing = _read_user(user).models if user.is_file() else []
    catalog = Catalog(models=[*existing, entry])
    write_text_atomic(user, catalog.model_dump_json(indent=1, by_alias=True))


def add_local_model(path: Path, model_id: str) -> ModelEntry:
    """Register a local diffusers model folder as a custom catalog entry; the family reads the
    folder's own pipeline class and configs to decide what it can do (see families.entry_for_folder)."""
    from engine.gen.families import entry_for_folder

    if any(e.id == model_id for e in load_catalog()):
        raise GenerationError(f"a model with id '{model_id}' already exists; choose another --id")
    entry = entry_for_folder(Path(path).expanduser().resolve(), model_id)
    save_user_entry(entry)
    return entry
