"""The demo: a short film generated here by micro-ltx, offline, checked and exported.

`shotloom demo` is the README's main job and a quick end-to-end check of an installation: the
model that ships with Shotloom (``micro-ltx``, trained on the shapes world) makes every kind of shot
(text, image, a bridge, an extension, a short long take) through the same code a real model runs,
then the continuity inspector checks the cut and the exporter writes it.

``make_pending_demo`` is what the editor opens with ``--demo``: the same project with every shot
pending, which the editor then generates through its worker, so the creator watches each shot being
made (the editor's process never imports the ML stack). ``make_demo_project`` draws footage without
a model (for benchmarks and tests that need plain footage).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.progress import ProgressFn, no_progress

RATE = Fraction(24)
SIZE = (768, 512)
SECONDS = 3
AUDIO_RATE = 48000

SCENES = {
    # name: (sky top, sky bottom, accent colour, tone Hz)
    "dawn": ((40, 30, 90), (250, 150, 80), (255, 230, 150), 220.0),
    "sea": ((20, 60, 120), (60, 170, 200), (240, 250, 255), 277.2),
    "forest": ((20, 50, 30), (120, 170, 90), (250, 240, 200), 329.6),
}


def draw_scene(name: str, t: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    """Frame t of a scene: a vertical gradient, a moving disc and drifting bands."""
    top, bottom, accent, _ = SCENES[name]
    w, h = size
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    frame = (np.array(top, np.float32) * (1 - y) + np.array(bottom, np.float32) * y).repeat(w, axis=1)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = t / (RATE * SECONDS)
    cx, cy = w * (0.2 + 0.6 * float(phase)), h * (0.65 - 0.3 * np.sin(np.pi * float(phase)))
    disc = np.clip(1.0 - (np.hypot(xx - cx, yy - cy) - h * 0.12) / 3.0, 0.0, 1.0)[..., None]
    bands = (0.5 + 0.5 * np.sin(xx / 23.0 + yy / 41.0 + t * 0.25))[..., None] * 0.12
    frame = frame * (1 - bands) + 255.0 * bands * (y > 0.7)
    frame = frame * (1 - disc) + np.array(accent, np.float32) * disc
    return np.clip(frame, 0, 255).astype(np.uint8)


def tone(name: str, frames: int) -> np.ndarray:
    hz = SCENES[name][3]
    n = int(Fraction(frames) * AUDIO_RATE / RATE)
    t = np.arange(n, dtype=np.float32) / AUDIO_RATE
    env = np.minimum(1.0, np.minimum(t, t[-1] - t) * 8.0)
    wave = 0.2 * env * (np.sin(2 * np.pi * hz * t) + 0.5 * np.sin(2 * np.pi * hz * 1.5 * t))
    return np.stack([wave, wave]).astype(np.float32)


def write_scene(name: str, path: Path, size: tuple[int, int] = SIZE, seconds: int = SECONDS) -> Path:
    from engine.media import VideoWriter

    frames = int(RATE * seconds)
    writer = VideoWriter(path, preset="h264", rate=RATE, size=size, audio_rate=AUDIO_RATE)
    try:
        for t in range(frames):
            writer.write(draw_scene(name, t, size))
        writer.write_audio(tone(name, frames))
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return path


def make_demo_project(folder: Path, *, size: tuple[int, int] = SIZE, seconds: int = SECONDS,
                      progress: ProgressFn = no_progress) -> Path:
    """Make (or reuse) footage and `folder/demo.shotloom`: three shots joined by a crossfade and a dip."""
    from engine.project import Project
    from engine.project.edits import InsertShot, SetTransition

    bundle = folder / "demo.shotloom"
    if (bundle / "project.otio").exists():
        return bundle
    folder.mkdir(parents=True, exist_ok=True)
    footage = folder / "footage"
    footage.mkdir(exist_ok=True)
    clips = []
    for n, name in enumerate(SCENES):
        path = footage / f"{name}.mp4"
        if not path.exists():
            write_scene(name, path, size, seconds)
        clips.append(path)
        progress(n + 1, len(SCENES), f"footage {name}")
    frames = int(RATE * seconds)
    project = Project.create(bundle, fps=RATE, size=size, name="Shotloom demo")
    for path in clips:
        ref = project.import_media(path, copy=True)
        project.apply(InsertShot(index=len(project.shots()), name=path.stem, media_path=ref, frames=frames))
    shots = project.shots()
    length = min(12, frames // 2)
    project.apply(SetTransition(shots[1].id, "crossfade", length))
    project.apply(SetTransition(shots[2].id, "dip_black", length))
    project.save()
    return bundle


# -- the generated demo -------------------------------------------------------------------------

MODEL = "micro-ltx"
GENERATED_SIZE = (256, 256)  # the model draws 64x64; takes are scaled to the project's size
# (name, task, prompt, seconds, seed): a text shot, an image shot, the bridge between them, the
# image shot extended, and a short long take.
GENERATED_SHOTS = (
    ("text", "text", "a red disc moving right on a blue background", 1.0, 1),
    ("image", "image", "a red disc moving down on a blue background", 1.0, 2),
    ("bridge", "bridge", "a red disc moving right on a blue background", 0.5, 3),
    ("extension", "extend", "a red disc moving down on a blue background", 1.0, 4),
    ("long take", "long", "a yellow triangle moving up-left on a green background", 3.0, 5),
)


def demo_image(path: Path) -> Path:
    """The image shot's picture: a frame of the shapes world (what the model knows)."""
    from engine.gen.micro import world
    from engine.media import save_png

    scene = world.Scene("blue", (world.Shape("disc", "red", "down", 40.0, 16.0),), size=GENERATED_SIZE[0])
    return save_png(scene.frames(1)[0], path)


