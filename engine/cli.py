"""The `shotloom` command. Exit codes: 0 done, 1 input refused (one line on stderr), 2 usage error."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from engine.cliutil import (
    close_projects,
    open_project,
    parse_rate,
    parse_size,
    printable,
    progress_bar,
    recipe_summary,
    recipe_text,
    resolve_audio,
    resolve_shot,
)
from engine.errors import Canceled, ShotloomError

# ---------------------------------------------------------------- project

def cmd_new(args) -> int:
    from engine.project import Project

    project = Project.create(Path(args.path), fps=parse_rate(args.fps), size=parse_size(args.size),
                             name=args.name, writer="shotloom new")
    print(printable(project.path))
    return 0


def cmd_import(args) -> int:
    """One shot per file, all or nothing per file: prints the ids of the shots it added, a warning
    line for each file with damage, and an error line (exit 1) for each file it could not add."""
    project = open_project(args.project, writer="shotloom import")
    added: list[str] = []
    applied = []
    failed: list[str] = []
    warnings: list[str] = []
    try:
        with progress_bar("import", unit="file") as progress:
            total = len(args.media)
            for n, name in enumerate(args.media):
                path = Path(name).expanduser().absolute()

                def reading(done: int, frames: int, message: str = "", n=n, path=path) -> None:
                    progress(n, total, f"{path.name}: frame {done}/{frames}")

                try:
                    if path.suffix.lower() == ".otio":
                        added.extend(_import_timeline(project, path))
                    else:
                        ids, imported = _add_file(project, path, args.copy, reading)
                        added.extend(ids)
                        applied.append(imported)
                        warnings.extend(imported.warnings)
                except ShotloomError as exc:
                    failed.append(str(exc))
                    if total == 1:
                        continue  # one file refused: its one-line reason is all there is to say
                progress(n + 1, total, path.name)
        if added:
            project.save()
    except BaseException:
        for imported in applied:  # nothing was saved: leave no copies behind
            imported.discard()
        raise
    for line in warnings:  # after the progress bar, which owns stderr's last line while it runs
        print(printable(f"shotloom: warning: {line}"), file=sys.stderr)
    if added and not args.no_proxy:
        try:
            build_proxies(project)
        except ShotloomError as exc:  # the shots are in; scrub copies are a cache that can wait
            from engine.fsutil import is_disk_full

            why = (f"the disk holding {project.path} is full; free some space and they are built the next time"
                   if is_disk_full(exc) else str(exc))
            print(printable(f"shotloom: warning: the scrub copies were not built ({why})"), file=sys.stderr)
    for shot_id in added:
        print(shot_id)
    for message in failed:
        print(printable(f"shotloom: {message}"), file=sys.stderr)
    return 1 if failed else 0


def _add_file(project, path: Path, copy: bool, progress):
    """Import one file as a shot: (ids of the shots added, the import). All or nothing."""
    from engine.project.importing import import_as_shot

    imported = import_as_shot(project, path, copy=copy, progress=progress)
    before = {s.id for s in project.shots()}
    try:
        project.apply(imported.edit)
    except BaseException:
        imported.discard()
        raise
    return [s.id for s in project.shots() if s.id not in before], imported


def _import_timeline(project, path: Path) -> list[str]:
    from engine.project.otio_io import import_otio

    with progress_bar(path.name, unit="clip") as clips:
        report = import_otio(project, path, progress=clips)
    for line in getattr(report, "lines", []) or []:
        print(printable(f"{path.name}: {line}"), file=sys.stderr)
    return list(getattr(report, "shot_ids", []) or [])


def build_proxies(project) -> None:
    """All-intra scrub copies of the project's imported media, for fast random access."""
    from engine.render.proxies import ensure_proxies

    with progress_bar("proxies", unit="frame") as progress:
        ensure_proxies(project, progress=progress)


def shot_json(shot) -> dict:
    return {
        "id": shot.id,
        "name": shot.name,
        "start": shot.start,
        "frames": shot.frames,
        "source_in": shot.source_in,
        "status": shot.status,
        "stale_reason": shot.stale_reason,
        "sources": list(shot.sources),
        "transition_in": (
            {"kind": shot.transition_in.kind, "frames": shot.transition_in.frames} if shot.transition_in else None
        ),
        "takes": [
            {"id": t.id, "path": str(t.path) if t.path else None, "active": t.active, "kind": t.kind,
             **recipe_summary(t.recipe)}
            for t in shot.takes
        ],
        "recipe": shot.recipe,
        "notes": shot.notes,
    }


