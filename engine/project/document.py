"""The OTIO timeline seen as a storyboard: shots on the first video track, audio clips on the
first audio track, integer frames at the project rate. Only the edit code mutates it.

Layout: the video track holds Clip, or Transition followed by Clip (a shot's transition in,
in_offset = L, out_offset = 0); the audio track holds Gap and Clip. RationalTime is used only
here, at the edge: rate = float(project fps), value = integer frames.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio
from pydantic import ValidationError

from engine.errors import EditError, ProjectError
from engine.project.info import (
    AudioClipInfo,
    BinItemInfo,
    LooseTakeInfo,
    MarkerInfo,
    ShotInfo,
    TakeInfo,
    TransitionInfo,
)
from engine.project.model import (
    GENERATOR_KEY,
    GENERATOR_KIND,
    KEY,
    SCHEMA_VERSION,
    AudioClipMeta,
    MarkerMeta,
    ProjectMeta,
    ShotMeta,
    TakeMeta,
    TransitionMeta,
    brief,
    format_fps,
    parse_fps,
    plain,
)

VIDEO_TRACK_NAME = "Shots"
AUDIO_TRACK_NAME = "Audio"


@dataclass
class Slot:
    """One shot on the video track: its clip and the transition into it (or None)."""

    transition: otio.schema.Transition | None
    clip: otio.schema.Clip


class Document:
    """Wraps a Shotloom OTIO timeline; `bundle` anchors the relative media paths."""

    def __init__(self, timeline: otio.schema.Timeline, bundle: Path) -> None:
        self.timeline = timeline
        self.bundle = bundle
        self.meta = ProjectMeta(**plain(timeline.metadata[KEY]))
        if self.meta.schema_version < SCHEMA_VERSION:
            # Older layouts are subsets of this one: the next save writes the current version.
            self.set_meta(self.meta.model_copy(update={"schema_version": SCHEMA_VERSION}))
        self.fps: Fraction = parse_fps(self.meta.fps)
        self.rate = float(self.fps)
        self.video = timeline.tracks[0]
        self.audio = timeline.tracks[1]

    @classmethod
    def new(cls, bundle: Path, *, project_id: str, name: str, fps: Fraction, size: tuple[int, int],
            schema_version: int) -> Document:
        meta = ProjectMeta(schema_version=schema_version, id=project_id, name=name,
                           fps=format_fps(fps), size=size)
        timeline = otio.schema.Timeline(name=name, metadata={KEY: meta.dump()})
        timeline.tracks.append(otio.schema.Track(name=VIDEO_TRACK_NAME, kind=otio.schema.TrackKind.Video))
        timeline.tracks.append(otio.schema.Track(name=AUDIO_TRACK_NAME, kind=otio.schema.TrackKind.Audio))
        return cls(timeline, bundle)

    def set_meta(self, meta: ProjectMeta) -> None:
        self.timeline.metadata[KEY] = meta.dump()
        self.meta = meta

    # ---- loose takes ---------------------------------------------------------------------------
    def loose_infos(self) -> list[LooseTakeInfo]:
        return [LooseTakeInfo(id=t.id, path=self.bundle / t.path, shot_id=t.shot_id, shot_name=t.shot_name,
                              recipe=t.recipe, frames=t.frames) for t in self.meta.loose_takes]

    def bin_infos(self) -> list[BinItemInfo]:
        return [BinItemInfo(id=b.id, path=self.resolve(b.path, b.by_reference), by_reference=b.by_reference)
                for b in self.meta.bin]

    # ---- markers (on the timeline's stack, in timeline frames) -------------------------------------
    def markers(self) -> list[otio.schema.Marker]:
        return list(self.timeline.tracks.markers)

    def set_markers(self, markers: list[otio.schema.Marker]) -> None:
        """Markers are kept in timeline order (frame, then id), so that equal documents serialize alike."""
        ordered = sorted(markers, key=lambda m: (self.frames(m.marked_range.start_time), self.item_id(m)))
        del self.timeline.tracks.markers[:]
        self.timeline.tracks.markers.extend(ordered)

    def marker_meta(self, marker: otio.schema.Marker) -> MarkerMeta:
        return MarkerMeta(**plain(marker.metadata[KEY]))

    def marker_info(self, marker: otio.schema.Marker) -> MarkerInfo:
        r = marker.marked_range
        return MarkerInfo(id=self.item_id(marker), frame=self.frames(r.start_time), name=marker.name,
                          colour=str(marker.color), note=marker.comment, frames=self.frames(r.duration))

    # ---- time at the edge ------------------------------------------------------------------
    def rt(self, frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, self.rate)

    def time_range(self, start: int, frames: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(self.rt(start), self.rt(frames))

    def frames(self, t: otio.opentime.RationalTime) -> int:
        if t.rate == self.rate:
            return round(t.value)
        return round(t.value_rescaled_to(self.rate))

    # ---- media paths -------------------------------------------------------------------------
    def store_path(self, path: Path | str, *, allow_outside: bool, what: str) -> tuple[str, bool]:
        """(text stored in the document, by_reference) for a media file given by the caller.
        Inside the bundle: a relative posix path. Outside: only when allow_outside (imported by
        reference), stored absolute."""
        if not isinstance(path, (str, Path)) or not str(path):
            raise EditError(f"{what} path {path!r} must be a file path")
        p = Path(os.path.abspath(Path(path).expanduser()))
        if not p.is_file():
            raise EditError(f"{what} {p} not found; check the path")
        real = p.resolve()
        root = self.bundle.resolve()
        if real.is_relative_to(root):
            return real.relative_to(root).as_posix(), False
        if not allow_outside:
            raise EditError(
                f"{what} {p} is outside the project bundle {self.bundle}; "
                f"put it under {self.bundle / 'media'} or import it as imported media")
        return str(p), True

    def resolve(self, stored: str, by_reference: bool) -> Path:
        if by_reference:
            return Path(stored)
        return self.bundle / stored

    def check_stored_path(self, stored: str, by_reference: bool, where: str) -> None:
        """ProjectError when a stored path escapes the bundle without the by-reference flag."""
        p = Path(stored)
        if by_reference:
            if not p.is_absolute():
                raise ProjectError(f"{where}: media path {stored!r} imported by reference must be "
                                   "absolute; the project file is damaged")
            return
        drive_like = bool(p.parts) and len(p.parts[0]) >= 2 and p.parts[0][1] == ":"
        if (not p.parts or p.is_absolute() or ".." in p.parts or "\\" in stored or "://" in stored
                or stored.startswith("~") or drive_like):
            raise ProjectError(f"{where}: media path {stored!r} escapes the project bundle; "
                               "refusing to open it (restore project.otio.bak or fix the path)")
        real = (self.bundle / p).resolve()
        if not real.is_relative_to(self.bundle.resolve()):
            raise ProjectError(f"{where}: media path {stored!r} leads outside the project bundle "
                               f"(to {real}, through a symlink); refusing to open it")

    # ---- video track ---------------------------------------------------------------------------
    def slots(self) -> list[Slot]:
        out: list[Slot] = []
        pending: otio.schema.Transition | None = None
        for child in self.video:
            if isinstance(child, otio.schema.Transition):
                pending = child
            else:
                out.append(Slot(pending, child))
                pending = None
        return out

    def set_slots(self, slots: list[Slot]) -> None:
        del self.video[:]
        for slot in slots:
            if slot.transition is not None:
                self.video.append(slot.transition)
            self.video.append(slot.clip)

    @staticmethod
    def item_id(item: otio.core.SerializableObjectWithMetadata) -> str:
        """The stable id of a shot, transition or audio clip (validated when the file was read)."""
        return str(item.metadata[KEY]["id"])

    def find(self, slots: list[Slot], shot_id: str) -> int:
        for i, slot in enumerate(slots):
            if self.item_id(slot.clip) == shot_id:
                return i
        raise EditError(f"no shot with id {shot_id!r} in this project")

    def shot_meta(self, clip: otio.schema.Clip) -> ShotMeta:
        return ShotMeta(**plain(clip.metadata[KEY]))

    def set_shot_meta(self, clip: otio.schema.Clip, meta: ShotMeta) -> None:
        clip.metadata[KEY] = meta.dump()

    def take_meta(self, ref: otio.core.MediaReference) -> TakeMeta:
        return TakeMeta(**plain(ref.metadata[KEY]))

    def transition_meta(self, tr: otio.schema.Transition) -> TransitionMeta:
        return TransitionMeta(**plain(tr.metadata[KEY]))

    def clip_range(self, clip: otio.schema.Item) -> tuple[int, int]:
        """(source_in, frames) of a clip."""
        sr = clip.source_range
        return self.frames(sr.start_time), self.frames(sr.duration)

    def set_clip_range(self, clip: otio.schema.Item, source_in: int, frames: int) -> None:
        clip.source_range = self.time_range(source_in, frames)

    def transition_frames(self, tr: otio.schema.Transition | None) -> int:
        return 0 if tr is None else self.frames(tr.in_offset)

    def make_transition(self, kind: str, frames: int, transition_id: str) -> otio.schema.Transition:
        ttype = otio.schema.TransitionTypes.SMPTE_Dissolve if kind == "crossfade" else "Custom"
        return otio.schema.Transition(
            name=kind, transition_type=ttype, in_offset=self.rt(frames), out_offset=self.rt(0),
            metadata={KEY: TransitionMeta(id=transition_id, kind=kind).dump()})

    def make_generator(self, recipe: dict[str, Any]) -> otio.schema.GeneratorReference:
        return otio.schema.GeneratorReference(name="recipe", generator_kind=GENERATOR_KIND,
                                              parameters=recipe)

    def media_frames(self, ref: otio.core.MediaReference) -> int | None:
        """Length of a reference's media at project rate (its available_range), None if unknown."""
        ar = ref.available_range
        return None if ar is None else self.frames(ar.duration)

    def active_length(self, clip: otio.schema.Clip) -> int | None:
        ref = clip.media_reference
        if isinstance(ref, otio.schema.GeneratorReference):
            return None
        return self.media_frames(ref)

    # ---- audio track -------------------------------------------------------------------------
    def audio_slots(self) -> list[tuple[int, otio.schema.Clip]]:
        out = []
        pos = 0
        for child in self.audio:
            _, frames = self.clip_range(child)
            if isinstance(child, otio.schema.Clip):
                out.append((pos, child))
            pos += frames
        return out

    def set_audio_slots(self, slots: list[tuple[int, otio.schema.Clip]]) -> None:
        del self.audio[:]
        pos = 0
        for start, clip in sorted(slots, key=lambda s: s[0]):
            if start > pos:
                self.audio.append(otio.schema.Gap(source_range=self.time_range(0, start - pos)))
            self.audio.append(clip)
            pos = start + self.clip_range(clip)[1]

    def audio_meta(self, clip: otio.schema.Clip) -> AudioClipMeta:
        return AudioClipMeta(**plain(clip.metadata[KEY]))

    # ---- views ---------------------------------------------------------------------------------
    def duration(self) -> int:
        return sum(self.clip_range(slot.clip)[1] for slot in self.slots())

    def shot_info(self, index: int, start: int, slot: Slot) -> ShotInfo:
        clip = slot.clip
        meta = self.shot_meta(clip)
        source_in, frames = self.clip_range(clip)
        refs = clip.media_references()
        active_key = clip.active_media_reference_key
        gen = refs.get(GENERATOR_KEY)
        recipe = plain(gen.parameters) if gen is not None else None
        takes = []
        active_take: TakeInfo | None = None
        for key, ref in refs.items():
            if key == GENERATOR_KEY:
                continue
            tm = self.take_meta(ref)
            take = TakeInfo(id=key, path=self.resolve(ref.target_url, tm.by_reference),
                            active=key == active_key, recipe=tm.recipe, kind=tm.kind,
                            by_reference=tm.by_reference)
            takes.append(take)
            if take.active:
                active_take = take
        if active_take is None:
            status = "pending"
            source_frames = None
        else:
            source_frames = self.media_frames(refs[active_key])
            if not active_take.path.exists():
                status = "missing"
            elif meta.status is not None:
                status = meta.status
            elif recipe is not None and active_take.recipe is not None and active_take.recipe != recipe:
                status = "stale"
            else:
                status = "ready"
        tr = None
        if slot.transition is not None:
            tm = self.transition_meta(slot.transition)
            tr = TransitionInfo(id=tm.id, kind=tm.kind, frames=self.transition_frames(slot.transition))
        made_from = self.take_meta(refs[active_key]).made_from if active_take is not None else None
        return ShotInfo(
            id=meta.id, index=index, name=clip.name, start=start, frames=frames, source_in=source_in,
            media_path=active_take.path if active_take else None,
            take_id=active_take.id if active_take else None, status=status, takes=tuple(takes),
            recipe=recipe, notes=meta.notes, transition_in=tr, source_frames=source_frames,
            sources=tuple(u.shot for u in made_from or ()))

    def shot_infos(self, wanted: Collection[str] | None = None) -> list[ShotInfo]:
        """Every shot, or only the `wanted` ones (in timeline order): building a ShotInfo is the
        costly part, so an editor refreshing the shots an edit touched asks for those. Staleness
        is worked out from the shots each one was made from (transitively), read as needed."""
        places: dict[str, tuple[int, int, Slot]] = {}
        pos = 0
        for i, slot in enumerate(self.slots()):
            places[self.item_id(slot.clip)] = (i, pos, slot)
            pos += self.clip_range(slot.clip)[1]
        ids = list(places) if wanted is None else [i for i in places if i in wanted]
        infos = {i: self.shot_info(*places[i]) for i in ids}
        related = dict(infos)
        uses: dict[str, list] = {}
        todo = [info for info in infos.values() if info.sources]
        while todo:
            info = todo.pop()
            uses[info.id] = self.take_meta(places[info.id][2].clip.media_references()[info.take_id]).made_from
            for source in info.sources:
                if source not in related and source in places:
                    related[source] = self.shot_info(*places[source])
                    if related[source].sources:
                        todo.append(related[source])
        if uses:
            marked = {i.id: i for i in _mark_stale(list(related.values()), uses)}
            return [marked[i] for i in ids]
        return [infos[i] for i in ids]

    def outline(self) -> list[tuple[str, int]]:
        """(shot id, visible frames) of every shot in timeline order: cheap, no ShotInfo built."""
        return [(self.item_id(slot.clip), self.clip_range(slot.clip)[1]) for slot in self.slots()]

    def audio_infos(self) -> list[AudioClipInfo]:
        out = []
        for start, clip in self.audio_slots():
            meta = self.audio_meta(clip)
            source_in, frames = self.clip_range(clip)
            ref = clip.media_reference
            out.append(AudioClipInfo(
                id=meta.id, path=self.resolve(ref.target_url, meta.by_reference), start=start,
                frames=frames, source_in=source_in, gain_db=meta.gain_db, kind=meta.kind,
                source_frames=self.media_frames(ref), by_reference=meta.by_reference))
        return out

    def dependants(self) -> dict[str, set[str]]:
        """shot id → ids of the shots whose active take was generated from it."""
        out: dict[str, set[str]] = {}
        for slot in self.slots():
            clip = slot.clip
            key = clip.active_media_reference_key
            if key == GENERATOR_KEY:
                continue
            ref = clip.media_references().get(key)
            if ref is None:
                continue
            for use in self.take_meta(ref).made_from or ():
                out.setdefault(use.shot, set()).add(self.item_id(clip))
        return out

    # ---- invariants ----------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Every broken invariant, as a line; [] for a sound document."""
        out: list[str] = []
        ids: set[str] = set()

        def unique(item_id: str, what: str) -> None:
            if item_id in ids:
                out.append(f"{what} id {item_id} is used twice")
            ids.add(item_id)

        children = list(self.video)
        for i, child in enumerate(children):
            if isinstance(child, otio.schema.Transition):
                if i == 0 or not isinstance(children[i - 1], otio.schema.Clip):
                    out.append(f"transition at position {i} has no shot before it")
                if i + 1 >= len(children) or not isinstance(children[i + 1], otio.schema.Clip):
                    out.append(f"transition at position {i} has no shot after it")
            elif not isinstance(child, otio.schema.Clip):
                out.append(f"the shot track holds a {type(child).__name__} at position {i}")
        if out:
            return out
        slots = self.slots()
        for i, slot in enumerate(slots):
            clip = slot.clip
            try:
                meta = self.shot_meta(clip)
            except (KeyError, ValidationError, TypeError) as exc:
                out.append(f"shot {i} ({clip.name!r}) has no valid shotloom metadata: {brief(exc)}")
                continue
            unique(meta.id, "shot")
            if clip.source_range is None:
                out.append(f"shot {meta.id} has no source range")
                continue
            source_in, frames = self.clip_range(clip)
            if frames <= 0:
                out.append(f"shot {meta.id} is {frames} frames long")
            if source_in < 0:
                out.append(f"shot {meta.id} starts at source frame {source_in}")
            refs = clip.media_references()
            if clip.active_media_reference_key not in refs:
                out.append(f"shot {meta.id} has no active take")
            for key, ref in refs.items():
                if key == GENERATOR_KEY:
                    if not isinstance(ref, otio.schema.GeneratorReference):
                        out.append(f"shot {meta.id}: {key!r} is not a generator reference")
                    continue
                if not isinstance(ref, otio.schema.ExternalReference):
                    out.append(f"shot {meta.id}: take {key} is a {type(ref).__name__}")
                    continue
                try:
                    tm = self.take_meta(ref)
                except (KeyError, ValidationError, TypeError) as exc:
                    out.append(f"shot {meta.id}: take {key} has no valid shotloom metadata: {brief(exc)}")
                    continue
                if tm.id != key:
                    out.append(f"shot {meta.id}: take key {key} holds take {tm.id}")
            length = self.active_length(clip) if clip.active_media_reference_key in refs else None
            if length is not None and source_in + frames > length:
                out.append(f"shot {meta.id} shows source frames up to {source_in + frames} "
                           f"of a {length}-frame take")
            if slot.transition is not None:
                try:
                    tmeta = self.transition_meta(slot.transition)
                except (KeyError, ValidationError, TypeError) as exc:
                    out.append(f"transition into shot {meta.id} has no valid shotloom metadata: {brief(exc)}")
                    continue
                unique(tmeta.id, "transition")
                length_l = self.transition_frames(slot.transition)
                if self.frames(slot.transition.out_offset) != 0:
                    out.append(f"transition {tmeta.id} has a non-zero out offset")
                if length_l <= 0:
                    out.append(f"transition {tmeta.id} is {length_l} frames long")
                if i == 0:
                    out.append(f"transition {tmeta.id} is on the first shot")
                else:
                    prev_frames = self.clip_range(slots[i - 1].clip)[1]
                    if length_l > prev_frames:
                        out.append(f"transition {tmeta.id} ({length_l} frames) is longer than the "
                                   f"{prev_frames}-frame shot before it")
                if source_in < length_l:
                    out.append(f"transition {tmeta.id} needs {length_l} frames of handle; "
                               f"shot {meta.id} has {source_in}")
        for marker in self.markers():
            try:
                mmeta = self.marker_meta(marker)
            except (KeyError, ValidationError, TypeError) as exc:
                out.append(f"marker {marker.name!r} has no valid shotloom metadata: {brief(exc)}")
                continue
            unique(mmeta.id, "marker")
            r = marker.marked_range
            if self.frames(r.start_time) < 0 or self.frames(r.duration) < 0:
                out.append(f"marker {mmeta.id} is before the start of the timeline")
        for item in self.meta.bin:
            unique(item.id, "media bin item")
            try:
                self.check_stored_path(item.path, item.by_reference, f"media bin item {item.id}")
            except ProjectError as exc:
                out.append(str(exc))
        for loose in self.meta.loose_takes:
            unique(loose.id, "loose take")
            try:
                self.check_stored_path(loose.path, False, f"loose take {loose.id}")
            except ProjectError as exc:
                out.append(str(exc))
        pos = 0
        for child in self.audio:
            if not isinstance(child, (otio.schema.Clip, otio.schema.Gap)):
                out.append(f"the audio track holds a {type(child).__name__}")
                continue
            if child.source_range is None:
                out.append("an audio item has no source range")
                continue
            source_in, frames = self.clip_range(child)
            if frames <= 0:
                out.append(f"an audio item at frame {pos} is {frames} frames long")
            if isinstance(child, otio.schema.Clip):
                try:
                    ameta = self.audio_meta(child)
                except (KeyError, ValidationError, TypeError) as exc:
                    out.append(f"audio clip at frame {pos} has no valid shotloom metadata: {brief(exc)}")
                    continue
                unique(ameta.id, "audio clip")
                if not isinstance(child.media_reference, otio.schema.ExternalReference):
                    out.append(f"audio clip {ameta.id} has no media file")
                if source_in < 0:
                    out.append(f"audio clip {ameta.id} starts at source frame {source_in}")
            pos += frames
        return out

    def check_paths(self, where: str) -> None:
        """ProjectError for a media path escaping the bundle without the by-reference flag."""
        for slot in self.slots():
            for key, ref in slot.clip.media_references().items():
                if key == GENERATOR_KEY:
                    continue
                tm = self.take_meta(ref)
                self.check_stored_path(ref.target_url, tm.by_reference, where)
        for _, clip in self.audio_slots():
            self.check_stored_path(clip.media_reference.target_url,
                                   self.audio_meta(clip).by_reference, where)


