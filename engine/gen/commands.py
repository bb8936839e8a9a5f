"""CLI: `shot add`, `generate`, `models list|download|add|verify` (wired by engine/cli.py)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from engine.cliutil import progress_bar, resolve_shot
from engine.errors import GenerationError
from engine.progress import CancelToken


def register(subparsers) -> None:
    shot = subparsers.add_parser("shot", help="add shots to a project")
    shot_sub = shot.add_subparsers(dest="shot_command", required=True)
    add = shot_sub.add_parser("add", help="add a pending generated shot (prints its id)")
    add.add_argument("project", type=Path)
    add.add_argument("--prompt", required=True)
    add.add_argument("--model", default="ltx-video-2b")
    add.add_argument("--seconds", type=float)
    add.add_argument("--task", choices=["text", "image", "extend", "bridge", "long"], default="text")
    add.add_argument("--seed", type=int)
    add.add_argument("--image", type=Path)
    add.add_argument("--from", dest="from_shot", metavar="SHOT")
    add.add_argument("--direction", choices=["forward", "backward"], default="forward")
    add.add_argument("--between", nargs=2, metavar="SHOT")
    add.add_argument("--steps", type=int)
    add.add_argument("--guidance", type=float)
    add.add_argument("--name")
    add.set_defaults(func=cmd_shot_add)

    gen = subparsers.add_parser("generate", help="generate pending shots in this process")
    gen.add_argument("project", type=Path)
    gen.add_argument("shot", nargs="?")
    gen.set_defaults(func=cmd_generate)

    models = subparsers.add_parser("models", help="list, download, add and verify models")
    msub = models.add_subparsers(dest="models_command", required=True)
    ml = msub.add_parser("list", help="list the model catalog")
    ml.add_argument("--json", action="store_true")
    ml.set_defaults(func=cmd_models_list)
    md = msub.add_parser("download", help="download a model into the Hugging Face cache (resumes)")
    md.add_argument("id")
    md.set_defaults(func=cmd_models_download)
    ma = msub.add_parser("add", help="add a local diffusers model folder")
    ma.add_argument("path", type=Path)
    ma.add_argument("--id", required=True)
    ma.set_defaults(func=cmd_models_add)
    mv = msub.add_parser("verify", help="check a model's files (safetensors only, readable)")
    mv.add_argument("id")
    mv.set_defaults(func=cmd_models_verify)


def _open(path: Path, writer: str, hint: str = ""):
    from engine.cliutil import open_project

    return open_project(path, writer=writer, hint=hint)


def cmd_shot_add(args: argparse.Namespace) -> int:
    from engine.gen.takes import add_generated_shot

    project = _open(args.project, "shotloom shot add")
    source = resolve_shot(project, args.from_shot).id if args.from_shot else None
    between = tuple(resolve_shot(project, s).id for s in args.between) if args.between else None
    shot_id = add_generated_shot(
        project, prompt=args.prompt, task=args.task, model=args.model, seconds=args.seconds, seed=args.seed,
        image=args.image, source_shot=source, direction=args.direction,
        between=between, steps=args.steps, guidance=args.guidance,
        name=args.name)
    project.save()
    print(shot_id)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from engine.gen.takes import generate_into_project, pending_shots

    project = _open(args.project, "shotloom generate",
                    hint=f"close it there first, or queue its shots for it with "
                         f"`shotloom render {args.project} --queue`")
    ids = [resolve_shot(project, args.shot).id] if args.shot else pending_shots(project)
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        for n, shot_id in enumerate(ids, 1):
            with progress_bar(f"shot {n}/{len(ids)}", unit="step") as progress:
                result = generate_into_project(project, shot_id, progress=progress, cancel=cancel)
            print(f"{shot_id} {result.master}")
            print(result.message, file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    from engine.gen.catalog import load_catalog

    entries = load_catalog()
    if args.json:
        print(json.dumps([{**e.model_dump(mode="json", exclude={"transformer_config", "vae"}),
                           "native_fps": e.native_fps} for e in entries], indent=2))
        return 0
    for e in entries:
        mark = " [test model: output is noise]" if e.test_model else ""
        where = e.repo or e.local_path or "built on first use"
        print(f"{e.id:26} {e.family:18} {','.join(e.tasks):50} {where}{mark}")
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.gen.catalog import get_model
    from engine.gen.loading import download_model

    entry = get_model(args.id)
    if entry.license_note:
        print(f"license: {entry.license_note}", file=sys.stderr)
    path = download_model(entry, tqdm_class=tqdm)
    print(path)
    return 0


def cmd_models_add(args: argparse.Namespace) -> int:
    from engine.gen.catalog import add_local_model

    entry = add_local_model(args.path, args.id)
    print(entry.id)
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    from safetensors import safe_open

    from engine.gen.catalog import get_model
    from engine.gen.loading import resolve_model

    entry = get_model(args.id)
    resolved = resolve_model(entry)
    count = 0
    for rel in resolved.files:
        if rel.endswith(".safetensors"):
            try:
                with safe_open(str(resolved.path / rel), framework="pt") as fh:
                    count += len(list(fh.keys()))
            except Exception as exc:
                raise GenerationError(f"{resolved.path / rel} is damaged ({type(exc).__name__}); "
                                      f"download the model again") from exc
    print(f"{entry.id}: ok, revision {resolved.revision}, {len(resolved.files)} files, {count} tensors")
    return 0
