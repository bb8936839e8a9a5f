"""Media core: probe, exact frame reading, encoding, proxies, thumbnails, conform (PyAV)."""

from engine.media.audio import read_audio
from engine.media.conform import conform_frame
from engine.media.images import load_image, save_png
from engine.media.info import MediaInfo, probe
from engine.media.isolated import probe_isolated
from engine.media.proxy import build_proxy, thumbnail
from engine.media.reader import FrameReader
from engine.media.writer import PRESETS, Preset, VideoWriter

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
