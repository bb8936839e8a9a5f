"""CLI: `undo`, `redo`, `history` and `take list|use|remove` (registered into engine/cli.py).

Every command that changes a project is one step of its history (engine.project.history), so
`shotloom undo` reverts the last command, whichever it was (an import, a repair, a take chosen,
a take added by `render`), and the editor opens the project with the same steps on its undo stack.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from engine.cliutil import open_project, printable, recipe_summary, recipe_text, resolve_shot, resolve_take
from engine.errors import ShotloomError


def register(subparsers: Any) -> None:
    for name, func, text in (("undo", cmd_undo, "revert the last change to a project (a command, or an edit "
                                                "made in the editor)"),
                             ("redo", cmd_redo, "apply again what the last undo reverted")):
        p = subparsers.add_parser(name, help=text)
        p.add_argument("project")
        p.add_argument("-n", "--steps", type=int, default=1, help="how many steps (default 1)")
        p.set_defaults(func=func)
    p = subparsers.add_parser("history", help="list the project's changes that undo and redo walk")
    p.add_argument("project")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_history)

    take = subparsers.add_parser("take", help="list a shot's takes, choose the one shown, remove one")
    take_sub = take.add_subparsers(dest="take_command", metavar="ACTION", required=True)
    p = take_sub.add_parser("list", help="the takes of a shot (* marks the one shown)")
    p.add_argument("project")
    p.add_argument("shot")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_take_list)
    p = take_sub.add_parser("use", help="show TAKE in its shot")
    p.add_argument("project")
    p.add_argument("shot")
    p.add_argument("take", help="take id, unique id prefix or number (see take list)")
    p.set_defaults(func=cmd_take_use)
    p = take_sub.add_parser("remove", help="remove a take that is not shown (its files stay in the bundle: "
                                           "undo brings it back)")
    p.add_argument("project")
    p.add_argument("shot")
    p.add_argument("take", help="take id, unique id prefix or number (see take list)")
    p.set_defaults(func=cmd_take_remove)


# ---- undo, redo, history --------------------------------------------------------------------------

def _walk(args: argparse.Namespace, undo: bool) -> int:
    word = "undo" if undo else "redo"
    if args.steps < 1:
        raise ShotloomError(f"--steps {args.steps} must be 1 or more")
    project = open_project(args.project, writer=f"shotloom {word}")
    history = project.history
    available = history.cursor if undo else len(history.steps) - history.cursor
    if 0 < available < args.steps:
        raise ShotloomError(f"only {available} step(s) of {project.path.name} can be {word}ne, not {args.steps}; "
                            f"see shotloom history {args.project}")
    done = [project.undo() if undo else project.redo() for _ in range(args.steps)]
    project.save()
    for step in done:
        print(printable(f"{word}ne: {step.label}  ({step.by}, {_when(step.time)})"))
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    return _walk(args, undo=True)


def cmd_redo(args: argparse.Namespace) -> int:
    return _walk(args, undo=False)


def _when(stamp: float) -> str:
    today = time.strftime("%Y-%m-%d") == time.strftime("%Y-%m-%d", time.localtime(stamp))
    return time.strftime("%H:%M:%S" if today else "%Y-%m-%d %H:%M", time.localtime(stamp))


def cmd_history(args: argparse.Namespace) -> int:
    from engine.project import Project

    project = Project.open(Path(args.project))
    history = project.history
    state = history.state()
    if args.json:
        print(json.dumps({
            "cursor": state.cursor,
            "steps": [{"n": n, "id": s.id, "label": s.label, "by": s.by, "time": s.time,
                       "undone": n > state.cursor} for n, s in enumerate(state.steps, 1)],
            "note": None if state.steps else history.empty_reason(),
        }, indent=2))
        return 0
    if not state.steps:
        print(printable(f"{project.path.name}: no steps to undo ({history.empty_reason()})"))
        return 0
    undone = len(state.steps) - state.cursor
    print(printable(f"{project.path.name}: {len(state.steps)} step(s)"
                    + (f", the last {undone} undone" if undone else "")))
    for n, s in enumerate(state.steps, 1):
        mark = "undone" if n > state.cursor else ("> " if n == state.cursor else "")
        print(printable(f"{mark:>6} {n:3d}  {_when(s.time):16}  {s.by:22}  {s.label}"))
    return 0


# ---- takes ----------------------------------------------------------------------------------------

def _take_json(n: int, take: Any) -> dict:
    return {"n": n, "id": take.id, "active": take.active, "kind": take.kind, "path": str(take.path),
            "by_reference": take.by_reference, **recipe_summary(take.recipe)}


def cmd_take_list(args: argparse.Namespace) -> int:
    from engine.project import Project

    project = Project.open(Path(args.project))
    shot = resolve_shot(project, args.shot)
    if args.json:
        print(json.dumps([_take_json(n, t) for n, t in enumerate(shot.takes, 1)], indent=2))
        return 0
    if not shot.takes:
        print(printable(f"shot '{shot.name}' has no takes yet ({shot.status}); `shotloom render` generates one"))
        return 0
    for n, t in enumerate(shot.takes, 1):
        print(printable(f"{'*' if t.active else ' '} {n:2d}  {t.id[:8]}  {t.kind:9}  "
                        f"{recipe_text(t.recipe) or '-':48}  {t.path}"))
    return 0


def _take_of(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(project opened for writing, shot, take) named by a `take use|remove` command line."""
    project = open_project(args.project, writer=f"shotloom take {args.take_command}")
    shot = resolve_shot(project, args.shot)
    return project, shot, resolve_take(project, shot, args.take)


def cmd_take_use(args: argparse.Namespace) -> int:
    from engine.project.edits import SetActiveTake

    project, shot, take = _take_of(args)
    if take.active:
        print(printable(f"take {take.id[:8]} is already shown in shot '{shot.name}'"))
        return 0
    project.apply(SetActiveTake(shot.id, take.id))
    project.save()
    print(take.id)
    return 0


def cmd_take_remove(args: argparse.Namespace) -> int:
    from engine.project.edits import RemoveTake

    project, shot, take = _take_of(args)
    if take.active:
        others = [t for t in shot.takes if not t.active]
        hint = (f"show another first (shotloom take use {args.project} {args.shot} {others[0].id[:8]})"
                if others else "remove the shot instead")
        raise ShotloomError(f"take {take.id[:8]} is the one shot '{shot.name}' shows; {hint}")
    project.apply(RemoveTake(shot.id, take.id))
    project.save()
    print(take.id)
    return 0
