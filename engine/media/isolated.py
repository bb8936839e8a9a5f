"""Probe untrusted media in a child process: a crash, hang or garbage becomes a MediaError."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from engine.errors import MediaError
from engine.media._common import check_readable, media_error
from engine.media.info import MediaInfo

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def _python() -> str:
    return sys.executable


def probe_isolated(path: Path | str, timeout: float = 60) -> MediaInfo:
    """Probe `path` and decode its first frame in a child process; return its MediaInfo."""
    path = Path(path)
    check_readable(path)
    env = dict(os.environ)
    env["PYTHONPATH"] = _PACKAGE_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        done = subprocess.run(
            [_python(), "-m", "engine.media.probe_child", str(path)],
            capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL, check=False,
        )
    except subprocess.TimeoutExpired:
        raise media_error(path, f"took longer than {timeout:g} s to open",
                          "the file may be damaged or too unusual; re-export it") from None
    except OSError as exc:
        raise MediaError(f"{path}: the media probe could not start ({exc.strerror}); "
                         "check the installation") from None
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
        raise media_error(path, f"crashed the media decoder ({name})",
                          "the file is damaged or unsupported; re-export it")
    reply = _last_json_line(done.stdout)
    if reply is None:
        raise media_error(path, f"the media probe gave no answer (exit {done.returncode})",
                          "the file may be damaged; re-export it")
    if "error" in reply:
        message = " ".join(str(reply["error"]).split())
        raise MediaError(message if str(path) in message else f"{path}: {message}")
    try:
        return MediaInfo.model_validate(reply["info"])
    except Exception:  # noqa: BLE001 - any malformed reply is the same user-facing failure
        raise media_error(path, "the media probe answered with unreadable data",
                          "the file may be damaged; re-export it") from None


def _last_json_line(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
