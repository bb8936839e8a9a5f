"""Kill Shotloom at random moments of everything that writes, and count what was lost.

For each operation — save, import (--copy, with proxies), export, generate (tiny-ltx), render
(tiny-ltx, through the queue and its worker), the editor's autosave, Save As — N trials each:
start it on a fresh copy of a project, SIGKILL its whole process group after a random delay within
the time it takes uncut, then run the next command a user would (the same one again, or for the
editor's autosave a new editor start), and count:

  unreadable  projects that do not open after the kill or after the next command
  corrupt     outputs under their final name that are not complete (a video that does not decode
              to its length, a project copy or autosave that does not open, a take or imported
              file that does not decode)
  debris      bytes the kill left that the next command did not remove: partial files anywhere,
              files in the bundle the project does not use (copies of an import that was not
              saved, orphan take folders, proxies of nothing), anything beside the output
              (judged by name, not by Shotloom's own code: the count runs against any version)

Goal: 0, 0, 0. It prints one line per operation and the totals.

    .venv/bin/python tests/bench/bench_fault_injection.py -n 50            # the full run
    .venv/bin/python tests/bench/bench_fault_injection.py -n 5 --only save,export
    .venv/bin/python tests/bench/bench_fault_injection.py -n 5 --repo /path/to/main   # before the fix
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path


def _repo() -> Path:
    """The checkout under test: this one, or `--repo PATH` (e.g. a checkout of main, for the figures
    before a change)."""
    if "--repo" in sys.argv:
        return Path(sys.argv[sys.argv.index("--repo") + 1]).resolve()
    return Path(__file__).resolve().parents[2]


REPO = _repo()
sys.path.insert(0, str(REPO))

def shotloom(*args: object, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                         cwd=REPO, timeout=timeout)
    if check and res.returncode != 0:
        raise RuntimeError(f"shotloom {' '.join(map(str, args))} failed ({res.returncode}): {res.stderr[-800:]}")
    return res


def python(script: str, *args: object) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(script), *map(str, args)]


# ---- measuring -----------------------------------------------------------------------------------

def decodes(path: Path, frames: int | None = None) -> bool:
    """A video file that decodes to the end (and to `frames` frames when given)."""
    import av

    try:
        with av.open(str(path)) as container:
            n = sum(1 for _ in container.decode(video=0))
    except Exception:  # noqa: BLE001 - any failure to decode is a corrupt output
        return False
    return n > 0 and (frames is None or n == frames)


def opens(bundle: Path, from_file: Path | None = None) -> bool:
    from engine.project import Project

    try:
        Project.open(bundle, from_file=from_file)
    except Exception:  # noqa: BLE001
        return False
    return True


def size_of(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink()) or 1


def unexpected_bytes(folder: Path, expected: set[str]) -> int:
    """Bytes in `folder`'s entries other than `expected` (an empty folder counts as 1). Judged by
    name, not by engine.fsutil, so that the same count runs against any version of Shotloom."""
    if not folder.is_dir():
        return 0
    return sum(size_of(p) for p in folder.iterdir() if p.name not in expected)


def hidden_bytes(folder: Path, allowed: set[str] = frozenset()) -> int:
    """Bytes in hidden entries anywhere under `folder` (temp and partial files are hidden)."""
    total = 0
    for p in folder.rglob(".*") if folder.is_dir() else ():
        if p.name not in allowed and not any(a.name.startswith(".") for a in p.relative_to(folder).parents
                                             if a.name):
            total += size_of(p)
    return total


def bundle_debris(bundle: Path) -> int:
    """Bytes in the bundle that are left over: anything but project.otio, its backups, its history,
    the lock file and the media and proxies the project uses (a queued job's work folder is kept
    for it)."""
    from engine.jobs import JobQueue
    from engine.project import Project
    from engine.render.proxies import proxy_path

    kept = {"project.otio", "history.jsonl", ".shotloom-lock", "media", "cache"}
    kept |= {"project.otio.bak"} | {f"project.otio.bak.{n}" for n in range(1, 10)}  # the backup generations
    total = unexpected_bytes(bundle, kept)
    total += unexpected_bytes(bundle / "media", {"imported", "generated"})
    total += unexpected_bytes(bundle / "cache", {"proxies"})
    project = Project.open(bundle)
    used = {Path(t.path).resolve() for s in project.shots() for t in s.takes}
    used |= {Path(a.path).resolve() for a in project.audio_clips()}
    used |= {Path(t.path).resolve() for t in project.loose_takes()}
    with JobQueue() as q:
        waiting = {Path(j.out_dir).name for j in q.list() if j.out_dir and j.status != "succeeded"}
    imported = bundle / "media" / "imported"
    total += unexpected_bytes(imported, {p.name for p in used if p.parent == imported.resolve()})
    generated = bundle / "media" / "generated"
    takes = {p.name for p in generated.iterdir() if any(u.is_relative_to(p.resolve()) for u in used)} \
        if generated.is_dir() else set()
    total += unexpected_bytes(generated, takes | {f".{name}.partial" for name in waiting})
    for take in takes:
        total += hidden_bytes(generated / take)
    proxies = set()
    for u in used:
        try:
            proxies.add(proxy_path(bundle, u).name)
        except OSError:
            pass
    total += unexpected_bytes(bundle / "cache" / "proxies", proxies)
    return total


# ---- the operations ------------------------------------------------------------------------------

@dataclass
class Trial:
    root: Path
    bundle: Path
    out: Path
    extra: dict = field(default_factory=dict)


@dataclass
class Operation:
    name: str
    setup: Callable[[Path, Path], Trial]
    """(template project, trial folder) → the trial."""
    command: Callable[[Trial], list[str]]
    then: Callable[[Trial], None]
    """The next command a user runs (after the kill)."""
    corrupt: Callable[[Trial], int]
    debris: Callable[[Trial], int]


def copy_project(template: Path, root: Path) -> Trial:
    root.mkdir(parents=True)
    bundle = root / "film.shotloom"
    # Not the cache: proxies are keyed by their media's absolute path, so a copy's would be stale.
    shutil.copytree(template, bundle, symlinks=True, ignore=shutil.ignore_patterns("cache"))
    out = root / "out"
    out.mkdir()
    return Trial(root, bundle, out)


def takes_corrupt(t: Trial) -> int:
    from engine.project import Project

    bad = 0
    for shot in Project.open(t.bundle).shots():
        for take in shot.takes:
            if take.path is not None and Path(take.path).exists() and not decodes(Path(take.path)):
                bad += 1
    return bad


SAVER = """
import sys
from engine.project import Project, SetNotes
p = Project.open(sys.argv[1], writer="bench save")
shot = p.shots()[0].id
n = 0
while n < int(sys.argv[2]):
    n += 1
    p.apply(SetNotes(shot, str(n % 10) * 3_000_000))
    p.save()
