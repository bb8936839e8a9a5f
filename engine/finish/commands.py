"""`shotloom upscale PROJECT SHOT [--factor 2|4]` and
`shotloom interpolate PROJECT SHOT (--fps N | --factor 2|4)` (registered into engine/cli.py).

Each holds the project as its only writer, runs one job through the queue and its worker (progress
bar with ETA; Ctrl+C cancels the job), then applies the finished take as one edit (the take added
to the shot and made active: `shotloom undo` takes it back) and saves. Prints the new take's id.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from engine.cliutil import open_project, parse_rate, printable, progress_bar, resolve_shot
from engine.errors import Canceled, GenerationError


def register(subparsers: Any) -> None:
    up = subparsers.add_parser("upscale", help="add a take of SHOT upscaled ×2 or ×4 (through the queue)")
    up.add_argument("project", type=Path)
    up.add_argument("shot")
    up.add_argument("--factor", default="2", metavar="2|4", help="×2 (default) or ×4 (two passes of ×2)")
    up.add_argument("--model", default=None, help="the upscaler (default: the latent upsampler of the LTX-Video "
                                                  "13B 0.9.8 model that made the take, else realesrgan-x2plus)")
    up.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    up.set_defaults(func=cmd_upscale)

    it = subparsers.add_parser("interpolate", help="add a take of SHOT at another frame rate, or in slow motion")
    it.add_argument("project", type=Path)
    it.add_argument("shot")
    how = it.add_mutually_exclusive_group(required=True)
    how.add_argument("--fps", metavar="N", help="the new frame rate (24, 48, 30000/1001 …); the duration is kept")
    how.add_argument("--factor", metavar="2|4", help="slow motion: the shot lasts 2 or 4 times as long")
    it.add_argument("--model", default=None,
                    help="the interpolator: rife-4.22 (learned; the default where its weights are here) "
                         "or flow (OpenCV optical flow, the default otherwise)")
    it.add_argument("--db", type=Path, default=None, help=argparse.SUPPRESS)
    it.set_defaults(func=cmd_interpolate)


def cmd_upscale(args: argparse.Namespace) -> int:
    from engine.finish.jobs import check_factor

    factor = check_factor(args.factor, "upscale")
    return _finish(args, "upscale", factor=factor, fps=None)


def cmd_interpolate(args: argparse.Namespace) -> int:
    from engine.finish.jobs import check_factor

    factor = check_factor(args.factor, "slow motion") if args.factor is not None else None
    fps = parse_rate(args.fps) if args.fps is not None else None
    return _finish(args, "interpolate", factor=factor, fps=fps)


def _finish(args: argparse.Namespace, kind: str, *, factor: int | None, fps: Fraction | None) -> int:
    from engine.finish.jobs import plan_finish_job
    from engine.jobs.apply import apply_job_result, project_key, record_saved
    from engine.jobs.client import EngineClient

    project = open_project(args.project, writer=f"shotloom {kind}")
    shot = resolve_shot(project, args.shot)
    params, out_dir = plan_finish_job(project, shot, kind, factor=factor, fps=fps, model=args.model)
    key = project_key(project.path)
    client = EngineClient(args.db, project=key)
    try:
        if client.queue.paused:
            raise GenerationError("the job queue is paused; run `shotloom queue resume` first, then try again")
        job = client.submit(kind, params, project=key, shot=shot.id, out_dir=out_dir)
        with progress_bar(kind) as bar:

            def on_event(event: Any) -> None:
                if getattr(event, "job", None) == job.id and event.type == "progress" and event.total:
                    bar(event.done, event.total, event.message)

            client.start()
            try:
                done = client.wait([job.id], on_event=on_event)[job.id]
            except KeyboardInterrupt:
                client.cancel(job.id)
                raise Canceled(f"{kind} canceled; the shot is unchanged") from None
        if done.status == "failed" and done.error:
            raise GenerationError(done.error)  # the job's own one line (what to download and where …)
        if done.status != "succeeded":
            raise GenerationError(f"the {kind} of shot {shot.id[:8]} ({shot.name}) was {done.status}; "
                                  f"`shotloom queue retry {done.id[:8]}` runs it again")
        apply_job_result(project, done, client.queue)
        project.save()
        record_saved(project, client.queue)
    finally:
        client.stop()
        client.queue.close()
    result = done.result or {}
    print(result.get("take_id", params.take_id))
    if result.get("message"):
        print(printable(result["message"]), file=sys.stderr)
    return 0
