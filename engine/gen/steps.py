"""Per-denoise-step work: progress with ETA, a cheap live preview, cancel, and latent pinning.

``StepMonitor`` is passed as ``callback_on_step_end``. Cancel raises ``Canceled`` from inside the
callback, so the pipeline stops within one step and skips the VAE decode (setting ``_interrupt``
alone would still decode).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from engine.progress import CancelToken

PreviewFn = Callable[[np.ndarray], None]


def format_eta(seconds: float) -> str:
    seconds = max(0, round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def latent_preview(latents5d) -> np.ndarray:
    """Linear latent→RGB projection of the middle latent frame: (h, w, 3) uint8, no VAE."""
    import torch

    x = latents5d[0, :, latents5d.shape[2] // 2].float()  # (C, h, w)
    c = x.shape[0]
    # A fixed projection: channel thirds averaged into R, G, B (cheap and stable between steps).
    groups = torch.tensor_split(x, 3, dim=0) if c >= 3 else (x, x, x)
    rgb = torch.stack([g.mean(0) for g in groups], dim=-1)
    lo, hi = rgb.amin(), rgb.amax()
    rgb = (rgb - lo) / (hi - lo + 1e-6)
    return (rgb.clamp(0, 1) * 255).to(torch.uint8).cpu().numpy()


class StepMonitor:
    """callback_on_step_end: reports (done, total, message with ETA), previews, cancels, pins latents."""

    def __init__(self, *, total_steps: int, progress: Callable[[int, int, str], None] | None,
                 cancel: CancelToken | None, preview: PreviewFn | None = None, label: str = "denoising",
                 step_offset: int = 0, grand_total: int | None = None, preview_interval_s: float = 0.5) -> None:
        self.total_steps = total_steps
        self.progress = progress
        self.cancel = cancel
        self.preview = preview
        self.label = label
        self.step_offset = step_offset
        self.grand_total = grand_total or total_steps
        self.preview_interval_s = preview_interval_s
        self.started = time.perf_counter()
        self._last_preview = 0.0
        self.steps_done = 0
        self._run_steps = 0  # steps taken by this run (a resumed long take skips finished windows)
        self.unpack: Callable | None = None  # packed latents -> (B, C, F, H, W), set per family
        self.pin: Callable | None = None  # (step index, latents) -> latents, for latent chaining

    def __call__(self, pipe, i: int, t, callback_kwargs: dict) -> dict:
        if self.cancel is not None:
            self.cancel.raise_if_canceled()
        out = {}
        latents = callback_kwargs.get("latents")
        if self.pin is not None and latents is not None:
            latents = self.pin(pipe, i, latents)
            out["latents"] = latents
        self.steps_done = i + 1
        self._run_steps += 1
        done = self.step_offset + i + 1
        elapsed = time.perf_counter() - self.started
        eta = elapsed / self._run_steps * (self.grand_total - done)
        if self.progress is not None:
            self.progress(done, self.grand_total,
                          f"{self.label}: step {i + 1}/{self.total_steps}, ETA {format_eta(eta)}")
        if self.preview is not None and latents is not None:
            now = time.perf_counter()
            if now - self._last_preview >= self.preview_interval_s or i + 1 == self.total_steps:
                self._last_preview = now
                five = self.unpack(latents) if self.unpack is not None else latents
                if five.ndim == 5:
                    self.preview(latent_preview(five))
        if self.cancel is not None:
            self.cancel.raise_if_canceled()
        return out
