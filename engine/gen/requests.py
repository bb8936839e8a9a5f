"""Typed generation requests (pydantic): what the queue stores and the runner replays.

Durations: a request gives ``seconds`` (or ``frames`` at the model's native rate); the engine snaps
to the model's frame rule, generates at the native rate and conforms to ``output_rate``.
Conditioning clips are given as a path plus a frame range at ``rate`` (the project rate).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Annotated, Literal

import annotated_types
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from engine.gen.catalog import Tier


def _rate(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"rate '{value}' is not a number like 24 or 30000/1001") from exc
    if rate <= 0:
        raise ValueError(f"rate '{value}' must be positive")
    return f"{rate.numerator}/{rate.denominator}"


class ClipRange(BaseModel):
    """Frames [start, start + frames) of a media file, counted at ``rate`` (the file's rate if None)."""

    model_config = ConfigDict(extra="forbid")
    path: Path
    start: int = Field(default=0, ge=0)
    frames: int | None = Field(default=None, ge=1)
    rate: str | None = None

    _v_rate = field_validator("rate")(classmethod(lambda cls, v: _rate(v)))


class PromptSpan(BaseModel):
    """A prompt that applies from ``start_seconds`` on (long takes)."""

    model_config = ConfigDict(extra="forbid")
    start_seconds: float = Field(ge=0)
    prompt: str = Field(min_length=1)


class LoraRef(BaseModel):
    """One LoRA of a request: the library id it was added as, its strength, and the sha256 of the
    exact file (replay loads that file, whatever the id holds now)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    id: str = Field(min_length=1, max_length=120)
    strength: float = Field(default=1.0, ge=-4, le=4)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    path: Path | None = None
    """The file in this machine's library (filled when the request is made from a shot, so a farm
    job uploads it with its other inputs); whichever file is loaded must have ``sha256``."""

    @model_serializer(mode="wrap")
    def _without_no_path(self, handler):
        data = handler(self)
        if isinstance(data, dict) and data.get("path") is None:
            data.pop("path", None)
        return data


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    model: str = "ltx-video-2b"
    prompt: str = Field(min_length=1)
    negative_prompt: str = "worst quality, inconsistent motion, blurry, jittery, distorted"
    seed: int = Field(default=0, ge=0, lt=2**63)
    width: int | None = Field(default=None, ge=16, le=4096)
    height: int | None = Field(default=None, ge=16, le=4096)
    seconds: float | None = Field(default=None, gt=0, le=3600)
    frames: int | None = Field(default=None, ge=1, le=100_000)
    steps: int | None = Field(default=None, ge=1, le=500)
    guidance: float | None = Field(default=None, ge=0, le=30)
    tier: Tier | Literal["auto"] = "auto"
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    draft: bool = False
    cache: Literal["auto", "none", "first_block", "mag", "taylorseer"] = "auto"
    """A step cache reusing the denoiser's work between steps ("auto": the first-block cache on
    drafts, none otherwise; "mag" calibrates once per model, on a full-quality run)."""
    attention_backend: str | None = None
    compile: bool = False  # torch.compile the repeated transformer blocks (CUDA; pays off on long work)
    output_rate: str | None = None
    output_size: tuple[int, int] | None = None
    fit: Literal["fit", "fill", "stretch"] = "fill"
    loras: list[LoraRef] = Field(default_factory=list, max_length=16)

    @field_validator("loras")
    @classmethod
    def _one_of_each(cls, loras: list[LoraRef]) -> list[LoraRef]:
        seen = set()
        for ref in loras:
            if ref.sha256 in seen:
                raise ValueError(f"LoRA '{ref.id}' is listed twice; give each LoRA once with its strength")
            seen.add(ref.sha256)
        return loras

    @model_serializer(mode="wrap")
    def _without_no_loras(self, handler):
        # No LoRAs is not written: a request (and its recipe hash, its take id) stays what it was
        # before LoRAs existed.
        data = handler(self)
        if isinstance(data, dict) and not data.get("loras"):
            data.pop("loras", None)
        return data

    _v_rate = field_validator("output_rate")(classmethod(lambda cls, v: _rate(v)))


class TextToVideoRequest(_Base):
    task: Literal["text_to_video"] = "text_to_video"


class ImageToVideoRequest(_Base):
    task: Literal["image_to_video"] = "image_to_video"
    image: Path


class ExtendRequest(_Base):
    """New frames after (forward) or before (backward) a clip, conditioned on its k edge frames."""

    task: Literal["extend"] = "extend"
    source: ClipRange
    direction: Literal["forward", "backward"] = "forward"
    context_frames: int | None = Field(default=None, ge=1, le=257)


class BridgeRequest(_Base):
    """Frames between the end of ``before`` (A) and the start of ``after`` (B)."""

    task: Literal["bridge"] = "bridge"
    before: ClipRange
    after: ClipRange
    context_frames: int | None = Field(default=None, ge=1, le=257)


class LongTakeRequest(_Base):
    """A long shot from chained windows; ``prompts`` switch the prompt at given times."""

    task: Literal["long_take"] = "long_take"
    prompts: list[PromptSpan] = Field(default_factory=list)
    window_frames: int | None = Field(default=None, ge=2)
    overlap_latents: int | None = Field(default=None, ge=1, le=8)
    """Latent frames of motion each join conditions on beyond the first frame (the join is
    1 + overlap_latents x the VAE's temporal compression frames); default: the family's (2)."""
    image: Path | None = None  # first frame; required by image-conditioned long-take models (FramePack)

    @model_validator(mode="after")
    def _needs_duration(self) -> LongTakeRequest:
        if self.seconds is None and self.frames is None:
            raise ValueError("a long take needs seconds (or frames)")
        return self

    def prompt_at(self, seconds: float) -> str:
        current = self.prompt
        for span in sorted(self.prompts, key=lambda s: s.start_seconds):
            if span.start_seconds <= seconds:
                current = span.prompt
        return current


GenerationRequest = Annotated[
    TextToVideoRequest | ImageToVideoRequest | ExtendRequest | BridgeRequest | LongTakeRequest,
    Field(discriminator="task"),
]
_ADAPTER: TypeAdapter = TypeAdapter(GenerationRequest)


def parse_request(data: dict | str) -> TextToVideoRequest | ImageToVideoRequest | ExtendRequest | BridgeRequest | LongTakeRequest:
    """Validate a request from a dict or JSON text (the queue's stored form)."""
    if isinstance(data, str):
        return _ADAPTER.validate_json(data)
    return _ADAPTER.validate_python(data)


_BY_TASK: dict[str, type[BaseModel]] = {
    "text_to_video": TextToVideoRequest, "image_to_video": ImageToVideoRequest, "extend": ExtendRequest,
    "bridge": BridgeRequest, "long_take": LongTakeRequest,
}
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"}


def _allowed(model: type[BaseModel] | None, path: list[str]) -> str:
    """'more than 0 and at most 3600': the bounds of a field, from its declaration."""
    field = None
    for name in path:
        if model is None or name not in model.model_fields:
            return ""
        field = model.model_fields[name]
        model = field.annotation if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel) \
            else None
    words = {annotated_types.Gt: ("gt", "more than"), annotated_types.Ge: ("ge", "at least"),
             annotated_types.Lt: ("lt", "less than"), annotated_types.Le: ("le", "at most")}
    parts = []
    for meta in field.metadata if field is not None else ():
        if type(meta) in words:
            attr, text = words[type(meta)]
            parts.append(f"{text} {_shown(getattr(meta, attr))}")
    return " and ".join(parts)


def _shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def request_error(exc: ValidationError) -> str:
    """One line naming the first refused field of a request, its value and what it may be (the
    message of a GenerationError for a bad `shot add` value or an invalid recipe)."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    model = _BY_TASK.get(loc[0]) if loc else None
    path = loc[1:] if model is not None else loc
    path = [p for p in path if not p.startswith(("literal[", "function-"))]
    name = ".".join(path) or "request"
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    task = loc[0].replace("_", " ") if model is not None else "generation"
    if kind in _RANGE_ERRORS:
        allowed = _allowed(model, path)
        what = "is not a finite number" if kind == "finite_number" else "is out of range"
        return f"{name} {_shown(value)} {what}" + (f"; it must be {allowed}" if allowed else f" ({err['msg']})")
    if kind == "string_too_short":
        return f"{name} is empty; give some text"
    if kind == "extra_forbidden":
        return f"{name} is not a setting of a {task} request; remove it from the recipe"
    if kind == "missing":
        return f"{name} is missing from the {task} request"
    if kind == "union_tag_invalid":
        return f"task {ctx.get('tag')!r} is unknown; use one of {ctx.get('expected_tags')}"
    if kind == "literal_error":
        return f"{name} {_shown(value)} must be {ctx.get('expected')}"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind.endswith(("_parsing", "_type")):
        return f"{name} {_shown(value)} is not valid ({err['msg'].removeprefix('Input should be ')})"
    return f"{name}: {err['msg']}"
