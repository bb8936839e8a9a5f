"""Per-denoise-step work: progress with ETA, a cheap live preview and cancel.

``StepMonitor`` is passed as ``callback_on_step_end``. Cancel raises ``Canceled`` from inside the
callback, so the pipeline stops within one step and skips the VAE decode (setting ``_interrupt``
alone would still decode). The family turns the step's latents into (B, C, F, H, W) for the
preview (``unpack``), since every family lays them out its own way.
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
    """callback_on_step_end: reports (done, total, message with ETA), previews, cancels."""

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
        self.unpack: Callable | None = None  # a step's latents -> (B, C, F, H, W), set per call
        self._section = 0  # FramePack runs its steps once per section inside one call
        self._last_i = -1

    def start(self, label: str, step_offset: int) -> None:
        """A new pipeline call (a long take's window) whose steps count from ``step_offset``."""
        self.label, self.step_offset = label, step_offset
        self._section, self._last_i = 0, -1

    def raise_if_canceled(self) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_canceled()

    def __call__(self, pipe, i: int, t, callback_kwargs: dict) -> dict:
        self.raise_if_canceled()
        latents = callback_kwargs.get("latents")
        if i <= self._last_i:
            self._section += 1
        self._last_i = i
        self.steps_done = i + 1
        self._run_steps += 1
        done = min(self.step_offset + self._section * self.total_steps + i + 1, self.grand_total)
        elapsed = time.perf_counter() - self.started
        eta = elapsed / self._run_steps * max(0, self.grand_total - done)
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
        self.raise_if_canceled()
        return {}
