"""CLI: `shot add`, `generate`, `models list|download|add|verify` (wired by engine/cli.py)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from engine.cliutil import progress_bar, resolve_shot
from engine.errors import Canceled, GenerationError
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
    add.add_argument("--direction", choices=["forward", "backward"], default=None)
    add.add_argument("--between", nargs=2, metavar="SHOT")
    add.add_argument("--steps", type=int)
    add.add_argument("--guidance", type=float)
    add.add_argument("--draft", action="store_true", help="a quick draft (fewer steps, a step cache)")
    add.add_argument("--cache", choices=["auto", "none", "first_block", "mag", "taylorseer"],
                     help="step cache (auto: first_block on drafts; mag calibrates once per model)")
    add.add_argument("--name")
    add.add_argument("--lora", action="append", default=[], metavar="ID[:STRENGTH]",
                     help="a LoRA from the library at a strength (1 when left out); give several for several")
    add.set_defaults(func=cmd_shot_add)
    sl = shot_sub.add_parser("loras", help="set the LoRAs of a shot's recipe (none given: remove them)")
    sl.add_argument("project", type=Path)
    sl.add_argument("shot")
    sl.add_argument("loras", nargs="*", metavar="ID[:STRENGTH]")
    sl.set_defaults(func=cmd_shot_loras)

    lora = subparsers.add_parser("lora", help="the LoRA library: add and list LoRAs")
    lsub = lora.add_subparsers(dest="lora_command", required=True)
    la = lsub.add_parser("add", help="add a .safetensors LoRA from a file or the hub (owner/repo[/FILE])")
    la.add_argument("source", metavar="FILE|HUB_ID")
    la.add_argument("--id", dest="lora_id")
    la.set_defaults(func=cmd_lora_add)
    ll = lsub.add_parser("list", help="list the LoRAs in the library and the models each fits")
    ll.add_argument("--json", action="store_true")
    ll.set_defaults(func=cmd_lora_list)

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
    from engine.gen.loras import lora_refs, parse_lora_arg
    from engine.gen.takes import add_generated_shot

    _check_flags(args)
    loras = lora_refs([parse_lora_arg(a) for a in args.lora], args.model)
    project = _open(args.project, "shotloom shot add")
    source = resolve_shot(project, args.from_shot).id if args.from_shot else None
    between = tuple(resolve_shot(project, s).id for s in args.between) if args.between else None
    shot_id = add_generated_shot(
        project, prompt=args.prompt, task=args.task, model=args.model, seconds=args.seconds, seed=args.seed,
        image=args.image, source_shot=source, direction=args.direction or "forward",
        between=between, steps=args.steps, guidance=args.guidance,
        name=args.name, extra={k: v for k, v in (("draft", args.draft or None), ("cache", args.cache),
                                                  ("loras", loras or None)) if v})
    project.save()
    print(shot_id)
    return 0


def cmd_shot_loras(args: argparse.Namespace) -> int:
    """One undoable recipe edit: the shot's LoRAs become the ones given (checked against its model)."""
    from engine.gen.loras import lora_refs, parse_lora_arg
    from engine.gen.takes import loras_edit

    items = [parse_lora_arg(a) for a in args.loras]
    project = _open(args.project, "shotloom shot loras")
    shot = resolve_shot(project, args.shot)
    edit = loras_edit(project, shot, lambda model: lora_refs(items, model))
    if edit is not None:
        project.apply(edit)
        project.save()
    print(shot.id)
    return 0


def cmd_lora_add(args: argparse.Namespace) -> int:
    from engine.gen.loras import add_lora

    entry = add_lora(args.source, args.lora_id)
    print(entry.id)
    print(f"fits {', '.join(entry.models)} (rank {entry.rank}, {entry.layers} layers)", file=sys.stderr)
    return 0


