"""`shotloom render` and `shotloom queue …` (registered into engine/cli.py by `register`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.cliutil import printable
from engine.jobs.models import GENERATION_KINDS, Job, JobError
from engine.jobs.queue import JobQueue


def register(subparsers: Any, groups: dict[str, Any] | None = None) -> None:
    render = subparsers.add_parser("render", help="generate every pending or stale shot through the queue")
    render.add_argument("project", type=Path)
    render.add_argument("--export", type=Path, default=None, metavar="OUT",
                        help="export the cut to OUT when every shot succeeded")
    render.add_argument("--preset", default=None,
                        help="export preset: h264, h265, prores, vp9, gif, png (default: from OUT's extension)")
    render.add_argument("--queue", action="store_true",
                        help="when another program (the editor) has the project open, queue its shots for "
                             "that program to generate and add, instead of refusing")
    render.add_argument("--farm", default=None, metavar="URL",
                        help="generate on a farm (`shotloom farm serve` on a GPU machine) instead of this machine")
    render.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    render.set_defaults(func=cmd_render)

    queue = subparsers.add_parser("queue", help="list and edit the job queue")
    queue.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    sub = queue.add_subparsers(dest="queue_command", required=True)
    lst = sub.add_parser("list", help="show the jobs")
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--project", type=Path, default=None)
    lst.set_defaults(func=cmd_queue_list)
    for name, func, text in (("cancel", cmd_queue_cancel, "cancel a job"),
                             ("retry", cmd_queue_retry, "queue a failed or interrupted job again"),
                             ("remove", cmd_queue_remove, "forget a finished job")):
        p = sub.add_parser(name, help=text)
        p.add_argument("id")
        p.set_defaults(func=func)
    move = sub.add_parser("move", help="move a queued job to a position (0 = next)")
    move.add_argument("id")
    move.add_argument("position", type=int)
    move.set_defaults(func=cmd_queue_move)
    clear = sub.add_parser("clear", help="remove finished jobs")
    clear.add_argument("--project", type=Path, default=None)
    clear.set_defaults(func=cmd_queue_clear)
    sub.add_parser("pause", help="stop starting new jobs").set_defaults(func=cmd_queue_pause)
    sub.add_parser("resume", help="start queued jobs again").set_defaults(func=cmd_queue_resume)


def _queue(args: argparse.Namespace) -> JobQueue:
    return JobQueue(getattr(args, "db", None))


def _job_json(job: Job) -> dict[str, Any]:
    data = job.model_dump(mode="json")
    data["work_dir"] = str(job.work_dir) if job.work_dir else None
    return data


def _project_key(path: Path) -> str:
    from engine.jobs.apply import project_key

    return project_key(path)


# -- queue ---------------------------------------------------------------------------------------

def cmd_queue_list(args: argparse.Namespace) -> int:
    from engine.jobs.queue import QueueUnwritableError

    try:
        q = _queue(args)
    except QueueUnwritableError:  # a full disk: listing must still work, without writing a byte
        q = JobQueue(getattr(args, "db", None), read_only=True)
        if q.snapshot:
            print(f"shotloom: {q.path} cannot be written (is the disk full?); the queue is shown as last "
                  "saved — free some space to see the newest state", file=sys.stderr)
    with q:
        project = _project_key(args.project) if args.project else None
        jobs = q.list(project=project)
        paused = q.paused
    if args.json:
        print(json.dumps({"paused": paused, "jobs": [_job_json(j) for j in jobs]}, indent=1))
        return 0
    if paused:
        print("queue paused (`shotloom queue resume` starts it again)")
    if not jobs:
        print("no jobs")
    for j in jobs:
        where = f"{Path(j.project).name}:{j.shot[:8]}" if j.project and j.shot else "-"
        state = j.status + (" (stale)" if j.stale else "")
        extra = j.error or j.message
        print(printable(f"{j.id[:8]}  {j.position:>4}  {j.kind:<9} {state:<12} {j.progress * 100:5.1f}%  "
                        f"{where}  {extra}"))
    return 0


def cmd_queue_cancel(args: argparse.Namespace) -> int:
    from engine.jobs.models import FINISHED

    with _queue(args) as q:
        before = q.get(args.id)
        if before.status in FINISHED:
            hint = "queue retry runs it again, queue remove forgets it" if before.status != "succeeded" \
                else "queue remove forgets it"
            raise JobError(f"job {before.id[:8]} already {before.status}; there is nothing to cancel ({hint})")
        job = q.cancel(args.id)
    word = "cancel requested" if job.status == "running" else job.status
    print(f"{job.id} {word}")
    return 0


def cmd_queue_retry(args: argparse.Namespace) -> int:
    with _queue(args) as q:
        job = q.retry(args.id)
    print(f"{job.id} {job.status}")
    return 0


def cmd_queue_remove(args: argparse.Namespace) -> int:
    with _queue(args) as q:
        q.remove(args.id)
    print(f"{args.id} removed")
    return 0


def cmd_queue_move(args: argparse.Namespace) -> int:
    with _queue(args) as q:
        job = q.move(args.id, args.position)
        order = [j.id for j in q.list(status="queued")]
    print(f"{job.id} now at {order.index(job.id)}")
    return 0


def cmd_queue_clear(args: argparse.Namespace) -> int:
    with _queue(args) as q:
        removed = q.clear_finished(project=_project_key(args.project) if args.project else None)
    print(f"{removed} finished job(s) removed")
    return 0


def cmd_queue_pause(args: argparse.Namespace) -> int:
    with _queue(args) as q:
        q.pause()
    print("queue paused")
    return 0


def cmd_queue_resume(args: argparse.Namespace) -> int:
    with _queue(args) as q:
        q.resume()
    print("queue resumed")
    return 0


# -- render --------------------------------------------------------------------------------------

def _latest_jobs(q: JobQueue, project: str) -> dict[str, Job]:
    latest: dict[str, Job] = {}
    for job in q.list(project=project):
        if job.kind in GENERATION_KINDS and job.shot and (
                job.shot not in latest or job.created >= latest[job.shot].created):
            latest[job.shot] = job
    return latest


def submit_shots(project: Any, q: JobQueue, shots: list[Any]) -> tuple[list[Job], list[Job]]:
    """Makes sure each shot has a job: reuses a queued or running one for the same spec, resumes an
    interrupted or failed one (same take folder, so finished long-take windows are kept), or
    submits a new one. A shot that reads another shot of the list (a bridge, an extension) gets a
    job that depends on that shot's job and takes its picture from that job's result.
    Returns (jobs to wait for, succeeded jobs whose take is not in the project yet — a render that
    stopped between the two), in dependency order."""
    from engine.jobs.apply import plan_shot_job, recipe_hash, shot_spec, sources

    key = _project_key(Path(project.path))
    q.recover()  # jobs left "running" by a killed render (its worker died with it) become interrupted
    latest = _latest_jobs(q, key)
    remaining = {s.id: s for s in shots}
    ordered: list[Any] = []
    while remaining:
        ready = [s for s in remaining.values() if not any(src in remaining for src in sources(shot_spec(s) or {}))]
        if not ready:
            names = ", ".join(repr(s.name) for s in remaining.values())
            raise JobError(f"Shots {names} read each other in a circle; change one of their recipes.")
        ordered += ready
        for shot in ready:
            del remaining[shot.id]
    waiting: list[Job] = []
    to_apply: list[Job] = []
    upstream: dict[str, str] = {}
    for shot in ordered:
        spec = shot_spec(shot) or {}
        plan = plan_shot_job(project, shot, {s: upstream[s] for s in sources(spec) if s in upstream})
        old = latest.get(shot.id)
        same = old is not None and old.params.get("spec") == plan.params.spec and (
            bool(old.params.get("inputs")) or
            recipe_hash(old.params.get("request", {})) == recipe_hash(plan.params.request))
        taken = old is not None and any(t.id == old.params.get("take_id") for t in shot.takes)
        if same and old.status in ("queued", "running"):
            job = old
        elif same and old.status in ("interrupted", "failed", "canceled") and not taken:
            job = q.retry(old.id)
        elif same and old.status == "succeeded" and not old.stale and not taken:
            to_apply.append(old)
            upstream[shot.id] = old.id
            continue
        else:
            job = q.submit(plan.kind, plan.params, project=key, shot=shot.id, links=plan.links,
                           depends_on=plan.depends_on, out_dir=plan.out_dir)
        upstream[shot.id] = job.id
        waiting.append(job)
    return waiting, to_apply


class _RenderProgress:
    """One tqdm bar on stderr over all shots (sum of their jobs' fractions), with an ETA."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        self.fractions: dict[str, float] = {}
        self.bar = tqdm(total=total, unit="shot", file=sys.stderr, dynamic_ncols=True,
                        bar_format="{l_bar}{bar}| {n:.2f}/{total} shots [{elapsed}<{remaining}] {postfix}")

    def add(self, jobs: list[Job]) -> None:
        for job in jobs:
            self.fractions[job.id] = 1.0 if job.status == "succeeded" else job.progress
        self._refresh()

    def update(self, event: Any) -> None:
        job = getattr(event, "job", None)
        if job not in self.fractions:
            return
        if event.type == "progress" and event.total:
            self.fractions[job] = min(1.0, event.done / event.total)
            self.bar.set_postfix_str(event.message[:48], refresh=False)
        elif event.type == "succeeded":
            self.fractions[job] = 1.0
        self._refresh()

    def _refresh(self) -> None:
        self.bar.n = round(sum(self.fractions.values()), 3)
        self.bar.refresh()

    def write(self, text: str) -> None:
        self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def _render_refused_hint(path: Path) -> str:
    return (f"render there (Generate ▸ Render All, Ctrl+Shift+G), or queue its shots for it with "
            f"`shotloom render {path} --queue`")


def cmd_render(args: argparse.Namespace) -> int:
    """Generates every pending or stale shot through the queue (a bridge or extension depends on
    the jobs of the shots it reads). The project is this command's alone while it runs (its
    ownership lock); each finished take is one edit, applied and saved at once, so an interrupted
    render resumes where it stopped and never duplicates or loses a take. With `--queue`, when
    another program owns the project, its shots are queued for that program instead."""
    from engine.project import Project, ProjectLockedError

    try:
        project = Project.open(args.project, writer="shotloom render", hint=_render_refused_hint(args.project))
    except ProjectLockedError as exc:
        if not args.queue:
            raise
        return _queue_for_owner(args, exc)
    with JobQueue(getattr(args, "db", None)) as check:
        if check.paused:
            raise JobError("The job queue is paused; run `shotloom queue resume` first, then render again.")
    try:
        if getattr(args, "farm", None):
            from engine.farm.client import FarmClient

            FarmClient(args.farm).status()  # reachable, and the token is right: refused in one line otherwise
        return _render(args, project)
    finally:
        project.close()


def _queue_for_owner(args: argparse.Namespace, refused: Any) -> int:
    """The project is open in another program: submit its pending and stale shots to the shared
    queue; that program (the editor) runs them and applies each take as one edit of its own."""
    from engine.jobs.apply import needs_render
    from engine.project import Project

    project = Project.open(args.project)  # read only: the owner applies the results
    todo = [s for s in project.shots() if needs_render(s)]
    holder = refused.holder.describe() if refused.holder else "the program that has it open"
    if not todo:
        print(printable(f"{project.path}: nothing to generate"))
        return 0
    with JobQueue(getattr(args, "db", None)) as q:
        waiting, _ = submit_shots(project, q, todo)
    print(printable(f"{project.path}: {len(waiting)} shot(s) queued for {holder}, which generates them and adds "
                    "the takes"))
    return 0


def _render(args: argparse.Namespace, project: Any) -> int:
    from engine.jobs.apply import apply_job_result, needs_render, record_saved, shot_spec, unapplied_results
    from engine.jobs.client import EngineClient

    client = EngineClient(getattr(args, "db", None), project=_project_key(Path(project.path)),
                          farm=getattr(args, "farm", None))
    q = client.queue

    def apply_and_save(job: Job) -> None:
        if apply_job_result(project, job, q):
            project.save()
            record_saved(project, q)

    # Takes that finished while nobody owned the project (a crash, the editor closed early).
    for job in unapplied_results(project, q):
        apply_and_save(job)
    # Every pending or stale shot, and the shots generated from them (they go stale when their
    # sources get new takes in this run): one render leaves the whole project current.
    shots = project.shots()
    wanted = {s.id for s in shots if needs_render(s)}
    for shot_id in list(wanted):
        wanted.update(project.dependants(shot_id))
    todo = [s for s in shots if s.id in wanted and shot_spec(s) is not None]
    targets = {s.id for s in todo}
    bar = _RenderProgress(len(todo)) if todo else None
    finished: dict[str, Job] = {}

    def on_event(event: Any) -> None:
        assert bar is not None
        bar.update(event)
        if event.type == "succeeded" and event.job in bar.fractions:
            apply_and_save(q.get(event.job))
        elif event.type == "memory_tier":
            bar.write(f"job {event.job[:8]}: {event.reason}; trying memory tier {event.tier}")
        elif event.type == "worker_exited" and event.exit_code:
            bar.write(f"the engine worker stopped (exit {event.exit_code})"
                      + ("; restarting it" if event.restarting else ""))

    try:
        waiting, to_apply = submit_shots(project, q, todo)
        for job in to_apply:
            apply_and_save(job)
        if bar is not None:
            bar.add(waiting + to_apply)
        if waiting:
            client.start()
            finished = client.wait([j.id for j in waiting], on_event=on_event)
            # Events can be missed (a restart); the queue is the truth. Sources before the shots
            # that read them, so a bridge made from a new take is not flagged stale by it.
            for job in sorted(finished.values(), key=lambda j: j.finished or 0):
                if job.status == "succeeded":
                    apply_and_save(job)
        for job in unapplied_results(project, q):  # queued meanwhile with --queue and run by our worker
            apply_and_save(job)
    except KeyboardInterrupt:
        client.stop()
        if bar is not None:
            bar.close()
        print("render interrupted; run `shotloom render` again to resume", file=sys.stderr)
        return 130
    finally:
        client.stop()
        client.queue.close()
    if bar is not None:
        bar.close()
    if project.dirty:
        project.save()
        with JobQueue(getattr(args, "db", None)) as q2:
            record_saved(project, q2)
    bad = [j for j in finished.values() if j.status != "succeeded"]
    for shot in project.shots():
        if shot.status == "stale" and shot.id not in targets:
            print(printable(f"shot {shot.id[:8]} ({shot.name}) is now stale: "
                            f"{shot.stale_reason or 'a shot it reads changed'}; "
                            "`shotloom render` again regenerates it"), file=sys.stderr)
    if bad:
        parts = [f"shot {j.shot[:8] if j.shot else '?'} {j.status}" + (f" ({j.error})" if j.error else "")
                 for j in bad]
        hint = ("run `shotloom render` again to resume" if any(j.status == "interrupted" for j in bad)
                else "fix them and run `shotloom render` again")
        raise JobError(f"{len(parts)} shot(s) of {project.path} did not generate: {'; '.join(parts)}; {hint}.")
    print(printable(f"{project.path}: {len(todo)} shot(s) generated" if todo
                    else f"{project.path}: nothing to generate"))
    if args.export is not None:
        from engine.cliutil import progress_bar
        from engine.render import export

        with progress_bar("export") as export_progress:
            export(project, args.export, preset=args.preset, progress=export_progress)
        print(printable(f"exported {args.export}"))
    return 0
