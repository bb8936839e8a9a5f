"""Reading and writing project.otio: limits and validation on load, atomic writes.

A save never leaves a half-written file under the final name: the new text goes to a partial
file in the same folder (written, fsynced; engine.fsutil's one name scheme), the older backups move
down one generation (`project.otio.bak` → `.bak.1` … → `.bak.4`, the oldest dropped), the previous
file is linked (or copied) to the `.bak` the same way, then the partial replaces the project file
and the folder is fsynced. Killed at any point, the folder holds the old file or the new one (and
at worst one backup generation twice or missing, never the project file), and what is left is a
partial the next writer sweeps.

Reading distrusts the file: its size and nesting depth are checked before any parser sees it (a
deep enough nesting crashes OpenTimelineIO's reader and Python's), every time in it is checked
(a rate of 0, a duration of 2**63+5 that OTIO's int64 would wrap) and Shotloom's own settings are
validated with strict types.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any

import opentimelineio as otio
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from engine.errors import ProjectError
from engine.fsutil import backup_chain, write_text_atomic
from engine.project.document import Document
from engine.project.model import KEY, MAX_FPS, MAX_FRAMES, SCHEMA_VERSION, ProjectMeta, brief, plain

PROJECT_FILE = "project.otio"
BACKUP_FILE = "project.otio.bak"
BACKUP_GENERATIONS = 5
"""Backups kept by a project save: project.otio.bak (the previous save), then .bak.1 … .bak.4."""
MAX_FILE_BYTES = 256 << 20
"""Largest project or timeline file read (a 20,000-shot project is about 40 MB)."""
MAX_DEPTH = 200
"""Deepest nesting of JSON objects and arrays read. Shotloom's own files stay under 20; timelines
from other editors under 100; nesting in the thousands crashes the parsers."""
MAX_TIME_RATE = 1_000_000.0
"""Highest rate a time may be counted at (audio sample rates are the largest real ones)."""
OTIO_ERRORS = (otio.exceptions.OTIOError, ValueError, KeyError, TypeError, IndexError, RuntimeError)
"""What OpenTimelineIO raises for text it cannot read (its own errors, or the C++ layer's)."""


def serialize(doc: Document) -> str:
    return otio.adapters.write_to_string(doc.timeline, "otio_json")


# ---- distrust before parsing ---------------------------------------------------------------------

_CHUNK_BYTES = 16 << 20


def json_depth(data: bytes, limit: int | None = None) -> int:
    """The deepest nesting of objects and arrays in JSON text, without parsing it: vectorised over
    chunks of 16 MB (a 40 MB file takes a fraction of a second, memory stays bounded); brackets
    inside strings do not count. With `limit`, it stops as soon as the nesting passes it (the
    value returned is then only known to be larger than `limit`)."""
    import numpy as np  # lazily: opening the editor's modules needs no numpy

    steps_of = np.zeros(256, np.int8)
    steps_of[[ord("["), ord("{")]] = 1
    steps_of[[ord("]"), ord("}")]] = -1
    depth = deepest = 0
    inside = False  # in a string at the chunk's start
    carry = b""  # the backslashes that ended the previous chunk (they may escape a quote)
    for start in range(0, len(data), _CHUNK_BYTES):
        chunk = carry + data[start:start + _CHUNK_BYTES]
        raw = np.frombuffer(chunk, np.uint8)
        steps = steps_of[raw]
        brackets = np.flatnonzero(steps).astype(np.int64)
        quotes = np.flatnonzero(raw == 34)
        escaped = quotes[(quotes > 0) & (raw[quotes - 1] == 92)]
        if escaped.size:  # a quote after an odd run of backslashes is part of the string
            backslashes = np.flatnonzero(raw == 92)
            index = np.arange(backslashes.size)
            run_start = np.maximum.accumulate(np.where(np.r_[True, np.diff(backslashes) != 1], index, 0))
            last = np.searchsorted(backslashes, escaped - 1)
            odd = escaped[(last - run_start[last] + 1) % 2 == 1]
            quotes = quotes[~np.isin(quotes, odd, assume_unique=True)]
        if brackets.size:
            outside = (np.searchsorted(quotes, brackets) + inside) % 2 == 0
            path = depth + np.cumsum(steps[brackets[outside]], dtype=np.int64)
            if path.size:
                deepest = max(deepest, int(path.max()))
                depth = int(path[-1])
        inside = bool((quotes.size + inside) % 2)
        stripped = chunk.rstrip(b"\\")
        carry = chunk[len(stripped):]
        if limit is not None and deepest > limit:
            break
    return deepest


def read_json_text(file: Path, *, what: str = "", hint: str = "") -> str:
    """The text of a JSON file that is safe to hand to a parser: ProjectError (one line naming the
    file) when it cannot be read, is larger than MAX_FILE_BYTES or nested deeper than MAX_DEPTH."""
    tail = f"; {hint}" if hint else ""
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProjectError(f"{file} is {size / 1e6:.0f} MB, larger than any {what or 'timeline'} Shotloom "
                               f"reads ({MAX_FILE_BYTES >> 20} MB); it is damaged or not a timeline{tail}")
        data = file.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ProjectError(f"cannot read {file} ({exc.strerror or exc}){tail}") from None
    if json_depth(data, limit=MAX_DEPTH) > MAX_DEPTH:
        raise ProjectError(f"{file} is damaged or hostile (data nested more than {MAX_DEPTH} levels deep, "
                           f"deeper than any timeline){tail}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"cannot read {file} (not UTF-8 text at byte {exc.start}){tail}") from None


_BARE_INF = re.compile(r"([:\[,]\s*)(-?)Inf(?![A-Za-z])")


def parse_json(text: str) -> Any:
    """JSON as OpenTimelineIO writes it: Python's reader, plus the bare `Inf` OTIO's reader takes
    (NaN and Infinity Python reads itself). json.JSONDecodeError for anything else."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        if "Inf" not in text:
            raise
        return json.loads(_BARE_INF.sub(r"\1\2Infinity", text))


class _Time(BaseModel):
    """An OTIO RationalTime as stored: a positive finite rate, a finite value within MAX_FRAMES
    frames' worth of time (strict: numbers only)."""

    model_config = ConfigDict(extra="allow", strict=True)
    rate: Annotated[float, Field(gt=0, le=MAX_TIME_RATE, allow_inf_nan=False)]
    value: Annotated[float, Field(allow_inf_nan=False)]


_TIME = TypeAdapter(_Time)
MAX_SECONDS = MAX_FRAMES / MAX_FPS


def check_times(raw: Any) -> str | None:
    """The first time in parsed OTIO JSON that cannot be right (rate 0, NaN, a duration beyond
    what OTIO's int64 holds), described in a few words with the item it belongs to; None when all
    are sound. Iterative: the depth was limited before, but no recursion is needed."""
    stack: list[tuple[Any, str]] = [(raw, "the timeline")]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, list):
            stack.extend((v, owner) for v in node)
            continue
        if not isinstance(node, dict):
            continue
        schema = node.get("OTIO_SCHEMA")
        if isinstance(schema, str) and schema.startswith("RationalTime."):
            try:
                time = _TIME.validate_python(node)
            except ValidationError as exc:
                return f"{owner}: time {brief(exc)}"
            if abs(time.value) / time.rate > MAX_SECONDS:
                return f"{owner}: time {time.value:g} at rate {time.rate:g} is out of range"
            continue
        if isinstance(schema, str) and isinstance(node.get("name"), str):  # a clip, a track: not a range
            kind = schema.split(".")[0].lower()
            owner = f"{kind} {node['name']!r}" if node["name"] else kind
        stack.extend((v, owner) for v in node.values() if isinstance(v, (dict, list)))
    return None


def _backup_hint(file: Path) -> str:
    bak = file.with_name(file.name + ".bak") if file.name != BACKUP_FILE else None
    if bak is not None and bak.exists():
        return f"the previous save is {bak}; copy it over {file.name} to go back to it"
    return "no backup of it exists"


def load_document(file: Path, bundle: Path) -> Document:
    """Read and validate a project file; ProjectError (one line, offering the .bak) when it is
    missing, damaged, hostile, from a newer Shotloom, or refers to media outside the bundle."""
    hint = _backup_hint(file)
    try:
        text = read_json_text(file, what="project", hint=hint)
    except FileNotFoundError:
        raise ProjectError(f"{file} does not exist; is {bundle} a Shotloom project? ({hint})") from None
    try:
        raw = parse_json(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{file} is damaged (not valid JSON at line {exc.lineno}); {hint}") from None
    meta_raw = None
    if isinstance(raw, dict) and isinstance(raw.get("metadata"), dict):
        meta_raw = raw["metadata"].get(KEY)
    if not isinstance(meta_raw, dict):
        raise ProjectError(f"{file} is not a Shotloom project (no Shotloom settings in it); {hint}")
    version = meta_raw.get("schema_version")
    if isinstance(version, (int, float)) and not isinstance(version, bool) and math.isfinite(version) \
            and version > SCHEMA_VERSION:
        raise ProjectError(f"{file} was saved by a newer Shotloom (project format {version:g}, this one "
                           f"reads up to {SCHEMA_VERSION}); update Shotloom, or {hint}")
    try:
        ProjectMeta(**meta_raw)
    except (ValidationError, TypeError) as exc:
        raise ProjectError(f"{file} has invalid project settings ({brief(exc)}); {hint}") from None
    bad_time = check_times(raw)
    if bad_time is not None:
        raise ProjectError(f"{file} is damaged ({bad_time}); {hint}")
    del raw
    try:
        timeline = otio.adapters.read_from_string(text, "otio_json")
    except OTIO_ERRORS as exc:
        raise ProjectError(f"{file} is damaged ({brief(exc)}); {hint}") from None
    if not isinstance(timeline, otio.schema.Timeline) or len(timeline.tracks) < 2 \
            or timeline.tracks[0].kind != otio.schema.TrackKind.Video \
            or timeline.tracks[1].kind != otio.schema.TrackKind.Audio:
        raise ProjectError(f"{file} is damaged (it lacks the shot and audio tracks); {hint}")
    try:
        doc = Document(timeline, bundle)
        problems = doc.problems()
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        raise ProjectError(f"{file} is damaged ({brief(exc)}); {hint}") from None
    if problems:
        raise ProjectError(f"{file} is damaged ({problems[0]}); {hint}")
    try:
        doc.check_paths(str(file))
    except ProjectError as exc:
        raise ProjectError(f"{exc}; {hint}") from None
    return doc


def backup_files(backup: Path, generations: int = BACKUP_GENERATIONS) -> list[Path]:
    """The rotating backups of a file, newest first: `backup`, then `backup.1` … `backup.{n-1}`."""
    return backup_chain(backup, generations)


def write_atomic(target: Path, text: str, *, backup: Path | None = None, generations: int = 1) -> None:
    """Replace `target` with `text` atomically (engine.fsutil); the previous file becomes `backup`
    when given, and with `generations` > 1 the older backups rotate down (`backup.1` …
    `backup.{generations-1}`). ProjectError naming the file when the disk refuses; the old file is
    then left as it was and no partial file behind."""
    try:
        write_text_atomic(target, text, backup=backup, generations=generations)
    except OSError as exc:
        raise ProjectError(f"could not save {target} ({exc.strerror or exc}); the previous save is "
                           "unchanged — free some disk space or check the folder's permissions") from exc


__all__ = [
    "BACKUP_FILE",
    "BACKUP_GENERATIONS",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "PROJECT_FILE",
    "SCHEMA_VERSION",
    "backup_files",
    "check_times",
    "json_depth",
    "load_document",
    "parse_json",
    "plain",
    "read_json_text",
    "serialize",
    "write_atomic",
]
