"""Finding, downloading, verifying and loading models; the warm pipeline cache.

Safety: only safetensors weights are ever loaded (``use_safetensors=True``); a component folder
that holds only pickle checkpoints (.bin/.pt/.pth/.ckpt/.pkl) is refused before diffusers sees
it, and downloads never fetch pickles. No remote code. The revision and a sha256 of every file
that was loaded go into each take's recipe.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from engine import paths
from engine.errors import GenerationError
from engine.gen import tiny
from engine.gen.catalog import ModelEntry, Tier

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.jinja"]


@dataclass(frozen=True)
class ResolvedModel:
    entry: ModelEntry
    path: Path
    revision: str
    files: dict[str, str]  # relative path -> sha256


def hf_cache_dir() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _missing_message(entry: ModelEntry, why: str) -> str:
    return (f"model '{entry.id}' ({entry.repo}, about {entry.download_gb:g} GB) is not downloaded and {why}; "
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
    tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(cache))
    os.replace(tmp, cache_file)
    return cache[key]


def file_hashes(folder: Path) -> dict[str, str]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and (p.suffix in (".safetensors", ".json") or p.name.startswith("tokenizer")):
            out[p.relative_to(folder).as_posix()] = _sha256(p)
    return out


def local_files(entry: ModelEntry) -> tuple[str, Path | None]:
    """Whether a model's files are here, and their folder, without downloading, building or
    hashing anything. The state is "downloaded", "not downloaded", "incomplete" (hub models),
    "local folder" / "folder missing" (added with `models add`), "built" / "built on first use"
    (tiny test models)."""
    if entry.test_model:
        folder = tiny.tiny_model_dir(entry.id)
        try:
            built = json.loads((folder / tiny.MARKER).read_text()).get("version") == tiny.TINY_VERSION
        except (OSError, ValueError, AttributeError):
            built = False
        return ("built", folder) if built else ("built on first use", None)
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
        folder = tiny.ensure_tiny_model(entry.id)
        revision = f"tiny-v{tiny.TINY_VERSION}"
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
                                            allow_patterns=ALLOW_PATTERNS))
        except (LocalEntryNotFoundError, FileNotFoundError, OSError) as exc:
            raise GenerationError(_missing_message(entry, "Shotloom does not download during generation")) from exc
        if not (folder / "model_index.json").is_file():
            raise GenerationError(_missing_message(entry, "its download is incomplete"))
        revision = folder.name
    check_no_pickles(folder)
    return ResolvedModel(entry=entry, path=folder, revision=revision, files=file_hashes(folder))


def download_model(entry: ModelEntry, *, tqdm_class=None, endpoint: str | None = None) -> Path:
    """Download (resuming partial files) into the standard HF cache; safetensors and configs only.
    ``endpoint``: a hub mirror (default: HF_ENDPOINT or huggingface.co)."""
    if entry.test_model:
        return tiny.ensure_tiny_model(entry.id)
    if entry.local_path:
        return Path(entry.local_path)
    from huggingface_hub import hf_hub_download, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        folder = Path(snapshot_download(entry.repo, revision=entry.revision, allow_patterns=ALLOW_PATTERNS,
                                        tqdm_class=tqdm_class, endpoint=endpoint))
        if entry.transformer_file is not None:
            hf_hub_download(entry.transformer_file.repo, entry.transformer_file.filename)
        for repo in entry.extra_repos:
            check_no_pickles(Path(snapshot_download(repo, allow_patterns=ALLOW_PATTERNS, tqdm_class=tqdm_class)))
    except OfflineModeIsEnabled as exc:
        raise GenerationError(_missing_message(entry, "offline mode is on (HF_HUB_OFFLINE)")) from exc
    except (HfHubHTTPError, OSError) as exc:
        raise GenerationError(_missing_message(entry, f"the hub could not be reached ({type(exc).__name__})")) from exc
    check_no_pickles(folder)
    return folder


# ---------------------------------------------------------------------------------------------
# Pipelines


def _diffusers_class(name: str):
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


def _load_base(resolved: ResolvedModel, dtype: str):
    import torch

    _quiet_loading()
    index = json.loads((resolved.path / "model_index.json").read_text())
    cls = _diffusers_class(index["_class_name"])
    kwargs = {}
    entry = resolved.entry
    if entry.transformer_file is not None and not entry.test_model:
        from huggingface_hub import hf_hub_download

        try:
            ckpt = hf_hub_download(entry.transformer_file.repo, entry.transformer_file.filename,
                                   local_files_only=True)
        except Exception as exc:
            raise GenerationError(_missing_message(entry, "its transformer checkpoint is missing")) from exc
        tcls = _diffusers_class(index["transformer"][1])
        kwargs["transformer"] = tcls.from_single_file(ckpt, dtype=getattr(torch, dtype))
    return cls.from_pretrained(resolved.path, dtype=getattr(torch, dtype), use_safetensors=True,
                               local_files_only=True, **kwargs)


def _extra_repo(entry: ModelEntry, repo: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        folder = Path(snapshot_download(repo, local_files_only=True, allow_patterns=ALLOW_PATTERNS))
    except Exception as exc:  # any miss means "not downloaded"
        raise GenerationError(_missing_message(entry, f"its part {repo} is missing")) from exc
    check_no_pickles(folder)
    return folder


def _extras_for(target: str, folder: Path, dtype: str, entry: ModelEntry | None = None) -> dict:
    """Components a derived pipeline class needs beyond the base (tiny-wan keeps them in subfolders;
    FramePack takes its transformer and SigLIP image encoder from two more hub repos)."""
    import torch

    td = getattr(torch, dtype)
    extras = {}
    if target == "HunyuanVideoFramepackPipeline" and entry is not None and len(entry.extra_repos) == 2:
        from diffusers import HunyuanVideoFramepackTransformer3DModel
        from transformers import SiglipImageProcessor, SiglipVisionModel

        transformer_dir, redux_dir = (_extra_repo(entry, r) for r in entry.extra_repos)
        extras["transformer"] = HunyuanVideoFramepackTransformer3DModel.from_pretrained(
            transformer_dir, dtype=td, use_safetensors=True)
        extras["feature_extractor"] = SiglipImageProcessor.from_pretrained(redux_dir / "feature_extractor")
        extras["image_encoder"] = SiglipVisionModel.from_pretrained(redux_dir / "image_encoder", dtype=td,
                                                                    use_safetensors=True)
        return extras
    if target == "WanImageToVideoPipeline" and (folder / "transformer_i2v").is_dir():
        from diffusers import WanTransformer3DModel
        from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

        extras["transformer"] = WanTransformer3DModel.from_pretrained(folder / "transformer_i2v", dtype=td,
                                                                      use_safetensors=True)
        extras["image_encoder"] = CLIPVisionModelWithProjection.from_pretrained(
            folder / "image_encoder", dtype=torch.float32, use_safetensors=True)
        extras["image_processor"] = CLIPImageProcessor.from_pretrained(folder / "image_processor")
    elif target == "WanVACEPipeline" and (folder / "transformer_vace").is_dir():
        from diffusers import WanVACETransformer3DModel

        extras["transformer"] = WanVACETransformer3DModel.from_pretrained(folder / "transformer_vace",
                                                                          dtype=td, use_safetensors=True)
    return extras


@dataclass
class WarmModel:
    resolved: ResolvedModel
    tier: Tier
    dtype: str
    device: str
    base: object
    applied: list[str]
    derived: dict[str, object] = field(default_factory=dict)


class PipelineCache:
    """Warm pipelines keyed by (model, tier, dtype, device); one family shares components (from_pipe)."""

    def __init__(self, max_models: int = 1) -> None:
        self._models: dict[tuple, WarmModel] = {}
        self._lock = threading.RLock()
        self.max_models = max_models
        self.loads = 0

    def key(self, model_id: str, tier: Tier, dtype: str, device: str) -> tuple:
        return (model_id, tier, dtype, device)

    def get_warm(self, model_id: str, tier: Tier, dtype: str, device: str) -> WarmModel | None:
        return self._models.get(self.key(model_id, tier, dtype, device))

    def pipeline(self, entry: ModelEntry, task: str, *, tier: Tier, dtype: str, device: str):
        """(pipeline for the task, warm model record)."""
        from engine.gen.memory import apply_tier

        with self._lock:
            k = self.key(entry.id, tier, dtype, device)
            warm = self._models.get(k)
            if warm is None:
                while len(self._models) >= self.max_models:
                    self.evict(next(iter(self._models)))
                resolved = resolve_model(entry)
                base = _load_base(resolved, dtype)
                base.set_progress_bar_config(disable=True)
                applied = apply_tier(base, tier, device, dtype)
                warm = WarmModel(resolved, tier, dtype, device, base, applied)
                warm.derived[type(base).__name__] = base
                self._models[k] = warm
                self.loads += 1
            target = entry.pipelines.get(task)
            if target is None:
                raise GenerationError(f"model '{entry.id}' cannot do {task.replace('_', ' ')}; it does: "
                                      f"{', '.join(entry.tasks)}")
            pipe = warm.derived.get(target)
            if pipe is None:
                cls = _diffusers_class(target)
                extras = _extras_for(target, warm.resolved.path, dtype, entry)
                pipe = cls.from_pipe(warm.base, **extras)
                pipe.set_progress_bar_config(disable=True)
                if extras:
                    apply_tier(pipe, tier, device, dtype)
                warm.derived[target] = pipe
            return pipe, warm

    def evict(self, key: tuple) -> None:
        with self._lock:
            warm = self._models.pop(key, None)
            if warm is None:
                return
            for pipe in warm.derived.values():
                if hasattr(pipe, "remove_all_hooks"):
                    with contextlib.suppress(Exception):  # freeing must not fail the caller
                        pipe.remove_all_hooks()
            warm.derived.clear()
            del warm
            free_memory()

    def clear(self) -> None:
        for key in list(self._models):
            self.evict(key)


def free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


CACHE = PipelineCache()