def cmd_lora_list(args: argparse.Namespace) -> int:
    from engine.cliutil import printable
    from engine.gen.loras import list_loras

    entries = list_loras()
    if args.json:
        print(json.dumps([{**e.model_dump(mode="json"), "path": str(e.path)} for e in entries], indent=2))
        return 0
    if not entries:
        print("no LoRAs yet; add one with `shotloom lora add FILE|HUB_ID`")
        return 0
    print(f"{'ID':28} {'FAMILY':12} {'RANK':>4} {'SIZE':>9}  FITS")
    for e in entries:
        print(printable(f"{e.id:28} {','.join(e.families):12} {e.rank:>4} {e.size_bytes / 1e6:>6.1f} MB  "
                        f"{', '.join(e.models)}"))
    return 0


_FLAG_TASKS = {"from_shot": ("--from", ("extend",)), "direction": ("--direction", ("extend",)),
               "between": ("--between", ("bridge",)), "image": ("--image", ("image", "long"))}


def _check_flags(args: argparse.Namespace) -> None:
    """Options that only mean something for another task are refused, not silently ignored."""
    for attr, (flag, tasks) in _FLAG_TASKS.items():
        if getattr(args, attr) is not None and args.task not in tasks:
            needs = " or ".join(f"--task {t}" for t in tasks)
            raise GenerationError(f"{flag} applies to {needs}, not --task {args.task}; add {needs} or leave {flag} out")


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
            try:
                with progress_bar(f"shot {n}/{len(ids)}", unit="step") as progress:
                    result = generate_into_project(project, shot_id, progress=progress, cancel=cancel)
            except Canceled as exc:
                recipe = project.shot(shot_id).recipe or {}
                if (recipe.get("shotloom_gen") or {}).get("task") == "long_take":
                    raise Canceled(f"{exc}; run `shotloom generate {args.project}` again to resume the long take "
                                   f"where it stopped") from None
                raise
            print(f"{shot_id} {result.master}")
            print(result.message, file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    from engine.gen.catalog import load_catalog
    from engine.gen.loading import download_state
    from engine.gen.memory import GB, cannot_run_here, gpu_memory_bytes, needs_bytes, needs_gb, ram_bytes, size_text

    entries = load_catalog()
    rows = [(e, download_state(e), cannot_run_here(e)) for e in entries]
    if args.json:
        print(json.dumps([{**e.model_dump(mode="json", exclude={"components", "vae"}),
                           "parameters": {name: c.params for name, c in e.components.items()},
                           "vram_gb": e.vram_gb, "needs_gb": needs_gb(e), "files": state,
                           "downloaded": state in ("downloaded", "local folder", "built", "ships with Shotloom"),
                           "runs_here": why is None, "why_not": why} for e, state, why in rows], indent=2))
        return 0
    gpu = gpu_memory_bytes()
    print(f"this machine: {gpu / GB:.0f} GB of GPU memory (needs: the least GPU memory, with offload)" if gpu
          else f"this machine: {ram_bytes() / GB:.0f} GB of memory, no NVIDIA GPU (needs: memory to run on the CPU)")
    print(f"{'ID':24} {'FAMILY':17} {'NEEDS':>8} {'DOWNLOAD':>9}  {'FILES':18} RUNS HERE")
    for e, state, why in rows:
        size = size_text(e.download_gb * GB) if e.download_gb else "-"
        here = "yes" if why is None else ("no: no PyTorch" if "PyTorch" in why else "no: too little memory")
        mark = ("  [test model: output is noise]" if e.test_model else
                "  [small model trained on the shapes world]" if e.micro else "")
        print(f"{e.id:24} {e.family:17} {size_text(needs_bytes(e)):>8} {size:>9}  {state:18} {here}{mark}")
        print(f"{'':24} {', '.join(t.replace('_', ' ') for t in e.tasks)}  ·  "
              f"{e.repo or e.local_path or ('in the package' if e.bundled else 'built here from random weights')}")
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
    from engine.gen.catalog import get_model
    from engine.gen.loading import check_model_files, resolve_model

    entry = get_model(args.id)
    resolved = resolve_model(entry)
    files, tensors = check_model_files(resolved.path)
    print(f"{entry.id}: ok, revision {resolved.revision}, {len(resolved.files)} files, {tensors} tensors "
          f"in {files} safetensors files")
    return 0
