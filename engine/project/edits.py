"""Edits: small operations on a project. `Project.apply(edit)` validates, applies and returns
the exact inverse edit (apply that to undo; applying the inverse returns the redo).

Edits whose inverse needs the removed item itself (RemoveShot, RemoveTake, RemoveAudioClip)
are undone by the Restore* edits, which carry the serialized OTIO item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Edit:
    """Base of every edit."""


@dataclass(frozen=True)
class InsertShot(Edit):
    """Insert a shot before `index` (len(shots) appends). media_path None makes a pending shot
    (a GeneratorReference holding `recipe`) of `frames` frames; with media, frames None takes the
    media from source_in to its end."""

    index: int
    name: str
    media_path: Path | str | None = None
    source_in: int = 0
    frames: int | None = None
    recipe: dict[str, Any] | None = None
    shot_id: str | None = None
    take_id: str | None = None
    kind: Literal["imported", "generated"] | None = None
    """Kind of the first take; None = "generated" under media/generated/, else "imported"."""


@dataclass(frozen=True)
class RemoveShot(Edit):
    shot_id: str


@dataclass(frozen=True)
class RestoreShot(Edit):
    """Inverse of RemoveShot: put back a serialized clip (and its transition in) at index."""

    index: int
    clip_json: str
    transition_json: str | None = None


@dataclass(frozen=True)
class RestoreShots(Edit):
    """Put many shots in at `index` in one step (an imported timeline, the inverse of
    RemoveShots): `track_json` is an OTIO Track of the shots as Shotloom stores them, each Clip
    optionally preceded by its Transition in. Linear in the shots added and the shots there."""

    index: int
    track_json: str


@dataclass(frozen=True)
class RemoveShots(Edit):
    """Remove shots that sit next to each other, in one step (undoing an import)."""

    shot_ids: tuple[str, ...]

    def __init__(self, shot_ids: Any) -> None:
        object.__setattr__(self, "shot_ids", tuple(shot_ids))


@dataclass(frozen=True)
class MoveShot(Edit):
    """Move a shot so that it ends up at `to_index`. It keeps its transition in where that
    still fits; transitions that no longer fit become cuts (the inverse restores them)."""

    shot_id: str
    to_index: int


@dataclass(frozen=True)
class TrimShot(Edit):
    """side "in": the in-point moves by delta (positive = later, shorter); side "out": the
    out-point moves by delta (positive = longer)."""

    shot_id: str
    side: Literal["in", "out"]
    delta: int


@dataclass(frozen=True)
class SplitShot(Edit):
    """Split `offset` frames into the visible part; the right-hand part gets `new_shot_id`."""

    shot_id: str
    offset: int
    new_shot_id: str | None = None


@dataclass(frozen=True)
class SetTransition(Edit):
    """A mix of `frames` frames from the previous shot into this one ("cut" clears it)."""

    shot_id: str
    kind: str
    frames: int
    transition_id: str | None = None


@dataclass(frozen=True)
class ClearTransition(Edit):
    shot_id: str


@dataclass(frozen=True)
class AddTake(Edit):
    shot_id: str
    take_id: str
    path: Path | str
    recipe: dict[str, Any] | None = None
    kind: Literal["imported", "generated"] = "generated"
    activate: bool = True
    made_from: tuple[dict[str, Any], ...] | None = None
    """The shots the take was generated from: ({"shot", "take", "source_in", "frames"}, …) as they
    were when it was made; when one of them changes, the shot becomes stale."""


@dataclass(frozen=True)
class KeepLooseTake(Edit):
    """Keep a finished take whose shot is gone (listed by `Project.loose_takes()`)."""

    take_id: str
    path: Path | str
    shot_id: str
    shot_name: str = ""
    recipe: dict[str, Any] | None = None
    frames: int | None = None


@dataclass(frozen=True)
class DropLooseTake(Edit):
    """Forget a loose take (its files stay until the take folder is deleted)."""

    take_id: str


@dataclass(frozen=True)
class RemoveTake(Edit):
    """Remove a take that is not the active one."""

    shot_id: str
    take_id: str


@dataclass(frozen=True)
class RestoreTake(Edit):
    """Inverse of RemoveTake: put back a serialized media reference."""

    shot_id: str
    take_id: str
    reference_json: str


@dataclass(frozen=True)
class SetActiveTake(Edit):
    """Choose the take shown; take_id None goes back to the recipe (the shot is pending)."""

    shot_id: str
    take_id: str | None


@dataclass(frozen=True)
class SetRecipe(Edit):
    """Set the shot's generation recipe (plain JSON data); None removes it (not while pending)."""

    shot_id: str
    recipe: dict[str, Any] | None


