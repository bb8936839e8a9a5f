"""Shotloom's data inside an OTIO timeline: pydantic models for `metadata["shotloom"]`.

The project settings live on the timeline's metadata and carry the file's `schema_version`;
every item (shot, take, transition, audio clip) carries a stable UUID in its own metadata.
"""

from __future__ import annotations

import json
import uuid
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator, model_validator

SCHEMA_VERSION = 3
"""Version of the `metadata["shotloom"]` layout written by this code; newer files are refused.
2: takes record what they were made from (`made_from`); the project keeps loose takes.
3: timeline markers, the media bin, and how media of another shape fills the frame (`fit`)."""

KEY = "shotloom"
"""Key of Shotloom's data in every OTIO metadata dictionary."""

GENERATOR_KEY = "generator"
"""media_references key of a shot's GeneratorReference (its recipe); never a take id."""

GENERATOR_KIND = "shotloom"

MAX_FRAMES = 2**31 - 1
"""Longest span (in frames) a project holds: more is a damaged or hostile file."""
MAX_GAIN_DB = 48.0

TRANSITION_KINDS = ("crossfade", "dip_black", "dip_white")
TransitionKind = Literal["crossfade", "dip_black", "dip_white"]
ShotStatus = Literal["ready", "pending", "missing", "stale"]
TakeKind = Literal["imported", "generated"]
FitMode = Literal["fit", "fill"]
"""How media of another shape fills the project frame: "fit" letterboxes, "fill" crops."""
FIT_MODES = ("fit", "fill")
MARKER_COLOURS = ("RED", "ORANGE", "YELLOW", "GREEN", "CYAN", "BLUE", "PURPLE", "MAGENTA", "PINK", "WHITE",
                  "BLACK")
"""OpenTimelineIO's marker colours (otio.schema.MarkerColor), which other editors read."""
MAX_SIZE = 16384


def new_id() -> str:
    return str(uuid.uuid4())


STANDARD_RATES: dict[str, Fraction] = {
    "23.976": Fraction(24000, 1001), "24": Fraction(24), "25": Fraction(25), "29.97": Fraction(30000, 1001),
    "30": Fraction(30), "48": Fraction(48), "50": Fraction(50), "59.94": Fraction(60000, 1001),
    "60": Fraction(60), "100": Fraction(100), "119.88": Fraction(120000, 1001), "120": Fraction(120),
    "240": Fraction(240),
}
"""The rates people shoot and deliver at, by the name they are known by."""
_RATE_SPELLINGS = {"23.98": Fraction(24000, 1001), "47.952": Fraction(48000, 1001),
                   **{name: rate for name, rate in STANDARD_RATES.items() if rate.denominator == 1001}}
MAX_RATE_DENOMINATOR = 1001
"""A rate is a small rational (30000/1001); a long decimal (239.9999999999999) is a typing slip,
and its huge denominator overflows every encoder."""
MAX_FPS = 1000


def parse_fps(value: str | float | Fraction) -> Fraction:
    """A frame rate as a positive Fraction from "30000/1001", "24", "29.97", 25 or Fraction(24):
    a rational whose denominator is at most 1001 (ValueError naming the standard rates otherwise)."""
    if isinstance(value, float) or isinstance(value, bool):
        raise ValueError(f"frame rate {value!r} must be rational, e.g. '30000/1001'")  # noqa: TRY004
    if isinstance(value, str) and value.strip() in _RATE_SPELLINGS:
        return _RATE_SPELLINGS[value.strip()]
    try:
        fps = Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        raise ValueError(f"frame rate {value!r} is not a number like '24' or '30000/1001'") from exc
    if fps <= 0 or fps > MAX_FPS:
        raise ValueError(f"frame rate {value!r} must be between 0 and {MAX_FPS} frames per second")
    if fps.denominator > MAX_RATE_DENOMINATOR:
        near = min(STANDARD_RATES, key=lambda name: abs(STANDARD_RATES[name] - fps))
        hint = f" (did you mean {near}?)" if abs(STANDARD_RATES[near] - fps) < Fraction(1, 100) else ""
        raise ValueError(f"frame rate {value!r} is not a usable rate{hint}; use a standard one "
                         f"({', '.join(STANDARD_RATES)}) or a fraction like 30000/1001")
    return fps


def format_fps(fps: Fraction) -> str:
    return f"{fps.numerator}/{fps.denominator}"


def parse_size(value: object) -> tuple[int, int]:
    """A frame size as (width, height) from (768, 512), [768, 512] or "768x512"; ValueError (one
    line) otherwise. Both sides are even: every video codec the exports use needs that."""
    size = value
    if isinstance(value, str):
        parts = value.lower().replace("×", "x").split("x")
        try:
            size = tuple(int(p.strip()) for p in parts)
        except ValueError:
            size = None
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in size)):
        raise ValueError(f"frame size {value!r} must be two whole numbers like 768x512")
    w, h = size
    if not (2 <= w <= MAX_SIZE and 2 <= h <= MAX_SIZE):
        raise ValueError(f"frame size {w}x{h} must be between 2x2 and {MAX_SIZE}x{MAX_SIZE}")
    if w % 2 or h % 2:
        raise ValueError(f"frame size {w}x{h} must have even sides (video is encoded in 2x2 blocks); "
                         f"try {w + w % 2}x{h + h % 2}")
    return int(w), int(h)


