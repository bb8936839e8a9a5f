"""The LoRA library: LoRA files a person added (from a file or the hub), which models each fits,
and loading them into a pipeline.

``shotloom lora add FILE|HUB_ID [--id ID]`` copies the .safetensors file into
``<data>/loras/<sha256>.safetensors`` (so moving or deleting the original loses nothing) and
records it in ``<data>/loras/library.json``: its id, the file's sha256, where it came from, and
the catalog models it fits. Fitting is the families' knowledge (``Family.lora_state`` converts the
trainers' formats with the family's own diffusers loader, ``Family.lora_misfit`` compares every
adapted layer with the model's denoiser built on the meta device), so a LoRA for another family,
or for another size of the same family, is refused in one line before anything is generated.

A shot's request lists its LoRAs as ``{id, strength, sha256}``: the recipe (and its hash) changes
with them, and a replay loads the file of that sha256 whatever the id holds now.

This module is light at import (the editor lists the library); torch and diffusers load inside.
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine import paths
from engine.errors import GenerationError
from engine.fsutil import copy_file_atomic, write_text_atomic

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*(/.+\.safetensors)?$")


class LoraEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    source: str
    """The file or hub id it was added from (for people; the copy in the library is what loads)."""
    families: list[str]
    models: list[str]
    """Catalog models whose denoiser has every layer the LoRA adapts, at its widths."""
    rank: int = Field(ge=0)
    layers: int = Field(ge=0)
    size_bytes: int = Field(ge=0)
    added: str

    @property
    def path(self) -> Path:
        return library_dir() / f"{self.sha256}.safetensors"


class Library(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: int = 1
    loras: list[LoraEntry] = Field(default_factory=list)


def library_dir() -> Path:
    path = paths.user_data_dir() / "loras"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _library_path() -> Path:
    return library_dir() / "library.json"


def list_loras() -> list[LoraEntry]:
    path = _library_path()
    if not path.is_file():
        return []
    try:
        return Library.model_validate_json(path.read_text(encoding="utf-8")).loras
    except (OSError, ValidationError, ValueError) as exc:
        raise GenerationError(f"the LoRA library {path} is unreadable ({type(exc).__name__}); restore it, or "
                              f"delete it and add the LoRAs again") from None


def get_lora(lora_id: str) -> LoraEntry:
    for entry in list_loras():
        if entry.id == lora_id:
            return entry
    known = ", ".join(e.id for e in list_loras()) or "none yet"
    raise GenerationError(f"there is no LoRA '{lora_id}' in the library (known: {known}); add it with "
                          f"`shotloom lora add FILE --id {lora_id}`")


# ---- adding ---------------------------------------------------------------------------------------

def add_lora(source: str | Path, lora_id: str | None = None, *, endpoint: str | None = None) -> LoraEntry:
    """Add a LoRA from a .safetensors file or a hub id (``owner/repo`` holding one .safetensors
    file, or ``owner/repo/path/file.safetensors``); GenerationError with one line when it cannot be
    read, fits no model in the catalog, or the id is taken."""
    from engine.gen.loading import file_sha256

    path, origin = _source_file(source, endpoint)
    sha = file_sha256(path)
    entries = list_loras()
    same = next((e for e in entries if e.sha256 == sha and lora_id in (None, e.id)), None)
    if same is not None and same.path.is_file():
        return same  # the same file again: already in the library under that id
    hub_repo = origin.split("/")[1] if origin != str(path) and origin.count("/") == 1 else None
    lora_id = lora_id or _default_id(hub_repo or path.stem)
    if not re.match(ID_PATTERN, lora_id):
        raise GenerationError(f"LoRA id '{lora_id}' is not valid; use letters, digits, '.', '-' and '_' "
                              f"(at most 80, starting with a letter or digit)")
    if any(e.id == lora_id for e in entries):
        raise GenerationError(f"a LoRA with id '{lora_id}' is already in the library; choose another --id")
    state = read_lora_file(path)
    fit = detect_fit(state, path)
    entry = LoraEntry(id=lora_id, sha256=sha, source=origin, families=fit["families"], models=fit["models"],
                      rank=fit["rank"], layers=fit["layers"], size_bytes=path.stat().st_size,
                      added=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    if not entry.path.is_file():
        copy_file_atomic(path, entry.path)
    write_text_atomic(_library_path(), Library(loras=[*entries, entry]).model_dump_json(indent=1))
    return entry


def _default_id(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._")
    return stem[:80] or "lora"


def _source_file(source: str | Path, endpoint: str | None) -> tuple[Path, str]:
    """(local .safetensors file, what the person gave) for a file path or a hub id."""
    from engine.hub import checked_safetensors, fetch_file, fetch_safetensors

    text = str(source)
    path = Path(text).expanduser()
    if path.exists():
        if not path.is_file():
            raise GenerationError(f"{path} is a folder; give the LoRA's .safetensors file")
        return checked_safetensors(path.resolve()), str(path.resolve())
    if not _HUB_ID.match(text) or text.startswith((".", "/", "~")):
        raise GenerationError(f"{text} does not exist; give a LoRA .safetensors file or a hub id like "
                              f"owner/repo (or owner/repo/file.safetensors)")
    parts = text.split("/", 2)
    repo = "/".join(parts[:2])

    def missing(why: str) -> str:
        return (f"LoRA '{text}' is not downloaded and {why}; run `shotloom lora add {text}` when online, or "
                f"download its .safetensors file from https://huggingface.co/{repo} and run "
                f"`shotloom lora add FILE`")

    if len(parts) == 3:
        return fetch_file(repo, parts[2], missing, endpoint=endpoint), text
    files = fetch_safetensors(repo, missing, endpoint=endpoint)
    if len(files) != 1:
        names = ", ".join(f.name for f in files) or "none"
        raise GenerationError(f"hub repo {repo} holds {len(files)} .safetensors files ({names}); name one, "
                              f"as in `shotloom lora add {repo}/FILE.safetensors`")
    return files[0], text


def read_lora_file(path: Path) -> dict:
    """The tensors of a LoRA file (GenerationError naming the file when it is not a readable
    safetensors file)."""
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except Exception as exc:  # noqa: BLE001 — safetensors raises its own error types for damaged files
        raise GenerationError(f"{path} is not a readable safetensors file ({type(exc).__name__}); "
                              f"download or copy the LoRA again") from None
    if not state:
        raise GenerationError(f"{path} holds no tensors; it is not a LoRA")
    return state


def detect_fit(state: dict, path: Path) -> dict[str, Any]:
    """Which families and catalog models a LoRA's tensors fit (see the module docstring)."""
    from engine.gen.catalog import load_catalog
    from engine.gen.families import FAMILIES

    families, models, reasons, rank, layers = [], [], [], 0, 0
    for family in FAMILIES.values():
        if family.lora_pipeline is None:
            continue
        try:
            converted = family.lora_state(state)
        except GenerationError:
            continue
        for entry in load_catalog():
            if entry.family != family.name:
                continue
            why = family.lora_misfit(entry, converted)
            if why is None:
                models.append(entry.id)
                if family.name not in families:
                    families.append(family.name)
                downs = [t for k, t in converted.items() if k.endswith("lora_A.weight")]
                rank, layers = max(int(t.shape[0]) for t in downs), len(downs)
            else:
                reasons.append(f"{entry.id}: {why}")
    families.sort()  # read in a stable order, whatever the registration order
    models.sort()
    if not models:
        # A width mismatch says the names were right (the closest family); else the shortest reason.
        first = min(reasons, key=lambda r: (" gives " not in r, len(r))) if reasons else \
            "no family's LoRA loader reads its tensor names"
        raise GenerationError(f"{path} fits no model in the catalog ({first}); it is a LoRA for a model "
                              f"Shotloom does not have, or not a LoRA")
    return {"families": families, "models": models, "rank": rank, "layers": layers}


