"""How each edit validates, applies and builds its exact inverse. Every handler checks all of
its input before it changes anything; Composite rolls back what it applied when a later edit
is refused. Structural edits (insert, remove, move, restore) turn transitions that no longer fit
into cuts and put them back in their inverse."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from pydantic import ValidationError

from engine.errors import EditError, ProjectError
from engine.project.document import Document, Slot
from engine.project.edits import (
    AddAudioClip,
    AddBinItem,
    AddMarker,
    AddTake,
    ClearTransition,
    Composite,
    DropLooseTake,
    Edit,
    InsertShot,
    KeepLooseTake,
    MoveShot,
    RemoveAudioClip,
    RemoveBinItem,
    RemoveMarker,
    RemoveShot,
    RemoveShots,
    RemoveTake,
    RenameProject,
    RenameShot,
    RestoreAudioClip,
    RestoreShot,
    RestoreShots,
    RestoreTake,
    RestoreTimeline,
    SetActiveTake,
    SetMarker,
    SetNotes,
    SetProjectFormat,
    SetRecipe,
    SetShotStatus,
    SetTransition,
    SplitShot,
    TrimShot,
)
from engine.project.media_length import media_length
from engine.project.model import (
    FIT_MODES,
    GENERATOR_KEY,
    KEY,
    MARKER_COLOURS,
    MAX_GAIN_DB,
    TRANSITION_KINDS,
    AudioClipMeta,
    BinItemMeta,
    LooseTakeMeta,
    MarkerMeta,
    ShotMeta,
    SourceUse,
    TakeMeta,
    brief,
    check_json,
    format_fps,
    new_id,
    parse_fps,
    parse_size,
    plain,
)
from engine.project.storage import OTIO_ERRORS

Result = tuple[Edit, set[str]]
"""(the exact inverse, ids of the shots and audio clips touched)."""

SHOT_STATUSES = ("ready", "pending", "missing", "stale")


def kind_of(edit: Edit) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(edit).__name__).lower()


def apply_edit(doc: Document, edit: Edit) -> Result:
    handler = _HANDLERS.get(type(edit))
    if handler is None:
        raise EditError(f"{type(edit).__name__} is not an edit this project understands")
    return handler(doc, edit)


# ---- input checks ----------------------------------------------------------------------------

def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EditError(f"{what} must be a whole number of frames, not {value!r}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise EditError(f"{what} must be text, not {value!r}")
    return value


def _new_item_id(doc: Document, given: str | None, what: str, ids: set[str] | None = None) -> str:
    if given is None:
        return new_id()
    _text(given, what)
    if not given.strip():
        raise EditError(f"{what} must not be empty")
    if given in (all_ids(doc) if ids is None else ids):
        raise EditError(f"{what} {given!r} is already used in this project; pick another")
    return given


def _recipe(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EditError(f"a recipe must be a dictionary of settings, not {type(value).__name__}")
    try:
        return check_json(value, "the recipe")
    except ValueError as exc:
        raise EditError(str(exc)) from exc


def all_ids(doc: Document) -> set[str]:
    ids: set[str] = set()
    for slot in doc.slots():
        ids.add(doc.item_id(slot.clip))
        if slot.transition is not None:
            ids.add(doc.item_id(slot.transition))
    for _, clip in doc.audio_slots():
        ids.add(doc.item_id(clip))
    ids.update(doc.item_id(m) for m in doc.markers())
    ids.update(b.id for b in doc.meta.bin)
    return ids


def _shot_id(doc: Document, slot: Slot) -> str:
    return doc.item_id(slot.clip)


def _length(doc: Document, path: Path) -> int | None:
    return media_length(path, doc.fps)


def _range_in_media(doc: Document, name: str, source_in: int, frames: int, length: int | None) -> None:
    if frames < 1:
        raise EditError(f"shot {name!r} would be {frames} frames long; a shot needs at least 1 frame")
    if source_in < 0:
        raise EditError(f"shot {name!r} would start {-source_in} frames before its media begins")
    if length is not None and source_in + frames > length:
        raise EditError(f"shot {name!r} needs source frames up to {source_in + frames} but its media "
                        f"has {length} frames")


def _fix_transitions(doc: Document, slots: list[Slot]) -> list[Edit]:
    """Turn transitions that no longer fit (first shot, longer than the shot before) into cuts;
    return the SetTransition edits that restore them."""
    restores: list[Edit] = []
    for i, slot in enumerate(slots):
        if slot.transition is None:
            continue
        length = doc.transition_frames(slot.transition)
        if i > 0 and length <= doc.clip_range(slots[i - 1].clip)[1]:
            continue
        tmeta = doc.transition_meta(slot.transition)
        source_in, frames = doc.clip_range(slot.clip)
        doc.set_clip_range(slot.clip, source_in - length, frames + length)
        slot.transition = None
        restores.append(SetTransition(_shot_id(doc, slot), tmeta.kind, length, tmeta.id))
    return restores


def _with_restores(inverse: Edit, restores: list[Edit]) -> Edit:
    return Composite([inverse, *restores]) if restores else inverse


def _restore_ids(restores: list[Edit]) -> set[str]:
    return {r.shot_id for r in restores if isinstance(r, SetTransition)}


def _next_transition(doc: Document, slots: list[Slot], i: int) -> int:
    return doc.transition_frames(slots[i + 1].transition) if i + 1 < len(slots) else 0


def _parse(json_text: Any, cls: type, what: str) -> Any:
    _text(json_text, what)
    try:
        obj = otio.adapters.read_from_string(json_text, "otio_json")
    except OTIO_ERRORS as exc:
        raise EditError(f"{what} is not a valid OTIO item ({brief(exc)})") from exc
    if not isinstance(obj, cls):
        raise EditError(f"{what} is a {type(obj).__name__}, not a {cls.__name__}")
    return obj


def _check_paths_for_edit(doc: Document, stored: str, by_reference: bool, what: str) -> None:
    try:
        doc.check_stored_path(stored, by_reference, what)
    except ProjectError as exc:
        raise EditError(str(exc)) from exc


# ---- shots -------------------------------------------------------------------------------------

def _insert_shot(doc: Document, e: InsertShot) -> Result:
    slots = doc.slots()
    index = _int(e.index, "shot index")
    if not 0 <= index <= len(slots):
        raise EditError(f"shot index {index} is outside 0..{len(slots)}")
    clip = shot_clip(doc, e, all_ids(doc))
    shot_id = doc.item_id(clip)
    slots.insert(index, Slot(None, clip))
    restores = _fix_transitions(doc, slots)
    doc.set_slots(slots)
    return _with_restores(RemoveShot(shot_id), restores), {shot_id} | _restore_ids(restores)


def shot_clip(doc: Document, e: InsertShot, ids: set[str],
              media_cache: dict[tuple[str, Path], Any] | None = None) -> otio.schema.Clip:
    """The clip an InsertShot would insert (its index is not looked at), checked as the edit
    checks it; nothing changes. `ids` are the ids in use (the new shot's is added); `media_cache`
    keeps what was learnt about each media file across many calls (an import of one file cut a
    thousand times measures it once)."""
    name = _text(e.name, "shot name")
    source_in = _int(e.source_in, "source in-point")
    shot_id = _new_item_id(doc, e.shot_id, "shot id", ids)
    if e.media_path is None:
        if e.take_id is not None:
            raise EditError("a take id needs a media file; leave take_id out for a pending shot")
        if e.frames is None:
            raise EditError(f"pending shot {name!r} needs a length in frames")
        frames = _int(e.frames, "shot length")
        _range_in_media(doc, name, source_in, frames, None)
        refs: dict[str, Any] = {GENERATOR_KEY: doc.make_generator(_recipe(e.recipe or {}))}
        active = GENERATOR_KEY
    else:
        path = Path(e.media_path)
        kind = e.kind
        if kind is None:
            generated_root = (doc.bundle / "media" / "generated").resolve()
            kind = "generated" if Path(path).absolute().resolve().is_relative_to(generated_root) \
                else "imported"
        if kind not in ("imported", "generated"):
            raise EditError(f"take kind {kind!r} must be 'imported' or 'generated'")
        cache = media_cache if media_cache is not None else {}
        key = (kind, path)
        if key not in cache:
            stored, by_ref = doc.store_path(path, allow_outside=kind == "imported", what="media file")
            cache[key] = (stored, by_ref, _length(doc, doc.resolve(stored, by_ref)))
        stored, by_ref, length = cache[key]
        if e.frames is None:
            if length is None:
                raise EditError(f"{path} is a still image; give the shot a length in frames")
            frames = length - source_in
        else:
            frames = _int(e.frames, "shot length")
        _range_in_media(doc, name, source_in, frames, length)
        take_id = _take_id(e.take_id if e.take_id is not None else new_id())
        recipe = _recipe(e.recipe) if e.recipe is not None else None
        ref = _make_take(doc, take_id, stored, by_ref, kind, recipe if kind == "generated" else None, length)
        refs = {take_id: ref}
        if recipe is not None:
            refs[GENERATOR_KEY] = doc.make_generator(recipe)
        active = take_id
    clip = otio.schema.Clip(name=name, source_range=doc.time_range(source_in, frames),
                            metadata={KEY: ShotMeta(id=shot_id).dump()})
    clip.set_media_references(refs, active)
    ids.add(shot_id)
    return clip


def mix_into(doc: Document, before: otio.schema.Clip, after: otio.schema.Clip, kind: str,
             early: int, late: int) -> None:
    """Turn the cut between two neighbouring new clips into a foreign editor's mix that starts
    `early` frames before the cut and ends `late` frames after it: Shotloom's mix of
    early + late frames ending at the cut, the earlier clip showing `late` frames more (the same
    picture at every frame). EditError, and nothing changed, when the media is too short."""
    if kind not in TRANSITION_KINDS:
        raise EditError(f"transition kind {kind!r} must be one of {', '.join(TRANSITION_KINDS)}")
    length = early + late
    if early < 0 or late < 0 or length < 1:
        raise EditError("the transition has no length at the project rate")
    a_in, a_frames = doc.clip_range(before)
    _range_in_media(doc, before.name, a_in, a_frames + late, doc.active_length(before))
    b_in, b_frames = doc.clip_range(after)
    _range_in_media(doc, after.name, b_in - early, b_frames + early, doc.active_length(after))
    if b_frames - late < 1:
        raise EditError(f"shot {after.name!r} is {b_frames} frames; it needs more than {late} for this mix")
    if length > a_frames + late:
        raise EditError(f"shot {before.name!r} is {a_frames + late} frames; a transition can be at most "
                        f"that long, not {length}")
    doc.set_clip_range(before, a_in, a_frames + late)
    doc.set_clip_range(after, b_in - early + length, b_frames + early - length)


@dataclass
class ShotPlan:
    """What `plan_shots` made of many shots to insert: one edit (None when none could be made),
    the new shot's id per item (None: refused, with the reason in `refused`), and the mixes
    that became cuts (`cuts`: position of the later item → reason)."""

    edit: RestoreShots | None
    shot_ids: list[str | None]
    refused: dict[int, str] = field(default_factory=dict)
    cuts: dict[int, str] = field(default_factory=dict)


def plan_shots(doc: Document, index: int, items: list[InsertShot | otio.schema.Clip],
               mixes: dict[int, tuple[str, int, int]] | None = None,
               progress: Callable[[int, int, str], None] | None = None,
               notes: dict[int, str] | None = None) -> ShotPlan:
    """Check many new shots at once and make the one edit that inserts those that pass at `index`
    (an import): each item is an InsertShot (its own index is ignored) or a ready Clip with
    Shotloom data; `mixes` turn the cut before item k into a foreign editor's mix
    (kind, frames before the cut, frames after it; see mix_into); `notes` are shots' notes.
    Nothing changes. Linear: every check runs once per item, media lengths are measured once per
    file."""
    mixes = mixes or {}
    notes = notes or {}
    ids = all_ids(doc)
    media_cache: dict[tuple[str, Path], Any] = {}
    built: list[tuple[int, otio.schema.Clip]] = []
    plan = ShotPlan(None, [None] * len(items))
    for k, item in enumerate(items):
        try:
            if isinstance(item, InsertShot):
                clip = shot_clip(doc, item, ids, media_cache)
            else:
                clip = _ready_clip(doc, item, ids)
        except EditError as exc:
            plan.refused[k] = str(exc)
        else:
            if notes.get(k):
                doc.set_shot_meta(clip, doc.shot_meta(clip).model_copy(update={"notes": str(notes[k])}))
            built.append((k, clip))
            plan.shot_ids[k] = doc.item_id(clip)
        if progress is not None:
            progress(k + 1, len(items), getattr(item, "name", ""))
    slots = [Slot(None, clip) for _, clip in built]
    for n, (k, clip) in enumerate(built):
        if k not in mixes:
            continue
        if n == 0 or built[n - 1][0] != k - 1:
            plan.cuts[k] = "it is next to something that was not imported"
            continue
        kind, early, late = mixes[k]
        try:
            mix_into(doc, built[n - 1][1], clip, kind, early, late)
        except EditError as exc:
            plan.cuts[k] = str(exc)
            continue
        slots[n].transition = doc.make_transition(kind, early + late, new_id())
    if slots:
        track = otio.schema.Track(name="shots")
        for slot in slots:
            if slot.transition is not None:
                track.append(slot.transition)
            track.append(slot.clip)
        plan.edit = RestoreShots(index, otio.adapters.write_to_string(track, "otio_json"))
    return plan


def _ready_clip(doc: Document, clip: otio.schema.Clip, ids: set[str]) -> otio.schema.Clip:
    _check_restored(doc, clip, None, ids, None, "")
    return clip


def _insert_many(doc: Document, index: int, items: list, ids: set[str]) -> Result:
    """Insert Slots (already checked) at index in one pass; the inverse removes them."""
    slots = doc.slots()
    slots[index:index] = items
    restores = _fix_transitions(doc, slots)
    doc.set_slots(slots)
    new_ids = [_shot_id(doc, s) for s in items]
    return _with_restores(RemoveShots(new_ids), restores), set(new_ids) | _restore_ids(restores)


def _restore_shots(doc: Document, e: RestoreShots) -> Result:
    slots = doc.slots()
    index = _int(e.index, "shot index")
    if not 0 <= index <= len(slots):
        raise EditError(f"shot index {index} is outside 0..{len(slots)}")
    track = _parse(e.track_json, otio.schema.Track, "the shots to restore")
    children = list(track)
    del track[:]  # the items move into the project's track
    ids = all_ids(doc)
    items: list[Slot] = []
    pending: otio.schema.Transition | None = None
    for child in children:
        if isinstance(child, otio.schema.Transition):
            if pending is not None:
                raise EditError("two transitions in a row in the shots to restore")
            pending = child
            continue
        if not isinstance(child, otio.schema.Clip):
            raise EditError(f"the shots to restore hold a {type(child).__name__}")
        before = items[-1].clip if items else (slots[index - 1].clip if index > 0 else None)
        _check_restored(doc, child, pending, ids, before, "at its place")
        items.append(Slot(pending, child))
        pending = None
    if pending is not None:
        raise EditError("the shots to restore end with a transition")
    return _insert_many(doc, index, items, ids)


def _remove_shots(doc: Document, e: RemoveShots) -> Result:
    slots = doc.slots()
    wanted = [_text(i, "shot id") for i in e.shot_ids]
    if not wanted:
        raise EditError("say which shots to remove")
    positions = {doc.item_id(s.clip): n for n, s in enumerate(slots)}
    missing = [i for i in wanted if i not in positions]
    if missing:
        raise EditError(f"no shot with id {missing[0]!r} in this project")
    where = sorted(positions[i] for i in set(wanted))
    if len(where) != len(wanted) or where[-1] - where[0] != len(where) - 1:
        raise EditError("the shots to remove together must be neighbours, each named once")
    first = where[0]
    removed = slots[first:first + len(where)]
    del slots[first:first + len(where)]
    restores = _fix_transitions(doc, slots)
    doc.set_slots(slots)  # detaches the removed items from the project's track
    track = otio.schema.Track(name="shots")
    for slot in removed:
        if slot.transition is not None:
            track.append(slot.transition)
        track.append(slot.clip)
    inverse = RestoreShots(first, otio.adapters.write_to_string(track, "otio_json"))
    return _with_restores(inverse, restores), set(wanted) | _restore_ids(restores)


def _take_id(take_id: Any) -> str:
    _text(take_id, "take id")
    if not take_id.strip() or take_id == GENERATOR_KEY or "/" in take_id or "\\" in take_id:
        raise EditError(f"take id {take_id!r} is not usable; use a UUID")
    return take_id


def _make_take(doc: Document, take_id: str, stored: str, by_ref: bool, kind: str,
               recipe: dict[str, Any] | None, length: int | None,
               made_from: list[SourceUse] | None = None) -> otio.schema.ExternalReference:
    return otio.schema.ExternalReference(
        target_url=stored,
        available_range=doc.time_range(0, length) if length is not None else None,
        metadata={KEY: TakeMeta(id=take_id, kind=kind, recipe=recipe, by_reference=by_ref,
                                made_from=made_from).dump()})


def _source_uses(value: Any) -> list[SourceUse] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise EditError(f"made_from must be a list of shot uses, not {type(value).__name__}")
    try:
        return [u if isinstance(u, SourceUse) else SourceUse(**u) for u in value]
    except (ValidationError, TypeError) as exc:
        raise EditError(f"made_from is invalid ({brief(exc)})") from exc


def _remove_shot(doc: Document, e: RemoveShot) -> Result:
    slots = doc.slots()
    i = doc.find(slots, e.shot_id)
    slot = slots.pop(i)
    clip_json = slot.clip.to_json_string()
    tr_json = slot.transition.to_json_string() if slot.transition is not None else None
    restores = _fix_transitions(doc, slots)
    doc.set_slots(slots)
    return _with_restores(RestoreShot(i, clip_json, tr_json), restores), {e.shot_id} | _restore_ids(restores)


def _restore_shot(doc: Document, e: RestoreShot) -> Result:
    slots = doc.slots()
    index = _int(e.index, "shot index")
    if not 0 <= index <= len(slots):
        raise EditError(f"shot index {index} is outside 0..{len(slots)}")
    clip = _parse(e.clip_json, otio.schema.Clip, "the shot to restore")
    tr = None
    if e.transition_json is not None:
        tr = _parse(e.transition_json, otio.schema.Transition, "the transition to restore")
    before = slots[index - 1].clip if index > 0 else None
    shot_id = _check_restored(doc, clip, tr, all_ids(doc), before, f"at position {index}")
    slots.insert(index, Slot(tr, clip))
    restores = _fix_transitions(doc, slots)
    doc.set_slots(slots)
    return _with_restores(RemoveShot(shot_id), restores), {shot_id} | _restore_ids(restores)


def _check_restored(doc: Document, clip: otio.schema.Clip, tr: otio.schema.Transition | None, ids: set[str],
                    before: otio.schema.Clip | None, where: str) -> str:
    """A serialized shot (and its transition in) can go back in after `before`: valid Shotloom data,
    ids not in `ids` (then added to it), media inside the bundle unless imported by reference, its
    range inside its media, its transition no longer than the shot before it. Returns its id."""
    try:
        meta = doc.shot_meta(clip)
        tmeta = doc.transition_meta(tr) if tr is not None else None
        takes = {k: doc.take_meta(r) for k, r in clip.media_references().items() if k != GENERATOR_KEY}
    except (KeyError, ValidationError, TypeError) as exc:
        raise EditError("the shot to restore has no valid Shotloom data") from exc
    for item_id in [meta.id] + ([tmeta.id] if tmeta else []):
        if item_id in ids:
            raise EditError(f"id {item_id} is already used in this project")
    for key, tm in takes.items():
        _check_paths_for_edit(doc, clip.media_references()[key].target_url, tm.by_reference, f"shot {meta.id}")
    if clip.active_media_reference_key not in clip.media_references():
        raise EditError(f"shot {meta.id} to restore has no active take")
    source_in, frames = doc.clip_range(clip)
    _range_in_media(doc, clip.name, source_in, frames, doc.active_length(clip))
    if tr is not None:
        length = doc.transition_frames(tr)
        if before is None or not 1 <= length <= doc.clip_range(before)[1] or source_in < length \
                or doc.frames(tr.out_offset) != 0:
            raise EditError(f"the transition into shot {meta.id} does not fit {where}")
    ids.update([meta.id] + ([tmeta.id] if tmeta else []))
    return meta.id


def _move_shot(doc: Document, e: MoveShot) -> Result:
    slots = doc.slots()
    i = doc.find(slots, e.shot_id)
    to = _int(e.to_index, "target index")
    if not 0 <= to < len(slots):
        raise EditError(f"target index {to} is outside 0..{len(slots) - 1}")
    slots.insert(to, slots.pop(i))
    restores = _fix_transitions(doc, slots)
    doc.set_slots(slots)
    return _with_restores(MoveShot(e.shot_id, i), restores), {e.shot_id} | _restore_ids(restores)


def _trim_shot(doc: Document, e: TrimShot) -> Result:
    slots = doc.slots()
    i = doc.find(slots, e.shot_id)
    delta = _int(e.delta, "trim amount")
    slot = slots[i]
    source_in, frames = doc.clip_range(slot.clip)
    if e.side == "in":
        new_in, new_frames = source_in + delta, frames - delta
    elif e.side == "out":
        new_in, new_frames = source_in, frames + delta
    else:
        raise EditError(f"trim side {e.side!r} must be 'in' or 'out'")
    _range_in_media(doc, slot.clip.name, new_in, new_frames, doc.active_length(slot.clip))
    handle = doc.transition_frames(slot.transition)
    if new_in < handle:
        raise EditError(f"the {handle}-frame transition into shot {slot.clip.name!r} needs its in-point "
                        f"at source frame {handle} or later")
    following = _next_transition(doc, slots, i)
    if following > new_frames:
        raise EditError(f"the {following}-frame transition after shot {slot.clip.name!r} needs the shot "
                        f"to stay at least {following} frames long")
    doc.set_clip_range(slot.clip, new_in, new_frames)
    return TrimShot(e.shot_id, e.side, -delta), {e.shot_id}


def _split_shot(doc: Document, e: SplitShot) -> Result:
    slots = doc.slots()
    i = doc.find(slots, e.shot_id)
    offset = _int(e.offset, "split offset")
    slot = slots[i]
    source_in, frames = doc.clip_range(slot.clip)
    if not 0 < offset < frames:
        raise EditError(f"split offset {offset} must be inside shot {slot.clip.name!r} (1..{frames - 1})")
    right_id = _new_item_id(doc, e.new_shot_id, "new shot id")
    following = _next_transition(doc, slots, i)
    if following > frames - offset:
        raise EditError(f"the {following}-frame transition after shot {slot.clip.name!r} needs at least "
                        f"{following} frames after the split point")
    right = slot.clip.deepcopy()
    doc.set_shot_meta(right, doc.shot_meta(slot.clip).model_copy(update={"id": right_id}))
    doc.set_clip_range(slot.clip, source_in, offset)
    doc.set_clip_range(right, source_in + offset, frames - offset)
    slots.insert(i + 1, Slot(None, right))
    doc.set_slots(slots)
    inverse = Composite([TrimShot(e.shot_id, "out", frames - offset), RemoveShot(right_id)])
    return inverse, {e.shot_id, right_id}


# ---- transitions --------------------------------------------------------------------------------

def _set_transition(doc: Document, e: SetTransition) -> Result:
    slots = doc.slots()
    i = doc.find(slots, e.shot_id)
    slot = slots[i]
    if e.kind == "cut":
        if slot.transition is None:
            return SetTransition(e.shot_id, "cut", 0), {e.shot_id}
        return _clear_transition(doc, ClearTransition(e.shot_id))
    if e.kind not in TRANSITION_KINDS:
        raise EditError(f"transition kind {e.kind!r} must be one of cut, {', '.join(TRANSITION_KINDS)}")
    length = _int(e.frames, "transition length")
    if length < 1:
        raise EditError(f"a transition needs at least 1 frame, not {length}; use a cut instead")
    if i == 0:
        raise EditError(f"shot {slot.clip.name!r} is the first shot; there is nothing to mix from")
    old = slot.transition
    old_len = doc.transition_frames(old)
    source_in, frames = doc.clip_range(slot.clip)
    cut_in, cut_frames = source_in - old_len, frames + old_len
    new_in, new_frames = cut_in + length, cut_frames - length
    if new_frames < 1:
        raise EditError(f"shot {slot.clip.name!r} is {cut_frames} frames; a {length}-frame transition "
                        f"needs at least {length + 1}")
    prev_frames = doc.clip_range(slots[i - 1].clip)[1]
    if length > prev_frames:
        raise EditError(f"the shot before {slot.clip.name!r} is {prev_frames} frames; a transition "
                        f"can be at most that long, not {length}")
    following = _next_transition(doc, slots, i)
    if following > new_frames:
        raise EditError(f"the {following}-frame transition after shot {slot.clip.name!r} needs the shot "
                        f"to stay at least {following} frames long")
    if e.transition_id is not None and (old is None or doc.transition_meta(old).id != e.transition_id):
        tid = _new_item_id(doc, e.transition_id, "transition id")
    else:
        tid = doc.transition_meta(old).id if old is not None else new_id()
    if old is None:
        inverse: Edit = ClearTransition(e.shot_id)
    else:
        om = doc.transition_meta(old)
        inverse = SetTransition(e.shot_id, om.kind, old_len, om.id)
    slot.transition = doc.make_transition(e.kind, length, tid)
    doc.set_clip_range(slot.clip, new_in, new_frames)
    doc.set_slots(slots)
    return inverse, {e.shot_id}


def _clear_transition(doc: Document, e: ClearTransition) -> Result:
    slots = doc.slots()
    i = doc.find(slots, e.shot_id)
    slot = slots[i]
    if slot.transition is None:
        raise EditError(f"shot {slot.clip.name!r} has no transition to clear")
    tm = doc.transition_meta(slot.transition)
    length = doc.transition_frames(slot.transition)
    source_in, frames = doc.clip_range(slot.clip)
    slot.transition = None
    doc.set_clip_range(slot.clip, source_in - length, frames + length)
    doc.set_slots(slots)
    return SetTransition(e.shot_id, tm.kind, length, tm.id), {e.shot_id}


# ---- takes and shot data ------------------------------------------------------------------------

def _shot(doc: Document, shot_id: str) -> tuple[list[Slot], int, Slot]:
    slots = doc.slots()
    i = doc.find(slots, shot_id)
    return slots, i, slots[i]


def _covers(doc: Document, slot: Slot, length: int | None, take: str) -> None:
    source_in, frames = doc.clip_range(slot.clip)
    if length is not None and source_in + frames > length:
        raise EditError(f"take {take} has {length} frames but shot {slot.clip.name!r} shows source "
                        f"frames up to {source_in + frames}; trim the shot first")


def _activate(doc: Document, clip: otio.schema.Clip, key: str) -> list[Edit]:
    """Make `key` active; clear an explicit status (a new take has its own); return restores."""
    refs = clip.media_references()
    old_key = clip.active_media_reference_key
    meta = doc.shot_meta(clip)
    clip.set_media_references(refs, key)
    restores: list[Edit] = [SetActiveTake(meta.id, None if old_key == GENERATOR_KEY else old_key)]
    if meta.status is not None:
        doc.set_shot_meta(clip, meta.model_copy(update={"status": None}))
        restores.append(SetShotStatus(meta.id, meta.status))
    return restores


def _add_take(doc: Document, e: AddTake) -> Result:
    _, _, slot = _shot(doc, e.shot_id)
    take_id = _take_id(e.take_id)
    refs = slot.clip.media_references()
    if take_id in refs:
        raise EditError(f"shot {slot.clip.name!r} already has a take {take_id!r}")
    if e.kind not in ("imported", "generated"):
        raise EditError(f"take kind {e.kind!r} must be 'imported' or 'generated'")
    recipe = _recipe(e.recipe) if e.recipe is not None else None
    made_from = _source_uses(e.made_from)
    if made_from is not None and e.kind != "generated":
        raise EditError("only a generated take can record the shots it was made from")
    stored, by_ref = doc.store_path(e.path, allow_outside=e.kind == "imported", what="take")
    length = _length(doc, doc.resolve(stored, by_ref))
    if e.activate:
        _covers(doc, slot, length, take_id)
    refs[take_id] = _make_take(doc, take_id, stored, by_ref, e.kind, recipe, length, made_from)
    slot.clip.set_media_references(refs, slot.clip.active_media_reference_key)
    restores = _activate(doc, slot.clip, take_id) if e.activate else []
    remove = RemoveTake(e.shot_id, take_id)
    return (Composite([*restores, remove]) if restores else remove), {e.shot_id}


def _remove_take(doc: Document, e: RemoveTake) -> Result:
    _, _, slot = _shot(doc, e.shot_id)
    refs = slot.clip.media_references()
    if e.take_id == GENERATOR_KEY or e.take_id not in refs:
        raise EditError(f"shot {slot.clip.name!r} has no take {e.take_id!r}")
    if slot.clip.active_media_reference_key == e.take_id:
        raise EditError(f"take {e.take_id} is the active take of shot {slot.clip.name!r}; "
                        "choose another take first")
    ref = refs.pop(e.take_id)
    ref_json = ref.to_json_string()
    slot.clip.set_media_references(refs, slot.clip.active_media_reference_key)
    return RestoreTake(e.shot_id, e.take_id, ref_json), {e.shot_id}


def _restore_take(doc: Document, e: RestoreTake) -> Result:
    _, _, slot = _shot(doc, e.shot_id)
    take_id = _take_id(e.take_id)
    refs = slot.clip.media_references()
    if take_id in refs:
        raise EditError(f"shot {slot.clip.name!r} already has a take {take_id!r}")
    ref = _parse(e.reference_json, otio.schema.ExternalReference, "the take to restore")
    try:
        tm = doc.take_meta(ref)
    except (KeyError, ValidationError, TypeError) as exc:
        raise EditError("the take to restore has no valid Shotloom data") from exc
    if tm.id != take_id:
        raise EditError(f"the take to restore is {tm.id}, not {take_id}")
    _check_paths_for_edit(doc, ref.target_url, tm.by_reference, f"take {take_id}")
    refs[take_id] = ref
    slot.clip.set_media_references(refs, slot.clip.active_media_reference_key)
    return RemoveTake(e.shot_id, take_id), {e.shot_id}


def _set_active_take(doc: Document, e: SetActiveTake) -> Result:
    _, _, slot = _shot(doc, e.shot_id)
    refs = slot.clip.media_references()
    if e.take_id is None:
        if GENERATOR_KEY not in refs:
            raise EditError(f"shot {slot.clip.name!r} has no recipe to go back to")
        key = GENERATOR_KEY
    else:
        if e.take_id == GENERATOR_KEY or e.take_id not in refs:
            raise EditError(f"shot {slot.clip.name!r} has no take {e.take_id!r}")
        key = e.take_id
        _covers(doc, slot, doc.media_frames(refs[key]), key)
    restores = _activate(doc, slot.clip, key)
    inverse = restores[0] if len(restores) == 1 else Composite(restores)
    return inverse, {e.shot_id}


def _set_recipe(doc: Document, e: SetRecipe) -> Result:
    _, _, slot = _shot(doc, e.shot_id)
    clip = slot.clip
    refs = clip.media_references()
    gen = refs.get(GENERATOR_KEY)
    old = plain(gen.parameters) if gen is not None else None
    active = clip.active_media_reference_key
    if e.recipe is None:
        if gen is not None and active == GENERATOR_KEY:
            raise EditError(f"shot {clip.name!r} is waiting to be generated; it needs a recipe")
        refs.pop(GENERATOR_KEY, None)
    else:
        refs[GENERATOR_KEY] = doc.make_generator(_recipe(e.recipe))
    clip.set_media_references(refs, active)
    return SetRecipe(e.shot_id, old), {e.shot_id}


def _set_notes(doc: Document, e: SetNotes) -> Result:
    _, _, slot = _shot(doc, e.shot_id)
    text = _text(e.text, "notes")
    meta = doc.shot_meta(slot.clip)
    doc.set_shot_meta(slot.clip, meta.model_copy(update={"notes": text}))
    return SetNotes(e.shot_id, meta.notes), {e.shot_id}


def _rename_shot(doc: Document, e: RenameShot) -> Result:
    _, _, slot = _shot(doc, e.shot_id)
    name = _text(e.name, "shot name")
    old = slot.clip.name
    slot.clip.name = name
    return RenameShot(e.shot_id, old), {e.shot_id}


def _set_shot_status(doc: Document, e: SetShotStatus) -> Result:
    _, _, slot = _shot(doc, e.shot_id)
    if e.status is not None and e.status not in SHOT_STATUSES:
        raise EditError(f"shot status {e.status!r} must be one of {', '.join(SHOT_STATUSES)} (or None)")
    meta = doc.shot_meta(slot.clip)
    doc.set_shot_meta(slot.clip, meta.model_copy(update={"status": e.status}))
    return SetShotStatus(e.shot_id, meta.status), {e.shot_id}


def _keep_loose_take(doc: Document, e: KeepLooseTake) -> Result:
    take_id = _take_id(e.take_id)
    if any(t.id == take_id for t in doc.meta.loose_takes):
        raise EditError(f"take {take_id} is already kept as a loose take")
    stored, by_ref = doc.store_path(e.path, allow_outside=False, what="take")
    frames = None if e.frames is None else _int(e.frames, "take length")
    loose = LooseTakeMeta(id=take_id, path=stored, shot_id=_text(e.shot_id, "shot id"),
                          shot_name=_text(e.shot_name, "shot name"),
                          recipe=_recipe(e.recipe) if e.recipe is not None else None, frames=frames)
    doc.set_meta(doc.meta.model_copy(update={"loose_takes": [*doc.meta.loose_takes, loose]}))
    return DropLooseTake(take_id), set()


def _drop_loose_take(doc: Document, e: DropLooseTake) -> Result:
    kept = doc.meta.loose_takes
    found = next((t for t in kept if t.id == e.take_id), None)
    if found is None:
        raise EditError(f"no loose take {e.take_id!r} in this project")
    doc.set_meta(doc.meta.model_copy(update={"loose_takes": [t for t in kept if t.id != e.take_id]}))
    return KeepLooseTake(found.id, doc.bundle / found.path, found.shot_id, found.shot_name, found.recipe,
                         found.frames), set()


# ---- audio ----------------------------------------------------------------------------------------

def _check_audio_place(doc: Document, start: int, frames: int, what: str) -> None:
    if start < 0:
        raise EditError(f"{what} cannot start before the timeline (frame {start})")
    for other_start, clip in doc.audio_slots():
        other_end = other_start + doc.clip_range(clip)[1]
        if start < other_end and other_start < start + frames:
            raise EditError(f"{what} at frames {start}..{start + frames} overlaps audio clip "
                            f"{clip.name!r} at {other_start}..{other_end}; move it first")


def _add_audio_clip(doc: Document, e: AddAudioClip) -> Result:
    start = _int(e.start, "audio start")
    source_in = _int(e.source_in, "audio in-point")
    kind = _text(e.kind, "audio kind")
    gain = e.gain_db
    if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not math.isfinite(gain) \
            or abs(gain) > MAX_GAIN_DB:
        raise EditError(f"gain {gain!r} dB must be a number between -{MAX_GAIN_DB:g} and {MAX_GAIN_DB:g}")
    clip_id = _new_item_id(doc, e.clip_id, "audio clip id")
    stored, by_ref = doc.store_path(e.path, allow_outside=True, what="audio file")
    length = _length(doc, doc.resolve(stored, by_ref))
    if e.frames is None:
        if length is None:
            raise EditError(f"{e.path} has no length of its own; give the audio clip a length in frames")
        frames = length - source_in
    else:
        frames = _int(e.frames, "audio length")
    _range_in_media(doc, Path(e.path).name, source_in, frames, length)
    _check_audio_place(doc, start, frames, f"audio clip {Path(e.path).name!r}")
    ref = otio.schema.ExternalReference(
        target_url=stored, available_range=doc.time_range(0, length) if length is not None else None)
    clip = otio.schema.Clip(
        name=Path(e.path).name, media_reference=ref, source_range=doc.time_range(source_in, frames),
        metadata={KEY: AudioClipMeta(id=clip_id, kind=kind, gain_db=float(gain), by_reference=by_ref).dump()})
    doc.set_audio_slots([*doc.audio_slots(), (start, clip)])
    return RemoveAudioClip(clip_id), {clip_id}


def _remove_audio_clip(doc: Document, e: RemoveAudioClip) -> Result:
    slots = doc.audio_slots()
    for k, (start, clip) in enumerate(slots):
        if doc.audio_meta(clip).id == e.clip_id:
            slots.pop(k)
            clip_json = clip.to_json_string()
            doc.set_audio_slots(slots)
            return RestoreAudioClip(start, clip_json), {e.clip_id}
    raise EditError(f"no audio clip with id {e.clip_id!r} in this project")


def _restore_audio_clip(doc: Document, e: RestoreAudioClip) -> Result:
    start = _int(e.start, "audio start")
    clip = _parse(e.clip_json, otio.schema.Clip, "the audio clip to restore")
    try:
        meta = doc.audio_meta(clip)
    except (KeyError, ValidationError, TypeError) as exc:
        raise EditError("the audio clip to restore has no valid Shotloom data") from exc
    if meta.id in all_ids(doc):
        raise EditError(f"id {meta.id} is already used in this project")
    ref = clip.media_reference
    if not isinstance(ref, otio.schema.ExternalReference):
        raise EditError("the audio clip to restore has no media file")
    _check_paths_for_edit(doc, ref.target_url, meta.by_reference, f"audio clip {meta.id}")
    source_in, frames = doc.clip_range(clip)
    _range_in_media(doc, clip.name, source_in, frames, doc.media_frames(ref))
    _check_audio_place(doc, start, frames, f"audio clip {clip.name!r}")
    doc.set_audio_slots([*doc.audio_slots(), (start, clip)])
    return RemoveAudioClip(meta.id), {meta.id}


# ---- markers --------------------------------------------------------------------------------------

def _marker_colour(value: Any) -> str:
    colour = _text(value, "marker colour").upper()
    if colour not in MARKER_COLOURS:
        raise EditError(f"marker colour {value!r} must be one of {', '.join(c.lower() for c in MARKER_COLOURS)}")
    return colour


def _marker_place(frame: Any, frames: Any) -> tuple[int, int]:
    frame, frames = _int(frame, "marker frame"), _int(frames, "marker length")
    if frame < 0:
        raise EditError(f"a marker cannot be before the start of the timeline (frame {frame})")
    if frames < 0:
        raise EditError(f"a marker cannot be {frames} frames long")
    return frame, frames


def _find_marker(doc: Document, marker_id: str) -> otio.schema.Marker:
    for marker in doc.markers():
        if doc.item_id(marker) == marker_id:
            return marker
    raise EditError(f"no marker with id {marker_id!r} in this project")


def _add_marker(doc: Document, e: AddMarker) -> Result:
    frame, frames = _marker_place(e.frame, e.frames)
    name, note, colour = _text(e.name, "marker name"), _text(e.note, "marker note"), _marker_colour(e.colour)
    marker_id = _new_item_id(doc, e.marker_id, "marker id")
    marker = otio.schema.Marker(name=name, marked_range=doc.time_range(frame, frames), color=colour,
                                comment=note, metadata={KEY: MarkerMeta(id=marker_id).dump()})
    doc.set_markers([*doc.markers(), marker])
    return RemoveMarker(marker_id), {marker_id}


def _remove_marker(doc: Document, e: RemoveMarker) -> Result:
    marker = _find_marker(doc, e.marker_id)
    info = doc.marker_info(marker)
    doc.set_markers([m for m in doc.markers() if m is not marker])
    return AddMarker(info.frame, info.name, info.colour, info.note, info.frames, info.id), {info.id}


def _set_marker(doc: Document, e: SetMarker) -> Result:
    marker = _find_marker(doc, e.marker_id)
    old = doc.marker_info(marker)
    frame, frames = _marker_place(old.frame if e.frame is None else e.frame,
                                  old.frames if e.frames is None else e.frames)
    name = old.name if e.name is None else _text(e.name, "marker name")
    note = old.note if e.note is None else _text(e.note, "marker note")
    colour = old.colour if e.colour is None else _marker_colour(e.colour)
    marker.name, marker.comment, marker.color = name, note, colour
    marker.marked_range = doc.time_range(frame, frames)
    doc.set_markers(doc.markers())
    return SetMarker(old.id, old.frame, old.name, old.colour, old.note, old.frames), {old.id}


# ---- media bin ------------------------------------------------------------------------------------

def _add_bin_item(doc: Document, e: AddBinItem) -> Result:
    items = list(doc.meta.bin)
    index = len(items) if e.index is None else _int(e.index, "media bin position")
    if not 0 <= index <= len(items):
        raise EditError(f"media bin position {index} is outside 0..{len(items)}")
    stored, by_ref = doc.store_path(e.path, allow_outside=True, what="media file")
    if any((b.path, b.by_reference) == (stored, by_ref) for b in items):
        raise EditError(f"{e.path} is already in the media bin")
    item_id = _new_item_id(doc, e.item_id, "media bin item id")
    items.insert(index, BinItemMeta(id=item_id, path=stored, by_reference=by_ref))
    doc.set_meta(doc.meta.model_copy(update={"bin": items}))
    return RemoveBinItem(item_id), {item_id}


def _remove_bin_item(doc: Document, e: RemoveBinItem) -> Result:
    items = list(doc.meta.bin)
    for index, item in enumerate(items):
        if item.id == e.item_id:
            items.pop(index)
            doc.set_meta(doc.meta.model_copy(update={"bin": items}))
            return AddBinItem(doc.resolve(item.path, item.by_reference), item.id, index), {item.id}
    raise EditError(f"no media bin item with id {e.item_id!r} in this project")


# ---- project settings -----------------------------------------------------------------------------

def _rename_project(doc: Document, e: RenameProject) -> Result:
    name = _text(e.name, "project name").strip()
    if not name:
        raise EditError("a project needs a name")
    old = doc.meta.name
    doc.set_meta(doc.meta.model_copy(update={"name": name}))
    return RenameProject(old), set()


def _set_project_format(doc: Document, e: SetProjectFormat) -> Result:
    try:
        fps = doc.fps if e.fps is None else parse_fps(e.fps)
        size = tuple(doc.meta.size) if e.size is None else parse_size(e.size)
    except ValueError as exc:
        raise EditError(str(exc)) from None
    fit = doc.meta.fit if e.fit is None else _text(e.fit, "fit mode")
    if fit not in FIT_MODES:
        raise EditError(f"fit mode {fit!r} must be 'fit' (letterbox) or 'fill' (crop)")
    if fps == doc.fps:
        inverse = SetProjectFormat(None, tuple(doc.meta.size), doc.meta.fit)
        doc.set_meta(doc.meta.model_copy(update={"size": size, "fit": fit}))
        return inverse, set()
    before = doc.timeline.to_json_string()
    try:
        _conform(doc, fps)
        doc.set_meta(doc.meta.model_copy(update={"size": size, "fit": fit}))
        problems = doc.problems()
        if problems:
            raise EditError(f"the cut cannot be conformed to {format_rate(fps)} fps ({problems[0]})")
    except BaseException:
        _replace_timeline(doc, otio.adapters.read_from_string(before, "otio_json"))
        raise
    return RestoreTimeline(before), {doc.item_id(slot.clip) for slot in doc.slots()}


def format_rate(fps: Any) -> str:
    return f"{float(fps):.3f}".rstrip("0").rstrip(".")


def _conform(doc: Document, fps: Any) -> None:
    """Re-time everything to `fps`: each position and length keeps its time in seconds (ends are
    rounded, so that what touched still touches), media lengths are measured again at the new rate."""
    ratio = Fraction(fps) / doc.fps
    old = {"slots": [], "audio": [], "markers": []}
    for slot in doc.slots():
        refs = {key: doc.media_frames(ref) for key, ref in slot.clip.media_references().items()
                if key != GENERATOR_KEY}
        old["slots"].append((slot, doc.clip_range(slot.clip), doc.transition_frames(slot.transition), refs))
    for start, clip in doc.audio_slots():
        old["audio"].append((start, clip, doc.clip_range(clip), doc.media_frames(clip.media_reference)))
    for marker in doc.markers():
        r = marker.marked_range
        old["markers"].append((marker, doc.frames(r.start_time), doc.frames(r.duration)))
    doc.fps, doc.rate = Fraction(fps), float(fps)
    doc.set_meta(doc.meta.model_copy(update={"fps": format_fps(Fraction(fps))}))

    def at(frame: int) -> int:
        return round(frame * ratio)

    def length(ref: otio.core.MediaReference, by_ref: bool, frames: int | None) -> int | None:
        if frames is None:
            return None
        path = doc.resolve(ref.target_url, by_ref)
        try:
            measured = media_length(path, doc.fps) if path.exists() else None
        except EditError:
            measured = None
        return measured if measured is not None else max(1, math.floor(frames * ratio))

    slots = []
    for slot, (source_in, frames), handle, refs in old["slots"]:
        clip = slot.clip
        all_refs = clip.media_references()
        for key, frames_at_old in refs.items():
            ref = all_refs[key]
            new_length = length(ref, doc.take_meta(ref).by_reference, frames_at_old)
            ref.available_range = doc.time_range(0, new_length) if new_length is not None else None
        clip.set_media_references(all_refs, clip.active_media_reference_key)
        new_in = at(source_in)
        new_frames = max(1, at(source_in + frames) - new_in)
        media = doc.active_length(clip)
        if media is not None:
            new_in = min(new_in, max(0, media - 1))
            new_frames = min(new_frames, media - new_in)
        if slot.transition is not None:
            new_handle = min(max(1, at(handle)), new_in)
            if new_handle < 1:
                slot.transition = None
            else:
                slot.transition.in_offset = doc.rt(new_handle)
                slot.transition.out_offset = doc.rt(0)
        doc.set_clip_range(clip, new_in, new_frames)
        slots.append(slot)
    # A transition can be at most as long as the shot before it.
    for i, slot in enumerate(slots[1:], 1):
        if slot.transition is not None:
            limit = doc.clip_range(slots[i - 1].clip)[1]
            handle = doc.transition_frames(slot.transition)
            if handle > limit:
                slot.transition.in_offset = doc.rt(limit)
    doc.set_slots(slots)
    audio = []
    for start, clip, (source_in, frames), media_frames in old["audio"]:
        meta = doc.audio_meta(clip)
        new_length = length(clip.media_reference, meta.by_reference, media_frames)
        clip.media_reference.available_range = doc.time_range(0, new_length) if new_length is not None else None
        new_start, new_in = at(start), at(source_in)
        new_frames = max(1, at(start + frames) - new_start)
        if new_length is not None:
            new_in = min(new_in, max(0, new_length - 1))
            new_frames = min(new_frames, new_length - new_in)
        doc.set_clip_range(clip, new_in, new_frames)
        audio.append((new_start, clip))
    doc.set_audio_slots(audio)
    for marker, frame, frames in old["markers"]:
        marker.marked_range = doc.time_range(at(frame), at(frame + frames) - at(frame))
    doc.set_markers(doc.markers())


def _replace_timeline(doc: Document, timeline: otio.schema.Timeline) -> None:
    """Make `doc` hold `timeline` (the Document object stays the one the project refers to)."""
    Document.__init__(doc, timeline, doc.bundle)


def _restore_timeline(doc: Document, e: RestoreTimeline) -> Result:
    timeline = _parse(e.timeline_json, otio.schema.Timeline, "the timeline to restore")
    try:
        candidate = Document(timeline, doc.bundle)
        problems = candidate.problems()
        candidate.check_paths("the timeline to restore")
    except (ValidationError, KeyError, TypeError, ValueError, IndexError, ProjectError) as exc:
        raise EditError(f"the timeline to restore is not a valid Shotloom timeline ({brief(exc)})") from None
    if problems:
        raise EditError(f"the timeline to restore is damaged ({problems[0]})")
    if candidate.meta.id != doc.meta.id:
        raise EditError("the timeline to restore belongs to another project")
    before = doc.timeline.to_json_string()
    old_ids = {doc.item_id(slot.clip) for slot in doc.slots()}
    _replace_timeline(doc, timeline)
    return RestoreTimeline(before), old_ids | {doc.item_id(slot.clip) for slot in doc.slots()}


# ---- composite ------------------------------------------------------------------------------------

def _composite(doc: Document, e: Composite) -> Result:
    done: list[Edit] = []
    touched: set[str] = set()
    try:
        for sub in e.edits:
            if not isinstance(sub, Edit):
                raise EditError(f"{sub!r} in a composite edit is not an edit")
            inverse, ids = apply_edit(doc, sub)
            done.append(inverse)
            touched |= ids
    except BaseException:
        for inverse in reversed(done):
            apply_edit(doc, inverse)
        raise
    return Composite(reversed(done)), touched


_HANDLERS: dict[type, Callable[[Document, Any], Result]] = {
    InsertShot: _insert_shot,
    RemoveShot: _remove_shot,
    RestoreShot: _restore_shot,
    RestoreShots: _restore_shots,
    RemoveShots: _remove_shots,
    MoveShot: _move_shot,
    TrimShot: _trim_shot,
    SplitShot: _split_shot,
    SetTransition: _set_transition,
    ClearTransition: _clear_transition,
    AddTake: _add_take,
    RemoveTake: _remove_take,
    RestoreTake: _restore_take,
    SetActiveTake: _set_active_take,
    SetRecipe: _set_recipe,
    SetNotes: _set_notes,
    RenameShot: _rename_shot,
    SetShotStatus: _set_shot_status,
    KeepLooseTake: _keep_loose_take,
    DropLooseTake: _drop_loose_take,
    AddAudioClip: _add_audio_clip,
    RemoveAudioClip: _remove_audio_clip,
    RestoreAudioClip: _restore_audio_clip,
    AddMarker: _add_marker,
    RemoveMarker: _remove_marker,
    SetMarker: _set_marker,
    AddBinItem: _add_bin_item,
    RemoveBinItem: _remove_bin_item,
    RenameProject: _rename_project,
    SetProjectFormat: _set_project_format,
    RestoreTimeline: _restore_timeline,
    Composite: _composite,
}