def cmd_info(args) -> int:
    project = open_project(args.project)
    shots = project.shots()
    fps = project.fps
    if args.json:
        doc = {
            "id": project.id,
            "name": project.name,
            "path": str(project.path),
            "fps": f"{fps.numerator}/{fps.denominator}",
            "size": list(project.size),
            "frames": project.duration,
            "shots": [shot_json(s) for s in shots],
            "audio": [
                {"id": a.id, "path": str(a.path), "start": a.start, "frames": a.frames, "gain_db": a.gain_db}
                for a in project.audio_clips()
            ],
            "loose_takes": [
                {"id": t.id, "path": str(t.path), "shot": t.shot_id, "shot_name": t.shot_name, "frames": t.frames}
                for t in project.loose_takes()
            ],
        }
        print(json.dumps(doc, indent=2))
        return 0
    seconds = float(project.duration / fps) if fps else 0.0
    # Names and paths come from the file: printable() keeps them from driving the terminal.
    print(printable(f"{project.name}  {project.size[0]}x{project.size[1]}  {_rate_text(fps)} fps  "
                    f"{project.duration} frames ({seconds:.2f} s)  {len(shots)} shots"))
    for n, s in enumerate(shots, 1):
        trans = f"  ← {s.transition_in.kind} {s.transition_in.frames}f" if s.transition_in else ""
        media = s.media_path.name if s.media_path else "(not generated)"
        name = printable(s.name)[:24]
        print(printable(f"{n:3d}  {s.id[:8]}  {name:24s} {s.start:7d} +{s.frames:<6d} {s.status:8s} "
                        f"{media}{trans}"))
        if s.stale_reason:
            print(printable(f"     stale: {s.stale_reason}"))
        if not s.takes and recipe_text(s.recipe):
            print(printable(f"     to generate: {recipe_text(s.recipe)}"))
        for k, t in enumerate(s.takes, 1):
            print(printable(f"   {'*' if t.active else ' '} take {k}  {t.id[:8]}  {t.kind:9}  "
                            f"{recipe_text(t.recipe) or t.path.name}"))
    for n, a in enumerate(project.audio_clips(), 1):
        print(printable(f"audio {n}  {a.id[:8]}  {a.path.name}  at {a.start} +{a.frames}  {a.gain_db:+.1f} dB"))
    for t in project.loose_takes():
        print(printable(f"loose take {t.id[:8]}  from deleted shot {t.shot_id[:8]} ({t.shot_name})  {t.path}"))
    return 0


def _rate_text(rate) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{float(rate):.3f}"


def cmd_export(args) -> int:
    from engine.render import export

    frame_range = parse_range(args.range) if args.range else None
    project = open_project(args.project)
    if frame_range is not None and frame_range[1] > project.duration:
        raise ShotloomError(f"--range {args.range} ends after the cut, which has frames 0..{project.duration}; "
                            f"give OUT of at most {project.duration}")
    notes: list[str] = []
    with progress_bar("export") as progress:
        out = export(project, Path(args.output), preset=args.preset, frame_range=frame_range, progress=progress,
                     notes=notes)
    for note in notes:
        print(printable(f"shotloom: {note}"), file=sys.stderr)
    print(printable(out))
    return 0


def parse_range(text: str) -> tuple[int, int]:
    """IN:OUT timeline frames, 0 <= IN < OUT."""
    try:
        a, b = (int(v) for v in text.split(":"))
    except ValueError:
        raise ShotloomError(f"--range '{text}' is not IN:OUT in frames (for example 0:240)") from None
    if a < 0 or b <= a:
        raise ShotloomError(f"--range {text} must have 0 <= IN < OUT (frames of the cut, for example 0:240)")
    return a, b


# ---------------------------------------------------------------- media

