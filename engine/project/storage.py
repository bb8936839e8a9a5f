"""Reading and writing project.otio: validation on load, atomic writes.

A save never leaves a half-written file under the final name: the new text goes to a temp file
in the same folder (written, fsynced), the older backups move down one generation
(`project.otio.bak` → `.bak.1` … → `.bak.4`, the oldest dropped), the previous file is linked (or
copied) to the `.bak` through a temp name and `os.replace`, then the temp file replaces the
project file, then the folder is fsynced. Killed at any point, the folder holds the old file or
the new one (and at worst one backup generation twice or missing, never the project file).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

import opentimelineio as otio
from pydantic import ValidationError

from engine.errors import ProjectError
from engine.project.document import Document
from engine.project.model import KEY, SCHEMA_VERSION, ProjectMeta, brief, plain

PROJECT_FILE = "project.otio"
BACKUP_FILE = "project.otio.bak"
BACKUP_GENERATIONS = 5
"""Backups kept by a project save: project.otio.bak (the previous save), then .bak.1 … .bak.4."""
TEMP_PREFIX = ".tmp-"
_CHUNK = 1 << 20
OTIO_ERRORS = (otio.exceptions.OTIOError, ValueError, KeyError, TypeError, IndexError, RuntimeError)
"""What OpenTimelineIO raises for text it cannot read (its own errors, or the C++ layer's)."""


def serialize(doc: Document) -> str:
    return otio.adapters.write_to_string(doc.timeline, "otio_json")


def _backup_hint(file: Path) -> str:
    bak = file.with_name(file.name + ".bak") if file.name != BACKUP_FILE else None
    if bak is not None and bak.exists():
        return f"the previous save is {bak}; copy it over {file.name} to go back to it"
    return "no backup of it exists"


def load_document(file: Path, bundle: Path) -> Document:
    """Read and validate a project file; ProjectError (one line, offering the .bak) when it is
    missing, damaged, from a newer Shotloom, or refers to media outside the bundle."""
    hint = _backup_hint(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(f"{file} does not exist; is {bundle} a Shotloom project? ({hint})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectError(f"cannot read {file} ({exc}); {hint}") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{file} is damaged (not valid JSON at line {exc.lineno}); {hint}") from None
    meta_raw = None
    if isinstance(raw, dict) and isinstance(raw.get("metadata"), dict):
        meta_raw = raw["metadata"].get(KEY)
    if not isinstance(meta_raw, dict):
        raise ProjectError(f"{file} is not a Shotloom project (no Shotloom settings in it); {hint}")
    version = meta_raw.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise ProjectError(f"{file} was saved by a newer Shotloom (project format {version}, this one "
                           f"reads up to {SCHEMA_VERSION}); update Shotloom, or {hint}")
    try:
        ProjectMeta(**meta_raw)
    except (ValidationError, TypeError) as exc:
        raise ProjectError(f"{file} has invalid project settings ({brief(exc)}); {hint}") from None
    try:
        timeline = otio.adapters.read_from_string(text, "otio_json")
    except OTIO_ERRORS as exc:
        raise ProjectError(f"{file} is damaged ({brief(exc)}); {hint}") from None
    if not isinstance(timeline, otio.schema.Timeline) or len(timeline.tracks) < 2 \
            or timeline.tracks[0].kind != otio.schema.TrackKind.Video \
            or timeline.tracks[1].kind != otio.schema.TrackKind.Audio:
        raise ProjectError(f"{file} is damaged (it lacks the shot and audio tracks); {hint}")
    try:
        doc = Document(timeline, bundle)
        problems = doc.problems()
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        raise ProjectError(f"{file} is damaged ({brief(exc)}); {hint}") from None
    if problems:
        raise ProjectError(f"{file} is damaged ({problems[0]}); {hint}")
    try:
        doc.check_paths(str(file))
    except ProjectError as exc:
        raise ProjectError(f"{exc}; {hint}") from None
    return doc


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); Windows cannot open a folder for fsync."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view[:_CHUNK])
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_name(target: Path) -> Path:
    return target.with_name(f"{TEMP_PREFIX}{target.name}.{os.getpid()}.{secrets.token_hex(4)}")


def backup_files(backup: Path, generations: int = BACKUP_GENERATIONS) -> list[Path]:
    """The rotating backups of a file, newest first: `backup`, then `backup.1` … `backup.{n-1}`."""
    return [backup] + [backup.with_name(f"{backup.name}.{n}") for n in range(1, generations)]


def _rotate_backups(backup: Path, generations: int) -> None:
    """Move each backup one generation older (the oldest is replaced), so `backup` is free."""
    chain = backup_files(backup, generations)
    for newer, older in zip(reversed(chain[:-1]), reversed(chain[1:])):
        if newer.exists():
            os.replace(newer, older)


def _keep_backup(target: Path, backup: Path) -> None:
    """The current target becomes the backup, atomically (hard link, or a copy where links fail)."""
    temp = _temp_name(backup)
    try:
        try:
            os.link(target, temp)
        except OSError:
            with open(target, "rb") as src:
                _write_new(temp, src.read())
        os.replace(temp, backup)
    finally:
        if temp.exists():
            temp.unlink()


def write_atomic(target: Path, text: str, *, backup: Path | None = None, generations: int = 1) -> None:
    """Replace `target` with `text` atomically; the previous file becomes `backup` when given, and
    with `generations` > 1 the older backups rotate down (`backup.1` … `backup.{generations-1}`).
    ProjectError naming the file when the disk refuses; the old file is then left as it was."""
    folder = target.parent
    temp = _temp_name(target)
    try:
        _write_new(temp, text.encode("utf-8"))
        if backup is not None and target.exists():
            if generations > 1:
                _rotate_backups(backup, generations)
            _keep_backup(target, backup)
        os.replace(temp, target)
        _fsync_dir(folder)
    except OSError as exc:
        raise ProjectError(f"could not save {target} ({exc.strerror or exc}); the previous save is "
                           "unchanged — free some disk space or check the folder's permissions") from exc
    finally:
        try:
            if temp.exists():
                temp.unlink()
        except OSError:
            pass


def remove_stale_temps(folder: Path) -> None:
    """Temp files left by a save that was killed; never the project file or its backup."""
    for leftover in folder.glob(f"{TEMP_PREFIX}{PROJECT_FILE}*"):
        try:
            leftover.unlink()
        except OSError:
            pass


def copy_into(src: Path, dst: Path) -> None:
    """Copy a media file into the bundle under a temp name, then rename (never half a file)."""
    temp = _temp_name(dst)
    try:
        shutil.copyfile(src, temp)
        with open(temp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, dst)
    finally:
        if temp.exists():
            temp.unlink()


__all__ = [
    "BACKUP_FILE",
    "BACKUP_GENERATIONS",
    "PROJECT_FILE",
    "SCHEMA_VERSION",
    "backup_files",
    "copy_into",
    "load_document",
    "plain",
    "remove_stale_temps",
    "serialize",
    "write_atomic",
]
