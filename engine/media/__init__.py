"""Media core: probe, exact frame reading, encoding, proxies, thumbnails, conform (PyAV).

Names are loaded on first use, so that a process that only probes (the import's child process)
does not pay for the encoders, OpenCV and the rest at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import lazy_names

_HOMES = {
    "read_audio": "engine.media.audio",
    "conform_frame": "engine.media.conform",
    "load_image": "engine.media.images",
    "save_png": "engine.media.images",
    "MediaInfo": "engine.media.info",
    "probe": "engine.media.info",
    "probe_isolated": "engine.media.isolated",
    "build_proxy": "engine.media.proxy",
    "thumbnail": "engine.media.proxy",
    "FrameReader": "engine.media.reader",
    "PRESETS": "engine.media.writer",
    "Preset": "engine.media.writer",
    "VideoWriter": "engine.media.writer",
}

if TYPE_CHECKING:
    from engine.media.audio import read_audio
    from engine.media.conform import conform_frame
    from engine.media.images import load_image, save_png
    from engine.media.info import MediaInfo, probe
    from engine.media.isolated import probe_isolated
    from engine.media.proxy import build_proxy, thumbnail
    from engine.media.reader import FrameReader
    from engine.media.writer import PRESETS, Preset, VideoWriter


__getattr__, __dir__ = lazy_names(__name__, _HOMES)


__all__ = [
    "PRESETS",
    "FrameReader",
    "MediaInfo",
    "Preset",
    "VideoWriter",
    "build_proxy",
    "conform_frame",
    "load_image",
    "probe",
    "probe_isolated",
    "read_audio",
    "save_png",
    "thumbnail",
]
assert set(__all__) == set(_HOMES)