def _mark_stale(infos: list[ShotInfo], uses: dict[str, list]) -> list[ShotInfo]:
    """A ready shot whose take was made from other shots is stale when one of them no longer shows
    what the take read (removed, trimmed, another take chosen), or is stale itself."""
    from dataclasses import replace

    by_id = {i.id: i for i in infos}
    reasons: dict[str, str | None] = {}

    def reason(shot_id: str, trail: frozenset[str]) -> str | None:
        if shot_id in reasons:
            return reasons[shot_id]
        info = by_id[shot_id]
        why = None
        if info.status == "ready" and shot_id in uses and shot_id not in trail:
            for use in uses[shot_id]:
                src = by_id.get(use.shot)
                if src is None:
                    why = "a shot it was generated from was removed"
                elif src.take_id != use.take:
                    why = f"shot {src.name!r} it was generated from now shows another take"
                elif (src.source_in, src.frames) != (use.source_in, use.frames):
                    why = f"shot {src.name!r} it was generated from was trimmed"
                elif reason(src.id, trail | {shot_id}) is not None:
                    why = f"shot {src.name!r} it was generated from is stale"
                if why:
                    break
        reasons[shot_id] = why
        return why

    return [replace(i, status="stale", stale_reason=r) if (r := reason(i.id, frozenset())) else i for i in infos]
