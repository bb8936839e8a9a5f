"""What the generation benchmarks share: resident-memory sampling and real-size random-weight models.

Imported by the ``bench_gen_*.py`` scripts (which put this folder on ``sys.path``).
"""

from __future__ import annotations

import os
import threading
from typing import Self


def rss() -> int:
    """This process's resident set size in bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples the resident set every few milliseconds (ru_maxrss would include earlier phases)."""

    def __init__(self, interval_s: float = 0.002) -> None:
        self.peak = rss()
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, rss())

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def trim() -> None:
    """Give freed heap pages back to the OS so the resident size shows what is really held."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def real_size(component, dtype):
    """A catalog component at its real size with random weights (std 0.02), built on the meta
    device and materialised directly in ``dtype`` (never a full float32 copy)."""
    import torch

    from engine.gen.families.base import instantiate

    with torch.device("meta"):
        model = instantiate(component)
    model = model.to_empty(device="cpu").to(dtype)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen).mul_(0.02).to(dtype))
        for name, b in model.named_buffers():
            if b.is_floating_point():
                b.fill_(1.0 if "std" in name or "scale" in name else 0.0)
    return model.eval()
