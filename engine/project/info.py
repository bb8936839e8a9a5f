"""Read-only views of the document handed to the renderer, the editor and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TransitionInfo:
    id: str
    kind: str
    """"crossfade" | "dip_black" | "dip_white"."""
    frames: int
    """Mix length L: the mix covers timeline frames [shot.start - L, shot.start)."""


@dataclass(frozen=True)
class TakeInfo:
    id: str
    path: Path
    """Absolute path of the take's media."""
    active: bool
    recipe: dict[str, Any] | None
    kind: str
    """"imported" | "generated"."""
    by_reference: bool = False


@dataclass(frozen=True)
class ShotInfo:
    id: str
    index: int
    name: str
    start: int
    """Timeline frame of the shot's cut (where a mix into it ends)."""
    frames: int
    """Visible length after the cut."""
    source_in: int
    """First visible frame in the active media, in project-rate frames."""
    media_path: Path | None
    take_id: str | None
    status: str
    """"ready" | "pending" | "missing" | "stale"."""
    takes: tuple[TakeInfo, ...]
    recipe: dict[str, Any] | None
    notes: str
    transition_in: TransitionInfo | None
    source_frames: int | None
    """Length of the active media at project rate; None for pending shots and still images."""
    sources: tuple[str, ...] = ()
    """Shots the active take was generated from (an extension's source, a bridge's neighbours)."""
    stale_reason: str | None = None
    """Why the shot is stale, in one sentence (None unless status is "stale")."""

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass(frozen=True)
class LooseTakeInfo:
    """A finished take that lost its shot (deleted while it was generating), kept in the bundle."""

    id: str
    path: Path
    shot_id: str
    shot_name: str
    recipe: dict[str, Any] | None
    frames: int | None


@dataclass(frozen=True)
class AudioClipInfo:
    id: str
    path: Path
    start: int
    frames: int
    source_in: int
    gain_db: float
    kind: str
    source_frames: int | None = None
    by_reference: bool = False

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass(frozen=True)
class MarkerInfo:
    id: str
    frame: int
    """Timeline frame the marker is on (its first frame, for a range marker)."""
    name: str
    colour: str
    """OpenTimelineIO's colour name: "RED", "GREEN", …"""
    note: str
    frames: int = 0
    """Length of a range marker; 0 for a marker on one frame."""


@dataclass(frozen=True)
class BinItemInfo:
    id: str
    path: Path
    """Absolute path of the file."""
    by_reference: bool


@dataclass(frozen=True)
class Change:
    """Sent to subscribers after each applied edit."""

    kind: str
    """The edit's name in snake case ("insert_shot", "trim_shot", "composite", …)."""
    shot_ids: tuple[str, ...]
    """Shots (and audio clips) the edit touched; the editor refreshes only these."""
    revision: int
