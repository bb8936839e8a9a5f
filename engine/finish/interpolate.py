"""Frame interpolation of a take: another frame rate (16 → 24/48 fps, duration kept) or slow
motion (×2, ×4: the same moment lasts two or four times as long at the take's rate).

The interpolator is OpenCV optical flow (engine.media.retime), which needs no weights and is
what runs here. A learned interpolator (RIFE class) is named by its model id: its weights are
resolved through huggingface_hub like every finishing model, and offline the job stops with the
one-line message saying what to download and where to put it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.errors import GenerationError

FLOW = "flow"


@dataclass(frozen=True)
class Source:
    """The frames interpolation starts from: the take's own frames, or, for a take generated at
    the model's rate and conformed to the project's by repeating frames, the model's frames
    (interpolating the repeats would keep the judder)."""

    path: Path
    rate: Fraction
    """The rate of the frames yielded."""
    file_rate: Fraction
    count: int
    picks: tuple[int, ...] | None
    """File frame of each yielded frame (None: every file frame)."""

    def frames(self) -> Iterator[np.ndarray]:
        from engine.media import FrameReader

        with FrameReader(self.path) as reader:
            for i in self.picks if self.picks is not None else range(self.count):
                yield reader.frame(i)


def open_source(path: Path, recipe: dict | None) -> Source:
    from engine.media import probe
    from engine.media.conform import retimed_source_frames

    info = probe(path)
    if not info.has_video or info.frame_count < 1:
        raise GenerationError(f"{path} has no video frames to interpolate")
    file_rate = Fraction(info.fps)
    count = int(info.frame_count)
    native = None
    if isinstance(recipe, dict) and (recipe.get("output") or {}).get("retime") != FLOW:
        try:
            native = Fraction(str(recipe["native_fps"]))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            native = None
    if native is not None and 0 < native < file_rate:
        shown = retimed_source_frames(native, file_rate, count)
        picks = tuple(shown.index(n) for n in sorted(set(shown)))  # the first file frame of each model frame
        return Source(path=path, rate=native, file_rate=file_rate, count=len(picks), picks=picks)
    return Source(path=path, rate=file_rate, file_rate=file_rate, count=count, picks=None)


@dataclass(frozen=True)
class Plan:
    sample_rate: Fraction
    """Output frames sample the source at this rate..."""
    write_rate: Fraction
    """...and are written at this one (lower for slow motion)."""
    count: int


def plan(source: Source, *, fps: Fraction | None = None, factor: int | None = None) -> Plan:
    from engine.media.retime import retimed_count

    if (fps is None) == (factor is None):
        raise GenerationError("give either an output frame rate or a slow-motion factor")
    if fps is not None:
        rate = Fraction(fps)
        return Plan(sample_rate=rate, write_rate=rate, count=retimed_count(source.count, source.rate, rate))
    sample = source.file_rate * int(factor)
    return Plan(sample_rate=sample, write_rate=source.file_rate,
                count=retimed_count(source.count, source.rate, sample))


def load_interpolator(name: str | None):
    """The interpolator named ``name``: "flow" (default) or a learned model's id."""
    from engine.media.retime import FlowInterpolator

    if name in (None, FLOW):
        return FlowInterpolator()
    from engine.finish.weights import get_finish_model, resolve_weights

    model = get_finish_model(name, "interpolator")
    weights = resolve_weights(model)
    raise GenerationError(f"{weights} was found, but this build of Shotloom cannot run {model.id} yet; "
                          f"interpolate with the optical-flow interpolator (leave out --model)")
