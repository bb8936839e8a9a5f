"""The project's edit history, kept in the bundle: what `shotloom undo`, `redo` and `history` work
from, and what the editor loads as its undo stack when it opens a project.

A history is a list of *steps* and a cursor: `steps[:cursor]` are applied (undo reverts
`steps[cursor - 1]`), `steps[cursor:]` were undone (redo applies `steps[cursor]`). A step holds an
edit and its exact inverse, as `Project.apply` returned it; undoing applies the inverse and keeps
what that returns as the step's redo, so redo is exact too (a shot comes back with its ids).

`NAME.shotloom/history.jsonl` holds one JSON line per save of the project: the operations since the
previous save (new steps, undos, redos) and the sha256 of project.otio before and after that save.
The line is appended (one write, fsynced) before project.otio is replaced, so:

- a save killed after the append leaves a record whose `after` is not on disk: it is ignored;
- project.otio replaced by an older save (a `.bak` copied back) finds the history of that save;
- project.otio changed by something that keeps no history (a hand edit, another tool, an autosave
  recovered) matches no record: undo then starts from that document, never applying an inverse
  to a document it was not made for.

Loading replays the records, keyed by the digest each one leads to (the latest record wins), and
takes the state for the digest on disk. The history is bounded: at most `MAX_STEPS` steps, a step
larger than `MAX_STEP_BYTES` ends the history before it (recorded as a reset), and a log larger
than `MAX_LOG_BYTES` is rewritten atomically as one snapshot of the current state.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import time
import typing
import uuid
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ProjectError
from engine.project import edits as edits_module
from engine.project.edits import Composite, Edit

HISTORY_FILE = "history.jsonl"
FORMAT = 1
MAX_STEPS = 200
MAX_STEP_BYTES = 512 * 1024
MAX_LOG_BYTES = 2 * 1024 * 1024


# ---- the JSON codec of edits ----------------------------------------------------------------------

EDIT_TYPES: dict[str, type[Edit]] = {
    name: obj for name in edits_module.__all__
    if isinstance(obj := getattr(edits_module, name), type) and issubclass(obj, Edit) and obj is not Edit
}
"""Every edit type of engine.project.edits, by class name (the `edit` key of its JSON)."""


@functools.cache
def _field_kinds(cls: type[Edit]) -> dict[str, str]:
    """For each field of an edit type: "path" (a file path), "edits" (nested edits) or "data"."""
    hints = typing.get_type_hints(cls)
    kinds = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        args = set(typing.get_args(hint))
        if hint is Path or Path in args:
            kinds[f.name] = "path"
        elif typing.get_origin(hint) is tuple and args and all(isinstance(a, type) and issubclass(a, Edit)
                                                                for a in args - {Ellipsis}):
            kinds[f.name] = "edits"
        else:
            kinds[f.name] = "data"
    return kinds


def edit_to_json(edit: Edit, bundle: Path) -> dict[str, Any]:
    """A plain-JSON form of an edit. Paths inside the bundle are stored relative to it (the
    history survives moving the bundle); other paths stay absolute."""
    cls = type(edit)
    if EDIT_TYPES.get(cls.__name__) is not cls:
        raise ProjectError(f"{cls.__name__} is not an edit the project history can store")
    out: dict[str, Any] = {"edit": cls.__name__}
    root = bundle.resolve()
    for name, kind in _field_kinds(cls).items():
        value = getattr(edit, name)
        if value is None:
            out[name] = None
        elif kind == "path":
            p = Path(os.path.abspath(Path(value).expanduser()))
            inside = p.resolve().is_relative_to(root)
            out[name] = {"path": p.resolve().relative_to(root).as_posix() if inside else str(p), "bundle": inside}
        elif kind == "edits":
            out[name] = [edit_to_json(e, bundle) for e in value]
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out


def edit_from_json(data: Any, bundle: Path) -> Edit:
    """The edit of `edit_to_json`; ValueError when the data is not one."""
    if not isinstance(data, dict) or data.get("edit") not in EDIT_TYPES:
        raise ValueError(f"not a stored edit: {str(data)[:80]}")
    cls = EDIT_TYPES[data["edit"]]
    kinds = _field_kinds(cls)
    unknown = set(data) - set(kinds) - {"edit"}
    if unknown:
        raise ValueError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    values: dict[str, Any] = {}
    for name, kind in kinds.items():
        if name not in data:
            continue
        value = data[name]
        if value is None:
            values[name] = None
        elif kind == "path":
            if not isinstance(value, dict) or not isinstance(value.get("path"), str):
                raise ValueError(f"{cls.__name__}.{name} is not a stored path")
            values[name] = bundle / value["path"] if value.get("bundle") else Path(value["path"])
        elif kind == "edits":
            values[name] = tuple(edit_from_json(e, bundle) for e in value)
        elif isinstance(value, list):
            values[name] = tuple(value)
        else:
            values[name] = value
    try:
        return cls(**values)
    except TypeError as exc:
        raise ValueError(f"{cls.__name__}: {exc}") from None


# ---- steps and their history ----------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One undoable change: applying `undo` reverts it, applying `do` (again) makes it."""

    id: str
    label: str
    by: str
    time: float
    do: Edit
    undo: Edit
    merge_key: Hashable | None = dataclasses.field(default=None, compare=False)
    """Set while the step can still grow (this session only; never saved)."""