# ---- shots ----------------------------------------------------------------------------------------

def parse_lora_arg(text: str) -> tuple[str, float]:
    """``ID`` or ``ID:STRENGTH`` → (id, strength)."""
    lora_id, sep, value = str(text).rpartition(":") if ":" in str(text) else (str(text), "", "")
    if not sep:
        return lora_id, 1.0
    try:
        strength = float(value)
    except ValueError:
        raise GenerationError(f"--lora {text}: strength '{value}' is not a number; give ID or ID:STRENGTH "
                              f"like {lora_id}:0.8") from None
    if not -4 <= strength <= 4 or strength != strength:
        raise GenerationError(f"--lora {text}: strength {value} is out of range; it must be between -4 and 4")
    return lora_id, strength


def lora_refs(items: list[tuple[str, float]], model: str) -> list[dict]:
    """Request entries ``{id, strength, sha256}`` for (id, strength) pairs, each checked to fit
    ``model`` (GenerationError in one line otherwise)."""
    refs, seen = [], set()
    for lora_id, strength in items:
        entry = get_lora(lora_id)
        if entry.id in seen:
            raise GenerationError(f"LoRA '{entry.id}' is given twice; give each LoRA once with its strength")
        seen.add(entry.id)
        check_fits(entry, model)
        refs.append({"id": entry.id, "strength": float(strength), "sha256": entry.sha256})
    return refs


