"""Generation engine: model catalog, typed requests, diffusers pipelines, tasks, takes.

Importing this package stays light (no torch); the runner imports torch and diffusers when used.
"""

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

__all__ = [
    "BridgeRequest", "ClipRange", "ExtendRequest", "GenerationRequest", "ImageToVideoRequest",
    "LongTakeRequest", "ModelEntry", "PromptSpan", "TextToVideoRequest", "get_model", "load_catalog",
    "parse_request",
]
