"""CLI: `shotloom check PROJECT` and `shotloom repair PROJECT SEAM --method ...` (wired by engine/cli.py).

`check` exits 0 after printing its report; with `--fail-on KINDS` it exits 3 when a defect of one
of those kinds was found (1 stays "input refused", 2 "usage error")."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import ShotloomError
from engine.progress import CancelToken

DEFECTS_FOUND = 3
FAIL_KINDS = ("flash", "color", "frozen", "dropped", "motion", "black", "drift")


def register(subparsers) -> None:
    check = subparsers.add_parser("check", help="score every seam and long take for continuity defects")
    check.add_argument("project", type=Path)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--fail-on", metavar="KINDS",
                       help=f"exit {DEFECTS_FOUND} if a defect of these kinds is found: comma-separated "
                            f"from {', '.join(FAIL_KINDS)}, or 'any'")
    check.add_argument("--drift-window", type=int, metavar="N", help="frames per drift window (default fps/2)")
    check.set_defaults(func=cmd_check, handler=cmd_check)

    rep = subparsers.add_parser("repair", help="repair a seam: colour match, flow blend or a generated bridge")
    rep.add_argument("project", type=Path)
    rep.add_argument("seam", help="the seam: its number in `shotloom check` (0-based) or its cut frame")
    rep.add_argument("--method", required=True, choices=["color", "blend", "bridge"])
    rep.add_argument("--frames", type=int, help="blend: frames of B replaced by the interpolation (default 8)")
    rep.add_argument("--ramp", type=int, default=0,
                     help="color: fade the correction out over N frames of B (default 0: the whole take is "
                          "regraded); under about half a second the fade reads as a colour change itself")
    rep.add_argument("--prompt", help="bridge: the prompt (default: from the two shots)")
    rep.add_argument("--model", help="bridge: the model id")
    rep.add_argument("--seconds", type=float, help="bridge: its length")
    rep.set_defaults(func=cmd_repair, handler=cmd_repair)


def parse_kinds(text: str) -> set[str]:
    kinds = {k.strip().lower() for k in text.split(",") if k.strip()}
    if "any" in kinds:
        return set(FAIL_KINDS)
    unknown = sorted(kinds - set(FAIL_KINDS))
    if unknown or not kinds:
        raise ShotloomError(f"--fail-on '{text}' names unknown kinds ({', '.join(unknown) or 'none'}); "
                            f"use {', '.join(FAIL_KINDS)} or any")
    return kinds


@contextmanager
def _cancel_on_interrupt() -> Iterator[CancelToken]:
    cancel = CancelToken()
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    except ValueError:  # not the main thread
        previous = None
    try:
        yield cancel
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _progress_bar(desc: str, unit: str):
    from engine.cliutil import progress_bar

    return progress_bar(desc, unit=unit)


def cmd_check(args: argparse.Namespace) -> int:
    from engine.analysis.timeline import analyze_project, save_report
    from engine.cliutil import open_project

    fail_on = parse_kinds(args.fail_on) if args.fail_on else set()
    if args.drift_window is not None and args.drift_window < 2:
        raise ShotloomError(f"--drift-window {args.drift_window} must be at least 2 frames")
    project = open_project(args.project)
    with _cancel_on_interrupt() as cancel, _progress_bar("check", "frame") as progress:
        report = analyze_project(project, progress=progress, cancel=cancel, drift_window=args.drift_window)
    try:
        save_report(project, report)
    except OSError:
        pass  # the cache is disposable; a read-only bundle still gets its report printed
    if args.json:
        print(report.to_json())
    else:
        print(report.table())
    if fail_on and report.found_kinds() & fail_on:
        found = ", ".join(sorted(report.found_kinds() & fail_on))
        print(f"shotloom: defects found: {found}", file=sys.stderr)
        return DEFECTS_FOUND
    return 0


def _seam_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ShotloomError(f"seam '{text}' is not a number; give the seam's number or its cut frame "
                            f"(see shotloom check)") from None
    if value < 0:
        raise ShotloomError(f"seam '{text}' must not be negative")
    return value


def cmd_repair(args: argparse.Namespace) -> int:
    from engine.analysis.repair import repair
    from engine.cliutil import open_project

    seam = _seam_number(args.seam)
    if args.frames is not None and args.method != "blend":
        raise ShotloomError("--frames applies to --method blend only")
    if args.ramp and args.method != "color":
        raise ShotloomError("--ramp applies to --method color only")
    if args.ramp < 0:
        raise ShotloomError(f"--ramp {args.ramp} must be 0 or more frames")
    project = open_project(args.project, writer="shotloom repair")
    with _cancel_on_interrupt() as cancel, _progress_bar("repair", "frame") as progress:
        result = repair(project, seam, args.method, frames=args.frames, ramp=args.ramp, prompt=args.prompt,
                        model=args.model, seconds=args.seconds, progress=progress, cancel=cancel)
    project.save()
    print(result.take_id or result.shot_id)
    print(result.message, file=sys.stderr)
    return 0
