"""Queue overhead and cancel latency, measured with a real worker process and the noop task.

    .venv/bin/python tests/bench/bench_queue.py [--jobs 200] [--single 30] [--cancels 5]

Prints:
- baseline: submit → claim → finish of a job in one process (SQLite only, no worker);
- throughput: N zero-step jobs queued at once, run by one worker (per-job overhead);
- latency: one job at a time, submit → `succeeded` event at the client (wake on stdin);
- cancel → `canceled`: through the client (stdin + queue flag), and through the queue flag alone
  (another program, e.g. `shotloom queue cancel`), with 50 ms steps.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.jobs import EngineClient, JobQueue

ZERO = {"steps": 0, "step_seconds": 0}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def wait_for(client: EngineClient, kind: str, job_id: str | None = None, timeout: float = 60):
    deadline = time.perf_counter() + timeout
    for event in client.events(timeout=timeout):
        if event.type == kind and (job_id is None or getattr(event, "job", None) == job_id):
            return event
        if time.perf_counter() > deadline:
            break
    raise SystemExit(f"no {kind} event within {timeout} s")


def baseline(db: Path, n: int) -> float:
    with JobQueue(db) as q:
        start = time.perf_counter()
        for _ in range(n):
            job = q.submit("noop", ZERO)
            q.claim("bench")
            q.finish(job.id, "bench", "succeeded", result={})
        return (time.perf_counter() - start) / n


def throughput(db: Path, n: int) -> tuple[float, float]:
    with EngineClient(db, poll=0.05) as client:
        wait_for(client, "hello")
        start = time.perf_counter()
        ids = [client.submit("noop", ZERO).id for _ in range(n)]
        submitted = time.perf_counter() - start
        jobs = client.wait(ids, timeout=600)
        total = time.perf_counter() - start
        assert all(j.status == "succeeded" for j in jobs.values())
    return total / n, submitted / n


def latency(db: Path, n: int) -> list[float]:
    out = []
    with EngineClient(db, poll=0.25) as client:
        wait_for(client, "hello")
        for _ in range(n):
            start = time.perf_counter()
            job = client.submit("noop", ZERO)
            wait_for(client, "succeeded", job.id)
            out.append(time.perf_counter() - start)
    return out


def cancel_latency(db: Path, n: int, via_queue_only: bool) -> list[float]:
    out = []
    with EngineClient(db, poll=0.05) as client:
        wait_for(client, "hello")
        other = JobQueue(db)
        for _ in range(n):
            job = client.submit("noop", {"steps": 10_000, "step_seconds": 0.05})
            for event in client.events(timeout=60):
                if event.type == "progress" and event.job == job.id and event.done >= 2:
                    break
            start = time.perf_counter()
            if via_queue_only:
                other.cancel(job.id)
            else:
                client.cancel(job.id)
            wait_for(client, "canceled", job.id)
            out.append(time.perf_counter() - start)
        other.close()
    return out


def summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {ms(statistics.median(values))}, p95 {ms(p95)}, max {ms(values[-1])} (n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--single", type=int, default=30)
    parser.add_argument("--cancels", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SHOTLOOM_HOME"] = tmp
        db = Path(tmp) / "jobs.sqlite"
        base = baseline(Path(tmp) / "baseline.sqlite", args.jobs)
        print(f"baseline  submit+claim+finish in one process (SQLite only): {ms(base)} per job")
        per_job, per_submit = throughput(db, args.jobs)
        print(f"throughput {args.jobs} zero-step jobs, one worker process: {ms(per_job)} per job "
              f"({1 / per_job:.0f} jobs/s; submit {ms(per_submit)}); {per_job / base:.1f}x the baseline")
        lat = latency(db, args.single)
        print(f"latency   submit -> succeeded event, one job at a time: {summary(lat)}; "
              f"{statistics.median(lat) / base:.1f}x the baseline")
        step = 0.05
        client_cancel = cancel_latency(db, args.cancels, via_queue_only=False)
        print(f"cancel    client.cancel -> canceled event (50 ms steps): {summary(client_cancel)}; "
              f"{statistics.median(client_cancel) / step:.2f} steps")
        queue_cancel = cancel_latency(db, args.cancels, via_queue_only=True)
        print(f"cancel    queue flag only (another program) -> canceled event (50 ms steps): {summary(queue_cancel)}; "
              f"{statistics.median(queue_cancel) / step:.2f} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