@dataclass(frozen=True)
class State:
    steps: tuple[Step, ...] = ()
    cursor: int = 0
    """steps[:cursor] are applied; steps[cursor:] were undone and can be redone."""


class _Broken(ValueError):
    """A record does not fit the history it follows (it is then treated as a fresh start)."""


def _advance(state: State, op: tuple) -> State:
    kind = op[0]
    steps, cursor = list(state.steps), state.cursor
    if kind == "step":
        steps = steps[:cursor] + [op[1]]
        cursor += 1
        if len(steps) > MAX_STEPS:
            drop = len(steps) - MAX_STEPS
            steps, cursor = steps[drop:], cursor - drop
    elif kind == "undo":
        _, step_id, redo = op
        if cursor == 0 or steps[cursor - 1].id != step_id:
            raise _Broken(f"undo of step {step_id} does not follow its history")
        steps[cursor - 1] = dataclasses.replace(steps[cursor - 1], do=redo)
        cursor -= 1
    elif kind == "redo":
        _, step_id, undo = op
        if cursor >= len(steps) or steps[cursor].id != step_id:
            raise _Broken(f"redo of step {step_id} does not follow its history")
        steps[cursor] = dataclasses.replace(steps[cursor], undo=undo)
        cursor += 1
    else:
        raise _Broken(f"unknown history operation {kind!r}")
    return State(tuple(steps), cursor)


def _step_to_json(step: Step, bundle: Path) -> dict[str, Any]:
    return {"id": step.id, "label": step.label, "by": step.by, "time": step.time,
            "do": edit_to_json(step.do, bundle), "undo": edit_to_json(step.undo, bundle)}


def _step_from_json(data: Any, bundle: Path) -> Step:
    if not isinstance(data, dict):
        raise _Broken("not a stored step")
    try:
        return Step(str(data["id"]), str(data["label"]), str(data["by"]), float(data["time"]),
                    edit_from_json(data["do"], bundle), edit_from_json(data["undo"], bundle))
    except (KeyError, TypeError, ValueError) as exc:
        raise _Broken(str(exc)) from None


def _op_to_json(op: tuple, bundle: Path) -> dict[str, Any]:
    if op[0] == "step":
        return {"op": "step", "step": _step_to_json(op[1], bundle)}
    key = "redo" if op[0] == "undo" else "undo"
    return {"op": op[0], "step": op[1], key: edit_to_json(op[2], bundle)}


def _op_from_json(data: Any, bundle: Path) -> tuple:
    if not isinstance(data, dict) or data.get("op") not in ("step", "undo", "redo"):
        raise _Broken("not a stored history operation")
    if data["op"] == "step":
        return ("step", _step_from_json(data.get("step"), bundle))
    key = "redo" if data["op"] == "undo" else "undo"
    try:
        return (data["op"], str(data["step"]), edit_from_json(data[key], bundle))
    except (KeyError, ValueError) as exc:
        raise _Broken(str(exc)) from None