class _Meta(BaseModel):
    """Scalars are strict (StrictInt, StrictStr, StrictBool): "999" is not a number, 1 not a
    flag; a file that says otherwise is damaged, not reinterpreted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class LooseTakeMeta(_Meta):
    """A finished take whose shot was deleted before it arrived: kept in the bundle and listed,
    never dropped (it can be placed as a new shot)."""

    id: StrictStr
    path: StrictStr
    """Relative to the bundle (generated takes live under media/generated/)."""
    shot_id: StrictStr
    shot_name: StrictStr = ""
    recipe: dict[str, Any] | None = None
    frames: StrictInt | None = Field(default=None, ge=0, le=MAX_FRAMES)


class BinItemMeta(_Meta):
    """A file in the project's media bin: imported media, kept whether or not a shot uses it."""

    id: StrictStr
    path: StrictStr
    """Relative to the bundle, or absolute when imported by reference."""
    by_reference: StrictBool = False


class ProjectMeta(_Meta):
    """Project settings, on the timeline's metadata."""

    schema_version: StrictInt = Field(ge=1)
    id: StrictStr
    name: StrictStr
    fps: StrictStr
    size: tuple[StrictInt, StrictInt]
    fit: FitMode = "fit"
    loose_takes: list[LooseTakeMeta] = Field(default_factory=list)
    bin: list[BinItemMeta] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _uuid(cls, v: str) -> str:
        uuid.UUID(v)
        return v

    @field_validator("fps")
    @classmethod
    def _fps(cls, v: str) -> str:
        return format_fps(parse_fps(v))

    @field_validator("size")
    @classmethod
    def _size(cls, v: tuple[int, int]) -> tuple[int, int]:
        w, h = v
        if not (1 <= w <= 16384 and 1 <= h <= 16384):
            raise ValueError(f"size {w}x{h} must be between 1x1 and 16384x16384")
        return v


class ShotMeta(_Meta):
    """A shot (an OTIO Clip on the first video track)."""

    id: StrictStr
    notes: StrictStr = ""
    status: ShotStatus | None = None
    """An explicit status set by SetShotStatus; None = computed from takes and files."""


class SourceUse(_Meta):
    """What a generated take read from another shot: that shot's active take and visible range
    at the time (an extension's source, a bridge's neighbours). When the shot changes, the take
    no longer matches it and its shot is stale."""

    shot: StrictStr
    take: StrictStr | None
    source_in: StrictInt = Field(ge=0, le=MAX_FRAMES)
    frames: StrictInt = Field(ge=0, le=MAX_FRAMES)


class TakeMeta(_Meta):
    """A take (an ExternalReference among a shot's media_references)."""

    id: StrictStr
    kind: TakeKind
    recipe: dict[str, Any] | None = None
    by_reference: StrictBool = False
    """Imported by reference: the media may live outside the bundle (it is never written)."""
    made_from: list[SourceUse] | None = None
    """The shots this take was generated from (None: it reads no other shot)."""

    @model_validator(mode="after")
    def _only_imported_by_reference(self) -> TakeMeta:
        if self.by_reference and self.kind != "imported":
            raise ValueError("only imported media may live outside the project bundle")
        return self


class TransitionMeta(_Meta):
    id: StrictStr
    kind: TransitionKind


class MarkerMeta(_Meta):
    """A marker (an OTIO Marker on the timeline's stack); its name, colour and note are OTIO's."""

    id: StrictStr


class AudioClipMeta(_Meta):
    id: StrictStr
    kind: StrictStr = "music"
    gain_db: float = Field(default=0.0, ge=-MAX_GAIN_DB, le=MAX_GAIN_DB, allow_inf_nan=False, strict=True)
    by_reference: StrictBool = False


def brief(exc: BaseException) -> str:
    """One line describing an error (pydantic's first complaint, or the first line of the text)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return f"{where}: {first['msg']}" if where else str(first["msg"])
        except (IndexError, KeyError, TypeError):
            pass
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_json(value: Any, what: str) -> Any:
    """Round-trips `value` through JSON so only plain data (dict/list/str/number/bool/None) is stored."""
    try:
        data = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be plain JSON data ({exc})") from exc
    _check_ints(data, what)
    return data


def _check_ints(value: Any, what: str) -> None:
    """OTIO stores integers as int64."""
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError(f"{what} holds the number {value}, too large to store; use a string")
    if isinstance(value, dict):
        for v in value.values():
            _check_ints(v, what)
    elif isinstance(value, list):
        for v in value:
            _check_ints(v, what)


def plain(value: Any) -> Any:
    """OTIO AnyDictionary/AnyVector → plain dict/list (recursively)."""
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "__iter__"):
        return [plain(v) for v in value]
    return value
