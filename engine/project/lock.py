"""One writer per project: the ownership lock of a bundle.

Whoever changes a project (the editor while it has the project open, a command for as long as it
runs) holds `NAME.shotloom/.shotloom-lock` — an OS file lock (`filelock`: flock on POSIX, a locked
handle on Windows), so the kernel releases it when the holder exits or is killed; a stale lock
cannot exist. Beside it, `.shotloom-owner.json` names the holder (program, pid, host, since), so
a second writer is refused in one line that says who has the project. Readers (`info`, `probe`,
`check`) take no lock.

The owner file is advisory (for the message only): the lock itself is the truth, and the file of a
holder that died is simply rewritten by the next one.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from filelock import FileLock, Timeout

from engine.errors import ProjectError
from engine.fsutil import write_json_atomic

LOCK_FILE = ".shotloom-lock"
OWNER_FILE = ".shotloom-owner.json"
LOCK_FILES = (LOCK_FILE, OWNER_FILE)
"""Files that belong to one open session of a bundle: never copied (Save As, recovery copies)."""


@dataclass(frozen=True)
class Holder:
    program: str
    pid: int
    host: str
    since: float

    def describe(self) -> str:
        """'shotloom-gui (pid 4242, since 14:03)'; the host is named when it is another machine."""
        when = time.strftime("%H:%M", time.localtime(self.since)) if self.since else "?"
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"{self.program} (pid {self.pid}{where}, since {when})"


class ProjectLockedError(ProjectError):
    """Another program holds the project's ownership lock."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


def read_holder(bundle: Path | str) -> Holder | None:
    """Who says they hold the bundle (None when nobody wrote it or the file is unreadable)."""
    try:
        data = json.loads((Path(bundle) / OWNER_FILE).read_text(encoding="utf-8"))
        return Holder(str(data["program"]), int(data["pid"]), str(data.get("host", "")), float(data.get("since", 0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_locked(bundle: Path | str) -> bool:
    """True when the owner file names a holder that is still running. Advisory (for messages and
    waiting in tests): it never touches the lock itself, so asking cannot refuse a real writer."""
    holder = read_holder(bundle)
    if holder is None:
        return False
    if holder.host != socket.gethostname():
        return True
    from engine.fsutil import owner_alive

    return owner_alive(holder.pid, holder.since)


class ProjectLock:
    """The ownership lock of one bundle, held by this process for `program`.

        with ProjectLock(bundle, "shotloom render"):
            ...                     # this process is the project's only writer

    `acquire` waits at most `wait` seconds (a reader's save holds the lock for a moment), then a
    held lock raises ProjectLockedError naming the holder. Acquiring an already held ProjectLock
    again is a no-op (one lock object per open project)."""

    def __init__(self, bundle: Path | str, program: str, *, wait: float = 2.0) -> None:
        self.bundle = Path(bundle)
        self.program = program
        self._lock = FileLock(str(self.bundle / LOCK_FILE), timeout=wait, thread_local=False)
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self, *, hint: str = "") -> Self:
        if self._held:
            return self
        try:
            self._lock.acquire()
        except Timeout:
            holder = read_holder(self.bundle)
            who = holder.describe() if holder else "another program"
            tail = f"; {hint}" if hint else "; close it there first, then try again"
            raise ProjectLockedError(f"{self.bundle} is open in {who}{tail}", holder) from None
        except OSError as exc:
            raise ProjectError(f"cannot lock {self.bundle} for writing ({exc.strerror or exc}); "
                               "check that the folder is writable") from None
        self._held = True
        try:
            write_json_atomic(self.bundle / OWNER_FILE, {
                "program": self.program, "pid": os.getpid(), "host": socket.gethostname(), "since": time.time()})
        except OSError:
            pass  # the name is only for messages; the lock itself is held
        return self

    def release(self) -> None:
        if not self._held:
            return
        with contextlib.suppress(OSError):
            if (h := read_holder(self.bundle)) is not None and h.pid == os.getpid():
                (self.bundle / OWNER_FILE).unlink()
        self._lock.release()
        self._held = False

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.release()