def cmd_probe(args) -> int:
    from engine.media import probe_isolated

    info = probe_isolated(Path(args.media).expanduser().absolute())
    if args.json:
        doc = info.model_dump(mode="json")
        print(json.dumps(doc, indent=2))
        return 0
    print(printable(info.path))
    print(printable(f"  container  {info.container}"))
    if info.has_video or info.is_image:
        vfr = "  (variable frame rate)" if info.vfr else ""
        print(printable(f"  video      {info.codec} {info.width}x{info.height} {info.pix_fmt}  {info.rate} fps{vfr}"))
        print(f"  frames     {info.frame_count}")
    if info.has_audio:
        print(printable(f"  audio      {info.audio_codec} {info.audio_rate} Hz {info.audio_channels} ch"))
    return 0


def cmd_frame(args) -> int:
    from engine.media import FrameReader, probe_isolated, save_png

    media = Path(args.media).expanduser().absolute()
    info = probe_isolated(media)  # a file that crashes the decoder is refused before we open it here
    with FrameReader(media) as reader:
        if not 0 <= args.index < reader.frame_count:
            raise ShotloomError(f"{media}: frame {args.index} does not exist (it has frames 0..{reader.frame_count - 1})")
        frame = reader.frame(args.index)
    save_png(frame, Path(args.output))
    print(printable(args.output))
    del info
    return 0


# ---------------------------------------------------------------- editing

def _edit(args, make_edit) -> int:
    project = open_project(args.project, writer=f"shotloom {args.command} {_action(args)}".strip())
    shot = resolve_shot(project, args.shot)
    project.apply(make_edit(project, shot))
    project.save()
    return 0


def _action(args) -> str:
    return getattr(args, f"{args.command}_command", "") or ""


def cmd_shot_move(args) -> int:
    from engine.project.edits import MoveShot

    def make(project, shot):
        n = len(project.shots())
        if not 1 <= args.to <= n:
            raise ShotloomError(f"position {args.to} is outside 1..{n}")
        return MoveShot(shot.id, args.to - 1)

    return _edit(args, make)


def cmd_shot_trim(args) -> int:
    from engine.project.edits import Composite, TrimShot

    def make(project, shot):
        edits = []
        if args.in_delta:
            edits.append(TrimShot(shot.id, "in", args.in_delta))
        if args.out_delta:
            edits.append(TrimShot(shot.id, "out", -args.out_delta))
        if not edits:
            raise ShotloomError("say what to trim: --in FRAMES and/or --out FRAMES (negative to extend)")
        return edits[0] if len(edits) == 1 else Composite(edits)

    return _edit(args, make)


def cmd_shot_remove(args) -> int:
    from engine.project.edits import RemoveShot

    return _edit(args, lambda project, shot: RemoveShot(shot.id))


def cmd_shot_split(args) -> int:
    from engine.project.edits import SplitShot

    return _edit(args, lambda project, shot: SplitShot(shot.id, args.offset))


def cmd_transition_set(args) -> int:
    from engine.project.edits import ClearTransition, SetTransition

    if args.kind == "cut":
        return _edit(args, lambda project, shot: ClearTransition(shot.id))
    return _edit(args, lambda project, shot: SetTransition(shot.id, args.kind, args.frames))


def cmd_audio_add(args) -> int:
    from fractions import Fraction

    from engine.media import probe_isolated, read_audio
    from engine.project.edits import AddAudioClip

    if args.frames is not None and args.frames < 1:
        raise ShotloomError(f"--frames {args.frames} must be 1 or more (the audio clip's length in frames)")
    project = open_project(args.project, writer="shotloom audio add")
    path = Path(args.media).expanduser().absolute()
    info = probe_isolated(path)
    if not info.has_audio:
        raise ShotloomError(f"{path}: has no audio stream; choose a file with sound")
    ref = project.import_media(path, copy=False)
    if not 0 <= args.start < project.duration:
        raise ShotloomError(f"start frame {args.start} is outside the cut (0..{project.duration - 1})")
    samples = read_audio(path, sample_rate=48000).shape[1]
    media_length = max(1, int(Fraction(samples, 48000) * project.fps))
    frames = args.frames if args.frames is not None else min(media_length, project.duration - args.start)
    before = {a.id for a in project.audio_clips()}
    project.apply(AddAudioClip(ref, args.start, frames, gain_db=args.gain))
    project.save()
    for clip in project.audio_clips():
        if clip.id not in before:
            print(clip.id)
    return 0