"""

AUTOSAVER = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCoreApplication
from desktop.models.document import Document
from desktop.services.autosave import AutosaveService
from engine.project import Project, SetNotes
app = QCoreApplication([])
doc = Document()
service = AutosaveService(doc, seconds=3600, edits=10**9)
doc.set_project(Project.open(sys.argv[1]))
shot = doc.project.shots()[0].id
for n in range(int(sys.argv[2])):
    doc.apply(SetNotes(shot, str(n % 10) * 3_000_000), "notes")
    assert service.autosave() is not None
"""

EDITOR_START = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QCoreApplication
from desktop.models.document import Document
from desktop.services.autosave import AutosaveService, pending_recovery
from engine.project import Project
app = QCoreApplication([])
doc = Document()
AutosaveService(doc)
print(len(pending_recovery()))  # what the editor offers at start; then the creator opens the project
doc.set_project(Project.open(sys.argv[1]))
"""

SAVE_AS = """
import sys
from engine.project import Project
Project.open(sys.argv[1]).save_copy(sys.argv[2])
"""


def autosave_folder_of(t: Trial) -> Path:
    from engine.paths import autosave_dir
    from engine.project import Project

    return autosave_dir() / Project.open(t.bundle).id


def autosave_corrupt(t: Trial) -> int:
    doc = autosave_folder_of(t) / "project.otio"
    return 0 if not doc.exists() or opens(t.bundle, from_file=doc) else 1


def operations(media: Path, rng: random.Random) -> dict[str, Operation]:
    def plain(template: Path, root: Path) -> Trial:
        return copy_project(template, root)

    ops = [
        Operation(
            "save", plain,
            lambda t: python(SAVER, t.bundle, 1000),
            lambda t: shotloom("shot", "trim", t.bundle, "1", "--in", "1"),
            lambda t: 0,
            lambda t: bundle_debris(t.bundle)),
        Operation(
            "import", plain,
            lambda t: [sys.executable, "-m", "engine.cli", "import", str(t.bundle), str(media), "--copy"],
            lambda t: shotloom("import", t.bundle, media, "--copy"),
            lambda t: sum(1 for p in (t.bundle / "media" / "imported").glob("*")
                          if not p.name.startswith(".") and not decodes(p)),
            lambda t: bundle_debris(t.bundle)),
        Operation(
            "export", plain,
            lambda t: [sys.executable, "-m", "engine.cli", "export", str(t.bundle), "-o", str(t.out / "film.mp4")],
            lambda t: shotloom("export", t.bundle, "-o", t.out / "film.mp4"),
            lambda t: 0 if not (t.out / "film.mp4").exists() or decodes(t.out / "film.mp4", t.extra["frames"]) else 1,
            lambda t: unexpected_bytes(t.out, {"film.mp4"}) + bundle_debris(t.bundle)),
        Operation(
            "generate", plain,
            lambda t: [sys.executable, "-m", "engine.cli", "generate", str(t.bundle)],
            lambda t: shotloom("generate", t.bundle),
            takes_corrupt,
            lambda t: bundle_debris(t.bundle)),
        Operation(
            "render", plain,
            lambda t: [sys.executable, "-m", "engine.cli", "render", str(t.bundle)],
            lambda t: shotloom("render", t.bundle),
            takes_corrupt,
            lambda t: bundle_debris(t.bundle)),
        Operation(
            "autosave", plain,
            lambda t: python(AUTOSAVER, t.bundle, 1000),
            lambda t: subprocess.run(python(EDITOR_START, t.bundle), cwd=REPO, check=True, capture_output=True),
            autosave_corrupt,
            lambda t: unexpected_bytes(autosave_folder_of(t), {"project.otio", "autosave.json"})),
        Operation(
            "save_as", plain,
            lambda t: python(SAVE_AS, t.bundle, t.out / "copy.shotloom"),
            lambda t: subprocess.run(python(SAVE_AS, t.bundle, t.out / "again.shotloom"), cwd=REPO, check=True,
                                     capture_output=True),
            lambda t: sum(1 for name in ("copy.shotloom", "again.shotloom")
                          if (t.out / name).exists() and not opens(t.out / name)),
            lambda t: unexpected_bytes(t.out, {"copy.shotloom", "again.shotloom"})
            + sum(hidden_bytes(t.out / n, {".shotloom-lock"}) for n in ("copy.shotloom", "again.shotloom"))),
    ]
    return {op.name: op for op in ops}


# ---- the run -------------------------------------------------------------------------------------

def make_templates(folder: Path) -> tuple[dict[str, Path], Path, int]:
    """Projects the trials start from: `plain` (two imported shots, proxies built), `pending` (the
    same plus a pending tiny-ltx shot); the media an import copies; the cut's length in frames."""
    from engine.media.synthetic import make_test_clip

    folder.mkdir(parents=True)
    clips = [make_test_clip(folder / f"clip{i}.mp4", frames=72, rate=Fraction(24), size=(256, 192), seed=i)
             for i in range(2)]
    media = make_test_clip(folder / "big.mp4", frames=120, rate=Fraction(24), size=(480, 360), seed=7)
    plain = folder / "plain.shotloom"
    shotloom("new", plain, "--size", "256x192")
    shotloom("import", plain, *clips, "--copy")
    pending = folder / "pending.shotloom"
    shutil.copytree(plain, pending)
    shotloom("shot", "add", pending, "--prompt", "rain on glass", "--model", "tiny-ltx", "--seconds", "0.4",
             "--steps", "3", "--seed", "1")
    frames = json.loads(shotloom("info", plain, "--json").stdout)["frames"]
    return {"plain": plain, "pending": pending}, media, frames


