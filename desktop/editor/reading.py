"""Reading a few shots of a project without reading them all.

`Project.shots()` builds every ShotInfo (about 14 ms for 200 shots, most of it converting OTIO
metadata to plain dicts), far too slow for each step of a trim drag. After an edit the editor
only needs the shots the change record names, plus the order and length of every shot, which
the document gives cheaply. This is the one place that reaches into the facade's document for
that; until the facade offers it (`Project.shots(ids)`), other projects (or a future facade
without `_doc`) fall back to `shots()`.
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
    if doc is None or lock is None or not all(hasattr(doc, n) for n in ("slots", "item_id", "clip_range",
                                                                           "shot_info")):
        shots = project.shots()
        return Scan([s.id for s in shots], [s.frames for s in shots], {s.id: s for s in shots if s.id in wanted})
    order: list[str] = []
    lengths: list[int] = []
    infos: dict[str, Any] = {}
    start = 0
    with lock:
        for index, slot in enumerate(doc.slots()):
            shot_id = doc.item_id(slot.clip)
            if shot_id in wanted:
                info = doc.shot_info(index, start, slot)
                infos[shot_id] = info
                frames = info.frames
            else:
                frames = doc.clip_range(slot.clip)[1]
            order.append(shot_id)
            lengths.append(frames)
            start += frames
    return Scan(order, lengths, infos)
