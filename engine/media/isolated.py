"""Probe untrusted media in a child process: a crash, hang or garbage becomes a MediaError.

The child (engine/media/probe_child.py) decodes the whole file once (that is how the frame count
becomes the count a decode reaches) and reports its progress as it goes, so a long file is never
mistaken for a hang: only a child that reports nothing for `timeout` seconds is stopped. Its answer
is remembered in this process, and its scan on disk, so nothing reads the file twice.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from engine.errors import Canceled, MediaError
from engine.media._common import check_readable, media_error
from engine.media.info import MediaInfo, known, remember
from engine.progress import CancelToken, ProgressFn

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def _python() -> str:
    return sys.executable


def probe_isolated(path: Path | str, timeout: float = 60, *, progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None) -> MediaInfo:
    """Probe `path` (decoding it all, and its first frame as the reader will) in a child process.

    timeout: seconds the child may go without reporting progress before it is taken for hung.
    """
    path = Path(path)
    check_readable(path)
    info = known(path)
    if info is not None:
        return info
    env = dict(os.environ)
    env["PYTHONPATH"] = _PACKAGE_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        child = subprocess.Popen(
            [_python(), "-m", "engine.media.probe_child", str(path)], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True, env=env,
        )
    except OSError as exc:
        raise MediaError(f"{path}: the media probe could not start ({exc.strerror}); "
                         "check the installation") from None
    try:
        reply = _follow(child, path, timeout, progress, cancel)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()
    if child.returncode < 0:
        try:
            name = signal.Signals(-child.returncode).name
        except ValueError:
            name = f"signal {-child.returncode}"
        raise media_error(path, f"crashed the media decoder ({name})",
                          "the file is damaged or unsupported; re-export it")
    if reply is None:
        raise media_error(path, f"the media probe gave no answer (exit {child.returncode})",
                          "the file may be damaged; re-export it")
    if "error" in reply:
        message = " ".join(str(reply["error"]).split())
        raise MediaError(message if str(path) in message else f"{path}: {message}")
    try:
        info = MediaInfo.model_validate(reply["info"])
    except Exception:  # noqa: BLE001 - any malformed reply is the same user-facing failure
        raise media_error(path, "the media probe answered with unreadable data",
                          "the file may be damaged; re-export it") from None
    remember(info)
    return info


def _follow(child: subprocess.Popen, path: Path, timeout: float, progress: ProgressFn | None,
            cancel: CancelToken | None) -> dict | None:
    """Read the child's JSON lines until it exits: progress goes to `progress`, the last other
    object is the answer. Stops the child when it is silent for `timeout` s or canceled."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in child.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="probe-reader", daemon=True).start()
    reply = None
    last = time.monotonic()
    while True:
        if cancel is not None and cancel.canceled:
            child.kill()
            raise Canceled(f"{path}: reading the file was canceled")
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if time.monotonic() - last > timeout:
                child.kill()
                raise media_error(path, f"stopped responding for {timeout:g} s while being read",
                                  "the file may be damaged or too unusual; re-export it") from None
            continue
        if line is None:
            return reply
        last = time.monotonic()
        value = _json_object(line)
        if value is None:
            continue
        if "progress" in value and progress is not None:
            try:
                done, total = (int(v) for v in value["progress"])
            except (TypeError, ValueError):
                continue
            progress(done, total, path.name)
        elif "progress" not in value:
            reply = value


def _json_object(line: str) -> dict | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
