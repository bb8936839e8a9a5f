"""`shotloom doctor`: what this installation can do, and what to fix when it can't; with projects
named, whether each opens, and what killed programs left in it (cleaned when nobody has it open)."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import sys
from pathlib import Path

from engine.paths import user_cache_dir, user_data_dir

ENCODERS = {"h264": "libx264", "h265": "libx265", "prores": "prores_ks", "vp9": "libvpx-vp9", "gif": "gif",
            "png": "png", "aac": "aac", "opus": "libopus"}


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def gather(projects: list[Path] | None = None) -> list[dict]:
    checks = []

    def add(name: str, ok: bool, detail: str, essential: bool = True, fix: str = "") -> None:
        checks.append({"check": name, "ok": ok, "detail": detail, "essential": essential, "fix": fix})

    add("python", sys.version_info >= (3, 11), sys.version.split()[0], fix="install Python 3.11 or newer")
    for dist in ("av", "opentimelineio", "numpy", "pydantic", "opencv-python-headless", "PySide6-Essentials"):
        v = _version(dist)
        add(dist, v is not None, v or "missing", essential=dist != "PySide6-Essentials",
            fix="run bash installer/install.sh")
    try:
        import av

        available = set(av.codecs_available)
        for preset, codec in ENCODERS.items():
            add(f"encoder {preset}", codec in available, codec if codec in available else f"{codec} missing",
                essential=preset in ("h264", "aac"), fix="install a PyAV wheel built with this encoder")
    except ImportError:
        pass
    torch_v = _version("torch")
    add("torch", torch_v is not None, torch_v or "not installed (light install: editing and export only)",
        essential=False, fix="run bash installer/install.sh without --light for generation")
    if torch_v:
        for dist in ("diffusers", "transformers"):
            v = _version(dist)
            add(dist, v is not None, v or "missing", essential=False, fix="run bash installer/install.sh")
        gpu = _gpu()
        add("gpu", gpu is not None, gpu or "no CUDA GPU: generation runs on the CPU (slow, fine for tiny models)",
            essential=False)
    _model_checks(add)
    try:
        from engine.jobs.queue import check_database

        ok, detail = check_database()
        add("queue database", ok, detail, fix="move the damaged file aside; Shotloom starts a new queue")
    except ImportError:
        pass
    try:
        from engine.jobs.selftest import queue_self_test

        q = queue_self_test()
        detail = (f"worker round trip {q['roundtrip_ms']} ms, cancel {q['cancel_ms']} ms" if q["ok"]
                  else q["message"])
        add("job queue", bool(q["ok"]), detail, fix="see the worker log named above; reinstall if it persists")
    except ImportError:
        pass
    for label, folder in (("data folder", user_data_dir()), ("cache folder", user_cache_dir())):
        free = shutil.disk_usage(folder).free
        add(label, free > 2e9, f"{folder} ({free / 1e9:.1f} GB free)", essential=False,
            fix="free disk space: takes and models need several GB")
    swept = _sweep_user_folders()
    if swept:
        add("leftovers", True, f"cleaned {_amount(swept)} left by killed programs in {user_data_dir()}",
            essential=False)
    for project in projects or ():
        ok, detail = check_project(project)
        add(f"project {project.name}", ok, detail, fix="restore project.otio.bak (see the message)")
    return checks


def _amount(items: list) -> str:
    total = sum(i.bytes for i in items)
    return f"{len(items)} item(s), {total / 1e6:.1f} MB"


def _sweep_user_folders() -> list:
    """Partial files of killed programs in the user data folder (autosaves, job folders, the queue)."""
    from engine.fsutil import sweep_debris

    try:
        return sweep_debris(user_data_dir(), recursive=True)
    except OSError:
        return []


def check_project(path: Path) -> tuple[bool, str]:
    """(ok, one line) for a project: it opens, and what killed programs left in it is cleaned (or,
    while another program has it open, counted: that program's next start cleans it)."""
    from engine.errors import ShotloomError
    from engine.fsutil import find_debris
    from engine.project import Project, ProjectLockedError

    try:
        project = Project.open(path, writer="shotloom doctor")
    except ProjectLockedError as exc:
        left = find_debris(Path(path), recursive=True)
        holder = exc.holder.describe() if exc.holder else "another program"
        found = f"{_amount(left)} left by killed programs" if left else "nothing left by killed programs"
        return True, f"open in {holder}; {found}"
    except ShotloomError as exc:
        return False, str(exc)
    try:
        shots = len(project.shots())
        problems = project.problems()
        swept = project.swept
    finally:
        project.close()
    if problems:
        return False, f"{project.path}: {problems[0]}"
    cleaned = f"cleaned {_amount(swept)} left by killed programs" if swept else "nothing left by killed programs"
    return True, f"{project.path} ({shots} shots); {cleaned}"


def _model_checks(add) -> None:
    """The catalog, then each model whose files are here: complete (every safetensors header reads)
    and able to run on this machine; then which models are ready to generate."""
    from engine.errors import ShotloomError
    from engine.gen.catalog import load_catalog
    from engine.gen.loading import check_model_files, local_files
    from engine.gen.memory import cannot_run_here, needs_bytes, size_text

    try:
        entries = load_catalog()
    except ShotloomError as exc:
        add("model catalog", False, str(exc), fix="restore or delete the file it names")
        return
    add("model catalog", True, f"{len(entries)} models")
    ready = []
    for entry in entries:
        state, folder = local_files(entry)
        if folder is None or entry.test_model:
            continue
        ok, fix = True, ""
        try:
            files, _tensors = check_model_files(folder)
            detail = f"{state} ({files} weight files readable), needs {size_text(needs_bytes(entry))}"
        except ImportError:
            detail = f"{state} (its files are checked with the full install)"
        except ShotloomError as exc:
            ok, detail = False, str(exc)
            fix = f"shotloom models download {entry.id}" if entry.repo else f"put a good copy of the model in {folder}"
        why = cannot_run_here(entry)
        if why is not None:
            ok, detail = False, f"{detail}; {why}"
        add(f"model {entry.id}", ok, detail, essential=False, fix=fix)
        if ok:
            ready.append(entry.id)
    tiny = [e.id for e in entries if e.test_model and cannot_run_here(e) is None]
    add("models", bool(ready), f"ready to generate: {', '.join(ready)}" if ready else
        "no downloaded model runs here" + (f" (test models {', '.join(tiny)} build on first use)" if tiny else ""),
        essential=False, fix="`shotloom models list` shows what runs here; `shotloom models download ID` gets one")


def _gpu() -> str | None:
    from engine.gen.memory import GB, gpu_info

    info = gpu_info()
    return f"{info[0]}, {info[1] / GB:.0f} GB" if info is not None else None


def run_doctor(json_output: bool = False, projects: list[Path] | None = None) -> int:
    from engine.cliutil import printable

    checks = gather(projects)
    if json_output:
        print(json.dumps(checks, indent=2))
    else:
        for c in checks:
            mark = "ok " if c["ok"] else ("ERR" if c["essential"] else " - ")
            line = f"[{mark}] {c['check']:<22} {c['detail']}"
            if not c["ok"] and c["fix"]:
                line += f"  → {c['fix']}"
            print(printable(line))
    return 0 if all(c["ok"] for c in checks if c["essential"]) else 1
