"""Foreign timelines in and out.

`import_otio` reads any .otio file and appends what Shotloom can represent to a project: the
clips of the first video track become shots (media that exists is probed and referenced; media
that does not exist becomes a "missing" shot to relink; a clip without media becomes a pending
shot), dissolves become crossfades. What cannot be represented (gaps, nested stacks, effects,
markers, other tracks, newer schema fields) is listed in the report, one clear line each.

A foreign file is untrusted: its size and nesting are limited and its times checked before any
parser sees it, then OpenTimelineIO reads it first in a child process (a file that crashes the
library kills only that process). Shotloom generators in it are checked like `shot add` checks
them (sizes, frames, steps) and may only read images inside the project. The shots are checked
and inserted in one pass (one edit), so an import is linear in the clips, with progress.

`export_otio` writes the project's timeline with absolute media URLs; OpenTimelineIO reads it
back equivalent to what was written.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from engine.errors import ProjectError
from engine.progress import ProgressFn, no_progress
from engine.project.edits import Edit, InsertShot
from engine.project.model import (
    GENERATOR_KIND,
    KEY,
    TRANSITION_KINDS,
    ShotMeta,
    TakeMeta,
    brief,
    new_id,
    plain,
)
from engine.project.storage import OTIO_ERRORS, check_times, parse_json, read_json_text, write_atomic

CHILD_TIMEOUT = 300.0
"""Seconds the child process may take to read a timeline (20,000 clips take a few)."""


@dataclass
class ImportReport:
    """What an import did: the new shots (in order) and one line per thing not imported as is."""

    source: Path
    shot_ids: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    undo: Edit | None = None
    """One edit that removes everything the import added (for the editor's undo stack)."""

    def __str__(self) -> str:
        head = f"{self.source.name}: {len(self.shot_ids)} shot(s) imported"
        return "\n".join([head, *(f"  - {line}" for line in self.lines)])


# ---- reading a file ------------------------------------------------------------------------------

def _downgrade(node: Any, supported: dict[str, int], notes: set[str]) -> Any:
    """Rewrite schemas newer than this OpenTimelineIO knows (e.g. Marker.3 from OTIO 0.18+ main)
    to the version it reads, keeping what the older schema can hold."""
    if isinstance(node, list):
        return [_downgrade(v, supported, notes) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _downgrade(v, supported, notes) for k, v in node.items()}
    schema = out.get("OTIO_SCHEMA")
    if isinstance(schema, str) and "." in schema:
        name, _, version = schema.rpartition(".")
        if version.isdigit() and name in supported and int(version) > supported[name]:
            notes.add(f"{schema} (read as {name}.{supported[name]})")
            out["OTIO_SCHEMA"] = f"{name}.{supported[name]}"
            if name == "Marker" and isinstance(out.get("color"), dict):
                colour = str(out["color"].get("name") or "RED").upper()
                out["color"] = colour if colour in vars(otio.schema.MarkerColor).values() else "RED"
    return out


def read_timeline(path: Path, lines: list[str], *, isolated: bool = True) -> otio.schema.Timeline:
    """The timeline in an .otio file; ProjectError (one line) when it cannot be read, is too large
    or too deep, holds impossible times, or crashes the reader (tried first in a child process
    unless `isolated` is False: the child itself)."""
    try:
        text = read_json_text(path, hint="is it an .otio file?")
    except FileNotFoundError:
        raise ProjectError(f"{path} not found; check the path") from None
    try:
        raw = parse_json(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{path} is not a readable OTIO timeline (not valid JSON at line {exc.lineno})") from None
    bad_time = check_times(raw)
    if bad_time is not None:
        raise ProjectError(f"{path} is damaged or hostile ({bad_time}); it was not imported")
    if isolated:
        _read_in_child(path)
    try:
        obj = otio.adapters.read_from_string(text, "otio_json")
    except OTIO_ERRORS as exc:
        message = brief(exc)
        if not isinstance(exc, otio.exceptions.UnsupportedSchemaError):
            raise ProjectError(f"{path} is not a readable OTIO timeline ({message})") from None
        notes: set[str] = set()
        fixed = _downgrade(raw, otio.core.type_version_map(), notes)
        try:
            obj = otio.adapters.read_from_string(json.dumps(fixed), "otio_json")
        except OTIO_ERRORS as exc2:
            raise ProjectError(f"{path} is not a readable OTIO timeline ({brief(exc2)})") from None
        lines.append(f"written by a newer OpenTimelineIO: {', '.join(sorted(notes))}; "
                     "fields the older schema lacks (such as marker colours) were simplified")
    del raw
    if isinstance(obj, otio.schema.SerializableCollection):
        timelines = [t for t in obj.find_children(descended_from_type=otio.schema.Timeline)] \
            if hasattr(obj, "find_children") else [t for t in obj if isinstance(t, otio.schema.Timeline)]
        if not timelines:
            raise ProjectError(f"{path} holds no timeline")
        if len(timelines) > 1:
            lines.append(f"the file holds {len(timelines)} timelines; only the first, "
                         f"{timelines[0].name!r}, was imported")
        obj = timelines[0]
    if isinstance(obj, otio.schema.Track):
        timeline = otio.schema.Timeline(name=obj.name)
        timeline.tracks.append(obj.deepcopy())
        return timeline
    if isinstance(obj, otio.schema.Stack):
        timeline = otio.schema.Timeline(name=obj.name)
        timeline.tracks = obj.deepcopy()
        return timeline
    if not isinstance(obj, otio.schema.Timeline):
        raise ProjectError(f"{path} holds a {type(obj).__name__}, not a timeline")
    return obj


def _read_in_child(path: Path) -> None:
    """Read the timeline in a child process first (engine.project.otio_child): a file that crashes
    OpenTimelineIO's C++ reader becomes a one-line ProjectError instead of killing this process."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        done = subprocess.run([sys.executable, "-m", "engine.project.otio_child", str(path)],
                              capture_output=True, text=True, timeout=CHILD_TIMEOUT, env=env,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise ProjectError(f"{path} took longer than {CHILD_TIMEOUT:g} s to read; it is damaged or too "
                           "large to import") from None
    except OSError as exc:
        raise ProjectError(f"{path}: the timeline reader could not start ({exc.strerror}); "
                           "check the installation") from None
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        raise ProjectError(f"{path} crashed the timeline reader ({name}); the file is damaged or hostile "
                           "and was not imported")
    reply = None
    for line in reversed(done.stdout.strip().splitlines()):
        try:
            reply = json.loads(line)
            break
        except ValueError:
            continue
    if not isinstance(reply, dict) or ("error" not in reply and not reply.get("ok")):
        raise ProjectError(f"{path}: the timeline reader gave no answer (exit {done.returncode}); "
                           "the file may be damaged")
    if "error" in reply:
        raise ProjectError(" ".join(str(reply["error"]).split()))


# ---- mapping -------------------------------------------------------------------------------------

class _Frames:
    """Foreign RationalTime → project frames (start and end rounded separately: no drift)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def at(self, t: otio.opentime.RationalTime) -> int:
        return round(t.value_rescaled_to(self.rate)) if t.rate != self.rate else round(t.value)

    def span(self, r: otio.opentime.TimeRange) -> tuple[int, int]:
        start = self.at(r.start_time)
        return start, self.at(r.end_time_exclusive()) - start


def _url_to_path(url: str, base: Path) -> Path:
    if "://" in url:
        parsed = urlparse(url)
        if parsed.scheme != "file":
            return Path(url)
        text = unquote(parsed.path)
    else:
        text = url
    if re.match(r"^/?[A-Za-z]:[/\\]", text):  # a Windows drive path, kept recognisable
        return Path("/" + text.lstrip("/").replace("\\", "/"))
    p = Path(text).expanduser()
    return p if p.is_absolute() else (base / p)


def _where(frame: int) -> str:
    return f"at frame {frame}"


def _describe(item: otio.core.Item) -> str:
    return f"{type(item).__name__.lower()} {item.name!r}" if item.name else type(item).__name__.lower()


def import_otio(project: Any, otio_path: Path | str, *, index: int | None = None,
                progress: ProgressFn = no_progress) -> ImportReport:
    """Append the foreign timeline's first video track to `project` as shots (at `index`, default
    the end), in one edit (`report.undo` takes it back). Returns an ImportReport; ProjectError only
    when the file cannot be read at all. `progress(done, total, name)` follows the clips."""
    source = Path(otio_path).expanduser().absolute()
    report = ImportReport(source=source)
    lines = report.lines
    timeline = read_timeline(source, lines)
    frames = _Frames(float(project.fps))
    base = source.parent

    tracks = list(timeline.tracks)
    video = [t for t in tracks if isinstance(t, otio.schema.Track) and t.kind == otio.schema.TrackKind.Video]
    for item in tracks:
        if not isinstance(item, otio.schema.Track):
            lines.append(f"top-level {_describe(item)} skipped: only tracks can be imported")
    if timeline.tracks.markers:
        lines.append(f"{len(timeline.tracks.markers)} timeline marker(s) not imported (Shotloom has no markers)")
    if not video:
        lines.append("the timeline has no video track; nothing to import")
        return report
    track = video[0]
    for n, other in enumerate(video[1:], start=2):
        lines.append(f"video track {n} {other.name!r} ({len(other)} items) ignored: Shotloom reads only "
                     "the first video track")
    audio = [t for t in tracks if isinstance(t, otio.schema.Track) and t.kind == otio.schema.TrackKind.Audio]
    if audio:
        count = sum(len(list(t.find_clips())) for t in audio)
        lines.append(f"{len(audio)} audio track(s) ({count} clips) ignored: shots keep their own sound; "
                     "add music with an audio clip")
    if track.markers:
        lines.append(f"{len(track.markers)} marker(s) on track {track.name!r} not imported")
    if track.effects:
        lines.append(f"effects on track {track.name!r} ignored")

    rates = {c.source_range.start_time.rate for c in track.find_clips(shallow_search=True) if c.source_range}
    if any(abs(r - frames.rate) > 1e-6 for r in rates):
        lines.append(f"times at {', '.join(f'{r:g}' for r in sorted(rates))} fps were converted to the "
                     f"project's {project.fps} fps (rounded to whole frames)")

    start_index = len(project.shots()) if index is None else index
    items: list[InsertShot | otio.schema.Clip] = []
    labels: list[str] = []
    notes: dict[int, str] = {}
    placed: dict[int, int] = {}  # child index → item index
    pos = 0
    children = list(track)
    for k, child in enumerate(children):
        if isinstance(child, otio.schema.Transition):
            continue
        try:
            length = frames.span(child.trimmed_range())[1]
        except OTIO_ERRORS:
            length = 0
        if isinstance(child, otio.schema.Gap):
            lines.append(f"gap of {length} frames {_where(pos)} removed: the storyboard has no gaps")
        elif isinstance(child, (otio.schema.Stack, otio.schema.Track)):
            extra = f", {len(child.effects)} effect(s)" if child.effects else ""
            lines.append(f"nested sequence {child.name!r} {_where(pos)} ({length} frames{extra}) skipped: "
                         "flatten it in your editor and export again")
        elif isinstance(child, otio.schema.Clip):
            made = _clip_item(project, child, frames, base, pos, lines)
            if made is not None:
                item, label, note = made
                placed[k] = len(items)
                if note:
                    notes[len(items)] = note
                items.append(item)
                labels.append(label)
        else:
            lines.append(f"{_describe(child)} {_where(pos)} skipped: Shotloom cannot represent it")
        pos += length

    mixes: dict[int, tuple[str, int, int]] = {}
    mix_labels: dict[int, str] = {}
    for k, child in enumerate(children):
        if isinstance(child, otio.schema.Transition):
            mix = _transition_mix(child, frames, placed.get(k - 1), placed.get(k + 1), lines)
            if mix is not None:
                after, kind, early, late, label = mix
                mixes[after] = (kind, early, late)
                mix_labels[after] = label

    plan = project.plan_shots(start_index, items, mixes, progress, notes)
    for i, reason in sorted(plan.refused.items()):
        lines.append(f"{labels[i]} skipped: {reason}")
    for i, reason in sorted(plan.cuts.items()):
        label = mix_labels[i]
        if i in plan.refused or i - 1 in plan.refused:
            lines.append(f"{label} next to something that was not imported was dropped (a cut instead)")
        else:
            kind, early, late = mixes[i]
            lines.append(f"{label} ({early + late} frames) could not be kept, imported as a cut: {reason}")
    if plan.edit is not None:
        report.undo = project.apply(plan.edit)
        report.shot_ids = [shot_id for shot_id in plan.shot_ids if shot_id is not None]
    return report


def _clip_item(project: Any, clip: otio.schema.Clip, frames: _Frames, base: Path, pos: int,
               lines: list[str]) -> tuple[InsertShot | otio.schema.Clip, str, str] | None:
    """(what to insert for a foreign clip, its label for messages, its notes), or None when it
    is skipped (the reason is in `lines`)."""
    name = clip.name or "clip"
    label = f"clip {name!r} {_where(pos)}"
    if not clip.enabled:
        lines.append(f"{label} is disabled; skipped")
        return None
    if clip.effects:
        names = ", ".join(e.effect_name or e.name or type(e).__name__ for e in clip.effects)
        lines.append(f"effects on {label} ({names}) ignored: it plays at normal speed, unprocessed")
    if clip.markers:
        lines.append(f"{len(clip.markers)} marker(s) on {label} not imported")
    ref = clip.media_reference
    try:
        trimmed = clip.trimmed_range()
    except OTIO_ERRORS:
        lines.append(f"{label} has no length; skipped")
        return None
    source_start, length = frames.span(trimmed)
    if length < 1:
        lines.append(f"{label} is shorter than one frame at the project rate; skipped")
        return None
    ar = ref.available_range
    media_start = frames.at(ar.start_time) if ar is not None else 0
    source_in = source_start - media_start
    meta = plain(clip.metadata.get(KEY)) if KEY in clip.metadata else None
    notes = meta.get("notes", "") if isinstance(meta, dict) else ""
    notes = notes if isinstance(notes, str) else ""
    shot_id = new_id()

    if isinstance(ref, otio.schema.GeneratorReference) and ref.generator_kind == GENERATOR_KIND:
        recipe = _checked_recipe(project, plain(ref.parameters), label, lines)
        if recipe is None:
            lines.append(f"{label} imported as a pending shot of {length} frames without its recipe — give it "
                         "a recipe or a take")
            recipe = {}
        return InsertShot(0, name, frames=length, recipe=recipe, source_in=max(0, source_in),
                          shot_id=shot_id), label, notes
    if not isinstance(ref, otio.schema.ExternalReference):
        why = {
            otio.schema.MissingReference: "has no media",
            otio.schema.GeneratorReference: f"is made by a {getattr(ref, 'generator_kind', '')!r} generator "
                                            "Shotloom cannot run",
            otio.schema.ImageSequenceReference: "is an image sequence (not supported yet)",
        }.get(type(ref), f"has a {type(ref).__name__} Shotloom cannot read")
        lines.append(f"{label} {why}: imported as a pending shot of {length} frames — give it a recipe "
                     "or a take")
        return InsertShot(0, name, frames=length, recipe={}, shot_id=shot_id), label, notes

    path = _url_to_path(ref.target_url, base)
    if path.is_file():
        if source_in < 0:
            lines.append(f"{label} starts {-source_in} frames before its media; trimmed to the media start")
            length += source_in
            source_in = 0
        return InsertShot(0, name, media_path=path, source_in=source_in, frames=length, kind="imported",
                          shot_id=shot_id), label, notes
    # Missing media: keep the shot and its timing, pointing at the file to relink.
    lines.append(f"media of {label} not found ({path}): kept as a missing shot — relink or replace it")
    # Its length is unknown until it is relinked (the foreign file's claim is not checked here).
    take_id = new_id()
    source_in = max(0, source_in)
    rate = float(project.fps)
    take = otio.schema.ExternalReference(
        target_url=str(path),
        metadata={KEY: TakeMeta(id=take_id, kind="imported", by_reference=True).dump()})
    shot = otio.schema.Clip(
        name=name, source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(source_in, rate),
                                                        otio.opentime.RationalTime(length, rate)),
        metadata={KEY: ShotMeta(id=shot_id).dump()})
    shot.set_media_references({take_id: take}, take_id)
    return shot, label, notes


def _checked_recipe(project: Any, recipe: Any, label: str, lines: list[str]) -> dict | None:
    """A foreign Shotloom generator's recipe, checked as `shot add` checks a new one (the request's
    sizes, frames and steps), its image inside the project; None (with the reason in `lines`)
    when it does not pass."""
    if not isinstance(recipe, dict) or not recipe:
        return recipe if isinstance(recipe, dict) else None
    try:
        from engine.gen.requests import parse_request
        from engine.gen.takes import SPEC_KEY, request_dict
    except ImportError:
        lines.append(f"the generator of {label} cannot be checked by this installation")
        return None
    checks = []
    if SPEC_KEY in recipe:  # what `shot add` stored: resolved against this project
        checks.append(lambda: request_dict(project, _spec(recipe[SPEC_KEY]), check_sources=False))
    if "request" in recipe:  # a generated take's recipe, which `generate` can replay
        checks.append(lambda: recipe["request"])
    for make in checks:
        try:
            request = parse_request(make())
        except (ValueError, TypeError, KeyError) as exc:
            lines.append(f"the generator of {label} is refused ({brief(exc)})")
            return None
        image = getattr(request, "image", None)
        if image is not None:
            real = Path(os.path.abspath(Path(image).expanduser())).resolve()
            if not real.is_relative_to(Path(project.path).resolve()):
                lines.append(f"the generator of {label} reads the image {image}, outside the project; refused")
                return None
    return recipe


def _spec(value: Any) -> dict:
    if not isinstance(value, dict) or "task" not in value:
        raise ValueError("its generation spec names no task")
    return value


def _transition_mix(tr: otio.schema.Transition, frames: _Frames, before: int | None, after: int | None,
                    lines: list[str]) -> tuple[int, str, int, int, str] | None:
    """(item after it, kind, frames before the cut, frames after it, label) for a foreign
    transition between two imported clips; None (with a line) when it becomes a cut."""
    a = frames.at(tr.in_offset)
    b = frames.at(tr.out_offset)
    label = f"transition {tr.name!r}" if tr.name else "a transition"
    if before is None or after is None:
        lines.append(f"{label} next to something that was not imported was dropped (a cut instead)")
        return None
    meta = plain(tr.metadata.get(KEY)) if KEY in tr.metadata else None
    kind = meta.get("kind") if isinstance(meta, dict) and meta.get("kind") in TRANSITION_KINDS else None
    if kind is None:
        kind = "crossfade"
        if tr.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve:
            lines.append(f"{label} of type {tr.transition_type!r} imported as a crossfade")
    if a < 0 or b < 0 or a + b < 1:
        lines.append(f"{label} has no length at the project rate; a cut instead")
        return None
    return after, kind, a, b, label


# ---- export --------------------------------------------------------------------------------------

def exported_timeline(project: Any) -> otio.schema.Timeline:
    """A copy of the project's timeline whose media references are absolute file URLs."""
    timeline = project.timeline.deepcopy()
    for clip in timeline.find_clips():
        meta = plain(clip.metadata.get(KEY, {}))
        clip_by_ref = bool(meta.get("by_reference")) if isinstance(meta, dict) else False
        for ref in clip.media_references().values():
            if not isinstance(ref, otio.schema.ExternalReference):
                continue
            take = plain(ref.metadata.get(KEY, {}))
            by_ref = bool(take.get("by_reference")) if isinstance(take, dict) and take else clip_by_ref
            path = Path(ref.target_url) if by_ref else project.path / ref.target_url
            ref.target_url = path.absolute().as_uri()
    return timeline


TIMELINE_FORMATS = {".otio": ("otio_json", "OpenTimelineIO"), ".xml": ("fcp_xml", "Final Cut Pro 7 XML"),
                    ".edl": ("cmx_3600", "CMX 3600 EDL")}
"""Timeline files written through OpenTimelineIO's adapters, by extension: (adapter, format name)."""


def export_otio(project: Any, out_path: Path | str) -> Path:
    """Write the timeline as .otio (atomically) with absolute media URLs; returns the path."""
    out = Path(out_path).expanduser().absolute()
    if out.suffix.lower() != ".otio":
        raise ProjectError(f"{out} must end in .otio to be written as an OpenTimelineIO timeline")
    return export_timeline(project, out)


def export_timeline(project: Any, out_path: Path | str) -> Path:
    """Write the timeline (atomically, absolute media URLs) in the format its extension names:
    .otio, .xml (Final Cut Pro 7 XML, which Premiere and Resolve read) or .edl (CMX 3600, picture
    only). The adapters are OpenTimelineIO's; returns the path."""
    out = Path(out_path).expanduser().absolute()
    fmt = TIMELINE_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ProjectError(f"{out}: a timeline is written as {', '.join(TIMELINE_FORMATS)}; "
                           "pick one of those extensions")
    adapter, name = fmt
    if not out.parent.is_dir():
        raise ProjectError(f"folder {out.parent} does not exist; create it first")
    if adapter not in otio.adapters.available_adapter_names():
        raise ProjectError(f"{out}: writing {name} needs OpenTimelineIO's {adapter} adapter; "
                           "install it with: pip install otio-fcp-adapter otio-cmx3600-adapter")
    try:
        text = otio.adapters.write_to_string(exported_timeline(project), adapter)
    except OTIO_ERRORS as exc:
        raise ProjectError(f"{out}: this cut cannot be written as {name} ({brief(exc)})") from None
    write_atomic(out, text)
    return out
