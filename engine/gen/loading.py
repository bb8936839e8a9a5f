"""Finding, downloading, verifying and loading models; the warm pipeline cache.

Safety: only safetensors weights are ever loaded (``use_safetensors=True``); a component folder
that holds only pickle checkpoints (.bin/.pt/.pth/.ckpt/.pkl) is refused before diffusers sees
it, and downloads never fetch pickles. No remote code, no hub access while generating. The
revision and a sha256 of every file that was loaded (the base folder and every extra part: a
distilled checkpoint, FramePack's repos) go into each take's recipe.

What a family loads is its module's business (``engine.gen.families``): the bundle (subfolder)
that runs a task, components that replace or join the folder's own, a weight variant. A memory
tier is applied exactly once to each loaded set of modules; pipelines for the other tasks of the
same bundle share those modules (``from_pipe``).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import paths
from engine.errors import GenerationError
from engine.fsutil import write_json_atomic
from engine.gen import tiny
from engine.gen.catalog import ModelEntry, Tier
from engine.gen.families import family_of, read_index

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.jinja"]


@dataclass(frozen=True)
class ResolvedModel:
    entry: ModelEntry
    path: Path
    revision: str
    files: dict[str, str]  # relative path (or "repo/relative path" for extra parts) -> sha256


def hf_cache_dir() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def missing_message(entry: ModelEntry, why: str) -> str:
    repos = " and ".join([entry.repo or "?", *entry.extra_repos])
    return (f"model '{entry.id}' ({repos}, about {entry.download_gb:g} GB) is not downloaded and {why}; "
            f"run `shotloom models download {entry.id}` when online, or download it with "
            f"`hf download {entry.repo}` into {hf_cache_dir()}, or add a local copy with "
            f"`shotloom models add FOLDER --id {entry.id}-local`")


def check_no_pickles(folder: Path) -> None:
    """Refuse a model folder whose weights exist only as pickle checkpoints (never unpickle them)."""
    for dirpath, _dirs, files in os.walk(folder):
        pickles = [f for f in files if f.endswith(PICKLE_SUFFIXES)]
        if not pickles:
            continue
        if not any(f.endswith(".safetensors") for f in files):
            bad = Path(dirpath) / min(pickles)
            raise GenerationError(
                f"{bad} is a pickle checkpoint, which Shotloom never loads because unpickling can run code; "
                f"use a safetensors copy of this model (or convert it to .safetensors yourself)")


def _sha256(path: Path) -> str:
    real = path.resolve()
    # The HF cache names large blobs by their sha256 already.
    if len(real.name) == 64 and all(c in "0123456789abcdef" for c in real.name) and real.parent.name == "blobs":
        return real.name
    stat = real.stat()
    cache_file = paths.user_cache_dir() / "hashes.json"
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}"
    if key in cache:
        return cache[key]
    digest = hashlib.sha256()
    with real.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    cache[key] = digest.hexdigest()
    write_json_atomic(cache_file, cache, indent=None)
    return cache[key]


def file_sha256(path: Path) -> str:
    """A file's sha256 (remembered by path, size and modification time; the HF cache's blob names)."""
    return _sha256(Path(path))


def weight_files(folder: Path) -> dict[str, Path]:
    """The files of a model folder that loading reads: weights, configs, tokenizers."""
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
            if p.is_file() and (p.suffix in (".safetensors", ".json") or p.name.startswith("tokenizer"))}


def file_hashes(folder: Path) -> dict[str, str]:
    return {rel: _sha256(p) for rel, p in weight_files(folder).items()}


def local_files(entry: ModelEntry) -> tuple[str, Path | None]:
    """Whether a model's files are here, and their folder, without downloading, building or
    hashing anything. The state is "downloaded", "not downloaded", "incomplete" (hub models),
    "local folder" / "folder missing" (added with `models add`), "built" / "built on first use"
    (tiny test models), "ships with Shotloom" / "folder missing" (weights in the package)."""
    if entry.test_model:
        folder = tiny.tiny_model_dir(entry.id)
        try:
            built = json.loads((folder / tiny.MARKER).read_text()).get("version") == tiny.TINY_VERSION
        except (OSError, ValueError, AttributeError):
            built = False
        return ("built", folder) if built else ("built on first use", None)
    if entry.bundled_path is not None:
        folder = entry.bundled_path
        return ("ships with Shotloom", folder) if (folder / "model_index.json").is_file() else ("folder missing", None)
    if entry.local_path:
        folder = Path(entry.local_path)
        return ("local folder", folder) if (folder / "model_index.json").is_file() else ("folder missing", None)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(entry.repo, revision=entry.revision, local_files_only=True,
                                        allow_patterns=ALLOW_PATTERNS))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        return "not downloaded", None
    return ("downloaded", folder) if (folder / "model_index.json").is_file() else ("incomplete", None)


def download_state(entry: ModelEntry) -> str:
    return local_files(entry)[0]


def check_model_files(folder: Path) -> tuple[int, int]:
    """(safetensors files, tensors) of a model folder, every file's header read (no weights);
    GenerationError naming a damaged file. Refuses pickle-only folders like loading does."""
    from safetensors import safe_open

    check_no_pickles(folder)
    files = tensors = 0
    for path in sorted(folder.rglob("*.safetensors")):
        try:
            with safe_open(str(path), framework="numpy") as fh:
                tensors += len(list(fh.keys()))
        except Exception as exc:  # noqa: BLE001 — safetensors raises its own error types for damaged headers
            raise GenerationError(f"{path} is damaged ({type(exc).__name__}); download or copy the model again") from exc
        files += 1
    return files, tensors


def resolve_model(entry: ModelEntry) -> ResolvedModel:
    """The local folder of a model (building tiny models, never downloading). Refuses pickles."""
    if entry.test_model:
        folder = tiny.ensure_tiny_model(entry)
        revision = f"tiny-v{tiny.TINY_VERSION}"
    elif entry.bundled_path is not None:
        folder = entry.bundled_path
        if not (folder / "model_index.json").is_file():
            raise GenerationError(f"the weights of model '{entry.id}' that ship with Shotloom are missing from "
                                  f"{folder}; reinstall Shotloom (or restore that folder from its repository)")
        revision = "bundled"
    elif entry.local_path:
        folder = Path(entry.local_path)
        if not (folder / "model_index.json").is_file():
            raise GenerationError(f"the folder of model '{entry.id}' ({folder}) is missing or has no "
                                  f"model_index.json; put the model back there or add it again")
        revision = "local"
    else:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        try:
            folder = Path(snapshot_download(entry.repo, revision=entry.revision, local_files_only=True,
                                            **_base_patterns(entry)))
        except (LocalEntryNotFoundError, FileNotFoundError, OSError) as exc:
            raise GenerationError(missing_message(entry, "Shotloom does not download during generation")) from exc
        if not (folder / "model_index.json").is_file():
            raise GenerationError(missing_message(entry, "its download is incomplete"))
        revision = folder.name
    check_no_pickles(folder)
    files = file_hashes(folder)
    for name, path in family_of(entry).extra_files(entry, folder).items():
        if not path.resolve().is_relative_to(folder.resolve()):
            check_no_pickles(path.parent)
            files[name] = _sha256(path)
    return ResolvedModel(entry=entry, path=folder, revision=revision, files=files)


def snapshot_part(entry: ModelEntry, repo: str, patterns: list[str] | None = None) -> Path:
    """The local snapshot of one of an entry's extra repos (never fetched here)."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo, local_files_only=True, allow_patterns=patterns or ALLOW_PATTERNS))
    except Exception as exc:  # any miss means "not downloaded"
        raise GenerationError(missing_message(entry, f"its part {repo} is missing")) from exc
    check_no_pickles(folder)
    return folder