def cmd_audio_remove(args) -> int:
    from engine.project.edits import RemoveAudioClip

    project = open_project(args.project, writer="shotloom audio remove")
    clip = resolve_audio(project, args.clip)
    project.apply(RemoveAudioClip(clip.id))
    project.save()
    print(clip.id)
    return 0


# ---------------------------------------------------------------- misc

def cmd_demo(args) -> int:
    from engine.demo import make_demo

    out = Path(args.folder).expanduser().absolute()
    with progress_bar("demo") as progress:
        project_path, video, report = make_demo(out, progress=progress)
    print(printable(project_path))
    print(printable(video))
    defects = sum(s.defect for s in report.seams)
    print(f"made by micro-ltx (the small model that ships with Shotloom); the continuity check found "
          f"{defects} defective seam{'s' if defects != 1 else ''} of {len(report.seams)}", file=sys.stderr)
    if args.open and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        import subprocess

        gui = Path(sys.executable).with_name("shotloom-gui")
        subprocess.Popen([str(gui) if gui.exists() else "shotloom-gui", str(project_path)])
    return 0


def cmd_doctor(args) -> int:
    from engine.doctor import run_doctor

    return run_doctor(json_output=args.json, projects=[Path(p) for p in args.projects])


# ---------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shotloom", description="Shotloom: a local AI video studio.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("new", help="create a project bundle NAME.shotloom")
    p.add_argument("path")
    p.add_argument("--fps", default="24", help="frame rate: 24, 25, 30, 30000/1001 … (default 24)")
    p.add_argument("--size", default="768x512", help="WIDTHxHEIGHT (default 768x512)")
    p.add_argument("--name", help="project name (default: the folder name)")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser("import", help="add one shot per media file (an .otio file adds its timeline)")
    p.add_argument("project")
    p.add_argument("media", nargs="+")
    p.add_argument("--copy", action="store_true", help="copy the files into the bundle instead of referencing them")
    p.add_argument("--no-proxy", action="store_true", help="skip building the all-intra scrub copies")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("info", help="show the project's shots")
    p.add_argument("project")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("export", help="export the cut as a video (or .otio timeline)")
    p.add_argument("project")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--preset", help="h264, h265, prores, vp9, gif, png (default: from the extension)")
    p.add_argument("--range", help="IN:OUT timeline frames (default: the whole cut)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("probe", help="describe a media file")
    p.add_argument("media")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("frame", help="save the exact frame INDEX (0-based) of a media file as PNG")
    p.add_argument("media")
    p.add_argument("index", type=int)
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_frame)

    shot = sub.add_parser("shot", help="edit shots: move, trim, split, remove (and add, with the engine)")
    shot_sub = shot.add_subparsers(dest="shot_command", metavar="ACTION", required=True)
    p = shot_sub.add_parser("move", help="move a shot to position TO (1-based)")
    p.add_argument("project")
    p.add_argument("shot")
    p.add_argument("to", type=int)
    p.set_defaults(func=cmd_shot_move)
    p = shot_sub.add_parser("trim", help="trim a shot's in and/or out point by frames")
    p.add_argument("project")
    p.add_argument("shot")
    p.add_argument("--in", dest="in_delta", type=int, default=0, help="frames to cut from the start (negative extends)")
    p.add_argument("--out", dest="out_delta", type=int, default=0, help="frames to cut from the end (negative extends)")
    p.set_defaults(func=cmd_shot_trim)
    p = shot_sub.add_parser("split", help="split a shot OFFSET frames into it")
    p.add_argument("project")
    p.add_argument("shot")
    p.add_argument("offset", type=int)
    p.set_defaults(func=cmd_shot_split)
    p = shot_sub.add_parser("remove", help="remove a shot")
    p.add_argument("project")
    p.add_argument("shot")
    p.set_defaults(func=cmd_shot_remove)

    trans = sub.add_parser("transition", help="set the transition into a shot")
    trans_sub = trans.add_subparsers(dest="transition_command", metavar="ACTION", required=True)
    p = trans_sub.add_parser("set", help="set the transition from the previous shot into SHOT")
    p.add_argument("project")
    p.add_argument("shot")
    p.add_argument("kind", choices=["cut", "crossfade", "dip_black", "dip_white"])
    p.add_argument("--frames", type=int, default=12, help="length in frames (default 12)")
    p.set_defaults(func=cmd_transition_set)

    audio = sub.add_parser("audio", help="music and sound on the audio track")
    audio_sub = audio.add_subparsers(dest="audio_command", metavar="ACTION", required=True)
    p = audio_sub.add_parser("add", help="add a music or sound file to the audio track")
    p.add_argument("project")
    p.add_argument("media")
    p.add_argument("--start", type=int, default=0, help="timeline frame where it starts")
    p.add_argument("--frames", type=int, help="length in frames (default: the file, up to the cut's end)")
    p.add_argument("--gain", type=float, default=0.0, help="gain in dB")
    p.set_defaults(func=cmd_audio_add)
    p = audio_sub.add_parser("remove", help="remove an audio clip (undo brings it back)")
    p.add_argument("project")
    p.add_argument("clip", help="audio clip id, unique id prefix or number (see shotloom info)")
    p.set_defaults(func=cmd_audio_remove)

    p = sub.add_parser("demo", help="make a demo project from generated footage and export it")
    p.add_argument("folder", nargs="?", default="shotloom-demo")
    p.add_argument("--open", action="store_true", help="open the editor on it when a display exists")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("doctor", help="check the installation (codecs, GPU, models, queue) and projects")
    p.add_argument("projects", nargs="*", metavar="PROJECT",
                   help="also check these projects and clean what killed programs left in them")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)

    _register_areas(sub, {"shot": shot_sub})
    return parser


