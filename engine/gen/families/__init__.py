"""Model families: one module each, registered here. Everything Shotloom knows about a family lives
in its module: the components and how they load, the explicit keyword arguments of every pipeline
call, the conditioning rules (context lengths, extend, bridge, long-take joins), the latent layout
for live previews, how saved latents decode, what compiles, and the tiny test build.

Adding a family:

1. Write ``engine/gen/families/<name>.py`` with a ``Family`` subclass (see ``base.py``; ``ltx.py``
   is the fullest example) decorated with ``@register``, and import it at the bottom of this file.
2. Add its entries to ``engine/assets/models.json``: the real hub repos with their component classes,
   configs and parameter counts, and one tiny test entry per structure (same classes, compression
   factors, latent channels, image encoder and positional embedding kind; narrower and shallower).
3. Give the planner the family's VAE decode: ``decode_grid`` (the decoder's last level),
   ``decode_frames`` (what it decodes at once) and ``decode_live`` / ``decode_workspace`` (tensors
   alive at the peak, from a trace; the device's extra, from ``tests/bench/bench_gen_planner.py
   --only decodes``), and add a narrowed config to ``tests/engine/test_gen_decode_memory.py``.
4. Add the family name to ``catalog.Family``. ``tests/engine/test_gen_families.py`` then runs every
   task of the tiny entry on CPU, checks the tiny structure against the real entries and builds
   every real-size config on the meta device against the catalog's figures.

Importing this package is light (no torch): the catalog, planner and ``models add`` use it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import GenerationError

if TYPE_CHECKING:
    from engine.gen.catalog import ModelEntry
    from engine.gen.families.base import Family

FAMILIES: dict[str, Family] = {}


def register(cls: type[Family]) -> type[Family]:
    FAMILIES[cls.name] = cls()
    return cls


def family_of(entry: ModelEntry) -> Family:
    return FAMILIES[entry.family]


def family_for_pipeline(class_name: str) -> Family | None:
    for family in FAMILIES.values():
        if class_name in family.pipeline_classes:
            return family
    return None


def entry_for_folder(path: Path, model_id: str) -> ModelEntry:
    from engine.gen.families.folders import entry_for_folder as build_entry

    return build_entry(path, model_id)


def read_index(path: Path) -> dict:
    index = path / "model_index.json"
    if not index.is_file():
        raise GenerationError(f"{path} is not a diffusers model folder (no model_index.json); "
                              f"point to the folder that holds model_index.json")
    try:
        return json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GenerationError(f"{index} is unreadable; check the model folder") from exc


# The families (import order is registration order).
from engine.gen.families import cogvideox, framepack, ltx, ltx2, micro_ltx, skyreels, svd, wan  # noqa: E402, F401
