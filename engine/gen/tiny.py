"""Tiny test models: the real diffusers pipeline classes with random weights, built offline.

They exist so every task of every family can run end to end on a CPU in seconds (tests, demos,
scripts). Each catalog entry marked ``test_model`` is built by its family module from the configs
in the catalog: the same classes, compression factors, latent channels, image encoders and
positional embeddings as the family's real checkpoints, narrower and shallower. Their output is
noise. They are built once into ``user_cache_dir()/models/<id>`` (a partial folder published when
complete) and saved as safetensors.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from engine import paths
from engine.fsutil import make_partial_dir, publish_dir, write_json_atomic

MARKER = "shotloom_test_model.json"
# Bump when the tiny builds change so stale ones are rebuilt.
TINY_VERSION = 5


def tiny_ids() -> list[str]:
    from engine.gen.catalog import load_catalog

    return [e.id for e in load_catalog() if e.test_model]


def tiny_model_dir(model_id: str) -> Path:
    return paths.user_cache_dir() / "models" / model_id


def ensure_tiny_model(entry) -> Path:
    """The folder of a tiny test model (an entry or its id), built on first use."""
    from engine.gen.catalog import get_model
    from engine.gen.families import family_of

    if isinstance(entry, str):
        entry = get_model(entry)
    dst = tiny_model_dir(entry.id)
    try:
        if json.loads((dst / MARKER).read_text()).get("version") == TINY_VERSION:
            return dst
    except (OSError, ValueError):
        pass
    dst.parent.mkdir(parents=True, exist_ok=True)
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.disable_progress_bar()
    tmp = make_partial_dir(dst)
    try:
        family_of(entry).build_tiny(entry, tmp)
        write_json_atomic(tmp / MARKER, {"id": entry.id, "version": TINY_VERSION, "test_model": True,
                                         "note": "random weights built offline by Shotloom; output is noise"})
        if dst.is_symlink():
            dst.unlink()
        elif dst.exists():
            shutil.rmtree(dst)
        publish_dir(tmp, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dst
