"""The dispatcher: one long-lived async actor on the head node that owns the farm's job state.

- Durable: every state change goes to the farm store (SQLite on the head's disk) before anyone
  hears of it; a restarted dispatcher queues again what was running, and takes are kept until the
  client fetched them. A client that sleeps or disconnects loses nothing.
- GPU actors: one per GPU of every node (the node's `shotloom_worker` resource says how many), made
  with `num_gpus=1` and pinned to their node; a node that joins gets its actors within a second.
- Placement: a queued job goes to an idle actor whose GPU is large enough for the planner's figure
  (nodes advertise their per-GPU memory as the `shotloom_vram_mib` resource), preferring one whose
  pipeline is warm for the job's model, then one whose node has the model.
- Failure: an actor or node that dies mid-job sends the job back to the queue; it runs elsewhere
  from the checkpoints its first node sent (a long take's finished windows). A GPU that became
  unusable (CUDA error) gets a fresh actor. A job is tried at most `max_attempts` times.
- Cancel: `ray.cancel` on the running task; the GPU actor bridges it to the engine's cancel token.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayActorError, RayError, TaskCancelledError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from engine.farm import protocol as p
from engine.farm.gpu import RemoteGpuWorker
from engine.farm.store import FarmStore
from engine.fsutil import write_bytes_atomic

WORKER_RESOURCE = "shotloom_worker"
VRAM_RESOURCE = "shotloom_vram_mib"
MIB = 1 << 20
MAX_EVENTS = 200


@dataclass
class _Worker:
    id: str
    node: str
    host: str
    gpu: bool
    vram_bytes: int | None
    actor: Any
    state: str = "starting"
    job: str | None = None
    model: str | None = None
    jobs_run: int = 0
    models: set[str] = field(default_factory=set)

    def info(self) -> p.WorkerInfo:
        return p.WorkerInfo(id=self.id, node=self.node, host=self.host, state=self.state, gpu=self.gpu,  # type: ignore[arg-type]
                            vram_bytes=self.vram_bytes, job=self.job, model=self.model, jobs_run=self.jobs_run)


@dataclass
class _Run:
    ref: Any
    worker: _Worker
    attempt: int


class Dispatcher:
    def __init__(self, home: str, config: dict[str, Any] | None = None) -> None:
        config = config or {}
        self.store = FarmStore(Path(home))
        self.max_attempts = int(config.get("max_attempts", 3))
        self.keep_seconds = float(config.get("keep_days", 7)) * 86400
        self.max_upload_bytes = int(config.get("max_upload_bytes", 1 << 30))
        self.tls = bool(config.get("tls", False))
        self.version = str(config.get("version", ""))
        self.workers: dict[str, _Worker] = {}
        self.running: dict[str, _Run] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.seq = int(time.time() * 1000)  # above any cursor a client holds from a previous dispatcher
        self.changed: asyncio.Event | None = None
        self.news: asyncio.Future[None] | None = None
        self.loop_task: asyncio.Task[None] | None = None
        self.last_gc = 0.0
        self.nodes: list[dict[str, Any]] = []
        self.spawn_failures: dict[str, tuple[int, float]] = {}
        """Per node: GPU actors that died before they answered, and when the last one did (backoff)."""
        self.store.requeue_running("queued again: the farm restarted")

    # -- the loop -------------------------------------------------------------------------------

    def _ensure_loop(self) -> None:
        if self.loop_task is None or self.loop_task.done():
            self.changed = asyncio.Event()
            self.loop_task = asyncio.get_running_loop().create_task(self._main())

    async def ping(self) -> bool:
        self._ensure_loop()
        return True

    async def _main(self) -> None:
        last_nodes = 0.0
        while True:
            try:
                now = time.monotonic()
                if now - last_nodes >= 0.5:
                    last_nodes = now
                    await self._reconcile()
                self._schedule()
                if now - self.last_gc > 600:
                    self.last_gc = now
                    await asyncio.to_thread(self.store.collect_garbage, keep_seconds=self.keep_seconds)
                    known = {j.id for j in self.store.list()}
                    for job_id in [j for j in self.events if j not in known]:
                        del self.events[job_id]
            except Exception as exc:  # noqa: BLE001 — the dispatcher must outlive any one bad step
                print(f"shotloom farm: dispatcher loop: {type(exc).__name__}: {exc}", flush=True)
            assert self.changed is not None
            try:
                await asyncio.wait_for(self.changed.wait(), 0.25)
            except TimeoutError:
                pass
            self.changed.clear()

    def _poke(self) -> None:
        if self.changed is not None:
            self.changed.set()

    async def _reconcile(self) -> None:
        """One actor per worker slot of every live node; actors of dead nodes are dropped."""
        self.nodes = await asyncio.to_thread(ray.nodes)
        alive = {n["NodeID"]: n for n in self.nodes if n.get("Alive")}
        for worker in list(self.workers.values()):
            if worker.node not in alive and worker.job is None:
                self.workers.pop(worker.id, None)
        for node_id, node in alive.items():
            resources = node.get("Resources", {})
            slots = int(resources.get(WORKER_RESOURCE, 0))
            have = [w for w in self.workers.values() if w.node == node_id and w.state != "lost"]
            gpus = float(resources.get("GPU", 0))
            vram = resources.get(VRAM_RESOURCE)
            failures, last = self.spawn_failures.get(node_id, (0, 0.0))
            if failures and time.monotonic() - last < min(60.0, 2.0 ** failures):
                continue  # its last actors died at once (a broken install there?): try again later
            for _ in range(slots - len(have)):
                self._spawn(node_id, node.get("NodeManagerHostname", ""), gpu=gpus >= slots > 0,
                            vram_bytes=int(vram * MIB) if vram else None)

    def _spawn(self, node_id: str, host: str, *, gpu: bool, vram_bytes: int | None) -> None:
        worker_id = uuid.uuid4().hex[:12]
        me = ray.get_runtime_context().current_actor
        actor = RemoteGpuWorker.options(
            num_gpus=1 if gpu else 0, num_cpus=0, resources={WORKER_RESOURCE: 1}, max_restarts=0,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
        ).remote(worker_id, me)
        worker = _Worker(worker_id, node_id, host, gpu, vram_bytes, actor)
        self.workers[worker_id] = worker
        asyncio.get_running_loop().create_task(self._warm(worker))

    async def _warm(self, worker: _Worker) -> None:
        try:
            info = await worker.actor.describe.remote()
        except RayError as exc:
            worker.state = "lost"
            self.workers.pop(worker.id, None)
            count = self.spawn_failures.get(worker.node, (0, 0.0))[0] + 1
            self.spawn_failures[worker.node] = (count, time.monotonic())
            print(f"shotloom farm: a GPU worker on {worker.host or worker.node[:8]} did not start "
                  f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})", flush=True)
            return
        self.spawn_failures.pop(worker.node, None)
        worker.host = info.get("host") or worker.host
        worker.state = "idle"
        self._poke()

    def _schedule(self) -> None:
        idle = [w for w in self.workers.values() if w.state == "idle"]
        if not idle:
            return
        alive_workers = [w for w in self.workers.values() if w.state != "lost"]
        for job in self.store.list("queued"):
            if not idle:
                return
            if job.cancel_requested:
                self._end(job.id, "canceled", message="canceled")
                continue
            fits = [w for w in idle if job.need_bytes is None or w.vram_bytes is None or job.need_bytes <= w.vram_bytes]
            if not fits:
                largest = max((w.vram_bytes or 0 for w in alive_workers), default=0)
                if alive_workers and largest and job.need_bytes and job.need_bytes > largest:
                    self.store.progress(job.id, job.progress,
                                        f"waiting for a GPU with {job.need_bytes / (1 << 30):.1f} GiB; the largest here "
                                        f"has {largest / (1 << 30):.1f} GiB")
                continue
            fits.sort(key=lambda w: (w.model != job.model, job.model not in w.models, w.jobs_run))
            worker = fits[0]
            idle.remove(worker)
            worker.state, worker.job = "busy", job.id
            asyncio.get_running_loop().create_task(self._run(job.id, worker))

    # -- one run --------------------------------------------------------------------------------

    def _read_inputs(self, job_id: str) -> tuple[str, dict[str, Any], dict[str, bytes], dict[str, bytes]]:
        job = self.store.get(job_id)
        assert job is not None
        params, inputs = self.store.params(job_id)
        data = {name: self.store.home.blob(sha).read_bytes() for name, sha in inputs.items()}
        checkpoint: dict[str, bytes] = {}
        folder = self.store.home.checkpoint_dir(job_id)
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.is_file():
                    checkpoint[path.relative_to(folder).as_posix()] = path.read_bytes()
        return job.kind, params, data, checkpoint

    async def _run(self, job_id: str, worker: _Worker) -> None:
        attempt = self.store.start(job_id, node=worker.node, host=worker.host, worker=worker.id)
        if attempt is None:  # canceled between placement and start
            worker.state, worker.job = "idle", None
            self._poke()
            return
        self._emit(job_id, p.Started(job=job_id, attempt=attempt, node=worker.node, host=worker.host, worker=worker.id))
        try:
            kind, params, inputs, checkpoint = await asyncio.to_thread(self._read_inputs, job_id)
            ref = worker.actor.run.remote(job_id, attempt, kind, params, inputs, checkpoint)
            self.running[job_id] = _Run(ref, worker, attempt)
            job = self.store.get(job_id)
            if job is not None and job.cancel_requested:
                ray.cancel(ref)
            try:
                outcome = await ref
            except TaskCancelledError:
                outcome = {"status": "canceled"}
                try:  # the actor runs tasks one at a time: this answers once the runner has stopped
                    info = await asyncio.wait_for(worker.actor.describe.remote(), 120)
                    outcome["done"] = (info.get("last_stop") or {}).get("done")
                except (RayError, TimeoutError):
                    pass
            await self._outcome(job_id, worker, attempt, outcome)
        except RayActorError as exc:
            await self._lost(job_id, worker, attempt, f"its GPU worker on {worker.host or worker.node[:8]} was lost "
                             f"({type(exc).__name__})")
        except RayError as exc:
            self._end(job_id, "failed", error=f"the farm could not run it: {type(exc).__name__}: {exc}".splitlines()[0])
        except Exception as exc:  # noqa: BLE001 — recorded on the job; the dispatcher lives on
            self._end(job_id, "failed", error=f"the farm failed: {type(exc).__name__}: {exc}".splitlines()[0])
        finally:
            self.running.pop(job_id, None)
            if worker.job == job_id:
                worker.job = None
                if worker.state == "busy":
                    worker.state = "idle"
            self._poke()

    async def _outcome(self, job_id: str, worker: _Worker, attempt: int, outcome: dict[str, Any]) -> None:
        status = outcome.get("status")
        job = self.store.get(job_id)
        if status == "succeeded":
            worker.jobs_run += 1
            if job is not None and job.model:
                worker.model = job.model
                worker.models.add(job.model)
            files = await asyncio.to_thread(self._save_take, job_id, outcome.get("files") or [])
            self.store.finish(job_id, "succeeded", message="done", result=outcome.get("result") or {}, files=files)
            self.store.discard_work(job_id)
            self._emit(job_id, p.Succeeded(job=job_id, files=files))
        elif status == "canceled":
            done = outcome.get("done")
            self._end(job_id, "canceled", message="canceled" + (f" at step {done}" if done else ""))
        elif status == "device_lost":
            worker.state = "lost"
            self.workers.pop(worker.id, None)
            ray.kill(worker.actor)  # a fresh actor (and CUDA context) takes its place
            await self._lost(job_id, worker, attempt, f"the GPU on {worker.host} became unusable ({outcome.get('error')})")
        else:
            self._end(job_id, "failed", error=str(outcome.get("error") or "failed"))

    async def _lost(self, job_id: str, worker: _Worker, attempt: int, why: str) -> None:
        worker.state = "lost"
        self.workers.pop(worker.id, None)
        job = self.store.get(job_id)
        if job is None:
            return
        if job.cancel_requested:
            self._end(job_id, "canceled", message="canceled")
        elif attempt >= self.max_attempts:
            self._end(job_id, "failed", error=f"{why}; it was tried {attempt} times")
        else:
            self.store.requeue(job_id, f"queued again: {why}")
            self._emit(job_id, p.Retrying(job=job_id, attempt=attempt + 1, reason=why))

    def _save_take(self, job_id: str, files: list[dict[str, Any]]) -> list[p.FileEntry]:
        """Writes the take's files (each atomically), checking every one against the hash its GPU node
        computed; the manifest is what clients verify their downloads against."""
        folder = self.store.home.take_dir(job_id)
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for item in files:
            name, data = str(item["name"]), item["data"]
            if "/" in name or name.startswith(".") or not name:
                raise ValueError(f"a GPU worker returned a file named {name!r}")
            digest = hashlib.sha256(data).hexdigest()
            if digest != item["sha256"] or len(data) != item["size"]:
                raise ValueError(f"{name} changed on its way from the GPU node (sha256 mismatch)")
            write_bytes_atomic(folder / name, data)
            entries.append(p.FileEntry(name=name, size=len(data), sha256=digest))
        return entries

    def _end(self, job_id: str, status: str, *, message: str | None = None, error: str | None = None) -> None:
        self.store.finish(job_id, status, message=message or status, error=error)
        self.store.discard_work(job_id)
        event: p._Event = (p.Failed(job=job_id, error=error or status) if status == "failed"
                           else p.Canceled(job=job_id))
        self._emit(job_id, event)

    # -- events ---------------------------------------------------------------------------------

    def _emit(self, job_id: str, event: p._Event) -> None:
        self.seq += 1
        event.seq = self.seq
        log = self.events.setdefault(job_id, [])
        log.append(event.model_dump(mode="json"))
        if len(log) > MAX_EVENTS:
            # Keep what matters for a late reader: every state change, and the latest progress.
            keep = [e for e in log[:-MAX_EVENTS // 2] if e["type"] not in ("progress", "preview")]
            log[:] = keep + log[-MAX_EVENTS // 2:]
        if self.news is not None and not self.news.done():
            self.news.set_result(None)
        self._poke()

    async def events(self, job_id: str, after: int, wait: float) -> dict[str, Any] | None:
        """Events of a job after cursor `after`, waiting up to `wait` s for one; with the job."""
        self._ensure_loop()
        deadline = time.monotonic() + max(0.0, min(wait, 30.0))
        while True:
            job = self.store.get(job_id)
            if job is None:
                return None
            new = [e for e in self.events.get(job_id, []) if e["seq"] > after]
            left = deadline - time.monotonic()
            if new or job.finished_status or left <= 0:
                return {"events": new, "next": max([after, *(e["seq"] for e in new)]),
                        "job": job.model_dump(mode="json")}
            try:
                await asyncio.wait_for(asyncio.shield(self._news()), left)
            except TimeoutError:
                pass

    def _news(self) -> asyncio.Future[None]:
        """A future that completes at the next event (any job): long polls wait on it."""
        if self.news is None or self.news.done():
            self.news = asyncio.get_running_loop().create_future()
        return self.news

    # -- called by the HTTP server --------------------------------------------------------------

    async def submit(self, submission: dict[str, Any], params: dict[str, Any], model: str | None,
                     need_bytes: int | None) -> dict[str, Any]:
        self._ensure_loop()
        sub = p.JobSubmit.model_validate(submission)
        job, created = self.store.submit(sub, params, model=model, need_bytes=need_bytes)
        if created:
            self._emit(job.id, p.Queued(job=job.id))
        return {"job": job.model_dump(mode="json"), "created": created}

    async def job(self, job_id: str) -> dict[str, Any] | None:
        self._ensure_loop()
        job = self.store.get(job_id)
        return job.model_dump(mode="json") if job else None

    async def jobs(self) -> list[dict[str, Any]]:
        self._ensure_loop()
        return [j.model_dump(mode="json") for j in self.store.list()]

    async def cancel(self, job_id: str) -> dict[str, Any] | None:
        self._ensure_loop()
        job = self.store.get(job_id)
        if job is None:
            return None
        if job.status == "queued":
            self._end(job_id, "canceled", message="canceled")
        elif job.status == "running":
            self.store.request_cancel(job_id)
            run = self.running.get(job_id)
            if run is not None:
                ray.cancel(run.ref)
        return await self.job(job_id)

    async def forget(self, job_id: str) -> str:
        job = self.store.get(job_id)
        if job is None:
            return "missing"
        if not job.finished_status:
            return "unfinished"
        self.store.forget(job_id)
        self.events.pop(job_id, None)
        return "forgotten"

    async def status(self) -> dict[str, Any]:
        self._ensure_loop()
        if not self.nodes:
            self.nodes = await asyncio.to_thread(ray.nodes)
        nodes = []
        for n in self.nodes:
            res = n.get("Resources", {})
            vram = res.get(VRAM_RESOURCE)
            nodes.append(p.NodeInfo(id=n["NodeID"], host=n.get("NodeManagerHostname", ""),
                                    address=n.get("NodeManagerAddress", ""), alive=bool(n.get("Alive")),
                                    gpus=float(res.get("GPU", 0)), workers=int(res.get(WORKER_RESOURCE, 0)),
                                    vram_bytes=int(vram * MIB) if vram else None))
        status = p.FarmStatus(version=self.version, nodes=nodes, workers=[w.info() for w in self.workers.values()],
                              jobs=self.store.counts(), max_upload_bytes=self.max_upload_bytes, tls=self.tls)
        return status.model_dump(mode="json")

    # -- called by GPU actors -------------------------------------------------------------------

    def _current(self, job_id: str, attempt: int) -> bool:
        run = self.running.get(job_id)
        return run is not None and run.attempt == attempt

    async def report(self, job_id: str, attempt: int, done: int, total: int, message: str) -> None:
        if not self._current(job_id, attempt):
            return  # a late report from a run that was given up
        if total:
            self.store.progress(job_id, done / total, message or f"{done}/{total}")
        else:
            job = self.store.get(job_id)
            self.store.progress(job_id, job.progress if job else 0.0, message)
        self._emit(job_id, p.Progress(job=job_id, done=done, total=total, message=message))

    async def preview(self, job_id: str, attempt: int, data: bytes) -> None:
        if not self._current(job_id, attempt):
            return
        path = self.store.home.preview(job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(write_bytes_atomic, path, data)
        self._emit(job_id, p.Preview(job=job_id, n=self.store.add_preview(job_id)))

    async def checkpoint(self, job_id: str, attempt: int, changed: dict[str, bytes], removed: list[str]) -> None:
        if not self._current(job_id, attempt):
            return
        await asyncio.to_thread(self._write_checkpoint, job_id, changed, removed)

    def _write_checkpoint(self, job_id: str, changed: dict[str, bytes], removed: list[str]) -> None:
        from engine.farm.gpu import _safe_relative

        folder = self.store.home.checkpoint_dir(job_id)
        for rel, data in changed.items():
            if _safe_relative(rel):
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                write_bytes_atomic(folder / rel, data)
        for rel in removed:
            if _safe_relative(rel):
                (folder / rel).unlink(missing_ok=True)


RemoteDispatcher = ray.remote(Dispatcher)