def run_trial(op: Operation, template: Path, root: Path, delay: float, frames: int) -> tuple[int, int, int]:
    from engine.jobs import JobQueue

    t = op.setup(template, root)
    t.extra["frames"] = frames
    proc = subprocess.Popen(op.command(t), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(delay)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    # The process group is gone; so is the render's worker (same group): the queue says so later.
    unreadable = 0 if opens(t.bundle) else 1
    corrupt = op.corrupt(t)
    try:
        op.then(t)
    except Exception as exc:  # noqa: BLE001 - the next command failing is a loss too
        print(f"  {op.name}: the next command failed: {exc}", file=sys.stderr)
        unreadable += 1
    if not opens(t.bundle):
        unreadable += 1
    corrupt += op.corrupt(t)
    debris = op.debris(t)
    with JobQueue() as q:  # trials are independent: forget this project's jobs
        for job in q.list():
            if job.status in ("succeeded", "failed", "canceled", "interrupted"):
                q.remove(job.id)
    shutil.rmtree(root, ignore_errors=True)
    return unreadable, corrupt, debris


def calibrate(op: Operation, template: Path, root: Path) -> float:
    """Seconds the operation takes uncut (the kills fall within that)."""
    t = op.setup(template, root)
    start = time.perf_counter()
    cmd = op.command(t)
    if op.name in ("save", "autosave"):  # endless loops: a fixed number of rounds instead
        cmd[-1] = "6"
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, timeout=900)
    took = time.perf_counter() - start
    shutil.rmtree(root, ignore_errors=True)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="trials per operation (the full run uses 50)")
    parser.add_argument("--only", default="", help="comma-separated operations (default: all)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--repo", help="run another checkout of Shotloom (its engine and its commands)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="shotloom-faults-") as tmp:
        work = Path(tmp)
        os.environ["SHOTLOOM_HOME"] = str(work / "home")
        from engine.gen.tiny import ensure_tiny_model

        ensure_tiny_model("tiny-ltx")
        templates, media, frames = make_templates(work / "templates")
        ops = operations(media, rng)
        names = [n for n in args.only.split(",") if n] or list(ops)
        print(f"Shotloom at {REPO}")
        print(f"{'operation':<10} {'trials':>6} {'uncut s':>8} {'unreadable':>10} {'corrupt':>8} {'debris bytes':>13}")
        totals = [0, 0, 0]
        for name in names:
            op = ops[name]
            template = templates["pending" if name in ("generate", "render") else "plain"]
            uncut = calibrate(op, template, work / f"{name}-calibrate")
            sums = [0, 0, 0]
            for i in range(args.n):
                delay = rng.uniform(0.0, uncut)
                result = run_trial(op, template, work / f"{name}-{i}", delay, frames)
                if any(result):
                    print(f"  {name} trial {i} (killed at {delay:.2f} s): unreadable {result[0]}, corrupt "
                          f"{result[1]}, debris {result[2]} bytes", file=sys.stderr)
                sums = [a + b for a, b in zip(sums, result)]
            totals = [a + b for a, b in zip(totals, sums)]
            print(f"{name:<10} {args.n:>6} {uncut:>8.2f} {sums[0]:>10} {sums[1]:>8} {sums[2]:>13}", flush=True)
        print(f"{'total':<10} {args.n * len(names):>6} {'':>8} {totals[0]:>10} {totals[1]:>8} {totals[2]:>13}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
