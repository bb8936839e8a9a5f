"""Generation engine: model catalog, typed requests, diffusers pipelines, tasks, takes.

Torch-free to import, and names load on first use: every `shotloom` command imports this package to
register its subcommands, which must not read the catalog or load pydantic models. The runner
imports torch and diffusers when it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import lazy_names

_REQUESTS = ("BridgeRequest", "ClipRange", "ExtendRequest", "GenerationRequest", "ImageToVideoRequest",
             "LongTakeRequest", "PromptSpan", "TextToVideoRequest", "parse_request")
_HOMES = {name: "engine.gen.requests" for name in _REQUESTS} | {
    name: "engine.gen.catalog" for name in ("ModelEntry", "get_model", "load_catalog")}

if TYPE_CHECKING:
    from engine.gen.catalog import ModelEntry, get_model, load_catalog
    from engine.gen.requests import (
        BridgeRequest,
        ClipRange,
        ExtendRequest,
        GenerationRequest,
        ImageToVideoRequest,
        LongTakeRequest,
        PromptSpan,
        TextToVideoRequest,
        parse_request,
    )

__getattr__, __dir__ = lazy_names(__name__, _HOMES)

__all__ = [
    "BridgeRequest", "ClipRange", "ExtendRequest", "GenerationRequest", "ImageToVideoRequest",
    "LongTakeRequest", "ModelEntry", "PromptSpan", "TextToVideoRequest", "get_model", "load_catalog",
    "parse_request",
]
assert set(__all__) == set(_HOMES)
