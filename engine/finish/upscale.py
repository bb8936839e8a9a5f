"""Upscaling frames with a general image upscaler (Real-ESRGAN class) loaded by spandrel, or, for a
take that LTX-Video 13B 0.9.8 or LTX-2 made, with that model's own latent upsampler (``LatentUpscaler``).

The model runs tile by tile (each tile read with a margin that is cut off again after the model,
so no seams show), so memory stays the same whatever the frame size and the clip length: one
tile's activations plus one output frame. ×4 with a ×2 model is two passes. Runs on the CPU or a
GPU; imported only where a job runs (torch).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import GenerationError

TILE = 192
"""Input tile side: small enough for a laptop GPU at ×4, large enough to keep the CPU busy."""
MARGIN = 16
"""Input pixels of context on each side of a tile (the receptive field that matters)."""


class _Unavailable:
    """A torchvision name spandrel's inpainting and face-restoration architectures import at load
    time: any use says why it cannot work."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> _Unavailable:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Unavailable(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        raise GenerationError(f"{self._name} needs torchvision, which is not usable with this PyTorch build")


def _import_spandrel():
    """spandrel, whose registry imports torchvision for two architectures we never use (LaMa
    inpainting, RestoreFormer faces). Where torchvision is missing or unusable (PyPI has no
    torchvision for the CPU-only PyTorch build, and a CUDA one fails at import next to it), those
    names are stand-ins that refuse to run, present only while spandrel loads — nothing else in
    the process (transformers checks for torchvision) sees them."""
    if "spandrel" in sys.modules:
        return sys.modules["spandrel"]
    import importlib.util
    import types

    def purge() -> None:
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]

    usable = False
    if importlib.util.find_spec("torchvision") is not None:
        try:
            import torchvision  # noqa: F401

            usable = True
        except (ImportError, RuntimeError, OSError):
            purge()
    if usable:
        import spandrel

        return spandrel
    import torch  # noqa: F401  (loaded before the stand-ins exist: it walks sys.modules)

    for name in ("torchvision", "torchvision.transforms", "torchvision.transforms.functional"):
        module = types.ModuleType(name)
        module.__getattr__ = _Unavailable(name).__getattr__  # type: ignore[method-assign]
        sys.modules[name] = module
    try:
        import spandrel
    finally:
        purge()
    return spandrel


@dataclass
class Upscaler:
    """A loaded upscaler: ``scale`` per pass, run with ``upscale(frame, factor)``."""

    model: object
    scale: int
    device: str
    dtype: object
    name: str

    def upscale(self, frame: np.ndarray, factor: int, *, tile: int = TILE) -> np.ndarray:
        """``frame`` (h, w, 3) uint8 → (h·factor, w·factor, 3) uint8, in passes of ``scale``."""
        passes = _passes(factor, self.scale)
        out = frame
        for _ in range(passes):
            out = self._pass(out, tile)
        return out

    def _pass(self, frame: np.ndarray, tile: int) -> np.ndarray:
        import torch

        h, w = frame.shape[:2]
        s = self.scale
        out = np.empty((h * s, w * s, 3), dtype=np.uint8)
        with torch.inference_mode():
            for y in range(0, h, tile):
                for x in range(0, w, tile):
                    y0, x0 = max(0, y - MARGIN), max(0, x - MARGIN)
                    y1, x1 = min(h, y + tile + MARGIN), min(w, x + tile + MARGIN)
                    patch = torch.from_numpy(np.ascontiguousarray(frame[y0:y1, x0:x1]))
                    inp = patch.to(self.device).permute(2, 0, 1).unsqueeze(0).to(self.dtype) / 255.0
                    res = self.model(inp)[0].clamp_(0, 1).mul_(255).round_()
                    res = res.to(torch.uint8).permute(1, 2, 0).cpu().numpy()
                    th, tw = min(tile, h - y), min(tile, w - x)
                    oy, ox = (y - y0) * s, (x - x0) * s
                    out[y * s:(y + th) * s, x * s:(x + tw) * s] = res[oy:oy + th * s, ox:ox + tw * s]
        return out


def _passes(factor: int, scale: int) -> int:
    passes, total = 0, 1
    while total < factor:
        total *= scale
        passes += 1
    if total != factor:
        raise GenerationError(f"factor {factor} cannot be made from ×{scale} passes of this upscaler; "
                              f"use a factor that is a power of {scale}")
    return passes