def _base_patterns(entry: ModelEntry) -> dict[str, list[str] | None]:
    """What of the base repo is downloaded and expected offline: safetensors and configs, only the
    variant's weights, never weights the family replaces (a distilled file, FramePack's transformer)."""
    allow = ALLOW_PATTERNS
    if entry.variant:  # the variant's weight files are named *.<variant>.safetensors
        allow = [p for p in ALLOW_PATTERNS if p != "*.safetensors"] + [f"*.{entry.variant}.safetensors"]
    return {"allow_patterns": allow, "ignore_patterns": family_of(entry).download_patterns(entry)}


def download_model(entry: ModelEntry, *, tqdm_class=None, endpoint: str | None = None) -> Path:
    """Download (resuming partial files) into the standard HF cache: safetensors and configs only,
    and only what the family loads. ``endpoint``: a hub mirror (default: HF_ENDPOINT or huggingface.co)."""
    if entry.test_model:
        return tiny.ensure_tiny_model(entry)
    if entry.bundled_path is not None:
        return resolve_model(entry).path
    if entry.local_path:
        return Path(entry.local_path)
    from huggingface_hub import hf_hub_download, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    family = family_of(entry)
    try:
        folder = Path(snapshot_download(entry.repo, revision=entry.revision, **_base_patterns(entry),
                                        tqdm_class=tqdm_class, endpoint=endpoint))
        if entry.transformer_file is not None:
            hf_hub_download(entry.transformer_file.repo, entry.transformer_file.filename, endpoint=endpoint)
        for repo in entry.extra_repos:
            patterns = family.extra_patterns(repo) or ALLOW_PATTERNS
            check_no_pickles(Path(snapshot_download(repo, allow_patterns=patterns, tqdm_class=tqdm_class,
                                                    endpoint=endpoint)))
    except OfflineModeIsEnabled as exc:
        raise GenerationError(missing_message(entry, "offline mode is on (HF_HUB_OFFLINE)")) from exc
    except (HfHubHTTPError, OSError) as exc:
        raise GenerationError(missing_message(entry, f"the hub could not be reached ({type(exc).__name__})")) from exc
    check_no_pickles(folder)
    return folder


# ---------------------------------------------------------------------------------------------
# Pipelines


def diffusers_class(name: str):
    import diffusers

    try:
        return getattr(diffusers, name)
    except AttributeError as exc:
        raise GenerationError(f"pipeline class {name} is not in the installed diffusers "
                              f"{diffusers.__version__}; update diffusers") from exc