def make_pending_demo(folder: Path, *, progress: ProgressFn = no_progress) -> Path:
    """`folder/demo.shotloom` with every shot of GENERATED_SHOTS added, pending (no model runs, no
    ML library is imported); a project already there is reused and only missing shots are added."""
    from engine.gen.takes import add_generated_shot
    from engine.project import Project

    bundle = folder / "demo.shotloom"
    if (bundle / "project.otio").exists():
        project = Project.open(bundle, writer="shotloom demo")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        project = Project.create(bundle, fps=RATE, size=GENERATED_SIZE, name="Shotloom demo", writer="shotloom demo")
    try:
        ids: dict[str, str] = {s.name: s.id for s in project.shots()}
        for n, (name, task, prompt, seconds, seed) in enumerate(GENERATED_SHOTS):
            progress(n, len(GENERATED_SHOTS), f"adding the {name} shot")
            if name in ids:
                continue
            extra: dict = {}
            if task == "image":
                extra["image"] = demo_image(folder / "demo-image.png")
            elif task == "bridge":
                extra["between"] = (ids["text"], ids["image"])
            elif task == "extend":
                extra["source_shot"] = ids["image"]
            ids[name] = add_generated_shot(project, prompt=prompt, task=task, model=MODEL, seconds=seconds,
                                           seed=seed, name=name, **extra)
            project.save()
    finally:
        project.close()
    return bundle


def make_generated_project(folder: Path, *, progress: ProgressFn = no_progress, cancel=None) -> Path:
    """`folder/demo.shotloom` (make_pending_demo) with every pending shot generated by micro-ltx, in
    this process (no queue)."""
    from engine.gen.takes import generate_into_project, pending_shots
    from engine.project import Project

    bundle = make_pending_demo(folder)
    total = len(GENERATED_SHOTS)
    project = Project.open(bundle, writer="shotloom demo")
    try:
        names = {s.id: s.name for s in project.shots()}
        for n, shot_id in enumerate(pending_shots(project)):  # sources before what is made from them
            progress(n, total, f"generating the {names[shot_id]} shot")
            generate_into_project(project, shot_id, cancel=cancel)
        progress(total, total, "generated")
    finally:
        project.close()
    return bundle


def make_demo(folder: Path, *, progress: ProgressFn = no_progress, cancel=None) -> tuple[Path, Path, object]:
    """The generated demo project, checked by the continuity inspector and exported to
    `folder/demo.mp4`: (project, video, the check report)."""
    from engine.analysis.timeline import analyze_project, save_report
    from engine.project import Project
    from engine.render import export

    bundle = make_generated_project(folder, progress=progress, cancel=cancel)
    project = Project.open(bundle)
    report = analyze_project(project, progress=progress, cancel=cancel)
    save_report(project, report)
    video = export(project, folder / "demo.mp4", progress=progress, cancel=cancel)
    return project.path, video, report
