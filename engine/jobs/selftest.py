"""Queue self-test for `shotloom doctor`: a real worker process on a scratch database runs a
diagnostics job and cancels another, so a broken install (worker cannot start, SQLite without WAL,
a pipe that loses events) shows up before a long render does."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from engine.errors import ShotloomError
from engine.jobs.client import EngineClient


def queue_self_test(timeout: float = 60.0) -> dict[str, Any]:
    """Returns {"ok": bool, "message": str, "roundtrip_ms": float | None, "cancel_ms": float | None}."""
    report: dict[str, Any] = {"ok": False, "message": "", "roundtrip_ms": None, "cancel_ms": None}
    with tempfile.TemporaryDirectory(prefix="shotloom-selftest-") as tmp:
        try:
            client = EngineClient(Path(tmp) / "jobs.sqlite", poll=0.05, auto_restart=False,
                                  log_path=Path(tmp) / "worker.log")
            with client:
                start = time.perf_counter()
                job = client.submit("noop", {"steps": 3, "step_seconds": 0.01}, out_dir=Path(tmp) / "out")
                done = client.wait([job.id], timeout=timeout)[job.id]
                if done.status != "succeeded":
                    report["message"] = f"the diagnostics job ended {done.status}: {done.error or done.message}"
                    return report
                report["roundtrip_ms"] = round((time.perf_counter() - start) * 1000, 1)
                long = client.submit("noop", {"steps": 10_000, "step_seconds": 0.02})
                for event in client.events(timeout=timeout):
                    if event.type == "progress" and event.job == long.id:
                        break
                start = time.perf_counter()
                client.cancel(long.id)
                ended = client.wait([long.id], timeout=timeout)[long.id]
                if ended.status != "canceled":
                    report["message"] = f"a canceled diagnostics job ended {ended.status}"
                    return report
                report["cancel_ms"] = round((time.perf_counter() - start) * 1000, 1)
        except ShotloomError as exc:
            report["message"] = str(exc)
            return report
    report["ok"] = True
    report["message"] = (f"worker ran a job in {report['roundtrip_ms']} ms and canceled one in "
                         f"{report['cancel_ms']} ms")
    return report