def load_upscaler(weights: Path, *, device: str = "cpu", name: str = "") -> Upscaler:
    """Loads a safetensors upscaler file with spandrel (architecture detected from its tensors)."""
    import torch

    weights = Path(weights)
    if weights.suffix != ".safetensors":
        raise GenerationError(f"{weights} is not a .safetensors file; Shotloom never loads pickle checkpoints")
    spandrel = _import_spandrel()
    try:
        descriptor = spandrel.ModelLoader(device=torch.device(device)).load_from_file(str(weights))
    except (spandrel.UnsupportedModelError, KeyError, ValueError, RuntimeError, OSError) as exc:
        raise GenerationError(f"{weights} is not an image upscaler spandrel knows "
                              f"({type(exc).__name__}); use a Real-ESRGAN-class .safetensors file") from None
    if not isinstance(descriptor, spandrel.ImageModelDescriptor) or descriptor.scale < 2 \
            or descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise GenerationError(f"{weights} holds a {descriptor.architecture.name} model that does not upscale "
                              f"RGB pictures (scale ×{descriptor.scale}); use a Real-ESRGAN-class upscaler")
    descriptor.eval()
    dtype = torch.float32
    if device != "cpu" and descriptor.supports_half:
        descriptor.half()
        dtype = torch.float16
    return Upscaler(model=descriptor, scale=int(descriptor.scale), device=device, dtype=dtype,
                    name=name or descriptor.architecture.name)


LATENT_CHUNK = 17
"""Frames the latent upscaler encodes at once (8k+1: three latents); memory is flat in clip length."""


@dataclass
class LatentUpscaler:
    """An LTX take doubled in its model's latent space: frames encoded by the model's VAE
    ``LATENT_CHUNK`` at a time, ``LTXLatentUpsamplePipeline`` (LTX-2: ``LTX2LatentUpsamplePipeline``) (the latent upsampler ×2, AdaIN to the
    encoded latents) decoded at twice the size; ×4 is a second pass. Each chunk starts on the last
    frame of the one before (encoded as the chunk's own first latent, decoded and dropped), so the
    causal encoder sees every frame once as part of a whole chunk; a short last chunk is padded
    with its last frame to 8k+1 and cut back."""

    pipe: object
    device: str
    name: str
    scale: int = 2
    args: dict | None = None  # the family's upsample arguments (decode, AdaIN); None: LTX-Video's

    def frames(self, source, factor: int, cancel=None):
        """``source`` (h, w, 3) uint8 frames → the same frames at ``factor`` times the size."""
        passes = _passes(factor, self.scale)
        chunk: list[np.ndarray] = []
        first = True
        for frame in source:
            chunk.append(frame)
            if len(chunk) == LATENT_CHUNK:
                yield from self._chunk(chunk, passes, drop_first=not first)
                chunk, first = [chunk[-1]], False
                if cancel is not None:
                    cancel.raise_if_canceled()
        if len(chunk) > (0 if first else 1):
            yield from self._chunk(chunk, passes, drop_first=not first)

    def _chunk(self, chunk: list[np.ndarray], passes: int, *, drop_first: bool):
        n = len(chunk)
        padded = chunk + [chunk[-1]] * ((-(n - 1)) % 8)  # 8k+1 frames
        out = padded
        for _ in range(passes):
            out = self._pass(out)
        yield from out[1 if drop_first else 0:n]

    def _pass(self, frames: list[np.ndarray]) -> list[np.ndarray]:
        import torch
        from PIL import Image

        from engine.gen.families.ltx import LatentUpsampling

        h, w = frames[0].shape[:2]
        h32, w32 = max(32, h // 32 * 32), max(32, w // 32 * 32)  # the VAE's grid (a conformed take is resized)
        video = [Image.fromarray(np.ascontiguousarray(f)) for f in frames]
        args = LatentUpsampling.upscale_args if self.args is None else self.args
        out = self.pipe(video=video, height=h32, width=w32, **args,
                        generator=torch.Generator(device="cpu").manual_seed(0), output_type="np").frames[0]
        return [(np.clip(f, 0.0, 1.0) * 255.0).round().astype(np.uint8) for f in out]