class _SharedGroups:
    """The top-level subparsers as an area sees them: a group the core already defines (`shot`)
    is handed back, so an area adds its actions to it (`shot add`) instead of a second `shot`."""

    def __init__(self, sub, groups: dict) -> None:
        self._sub = sub
        self._groups = groups

    def add_parser(self, name: str, **kwargs):
        if name in self._groups:
            return _GroupParser(self._groups[name])
        return self._sub.add_parser(name, **kwargs)


class _GroupParser:
    def __init__(self, subparsers) -> None:
        self._subparsers = subparsers

    def add_subparsers(self, **kwargs):
        return self._subparsers


def _register_areas(sub, groups) -> None:
    """Subcommands of the generation, job and analysis areas (each in its own module)."""
    import importlib

    shared = _SharedGroups(sub, groups)
    for name in ("engine.project.commands", "engine.gen.commands", "engine.jobs.commands",
                 "engine.analysis.commands", "engine.farm.commands", "engine.finish.commands"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(shared)


def _version() -> str:
    from engine import __version__

    return f"shotloom {__version__}"


DASH_VALUE_OPTIONS = ("--range",)
"""Options whose value may start with a dash without being a plain number (`--range -5:20`):
argparse would take it for an option and stop with a usage error, not the value's own message."""


def _attach_dash_values(argv: list[str]) -> list[str]:
    out: list[str] = []
    it = iter(argv)
    for token in it:
        if token in DASH_VALUE_OPTIONS:
            value = next(it, None)
            if value is not None and value.startswith("-") and value[1:2].isdigit():
                out.append(f"{token}={value}")
                continue
            out.append(token)
            if value is not None:
                out.append(value)
            continue
        out.append(token)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_attach_dash_values(list(sys.argv[1:] if argv is None else argv)))
    try:
        handler = getattr(args, "func", None) or args.handler
        return int(handler(args) or 0)
    except Canceled as exc:
        print(f"shotloom: {printable(exc)}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("shotloom: canceled", file=sys.stderr)
        return 130
    except ShotloomError as exc:
        print(f"shotloom: {printable(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not bad input: one line for the user, the trace in a log file
        log = _write_crash_log()
        print(printable(f"shotloom: internal error: {type(exc).__name__}: {exc} (details in {log})"), file=sys.stderr)
        return 70
    finally:
        close_projects()


def _write_crash_log() -> Path:
    from engine.paths import user_data_dir

    log = user_data_dir() / "crash.log"
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(traceback.format_exc())
        fh.write("\n")
    return log


if __name__ == "__main__":
    sys.exit(main())
