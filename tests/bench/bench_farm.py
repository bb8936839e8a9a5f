"""Render farm figures on CPU, with fake GPUs: one local Ray cluster and the farm in this process.

    .venv/bin/python tests/bench/bench_farm.py [--jobs 5] [--batch 16] [--sleep 1.0] [--mb 200]
                                               [--only overhead,scaling,download]

Prints:
- overhead: the same tiny generation (tiny-ltx, text to video, 2 steps) from submit to take in the
  project (job queued, run, take applied and saved), through a local worker and through the farm
  (both warm: one job each first), per job; the farm's extra cost is the difference.
- scaling: a batch of N jobs whose work is a fixed sleep, on 1, 2, 4 and 8 fake GPU workers: wall
  time, speedup against one worker, and efficiency (speedup / workers; 1.0 is linear).
- download: a take of M MB fetched over loopback (HTTP, SHA-256 checked) against copying the same
  file on the same disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def render_one(project, client, prompt: str, seed: int) -> float:
    """Submit → take in the saved project, as `shotloom render` does it; seconds."""
    from engine.gen.takes import add_generated_shot
    from engine.jobs.apply import apply_job_result, record_saved
    from engine.jobs.commands import submit_shots

    shot = add_generated_shot(project, prompt=prompt, model="tiny-ltx", seconds=0.34, seed=seed, steps=2)
    project.save()
    start = time.perf_counter()
    (job,), _ = submit_shots(project, client.queue, [project.shot(shot)])
    client._send("wake")
    done = client.wait([job.id], timeout=300)[job.id]
    assert done.status == "succeeded", done.error
    assert apply_job_result(project, done, client.queue)
    project.save()
    record_saved(project, client.queue)
    return time.perf_counter() - start


def overhead(root: Path, url: str, n: int) -> None:
    from engine.jobs.apply import project_key
    from engine.jobs.client import EngineClient
    from engine.project import Project

    times: dict[str, list[float]] = {}
    for where in ("local", "farm"):
        project = Project.create(root / f"{where}.shotloom", fps=24, size=(64, 64), writer="bench")
        client = EngineClient(root / f"{where}.sqlite", project=project_key(project.path), poll=0.05,
                              farm=url if where == "farm" else None)
        client.start()
        try:
            render_one(project, client, "warm up", 0)
            times[where] = [render_one(project, client, f"shot {i}", i + 1) for i in range(n)]
        finally:
            client.close()
            project.close()
    local, farm = statistics.median(times["local"]), statistics.median(times["farm"])
    print(f"overhead: submit → take in the project, tiny-ltx 2 steps, median of {n} (warm; one torch thread "
          "each, as Ray gives an actor)")
    print(f"  local worker  {ms(local)}   (min {ms(min(times['local']))})")
    print(f"  farm          {ms(farm)}   (min {ms(min(times['farm']))})")
    print(f"  farm - local  {ms(farm - local)} per job;  farm / local {farm / local:.2f}x")
    print("  each (s): " + "; ".join(f"{k} " + " ".join(f"{t:.2f}" for t in v) for k, v in times.items()))

    # The plumbing alone: a diagnostics job with no work that still makes (and moves) a small video.
    plumbing: dict[str, list[float]] = {}
    for where in ("local", "farm"):
        client = EngineClient(root / f"{where}-noop.sqlite", poll=0.05, farm=url if where == "farm" else None)
        client.start()
        try:
            plumbing[where] = []
            for i in range(n + 1):
                start = time.perf_counter()
                job = client.submit("noop", {"steps": 2, "step_seconds": 0, "output": True},
                                    out_dir=root / f"{where}-noop" / str(i))
                assert client.wait([job.id], timeout=120)[job.id].status == "succeeded"
                plumbing[where].append(time.perf_counter() - start)
        finally:
            client.close()
    local, farm = (statistics.median(plumbing[k][1:]) for k in ("local", "farm"))
    print(f"  plumbing only (noop job with a 2-frame video, submit → succeeded): local {ms(local)}, farm {ms(farm)}, "
          f"farm - local {ms(farm - local)}")


def scaling(cluster, client, batch: int, sleep: float) -> None:
    from engine.farm.protocol import JobSubmit

    print(f"scaling: {batch} jobs of {sleep:g} s each (noop sleep), fake GPU workers")
    base = None
    have = 1
    for workers in (1, 2, 4, 8):
        while have < workers:
            extra = min(have, workers - have)
            cluster.add_node(num_cpus=0, num_gpus=extra, resources={"shotloom_worker": extra})
            have += extra
        deadline = time.monotonic() + 300
        while sum(1 for w in client.status().workers if w.state == "idle") < workers:
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.2)
        start = time.perf_counter()
        ids = [client.submit(JobSubmit(key=f"s{workers}-{i}-{time.time_ns()}", kind="noop",
                                       params={"steps": 1, "step_seconds": sleep})).id for i in range(batch)]
        submitted = time.perf_counter() - start
        jobs = []
        for job_id in ids:
            job = client.wait(job_id, timeout=600)
            assert job.status == "succeeded", job.error
            jobs.append(job)
        wall = time.perf_counter() - start
        run_over = statistics.mean(j.finished - j.started - sleep for j in jobs)
        base = base or wall
        ideal = batch * sleep / workers
        print(f"  {workers} worker(s): {wall:6.2f} s   speedup {base / wall:4.2f}x   efficiency "
              f"{base / wall / workers:4.2f}   (ideal {ideal:.2f} s; {ms((wall - ideal) / batch * workers)} "
              f"overhead per job and worker; {ms(run_over)} of it between start and finish; the batch "
              f"took {ms(submitted)} to submit)")
        for job_id in ids:
            client.forget(job_id)


def download(home: Path, client, root: Path, mb: int) -> None:
    import hashlib

    from engine.farm.protocol import FileEntry, JobSubmit
    from engine.farm.store import FarmStore

    store = FarmStore(home)  # a second connection to the farm's database: the take is put in place as if rendered
    job, _ = store.submit(JobSubmit(key=f"dl-{time.time_ns()}", kind="noop", params={}), {}, model=None,
                          need_bytes=None)
    take = store.home.take_dir(job.id)
    take.mkdir(parents=True)
    data = os.urandom(mb << 20)
    (take / "master.mp4").write_bytes(data)
    store.start(job.id, node="bench", host="bench", worker="bench")
    store.finish(job.id, "succeeded", message="done", result={},
                 files=[FileEntry(name="master.mp4", size=len(data), sha256=hashlib.sha256(data).hexdigest())])
    store.close()
    del data
    farm_job = client.job(job.id)
    runs = []
    for i in range(3):
        out = root / f"dl{i}"
        start = time.perf_counter()
        client.download(farm_job, out)
        runs.append(time.perf_counter() - start)
        shutil.rmtree(out)
    copies = []
    for i in range(3):
        start = time.perf_counter()
        shutil.copyfile(take / "master.mp4", root / f"copy{i}.mp4")
        with open(root / f"copy{i}.mp4", "rb+") as fh:
            os.fsync(fh.fileno())
        copies.append(time.perf_counter() - start)
        (root / f"copy{i}.mp4").unlink()
    best, copy = min(runs), min(copies)
    print(f"download: a {mb} MB take over loopback (HTTP, resumable, SHA-256 checked), best of 3")
    print(f"  farm download  {best:.2f} s = {mb / best:.0f} MB/s")
    print(f"  file copy      {copy:.2f} s = {mb / copy:.0f} MB/s (same disk, fsync)")
    print(f"  download / copy throughput {copy / best:.2f}x")
    client.forget(job.id)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--sleep", type=float, default=1.0)
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--only", default="overhead,scaling,download")
    args = parser.parse_args()
    only = set(args.only.split(","))
    root = Path(tempfile.mkdtemp(prefix="bench_farm_"))
    home = root / "farm"
    os.environ["SHOTLOOM_HOME"] = str(root / "home")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the local worker computes like a Ray actor does
    from engine.farm.cluster import ray_environment, start_farm

    home.mkdir()
    os.environ.update(ray_environment(home))  # before Ray is imported: it reads them then
    import ray
    from ray.cluster_utils import Cluster

    from engine.farm.client import FarmClient

    if "overhead" in only:
        from engine.gen import tiny

        tiny.ensure_tiny_model("tiny-ltx")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=0, num_gpus=1, resources={"shotloom_worker": 1})
    ray.init(address=cluster.address, namespace="shotloom", log_to_driver=False, logging_level="error")
    farm = start_farm(home, port=0)
    farm.server.start()
    os.environ["SHOTLOOM_FARM_TOKEN"] = farm.token
    client = FarmClient(farm.url, farm.token)
    try:
        if "overhead" in only:
            overhead(root, farm.url, args.jobs)
        if "download" in only:
            download(home, client, root, args.mb)
        if "scaling" in only:
            scaling(cluster, client, args.batch, args.sleep)
    finally:
        farm.server.stop()
        ray.shutdown()
        cluster.shutdown()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
