"""Files that are never half-written, and the debris a killed process leaves: one name scheme.

Every file or folder Shotloom writes first goes to a *partial* sibling in the same folder,
named after its final name, the writing process and a random token:

    .film.partial-4242-1a2b3c4d.mp4        (a file: the extension stays last, so encoders that
                                            pick a format from it still can)
    .4f1e….partial-4242-1a2b3c4d           (a folder: a take being generated)

When the work is complete it is fsynced and renamed into place (`os.replace` for files, a rename
that refuses to overwrite for folders), then the folder is fsynced. Killed at any moment, the
final name holds the old content or the new one, never a mix, and what is left is a partial
whose writer is gone. `sweep_debris` finds those (the pid in the name is not running, or it now
belongs to a process started after the partial was last written: pid reuse) and removes them;
partials of a live writer are never touched.

Names written by older versions (`.tmp-NAME.PID.HEX` copies, `.OUT.partial-PID.ext` exports,
`.HASH.TOKEN.partial.mp4` proxies, `.NAME.shotloom.partial` Save As copies) are recognised as
partials too, so the debris they left is swept like any other; the ones without a pid count as
gone once they have not been written for an hour.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})(?P<suffix>\.[^./]*)?$")
_LEGACY = (
    re.compile(r"^\.tmp-(?P<name>.+)\.(?P<pid>\d+)\.(?P<token>[0-9a-f]{8})$"),
    re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)(?P<suffix>\.[^./]*)?$"),
    re.compile(r"^\.(?P<name>[0-9a-f]{16})\.(?P<token>[0-9a-f]{8})\.partial(?P<suffix>\.mp4)$"),
    re.compile(r"^\.(?P<name>.+\.shotloom)\.partial$"),
)
"""Partial names of earlier versions (see the module docstring)."""
LEGACY_IDLE_SECONDS = 3600.0
"""A partial that names no writer is debris once it has not been written for this long."""
_CHUNK = 1 << 20


# ---- names ---------------------------------------------------------------------------------------

def partial_path(final: Path | str, *, folder: bool = False) -> Path:
    """A fresh partial name beside `final`, owned by this process. Files keep their extension last
    (`.out.partial-PID-TOKEN.mp4`); folders get none (`.take.partial-PID-TOKEN`)."""
    final = Path(final)
    token = secrets.token_hex(4)
    if folder or not final.suffix:
        return final.with_name(f".{final.name}.partial-{os.getpid()}-{token}")
    return final.with_name(f".{final.stem}.partial-{os.getpid()}-{token}{final.suffix}")


@dataclass(frozen=True)
class Partial:
    path: Path
    pid: int | None
    """The writing process; None for an old name that does not say (see LEGACY_IDLE_SECONDS)."""
    final_name: str
    """What the partial was going to be called (best effort for files: stem + extension)."""


def parse_partial(path: Path | str) -> Partial | None:
    """The owner and final name of a partial, or None when `path` is not one of ours."""
    path = Path(path)
    for pattern in (_PARTIAL, *_LEGACY):
        m = pattern.match(path.name)
        if m is not None:
            groups = m.groupdict()
            pid = int(groups["pid"]) if groups.get("pid") else None
            return Partial(path, pid, m["name"] + (groups.get("suffix") or ""))
    return None


def owner_alive(pid: int | None, last_written: float) -> bool:
    """True when `pid` runs and started before the partial was last written (a reused pid, started
    after its previous owner died, does not count). Without a pid: written in the last hour."""
    if pid is None:
        return time.time() - last_written < LEGACY_IDLE_SECONDS
    if pid == os.getpid():
        return True
    try:
        import psutil

        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return proc.create_time() <= last_written + 1.0
    except Exception:  # noqa: BLE001 — NoSuchProcess, AccessDenied …: treat as gone only if it is gone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True


# ---- atomic files -----------------------------------------------------------------------------------

def fsync_dir(folder: Path | str) -> None:
    """Make a rename in `folder` durable (POSIX); Windows cannot open a folder for fsync."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view[:_CHUNK])
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(target: Path | str, data: bytes, *, mode: int = 0o644,
                       backup: Path | str | None = None, generations: int = 1) -> Path:
    """Replace `target` with `data`: a partial sibling written and fsynced, then renamed over it.
    With `backup`, the file being replaced becomes `backup` first, atomically too (a hard link,
    or a copy where links fail); with `generations` > 1 the older backups move down one
    generation first (`backup_chain`), once the new data is safely written. OSError (disk full,
    permissions) leaves the old file as it was and no partial behind."""
    target = Path(target)
    temp = partial_path(target)
    try:
        _write_new(temp, data, mode)
        if backup is not None and target.exists():
            if generations > 1:
                _rotate(backup_chain(Path(backup), generations))
            _keep_backup(target, Path(backup))
        os.replace(temp, target)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    fsync_dir(target.parent)
    return target


def backup_chain(backup: Path | str, generations: int) -> list[Path]:
    """The rotating backups of a file, newest first: `backup`, then `backup.1` … `backup.{n-1}`."""
    backup = Path(backup)
    return [backup] + [backup.with_name(f"{backup.name}.{n}") for n in range(1, generations)]