def _quiet_loading() -> None:
    """The engine reports its own progress; the libraries' loading bars would only clutter stderr."""
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    # LTXConditionPipeline hands the scheduler its own timesteps without sigmas (diffusers 0.42); the
    # scheduler warns on every call although the engine's schedulers do not shift. Once is noise enough.
    diffusers.utils.logging.get_logger("diffusers.schedulers.scheduling_flow_match_euler_discrete").setLevel(
        logging.ERROR)
    # ModelMixin.to(dtype) warns about "modules that should be kept in float32: []" even when the
    # list is empty (diffusers 0.42); drop only that empty case.
    modeling = diffusers.utils.logging.get_logger("diffusers.models.modeling_utils")
    if not any(isinstance(f, _EmptyFloat32Warning) for f in modeling.filters):
        modeling.addFilter(_EmptyFloat32Warning())


class _EmptyFloat32Warning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "should be kept in float32: []" not in record.getMessage()


def load_pipeline(resolved: ResolvedModel, task: str, dtype: str):
    """The task's pipeline class loaded from its bundle with the family's components; returns
    (pipeline, facts learned while loading)."""
    import torch

    _quiet_loading()
    entry = resolved.entry
    family = family_of(entry)
    folder = resolved.path / family.bundle(entry, task)
    read_index(folder)
    target = entry.pipelines[task]
    components, info = family.load_components(entry, resolved.path, target, dtype)
    pipe = diffusers_class(target).from_pretrained(folder, dtype=getattr(torch, dtype), use_safetensors=True,
                                                   local_files_only=True, **family.load_options(entry), **components)
    pipe.set_progress_bar_config(disable=True)
    return pipe, info


@dataclass
class WarmModel:
    resolved: ResolvedModel
    bundle: str
    tier: Tier
    dtype: str
    device: str
    base: Any
    applied: list[str]
    info: dict[str, Any] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)
    loras: dict[str, str] = field(default_factory=dict)
    """LoRA adapters loaded into the denoiser (adapter name → file sha256), kept for the next job
    that uses the same set (``engine.gen.loras.apply_loras``)."""


class PipelineCache:
    """Warm pipelines keyed by (model, bundle, tier, dtype, device). The pipelines of one bundle
    share their modules (and the tier's hooks) through ``from_pipe``."""

    def __init__(self, max_models: int = 1) -> None:
        self._models: dict[tuple, WarmModel] = {}
        self._lock = threading.RLock()
        self.max_models = max_models
        self.loads = 0
        self.last_evicted: weakref.ref | None = None  # the last evicted base pipeline, for tests

    def key(self, entry: ModelEntry, task: str, tier: Tier, dtype: str, device: str) -> tuple:
        where = entry.local_path or entry.repo or ""  # an id re-added for another folder is another model
        return (entry.id, where, family_of(entry).bundle(entry, task), tier, dtype, device)

    def get_warm(self, entry: ModelEntry, task: str, tier: Tier, dtype: str, device: str) -> WarmModel | None:
        return self._models.get(self.key(entry, task, tier, dtype, device))

    def pipeline(self, entry: ModelEntry, task: str, *, tier: Tier, dtype: str, device: str):
        """(pipeline for the task, warm model record)."""
        from engine.gen.memory import apply_tier

        target = entry.pipelines.get(task)
        if target is None:
            raise GenerationError(f"model '{entry.id}' cannot do {task.replace('_', ' ')}; it does: "
                                  f"{entry.task_names}")
        with self._lock:
            k = self.key(entry, task, tier, dtype, device)
            warm = self._models.get(k)
            if warm is None:
                while len(self._models) >= self.max_models:
                    self.evict(next(iter(self._models)))
                resolved = resolve_model(entry)
                base, info = load_pipeline(resolved, task, dtype)
                applied = apply_tier(base, tier, device, dtype)
                warm = WarmModel(resolved, k[2], tier, dtype, device, base, applied, info)
                warm.derived[type(base).__name__] = base
                self._models[k] = warm
                self.loads += 1
            pipe = warm.derived.get(target)
            if pipe is None:
                pipe = diffusers_class(target).from_pipe(warm.base)
                pipe.set_progress_bar_config(disable=True)
                warm.derived[target] = pipe
            return pipe, warm

    def evict(self, key: tuple) -> None:
        with self._lock:
            warm = self._models.pop(key, None)
            if warm is None:
                return
            self.last_evicted = weakref.ref(warm.base)
            for pipe in warm.derived.values():
                if hasattr(pipe, "remove_all_hooks"):
                    with contextlib.suppress(Exception):  # freeing must not fail the caller
                        pipe.remove_all_hooks()
            warm.derived.clear()
            warm.base = None
            del warm
            free_memory()

    def evict_model(self, entry: ModelEntry, task: str, tier: Tier, dtype: str, device: str) -> None:
        self.evict(self.key(entry, task, tier, dtype, device))

    def clear(self) -> None:
        for key in list(self._models):
            self.evict(key)


def free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


CACHE = PipelineCache()