@dataclass(frozen=True)
class SetNotes(Edit):
    shot_id: str
    text: str


@dataclass(frozen=True)
class RenameShot(Edit):
    shot_id: str
    name: str


@dataclass(frozen=True)
class SetShotStatus(Edit):
    """Set an explicit status ("ready" | "pending" | "stale" | "missing"); None = computed."""

    shot_id: str
    status: str | None


@dataclass(frozen=True)
class AddAudioClip(Edit):
    """An audio clip on the audio track at timeline frame `start` (clips never overlap)."""

    path: Path | str
    start: int
    frames: int | None = None
    source_in: int = 0
    gain_db: float = 0.0
    clip_id: str | None = None
    kind: str = "music"


@dataclass(frozen=True)
class RemoveAudioClip(Edit):
    clip_id: str


@dataclass(frozen=True)
class RestoreAudioClip(Edit):
    """Inverse of RemoveAudioClip: put back a serialized audio clip at `start`."""

    start: int
    clip_json: str


@dataclass(frozen=True)
class AddMarker(Edit):
    """A marker at timeline frame `frame` (a range marker when `frames` > 0), with a name, an
    OpenTimelineIO colour ("GREEN", "RED", …, any case) and a note."""

    frame: int
    name: str = ""
    colour: str = "GREEN"
    note: str = ""
    frames: int = 0
    marker_id: str | None = None


@dataclass(frozen=True)
class RemoveMarker(Edit):
    marker_id: str


@dataclass(frozen=True)
class SetMarker(Edit):
    """Change a marker; None leaves that field as it is."""

    marker_id: str
    frame: int | None = None
    name: str | None = None
    colour: str | None = None
    note: str | None = None
    frames: int | None = None


@dataclass(frozen=True)
class AddBinItem(Edit):
    """A file in the media bin (kept whether or not a shot uses it), before `index` (None: last)."""

    path: Path | str
    item_id: str | None = None
    index: int | None = None


@dataclass(frozen=True)
class RemoveBinItem(Edit):
    item_id: str


@dataclass(frozen=True)
class RenameProject(Edit):
    name: str


@dataclass(frozen=True)
class SetProjectFormat(Edit):
    """Change the frame rate, the frame size and how media of another shape fills the frame
    ("fit" letterboxes, "fill" crops); None keeps a setting. A new rate conforms the cut: every
    shot, transition, audio clip and marker keeps its place and length in seconds (to the
    nearest frame at the new rate)."""

    fps: str | int | None = None
    """The new rate as text ("30000/1001", "25"); a Fraction given here is stored as such text
    (edits are plain data: the project's history keeps them as JSON)."""
    size: tuple[int, int] | None = None
    fit: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.fps, Fraction):
            object.__setattr__(self, "fps", f"{self.fps.numerator}/{self.fps.denominator}")
        if isinstance(self.size, list):
            object.__setattr__(self, "size", tuple(self.size))


@dataclass(frozen=True)
class RestoreTimeline(Edit):
    """Inverse of a rate change: put back the whole serialized timeline of the same project."""

    timeline_json: str


@dataclass(frozen=True)
class Composite(Edit):
    """Several edits applied in order, all or nothing."""

    edits: tuple[Edit, ...] = field(default_factory=tuple)

    def __init__(self, edits: Any = ()) -> None:
        object.__setattr__(self, "edits", tuple(edits))


__all__ = [
    "AddAudioClip",
    "AddBinItem",
    "AddMarker",
    "AddTake",
    "ClearTransition",
    "Composite",
    "DropLooseTake",
    "Edit",
    "InsertShot",
    "KeepLooseTake",
    "MoveShot",
    "RemoveAudioClip",
    "RemoveBinItem",
    "RemoveMarker",
    "RemoveShot",
    "RemoveShots",
    "RemoveTake",
    "RenameProject",
    "RenameShot",
    "RestoreAudioClip",
    "RestoreShot",
    "RestoreShots",
    "RestoreTake",
    "RestoreTimeline",
    "SetActiveTake",
    "SetMarker",
    "SetNotes",
    "SetProjectFormat",
    "SetRecipe",
    "SetShotStatus",
    "SetTransition",
    "SplitShot",
    "TrimShot",
]