def _keep_backup(current: Path, backup: Path) -> None:
    temp = partial_path(backup)
    try:
        try:
            os.link(current, temp)
        except OSError:
            with open(current, "rb") as src:
                _write_new(temp, src.read(), 0o644)
        os.replace(temp, backup)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def _rotate(chain: list[Path]) -> None:
    """Move each backup one generation older (the oldest is replaced), so the newest name is free."""
    for newer, older in zip(reversed(chain[:-1]), reversed(chain[1:])):
        if newer.exists():
            os.replace(newer, older)


def write_text_atomic(target: Path | str, text: str, *, mode: int = 0o644,
                      backup: Path | str | None = None, generations: int = 1) -> Path:
    return write_bytes_atomic(target, text.encode("utf-8"), mode=mode, backup=backup, generations=generations)


def write_json_atomic(target: Path | str, data: Any, *, indent: int | None = 1, mode: int = 0o644) -> Path:
    return write_text_atomic(target, json.dumps(data, indent=indent, allow_nan=False), mode=mode)


@contextlib.contextmanager
def atomic_output(target: Path | str) -> Iterator[Path]:
    """For writers that need a path (encoders, copies): yields a partial path beside `target`;
    on a clean exit the file there is fsynced and renamed into place, on any error (or a cancel)
    it is removed and `target` is untouched."""
    target = Path(target)
    temp = partial_path(target)
    try:
        yield temp
        with open(temp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, target)
        fsync_dir(target.parent)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def copy_file_atomic(src: Path | str, dst: Path | str, *,
                     progress: Callable[[int, int, str], None] | None = None,
                     cancel: Any = None) -> Path:
    """Copy `src` to `dst` through a partial (never half a file under `dst`), in chunks so a
    progress callback and a cancel token (`raise_if_canceled()`) are honoured."""
    src, dst = Path(src), Path(dst)
    total = src.stat().st_size
    with atomic_output(dst) as temp:
        done = 0
        with open(src, "rb") as fin, open(temp, "xb") as fout:
            while chunk := fin.read(4 * _CHUNK):
                fout.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total, src.name)
                if cancel is not None:
                    cancel.raise_if_canceled()
        shutil.copystat(src, temp)
    return dst


def is_disk_full(exc: BaseException | None) -> bool:
    """True when `exc` (or what caused it) says the disk or the user's quota is full."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc)
        if "No space left on device" in text or "the disk is full" in text or "Disk quota exceeded" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


# ---- folders -----------------------------------------------------------------------------------------

def make_partial_dir(final: Path | str) -> Path:
    """A fresh partial folder beside `final` (created), to fill and then `publish_dir`."""
    temp = partial_path(final, folder=True)
    temp.mkdir(parents=True)
    return temp


def publish_dir(temp: Path | str, final: Path | str) -> Path:
    """Rename a complete folder into place. Refuses (FileExistsError) when `final` exists and is
    not an empty folder; an empty one (made by an older writer) is replaced."""
    temp, final = Path(temp), Path(final)
    for child in temp.rglob("*"):
        if child.is_file():
            with open(child, "rb") as fh:
                os.fsync(fh.fileno())
    if final.is_dir() and not any(final.iterdir()):
        final.rmdir()
    if final.exists():
        raise FileExistsError(f"{final} already exists")
    os.rename(temp, final)
    fsync_dir(final.parent)
    return final


# ---- debris ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Debris:
    path: Path
    bytes: int


def _size(path: Path) -> int:
    if path.is_symlink() or not path.is_dir():
        try:
            return path.lstat().st_size
        except OSError:
            return 0
    total = 0
    for child in path.rglob("*"):
        with contextlib.suppress(OSError):
            if not child.is_dir() or child.is_symlink():
                total += child.lstat().st_size
    return total


def _last_written(path: Path) -> float:
    try:
        newest = path.lstat().st_mtime
    except OSError:
        return time.time()
    if path.is_dir() and not path.is_symlink():
        for child in path.rglob("*"):
            with contextlib.suppress(OSError):
                newest = max(newest, child.lstat().st_mtime)
    return newest


def find_debris(folder: Path | str, *, recursive: bool = False) -> list[Debris]:
    """Partials in `folder` (and below, when recursive; never inside a partial) whose writer is
    gone. Symlinks are never followed."""
    folder = Path(folder)
    found: list[Debris] = []
    if not folder.is_dir() or folder.is_symlink():
        return found
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            partial = parse_partial(path)
            if partial is not None:
                if not owner_alive(partial.pid, _last_written(path)):
                    found.append(Debris(path, _size(path)))
                continue
            if recursive and entry.is_dir(follow_symlinks=False):
                stack.append(path)
    return found


def sweep_debris(folder: Path | str, *, recursive: bool = False) -> list[Debris]:
    """Remove the partials of dead writers in `folder`; returns what was removed."""
    removed = []
    for item in find_debris(folder, recursive=recursive):
        try:
            if item.path.is_dir() and not item.path.is_symlink():
                shutil.rmtree(item.path)
            else:
                item.path.unlink()
        except OSError:
            continue
        removed.append(item)
    return removed


__all__ = [
    "Debris",
    "Partial",
    "atomic_output",
    "backup_chain",
    "copy_file_atomic",
    "find_debris",
    "fsync_dir",
    "is_disk_full",
    "make_partial_dir",
    "owner_alive",
    "parse_partial",
    "partial_path",
    "publish_dir",
    "sweep_debris",
    "write_bytes_atomic",
    "write_json_atomic",
    "write_text_atomic",
]
