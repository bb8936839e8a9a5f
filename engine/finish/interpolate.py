"""Frame interpolation of a take: another frame rate (16 → 24/48 fps, duration kept) or slow
motion (×2, ×4: the same moment lasts two or four times as long at the take's rate).

The interpolator is a learned one (RIFE 4.22 or 4.26, engine.finish.rife) named by its model id, or
OpenCV optical flow (engine.media.retime), which needs no weights. The learned one's weights are
resolved through huggingface_hub like every finishing model; named and missing offline, the job
stops with the one-line message saying what to download and where to put it. A job that names
none uses the learned one when its weights are already here, flow otherwise.
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


def load_interpolator(name: str | None, *, device: str = "auto"):
    """The interpolator named ``name``: "flow" (default) or a learned model's id (its weights
    resolved through the hub, loaded strictly; see engine.finish.rife)."""
    from engine.media.retime import FlowInterpolator

    if name in (None, FLOW):
        return FlowInterpolator()
    from engine.finish.weights import get_finish_model, resolve_weights

    model = get_finish_model(name, "interpolator")
    weights = resolve_weights(model)
    from engine.finish.rife import load_rife
    from engine.gen.memory import pick_device

    return load_rife(weights, device=pick_device(device), name=model.id)  # its network is named by the id


def default_interpolator() -> str:
    """The interpolator a job uses when none is named: the learned one where its weights are on
    this machine already (nothing is downloaded for a default), optical flow otherwise."""
    from engine.finish.weights import INTERPOLATORS, get_finish_model, resolve_weights

    for name in INTERPOLATORS:
        try:
            resolve_weights(get_finish_model(name, "interpolator"), download=False)
        except GenerationError:
            continue
        return name
    return FLOW
