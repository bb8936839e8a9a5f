"""Reading a few shots of a project without reading them all.

`Project.shots()` builds every ShotInfo (about 14 ms for 200 shots, most of it converting OTIO
metadata to plain dicts), far too slow for each step of a trim drag. After an edit the editor
only needs the shots the change record names, plus the order and length of every shot, which
the document gives cheaply. A shot generated from others is stale when one of its sources changed
since its take was made: that is worked out, as `shots()` does, from the named shots and the shots
they were made from (transitively). This is the one place that reaches into the facade's document
for that; until the facade offers it (`Project.shots(ids)`), a facade without these internals falls
back to `shots()`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scan:
    order: list[str]
    """Shot ids in timeline order."""
    lengths: list[int]
    """Visible frames of each shot, in the same order."""
    infos: dict[str, Any]
    """ShotInfo of the shots asked for that still exist."""


def scan(project: Any, wanted: Collection[str]) -> Scan:
    doc = getattr(project, "_doc", None)
    lock = getattr(project, "_lock", None)
    mark_stale = _stale_marker()
    if doc is None or lock is None or mark_stale is None or not all(
            hasattr(doc, n) for n in ("slots", "item_id", "clip_range", "shot_info", "take_meta")):
        shots = project.shots()
        return Scan([s.id for s in shots], [s.frames for s in shots], {s.id: s for s in shots if s.id in wanted})
    order: list[str] = []
    lengths: list[int] = []
    infos: dict[str, Any] = {}
    places: dict[str, tuple[int, int, Any]] = {}
    start = 0
    with lock:
        for index, slot in enumerate(doc.slots()):
            shot_id = doc.item_id(slot.clip)
            places[shot_id] = (index, start, slot)
            if shot_id in wanted:
                info = doc.shot_info(index, start, slot)
                infos[shot_id] = info
                frames = info.frames
            else:
                frames = doc.clip_range(slot.clip)[1]
            order.append(shot_id)
            lengths.append(frames)
            start += frames
        # Staleness: the named shots made from others, and the shots they were made from.
        uses: dict[str, Any] = {}
        related = dict(infos)
        todo = [i for i in infos.values() if getattr(i, "sources", ())]
        while todo:
            info = todo.pop()
            slot = places[info.id][2]
            uses[info.id] = doc.take_meta(slot.clip.media_references()[info.take_id]).made_from
            for source in info.sources:
                if source not in related and source in places:
                    related[source] = doc.shot_info(*places[source])
                    if getattr(related[source], "sources", ()):
                        todo.append(related[source])
    if uses:
        marked = {i.id: i for i in mark_stale(list(related.values()), uses)}
        infos = {shot_id: marked[shot_id] for shot_id in infos}
    return Scan(order, lengths, infos)


def _stale_marker():
    try:
        from engine.project.document import _mark_stale
    except ImportError:
        return None
    return _mark_stale
