"""Helpers shared by the command-line handlers of every area: projects, shots, progress bars."""

from __future__ import annotations

import re
import sys
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ShotloomError

if TYPE_CHECKING:
    from engine.project import AudioClipInfo, Project, ShotInfo, TakeInfo


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Terminal control characters (ESC, CR, newlines …) and the bidirectional overrides that make
text display other than it reads."""


def printable(text: object) -> str:
    """`text` safe to print on a terminal: control characters escaped (ESC → \\x1b, CR → \\r),
    so a name in a file can neither drive the terminal (titles, colours, cursor) nor fake a line.
    Every human-readable print of user data goes through this."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def open_project(path: str | Path, *, writer: str | None = None, hint: str = "") -> Project:
    """Open a project for reading, or with `writer` (the command, e.g. "shotloom import") as its
    only writer for as long as this process runs: refused in one line naming the program that holds
    it (see engine.project.lock). Commands that change a project take it before reading it, so no
    other program's save can slip in between."""
    from engine.project import Project

    project = Project.open(Path(path), writer=writer, hint=hint)
    if writer is not None:
        project.history.one_step_per_save = True  # one command is one step for `shotloom undo`
        _writers.add(project)
    return project


_writers: weakref.WeakSet = weakref.WeakSet()
"""Projects opened for writing by the running command (weakly: a project nobody holds any more
releases its lock when it is collected, as before)."""


def close_projects() -> None:
    """Give up the ownership locks of the projects this command opened for writing (main() calls
    it when a command ends, however it ends; the OS would at exit, but not in-process callers)."""
    for project in list(_writers):
        project.close()
    _writers.clear()


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


def _pick(items: list, token: str, ident, what: str, where: str, listing: str):
    """The item named by `token`: its id, its 1-based number, a unique id prefix (4+ characters)."""
    exact = [x for x in items if ident(x) == token]
    if exact:
        return exact[0]
    if token.isdigit() and 1 <= int(token) <= len(items):
        return items[int(token) - 1]
    matches = [x for x in items if len(token) >= 4 and ident(x).startswith(token)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ShotloomError(f"'{token}' matches {len(matches)} {what}s of {where}; use the full id ({listing})")
    count = f"a number 1..{len(items)}" if items else "none exist"
    raise ShotloomError(f"no {what} '{token}' in {where}; use an id or {count} ({listing})")


def resolve_take(project: Project, shot: ShotInfo, token: str) -> TakeInfo:
    """A take of `shot` named on the command line: its id, a unique id prefix or its 1-based number."""
    return _pick(list(shot.takes), token, lambda t: t.id, "take", f"shot '{shot.name}'",
                 f"see shotloom take list {project.path.name} {shot.id[:8]}")


def resolve_audio(project: Project, token: str) -> AudioClipInfo:
    """An audio clip named on the command line: its id, a unique id prefix or its 1-based number."""
    return _pick(project.audio_clips(), token, lambda a: a.id, "audio clip", project.path.name,
                 "see shotloom info")


def recipe_summary(recipe: object) -> dict:
    """Task, model, seed and prompt of a shot's or take's recipe (whatever of them it holds): a
    generated take records what ran; a pending shot holds its request under "shotloom_gen"."""
    if not isinstance(recipe, dict):
        return {}
    spec = recipe.get("shotloom_gen")
    source = recipe if ("prompt" in recipe or "task" in recipe) else spec if isinstance(spec, dict) else {}
    model = source.get("model")
    if isinstance(model, dict):
        model = model.get("id")
    loras = source.get("loras") or (source.get("request") or {}).get("loras")
    out = {"task": source.get("task"), "model": model, "seed": source.get("seed"), "prompt": source.get("prompt"),
           "loras": [{"id": r.get("id"), "strength": r.get("strength")} for r in loras
                     if isinstance(r, dict)] if isinstance(loras, list) and loras else None}
    return {k: v for k, v in out.items() if v not in (None, "")}


def recipe_text(recipe: object) -> str:
    """'text to video · tiny-ltx · seed 42 · "a boat"' (empty for media without a recipe)."""
    s = recipe_summary(recipe)
    parts = [str(s["task"]).replace("_", " ")] if "task" in s else []
    parts += [str(s["model"])] if "model" in s else []
    parts += [f"seed {s['seed']}"] if "seed" in s else []
    parts += ["LoRA " + ", ".join(f"{r['id']} {r['strength']:g}" if isinstance(r["strength"], int | float)
                                  else str(r["id"]) for r in s["loras"])] if "loras" in s else []
    if "prompt" in s:
        prompt = str(s["prompt"]).replace("\n", " ")
        parts.append(f'"{prompt[:60]}…"' if len(prompt) > 60 else f'"{prompt}"')
    return " · ".join(parts)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ShotloomError(f"size '{text}' is not WIDTHxHEIGHT (for example 768x512)") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192) or w % 2 or h % 2:
        raise ShotloomError(f"size '{text}' must be even numbers between 16 and 8192 (for example 768x512)")
    return w, h


def parse_rate(text: str):
    """A frame rate given on the command line: a standard rate (24, 29.97 …) or a small rational
    (30000/1001), 1 to 240 frames per second (engine.project.model.parse_fps has the rule)."""
    from engine.project.model import parse_fps

    try:
        rate = parse_fps(text)
    except ValueError as exc:
        raise ShotloomError(str(exc)) from None
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
                bar.set_postfix_str(printable(message), refresh=False)
            bar.refresh()
            last[0] = now

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
