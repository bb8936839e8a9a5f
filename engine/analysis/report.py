"""The check report: what ``shotloom check --json`` prints and the editor reads."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field

from engine.analysis.thresholds import DEFAULT_THRESHOLDS, Thresholds

DEFECT_KINDS = ("flash", "color", "frozen", "dropped", "motion", "black", "jump")
Expected = Literal["continuous", "cut", "transition"]
Severity = Literal["clean", "warning", "defect"]


class SeamReport(BaseModel):
    frame: int  # timeline frame where the later shot starts
    shots: list[str]
    defect: bool
    kinds: list[str]
    score: float  # max of the per-kind scores considered; >= 1.0 is a defect
    scores: dict[str, float] = Field(default_factory=dict)  # per kind, raw / threshold
    raw: dict[str, float] = Field(default_factory=dict)  # the raw measurements, in their units
    scene_change: bool = False
    intended_cut: bool = False  # a cut or a transition: only flashes and black frames count there
    expected: Expected = "cut"  # what the join is meant to be (see engine.analysis.seams)
    severity: Severity = "clean"  # defect: a kind found; warning: a score >= 0.7 of its threshold
    reason: str = ""  # why it is expected so: "extend", "bridge", "same source", "long take" ...
    transition: str | None = None
    window_join: bool = False  # a join between generation windows inside one take
    cut_index: int | None = None  # its number among the timeline's cuts: `shotloom repair PROJECT N`
    defect_frames: list[int] = Field(default_factory=list)  # timeline frames of the defect runs


class EventReport(BaseModel):
    """A defect away from every seam (inside a shot)."""

    frame: int
    frames: int
    shot: str | None
    kind: str
    score: float


class SceneReport(BaseModel):
    """A scene boundary inside a shot (a cut inside an imported clip): found, not a defect."""

    frame: int  # first frame of the new scene
    shot: str | None
    score: float  # warp error / the scene threshold


class DriftReport(BaseModel):
    shot: str
    curve: list[float]  # colour drift (delta E) of each window from the first window
    stats: list[float] = Field(default_factory=list)  # delta E of the windows' Lab medians
    aligned: list[float] = Field(default_factory=list)  # delta E of the same content's colour
    structure: list[float] = Field(default_factory=list)  # structure distance from the first window
    sharpness: list[float] = Field(default_factory=list)  # window sharpness / first window's (1.0 = same)
    window: int = 0  # frames per window
    starts: list[int] = Field(default_factory=list)  # timeline frame of each window
    scene_starts: list[int] = Field(default_factory=list)  # curve indices where a scene starts (curve restarts)
    drifting: bool = False
    score: float = 0.0  # min(last curve value / threshold, rising share / required share)


class CheckReport(BaseModel):
    frames: int = 0
    seams: list[SeamReport] = Field(default_factory=list)
    events: list[EventReport] = Field(default_factory=list)
    scenes: list[SceneReport] = Field(default_factory=list)
    drift: list[DriftReport] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=lambda: DEFAULT_THRESHOLDS.model_copy())
    measured_shots: int = 0  # shots measured by this check (the others came from the cache)
    cached_shots: int = 0

    @property
    def defects(self) -> list[SeamReport]:
        return [s for s in self.seams if s.defect]

    def found_kinds(self) -> set[str]:
        """Defect kinds found anywhere (scene boundaries are not defects: see ``scenes``)."""
        kinds = {k for s in self.seams for k in s.kinds}
        kinds |= {e.kind for e in self.events}
        if any(d.drifting for d in self.drift):
            kinds.add("drift")
        return kinds

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def table(self) -> str:
        """A readable table of seams, events and drift, with the thresholds explained."""
        lines = [f"{'#':>3} {'frame':>7}  {'shots':<23} {'score':>6}  {'verdict':<13} kinds / notes"]
        for s in self.seams:
            shots = " > ".join(x[:10] for x in s.shots)
            verdict = "DEFECT" if s.defect else ("warning" if s.severity == "warning" else
                                                 ("ok" if s.expected == "continuous" else s.expected))
            notes = ", ".join(f"{k} {s.scores.get(k, 0):.2f}" for k in s.kinds)
            extra = [f"continuous ({s.reason})" if s.expected == "continuous" and s.reason else ""]
            extra = [x for x in extra if x]
            if s.transition:
                extra.append(f"transition {s.transition}")
            if s.scene_change:
                extra.append("scene change")
            if s.window_join:
                extra.append("window join")
            number = "w" if s.cut_index is None else str(s.cut_index)
            lines.append(f"{number:>3} {s.frame:>7}  {shots:<23} {s.score:>6.2f}  {verdict:<13} "
                         + "; ".join(x for x in [notes, ", ".join(extra)] if x))
        if not self.seams:
            lines.append("    (no seams: the timeline has one shot or none)")
        if self.events:
            lines.append("")
            lines.append("inside shots:")
            for e in self.events:
                lines.append(f"    frame {e.frame:>7} ({e.frames} frames) {e.kind:<8} score {e.score:.2f}"
                             f"  shot {(e.shot or '')[:10]}")
        if self.scenes:
            lines.append("")
            lines.append("scene boundaries inside shots (cuts in the footage, not defects):")
            for sc in self.scenes:
                lines.append(f"    frame {sc.frame:>7} shot {(sc.shot or '')[:10]}")
        if self.drift:
            lines.append("")
            lines.append("drift (delta E of each window from the first):")
            for d in self.drift:
                curve = " ".join(f"{v:.1f}" for v in d.curve)
                flag = "DRIFTING" if d.drifting else "steady"
                lines.append(f"    shot {d.shot[:10]:<10} {flag:<8} score {d.score:.2f}  [{curve}]")
        lines.append("")
        lines.append("# is the seam number `shotloom repair PROJECT #` takes (w: a window join inside a take)")
        lines.append("thresholds:")
        lines.extend(f"    {line}" for line in self.thresholds.explain())
        return "\n".join(lines)
