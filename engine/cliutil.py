"""Helpers shared by the command-line handlers of every area: projects, shots, progress bars."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ShotloomError

if TYPE_CHECKING:
    from engine.project import Project, ShotInfo


def open_project(path: str | Path, *, writer: str | None = None, hint: str = "") -> Project:
    """Open a project for reading, or with `writer` (the command, e.g. "shotloom import") as its
    only writer for as long as this process runs: refused in one line naming the program that holds
    it (see engine.project.lock). Commands that change a project take it before reading it, so no
    other program's save can slip in between."""
    from engine.project import Project

    return Project.open(Path(path), writer=writer, hint=hint)


def resolve_shot(project: Project, token: str) -> ShotInfo:
    """A shot named on the command line: its id, a unique id prefix, its 1-based number or its name."""
    shots = project.shots()
    by_id = [s for s in shots if s.id == token]
    if by_id:
        return by_id[0]
    if token.isdigit() and 1 <= int(token) <= len(shots):
        return shots[int(token) - 1]
    matches = [s for s in shots if len(token) >= 4 and s.id.startswith(token)] or [
        s for s in shots if s.name == token
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ShotloomError(
            f"no shot '{token}' in {project.path.name}; use an id, a number 1..{len(shots)} or a name "
            f"(see shotloom info)"
        )
    raise ShotloomError(f"'{token}' matches {len(matches)} shots in {project.path.name}; use the shot id")


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ShotloomError(f"size '{text}' is not WIDTHxHEIGHT (for example 768x512)") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192) or w % 2 or h % 2:
        raise ShotloomError(f"size '{text}' must be even numbers between 16 and 8192 (for example 768x512)")
    return w, h


def parse_rate(text: str):
    from fractions import Fraction

    aliases = {"23.976": "24000/1001", "29.97": "30000/1001", "59.94": "60000/1001"}
    try:
        rate = Fraction(aliases.get(text, text))
    except (ValueError, ZeroDivisionError):
        raise ShotloomError(f"frame rate '{text}' is not a number or a fraction (24, 25, 30000/1001)") from None
    if not 1 <= rate <= 240:
        raise ShotloomError(f"frame rate '{text}' must be between 1 and 240 frames per second")
    return rate


@contextmanager
def progress_bar(desc: str, unit: str = "frame") -> Iterator:
    """A tqdm bar on stderr with ETA; yields a progress(done, total, message) callback."""
    from tqdm import tqdm

    bar = None
    last = [0.0]

    def update(done: int, total: int, message: str = "") -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=True)
        if bar.total != total:
            bar.total = total
        now = time.monotonic()
        if now - last[0] > 0.1 or done >= total:
            bar.n = done
            if message:
                bar.set_postfix_str(message, refresh=False)
            bar.refresh()
            last[0] = now

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