def check_fits(entry: LoraEntry, model: str) -> None:
    from engine.gen.catalog import get_model

    if model in entry.models:
        return
    family = get_model(model).family
    what = ("a LoRA for " + " and ".join(entry.families)) if family not in entry.families else \
        f"made for another size of {family} model"
    raise GenerationError(f"LoRA '{entry.id}' does not fit model '{model}' ({family}): it is {what} "
                          f"(fits {', '.join(entry.models)}); choose one of those models or another LoRA")


def with_library_paths(refs: list[dict]) -> list[dict]:
    """A shot's LoRA entries with the path of each one's file in this machine's library (where the
    library has it): what a request carries, so a farm job uploads the files it loads."""
    try:
        files = {e.sha256: e.path for e in list_loras()}
    except GenerationError:
        files = {}
    out = []
    for ref in refs:
        ref = {k: v for k, v in dict(ref).items() if k != "path"}
        if ref.get("sha256") in files and files[ref["sha256"]].is_file():
            ref["path"] = str(files[ref["sha256"]])
        out.append(ref)
    return out


def file_for(ref) -> Path:
    """The file of a request's LoRA: the one it names (a farm job's uploaded input) or the library's
    file of its sha256 (GenerationError when it is gone). The caller checks the file's sha256."""
    if getattr(ref, "path", None) is not None and Path(ref.path).is_file():
        return Path(ref.path)
    for entry in list_loras():
        if entry.sha256 == ref.sha256 and entry.path.is_file():
            return entry.path
    raise GenerationError(f"LoRA '{ref.id}' (sha256 {ref.sha256[:12]}…) is not in the library any more; add "
                          f"that file again with `shotloom lora add FILE --id {ref.id}-again`")


# ---- loading into a pipeline ------------------------------------------------------------------------

def adapter_name(ref) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_]', '_', ref.id)}_{ref.sha256[:12]}"


def apply_loras(pipe, warm, refs, entry) -> list[dict]:
    """Make the pipeline's denoiser carry exactly ``refs`` at their strengths. The warm model keeps
    the loaded set: the same set again only sets the strengths; another set unloads and loads.
    Returns what the recipe records (id, strength, sha256, adapter, whether it was loaded now)."""
    from engine.gen.families import family_of
    from engine.gen.loading import file_sha256

    wanted = {adapter_name(r): r for r in refs}
    loaded: dict[str, str] = warm.loras
    if set(loaded) != set(wanted):
        if loaded:
            pipe.unload_lora_weights()
            loaded.clear()
        family = family_of(entry)
        for name, ref in wanted.items():
            path = file_for(ref)
            if file_sha256(path) != ref.sha256:
                raise GenerationError(f"{path} (LoRA '{ref.id}') was changed after it was added; add the LoRA "
                                      f"again with `shotloom lora add FILE`")
            converted = family.lora_state(read_lora_file(path))
            why = family.lora_misfit(entry, converted)
            if why is not None:
                raise GenerationError(f"LoRA '{ref.id}' does not fit model '{entry.id}': {why}")
            try:
                with warnings.catch_warnings():  # peft's note that a second adapter joins the first: meant
                    warnings.filterwarnings("ignore", message="Already found a `peft_config`")
                    family.load_lora(pipe, converted, name)
            except Exception as exc:
                pipe.unload_lora_weights()
                loaded.clear()
                raise GenerationError(f"LoRA '{ref.id}' could not be loaded into {entry.id}: "
                                      f"{type(exc).__name__}: {exc}".splitlines()[0]) from None
            loaded[name] = ref.sha256
        fresh = True
    else:
        fresh = False
    if wanted:
        pipe.set_adapters(list(wanted), [float(r.strength) for r in wanted.values()])
    return [{"id": r.id, "strength": r.strength, "sha256": r.sha256, "adapter": n, "loaded": fresh}
            for n, r in wanted.items()]
