"""The render plan: the timeline as an immutable list of spans and mixes, in integer frames.

Preview and export both ask the plan what to show at a timeline frame, so what you see is
what you export. A transition of L frames before a cut mixes the last L visible frames of the
earlier shot with the L handle frames before the later shot's first visible frame (the overlap
model of engine/project: OTIO Transition(in_offset=L, out_offset=0)).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.project import Project

TRANSITION_KINDS = ("crossfade", "dip_black", "dip_white")
PENDING_FILL = (38, 38, 44)
DIP_COLOURS = {"dip_black": (0, 0, 0), "dip_white": (255, 255, 255)}


@dataclass(frozen=True)
class Layer:
    """One source frame and its weight in the mix. Source frames count at the project rate."""

    media_path: Path
    source_frame: int
    weight: float


@dataclass(frozen=True)
class FrameRecipe:
    """Everything needed to composite one timeline frame: weighted layers over a fill colour."""

    frame: int
    shot_id: str | None
    layers: tuple[Layer, ...]
    fill: tuple[int, int, int] = (0, 0, 0)
    fill_weight: float = 0.0


@dataclass(frozen=True)
class Span:
    """A shot's visible frames on the timeline."""

    start: int
    frames: int
    shot_id: str
    name: str
    media_path: Path | None
    source_in: int

    @property
    def end(self) -> int:
        return self.start + self.frames

    def source_frame(self, t: int) -> int:
        return self.source_in + (t - self.start)


@dataclass(frozen=True)
class Mix:
    """A transition over timeline frames [start, start + frames), ending at the cut into `b`."""

    start: int
    frames: int
    kind: str
    a: Span
    b: Span

    @property
    def cut(self) -> int:
        return self.start + self.frames

    def weights(self, t: int) -> tuple[float, float, float]:
        """(weight of A, weight of the dip colour, weight of B) at timeline frame t."""
        k = t - self.start
        if self.kind == "crossfade":
            wb = (k + 1) / (self.frames + 1)
            return 1.0 - wb, 0.0, wb
        x = (k + 0.5) / self.frames
        if x < 0.5:
            return 1.0 - 2 * x, 2 * x, 0.0
        return 0.0, 2.0 - 2 * x, 2 * x - 1.0

    def b_source_frame(self, t: int) -> int:
        return self.b.source_in - (self.cut - t)


@dataclass(frozen=True)
class RenderPlan:
    rate: Fraction
    size: tuple[int, int]
    frames: int
    spans: tuple[Span, ...]
    mixes: tuple[Mix, ...] = ()
    fit: str = "fit"
    """How media of another shape fills the frame: "fit" letterboxes, "fill" crops."""
    _starts: tuple[int, ...] = field(default=(), repr=False)
    _mix_starts: tuple[int, ...] = field(default=(), repr=False)

    @property
    def cuts(self) -> list[tuple[int, str, str]]:
        """(timeline frame where the later shot starts, earlier shot id, later shot id)."""
        return [(b.start, a.shot_id, b.shot_id) for a, b in zip(self.spans, self.spans[1:])]

    @property
    def pending(self) -> list[Span]:
        return [s for s in self.spans if s.media_path is None]

    def span_at(self, t: int) -> Span:
        if not 0 <= t < self.frames:
            raise IndexError(f"frame {t} is outside the timeline (0..{self.frames - 1})")
        return self.spans[bisect.bisect_right(self._starts, t) - 1]

    def mix_at(self, t: int) -> Mix | None:
        i = bisect.bisect_right(self._mix_starts, t) - 1
        if i >= 0 and self.mixes[i].start <= t < self.mixes[i].cut:
            return self.mixes[i]
        return None

    def at(self, t: int) -> FrameRecipe:
        span = self.span_at(t)
        mix = self.mix_at(t)
        if mix is None:
            if span.media_path is None:
                return FrameRecipe(t, span.shot_id, (), PENDING_FILL, 1.0)
            return FrameRecipe(t, span.shot_id, (Layer(span.media_path, span.source_frame(t), 1.0),))
        wa, wc, wb = mix.weights(t)
        layers = []
        fill = DIP_COLOURS.get(mix.kind, (0, 0, 0))
        for sp, src, w in ((mix.a, mix.a.source_frame(t), wa), (mix.b, mix.b_source_frame(t), wb)):
            if w <= 0:
                continue
            if sp.media_path is None:  # a pending side of a mix shows as the slate colour
                fill, wc = PENDING_FILL, wc + w
            else:
                layers.append(Layer(sp.media_path, src, w))
        return FrameRecipe(t, span.shot_id, tuple(layers), fill, wc)


def make_plan(
    rate: Fraction, size: tuple[int, int], spans: list[Span], transitions: dict[str, tuple[str, int]],
    fit: str = "fit",
) -> RenderPlan:
    """Build a plan from spans in timeline order and {later shot id: (kind, frames)}."""
    mixes = []
    for a, b in zip(spans, spans[1:]):
        if b.shot_id in transitions:
            kind, length = transitions[b.shot_id]
            if length > 0:
                mixes.append(Mix(b.start - length, length, kind, a, b))
    frames = spans[-1].end if spans else 0
    return RenderPlan(
        rate=rate,
        size=tuple(size),
        frames=frames,
        spans=tuple(spans),
        mixes=tuple(mixes),
        fit=fit,
        _starts=tuple(s.start for s in spans),
        _mix_starts=tuple(m.start for m in mixes),
    )


def build_plan(project: Project) -> RenderPlan:
    """The render plan of a project's current timeline."""
    spans = []
    transitions = {}
    for shot in project.shots():
        spans.append(
            Span(shot.start, shot.frames, shot.id, shot.name, shot.media_path, shot.source_in)
        )
        if shot.transition_in is not None:
            transitions[shot.id] = (shot.transition_in.kind, shot.transition_in.frames)
    return make_plan(project.fps, project.size, spans, transitions, getattr(project, "fit", "fit"))
