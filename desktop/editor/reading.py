"""Reading a few shots of a project without reading them all.

Building every ShotInfo (`Project.shots()`) costs about 14 ms for 200 shots, far too slow for each
step of a trim drag. After an edit the editor only needs the shots the change record names (the
facade works out their staleness from the shots they were made from), plus the order and length
of every shot, which `Project.outline()` gives without building any.
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
    outline = project.outline()
    infos = {info.id: info for info in project.shots(wanted)} if wanted else {}
    return Scan([shot_id for shot_id, _ in outline], [frames for _, frames in outline], infos)