def _merge(steps: list[Step], label: str | None) -> Step:
    """Several steps as one: their edits in order, their inverses in reverse (all or nothing).
    Composites are flattened, so a long drag stays one flat list."""
    if len(steps) == 1 and label is None:
        return steps[0]
    first = steps[0]

    def flat(edits: Iterable[Edit]) -> Edit:
        out: list[Edit] = []
        for e in edits:
            out.extend(e.edits if isinstance(e, Composite) else (e,))
        return out[0] if len(out) == 1 else Composite(tuple(out))

    return Step(first.id, label or join_labels(s.label for s in steps), first.by, first.time,
                flat(s.do for s in steps), flat(s.undo for s in reversed(steps)))


def join_labels(labels: Iterable[str]) -> str:
    unique = list(dict.fromkeys(labels))
    if len(unique) <= 2:
        return "; ".join(unique)
    return f"{unique[0]}; {unique[1]} and {len(unique) - 2} more"


class History:
    """The history of one open project (see the module docstring). `Project` owns it: it records
    every applied edit, and commits the operations with each save."""

    def __init__(self, bundle: Path, base_digest: str | None, *, by: str = "shotloom") -> None:
        self.bundle = bundle
        self.by = by
        self.one_step_per_save = False
        """Record the edits between two saves as one step (a command is one step to undo)."""
        self._base_digest = base_digest
        self._base: State | None = None
        self._pending: list[tuple] = []
        self._reset: str | None = None
        self._unknown = False
        """The document on disk matches no record of a non-empty log."""
        self.last_merged = False
        """Whether the last recorded edit joined the step before it (a drag): the editor's undo
        stack merges its commands exactly when this does, so both stacks stay step for step."""

    @property
    def file(self) -> Path:
        return self.bundle / HISTORY_FILE

    # ---- reading ------------------------------------------------------------------------------------
    def _load(self) -> State:
        if self._base is None:
            states, had_records = replay(self.file, self.bundle)
            state = states.get(self._base_digest) if self._base_digest is not None else None
            self._unknown = state is None and had_records
            self._base = state or State()
        return self._base

    def state(self) -> State:
        """The history as it is now (the saved history plus what happened since the last save)."""
        state = State() if self._reset is not None else self._load()
        for op in self._pending:
            state = _advance(state, op)
        return state

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.state().steps

    @property
    def cursor(self) -> int:
        return self.state().cursor

    def undo_step(self) -> Step | None:
        """The step an undo reverts (None when there is none)."""
        state = self.state()
        return state.steps[state.cursor - 1] if state.cursor else None

    def redo_step(self) -> Step | None:
        state = self.state()
        return state.steps[state.cursor] if state.cursor < len(state.steps) else None

    def empty_reason(self) -> str:
        """Why there is nothing to undo, in words for the user."""
        if self._reset is not None:
            return f"its history starts again here ({self._reset})"
        self._load()
        if self._unknown:
            return ("project.otio was changed by a program that keeps no Shotloom history since the last "
                    "recorded step, so the history starts again from this document")
        return "there is no earlier step in its history"

    # ---- recording ----------------------------------------------------------------------------------
    def record(self, do: Edit, undo: Edit, label: str, *, merge_key: Hashable | None = None) -> None:
        """A new step (after Project.apply applied `do` and got `undo` back); drops the redo tail.
        With `merge_key`, it joins the last step instead when that has the same key and was the
        last thing done in this session."""
        last = self._pending[-1] if self._pending else None
        self.last_merged = (merge_key is not None and last is not None and last[0] == "step"
                            and last[1].merge_key == merge_key)
        if self.last_merged:
            self._pending[-1] = ("step", dataclasses.replace(_merge([last[1], dataclasses.replace(
                last[1], do=do, undo=undo)], last[1].label), merge_key=merge_key))
            return
        self._pending.append(("step", Step(uuid.uuid4().hex[:12], label, self.by, time.time(), do, undo,
                                           merge_key)))

    def undone(self, step: Step, redo: Edit) -> None:
        self._pending.append(("undo", step.id, redo))

    def redone(self, step: Step, undo: Edit) -> None:
        self._pending.append(("redo", step.id, undo))

    def reset(self, reason: str) -> None:
        """The document changed in a way the history does not describe: it starts again here."""
        self._reset = reason
        self._pending.clear()

    @property
    def pending(self) -> bool:
        """True when a save has something to record."""
        return bool(self._pending) or self._reset is not None

    # ---- saving -------------------------------------------------------------------------------------
    def commit(self, before: str | None, after: str) -> Callable[[], None]:
        """Append what happened since the last save (before project.otio is replaced with the
        document whose digest is `after`). Returns the function to call once that save succeeded.
        OSError when the disk refuses (nothing in memory changes then)."""
        ops = self._grouped(list(self._pending))
        reset = self._reset
        encoded: list[dict] = []
        try:
            for op in ops:
                encoded.append(_op_to_json(op, self.bundle))
            line = json.dumps({"v": FORMAT, "before": before, "after": after, "reset": reset is not None,
                               "time": time.time(), "by": self.by, "ops": encoded},
                              allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError, ProjectError):
            line = None
        if line is not None and len(line) > MAX_STEP_BYTES:
            line = None
        if line is None:  # a step the history cannot keep: it starts again after it
            reset, ops = reset or "a step too large to keep in the history", []
            line = json.dumps({"v": FORMAT, "before": before, "after": after, "reset": True,
                               "time": time.time(), "by": self.by, "ops": []}, separators=(",", ":"))
        state: State | None = None
        if reset is not None or self._base is not None or self._log_size() + len(line) > MAX_LOG_BYTES:
            state = State() if reset is not None else self._load()
            for op in ops:
                state = _advance(state, op)
        if self._log_size() + len(line) > MAX_LOG_BYTES:
            assert state is not None
            self._write_snapshot(state, after)
        else:
            append_line(self.file, line)

        def saved() -> None:
            # A history never read in this session (a command) is read again from the file if asked.
            self._base, self._base_digest = state, after
            self._pending.clear()
            self._reset = None
            self._unknown = False

        return saved

    def _grouped(self, ops: list[tuple]) -> list[tuple]:
        if not self.one_step_per_save:
            return ops
        out: list[tuple] = []
        run: list[Step] = []
        for op in [*ops, ("end",)]:
            if op[0] == "step":
                run.append(op[1])
                continue
            if run:
                out.append(("step", _merge(run, None)))
                run = []
            if op[0] != "end":
                out.append(op)
        return out

    def _log_size(self) -> int:
        try:
            return self.file.stat().st_size
        except OSError:
            return 0

    def _write_snapshot(self, state: State, after: str) -> None:
        """Rewrite the log as one record of `state`, dropping the oldest steps to fit."""
        from engine.fsutil import write_text_atomic

        steps = list(state.steps)
        cursor = state.cursor
        while True:
            line = json.dumps({"v": FORMAT, "snapshot": True, "after": after, "time": time.time(), "by": self.by,
                               "cursor": cursor, "steps": [_step_to_json(s, self.bundle) for s in steps]},
                              allow_nan=False, separators=(",", ":"))
            if len(line) <= MAX_LOG_BYTES // 2 or not steps:
                break
            drop = max(1, len(steps) // 4)
            steps, cursor = steps[drop:], max(0, cursor - drop)
        write_text_atomic(self.file, line + "\n")


def append_line(file: Path, line: str) -> None:
    """Append one line with one write on an O_APPEND descriptor, then fsync. A line torn by a
    crash (no newline at the end of the file) is cut off first, so it never merges with this one."""
    data = (line + "\n").encode("utf-8")
    fd = os.open(file, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.ftruncate(fd, os.pread(fd, size, 0).rfind(b"\n") + 1)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def replay(file: Path, bundle: Path) -> tuple[dict[str, State], bool]:
    """The state of the history after each record, keyed by the digest of project.otio that the
    record leads to (the latest record wins), and whether the log had any record."""
    try:
        lines = file.read_bytes().split(b"\n")
    except FileNotFoundError:
        return {}, False
    except OSError as exc:
        raise ProjectError(f"cannot read {file} ({exc.strerror or exc}); check the file's permissions") from None
    states: dict[str, State] = {}
    had = False
    for raw in lines:
        try:
            record = json.loads(raw)
        except ValueError:
            continue  # a line torn by a crash (or an empty line)
        if not isinstance(record, dict) or not isinstance(record.get("after"), str):
            continue
        had = True
        try:
            if record.get("snapshot"):
                steps = tuple(_step_from_json(s, bundle) for s in record.get("steps") or [])
                cursor = record.get("cursor")
                if not isinstance(cursor, int) or not 0 <= cursor <= len(steps):
                    raise _Broken("bad cursor")
                states = {record["after"]: State(steps, cursor)}
                continue
            state = State() if record.get("reset") else states.get(record.get("before"), State())
            for data in record.get("ops") or []:
                state = _advance(state, _op_from_json(data, bundle))
        except _Broken:
            state = State()
        states[record["after"]] = state
    return states, had


# ---- labels --------------------------------------------------------------------------------------

def describe(edit: Edit, name_of: Callable[[str], str]) -> str:
    """A short label of an edit for the history list (`name_of(shot_id)` names a shot). It runs
    before the edit is validated, so a value of the wrong type gives the edit's plain name."""
    try:
        return _describe(edit, name_of)
    except (TypeError, ValueError, AttributeError):
        return kind_label(edit)


def kind_label(edit: Edit) -> str:
    """"InsertShot" -> "insert shot"."""
    name = type(edit).__name__
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()


def _describe(edit: Edit, name_of: Callable[[str], str]) -> str:
    e: Any = edit

    def shot() -> str:
        return f"'{name_of(e.shot_id)}'"

    match type(edit).__name__:
        case "InsertShot":
            return f"add shot '{e.name}'"
        case "RemoveShot":
            return f"remove shot {shot()}"
        case "RestoreShot":
            return "restore a shot"
        case "RestoreShots":
            return "add shots"
        case "RemoveShots":
            return f"remove {len(e.shot_ids)} shots"
        case "MoveShot":
            return f"move shot {shot()} to {e.to_index + 1}"
        case "TrimShot":
            return f"trim shot {shot()} ({e.side} {e.delta:+d})"
        case "SplitShot":
            return f"split shot {shot()} at {e.offset}"
        case "SetTransition":
            return f"{e.kind} of {e.frames} frames into {shot()}" if e.kind != "cut" else f"cut into {shot()}"
        case "ClearTransition":
            return f"cut into {shot()}"
        case "AddTake":
            return f"add take {e.take_id[:8]} to {shot()}"
        case "RemoveTake":
            return f"remove take {e.take_id[:8]} from {shot()}"
        case "RestoreTake":
            return f"restore take {e.take_id[:8]} of {shot()}"
        case "SetActiveTake":
            return f"use take {e.take_id[:8]} on {shot()}" if e.take_id else f"use the recipe of {shot()}"
        case "SetRecipe":
            return f"set the recipe of {shot()}"
        case "SetNotes":
            return f"notes of {shot()}"
        case "RenameShot":
            return f"rename {shot()} to '{e.name}'"
        case "SetShotStatus":
            return f"mark {shot()} {e.status or 'as computed'}"
        case "AddAudioClip":
            return f"add audio {Path(e.path).name} at frame {e.start}"
        case "RemoveAudioClip":
            return "remove an audio clip"
        case "RestoreAudioClip":
            return "restore an audio clip"
        case "KeepLooseTake":
            return f"keep loose take {e.take_id[:8]}"
        case "DropLooseTake":
            return f"drop loose take {e.take_id[:8]}"
        case "Composite":
            return join_labels(describe(child, name_of) for child in e.edits) or "nothing"
    return kind_label(edit)


# ---- for the editor ------------------------------------------------------------------------------

@dataclass(frozen=True)
class UndoEntry:
    label: str
    by: str
    time: float
    undone: bool


def load_undo_steps(project: Any) -> tuple[list[UndoEntry], int]:
    """The saved history of an open project as the editor's undo stack: one entry per step, oldest
    first, and the stack index (entries[:index] are applied). The editor pushes one command per
    entry *without applying anything* (the document already is in that state), sets the index, and
    from then on its commands call `project.undo()` / `project.redo()` (not `apply` of an inverse),
    and new edits go through `project.apply(edit, label=...)`: the two stacks then stay in step."""
    state = project.history.state()
    return ([UndoEntry(s.label, s.by, s.time, i >= state.cursor) for i, s in enumerate(state.steps)],
            state.cursor)


__all__ = [
    "EDIT_TYPES",
    "HISTORY_FILE",
    "MAX_STEPS",
    "History",
    "State",
    "Step",
    "UndoEntry",
    "describe",
    "edit_from_json",
    "edit_to_json",
    "load_undo_steps",
    "replay",
]
