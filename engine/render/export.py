"""Export the cut as a real video file (or an image sequence, or an OTIO timeline).

Frames stream through: one frame composited while the previous one encodes, memory flat in the
length of the cut. The writer works on a partial beside the target (engine/fsutil) and puts it in
place only when complete, so a cancel, Ctrl-C or a full disk never leaves a partial file under
the name the user asked for; what a killed export left is swept by the next export to that
folder. GIF and PNG hold no sound: the mix goes beside them as a WAV, and a note says where.
`check_output` refuses an output that would overwrite a file the project reads, or anything inside
a bundle.
"""

from __future__ import annotations

import errno
import os
import queue
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import Canceled, MediaError, ShotloomError
from engine.fsutil import sweep_debris
from engine.progress import CancelToken, ProgressFn, no_progress
from engine.render.audio import AudioMixer
from engine.render.compositor import Compositor
from engine.render.plan import RenderPlan, build_plan

if TYPE_CHECKING:
    from engine.project import Project

AUDIO_RATE = 48000
PREFETCH_FRAMES = 4
AUDIO_CHUNK_SECONDS = 1
# Rough bytes per pixel per frame at each preset's quality, for the free-space check.
BYTES_PER_PIXEL = {"h264": 0.05, "h265": 0.03, "prores": 0.7, "vp9": 0.04, "gif": 0.4, "png": 1.6}
EXTENSION_PRESETS = {".mp4": "h264", ".m4v": "h264", ".mov": "prores", ".mkv": "h264", ".webm": "vp9",
                     ".gif": "gif", "": "png"}


def preset_for(out: Path, preset: str | None) -> str:
    """The preset for an output path: the one asked for, or the natural one for its extension."""
    from engine.media import PRESETS

    if preset is None:
        preset = EXTENSION_PRESETS.get(out.suffix.lower())
        if preset is None:
            raise ShotloomError(
                f"{out}: cannot tell the format from the extension '{out.suffix}'; "
                f"use --preset ({', '.join(PRESETS)})"
            )
    if preset not in PRESETS:
        raise ShotloomError(f"unknown preset '{preset}'; choose one of {', '.join(PRESETS)}")
    return preset


def output_path(out: Path, preset: str) -> Path:
    """The final output path: the preset's extension is added when the name has none."""
    from engine.media import PRESETS

    ext = PRESETS[preset].extension
    if ext and not out.suffix:
        return out.with_suffix(ext)
    if ext and out.suffix.lower() != ext and not (preset == "h264" and out.suffix.lower() in (".mkv", ".m4v")):
        raise ShotloomError(f"{out}: the {preset} preset writes {ext} files; name the output '*{ext}'")
    return out


def check_output(project: Project, out: str | Path, preset: str | None = None) -> Path:
    """The path an export of `project` to `out` writes (the preset's extension added), or
    ShotloomError (one line) when writing it would destroy what a project reads: a file this
    project uses (imported media, a take, music, a loose take), reached by any name (symbolic or
    hard links), a folder holding one (an image sequence is published as a whole folder), the
    sound a GIF puts beside it, or anything inside a Shotloom bundle (project.otio, its backup,
    media, cache)."""
    from engine.project.otio_io import TIMELINE_FORMATS

    out = Path(out).expanduser().absolute()
    if out.suffix.lower() in TIMELINE_FORMATS:
        final, written = out, [out]
    else:
        preset = preset_for(out, preset)
        final = output_path(out, preset)
        written = [final, final.with_suffix(".wav")] if preset == "gif" else [final]
    used = _used_files(project)
    for target in written:
        _refuse_overwrite(final, target, used)
    return final


def _refuse_overwrite(final: Path, target: Path, used: list[tuple[Path, str]]) -> None:
    real = Path(os.path.realpath(target))
    for place in (target, real):
        for folder in (place, *place.parents):
            if folder.suffix == ".shotloom" or (folder / "project.otio").is_file():
                raise ShotloomError(f"{final} is inside the Shotloom project {folder}; exports never go into a "
                                    "project bundle — choose an output outside it")
    try:
        st = target.stat()
        node = (st.st_dev, st.st_ino)
    except OSError:
        node = None
    for path, what in used:
        used_real = Path(os.path.realpath(path))
        inside = used_real != real and used_real.is_relative_to(real)
        same = used_real == real or inside
        if not same and node is not None:
            try:
                ust = path.stat()
                same = (ust.st_dev, ust.st_ino) == node
            except OSError:
                pass
        if same:
            where = f"{final} holds" if inside else (f"{final} is" if target == final else f"{target} (its sound) is")
            raise ShotloomError(f"{where} {what} of this project ({path}); exporting there would destroy it — "
                                "choose another output name")


def _used_files(project: Project) -> list[tuple[Path, str]]:
    """Every media file the project reads, with a few words saying what it is for."""
    out: list[tuple[Path, str]] = []
    for shot in project.shots():
        for take in shot.takes:
            if take.path is not None:
                out.append((Path(take.path), f"the media of shot '{shot.name}'"))
    for clip in project.audio_clips():
        out.append((Path(clip.path), "the sound of an audio clip"))
    for loose in project.loose_takes():
        out.append((Path(loose.path), "a kept take"))
    return out


def check_plan(plan: RenderPlan, frame_range: tuple[int, int] | None) -> tuple[int, int]:
    if plan.frames == 0:
        raise ShotloomError("the project has no shots to export; import or add some first")
    if plan.pending:
        names = [f"'{s.name}'" for s in plan.pending[:3]] + ([f"{len(plan.pending) - 3} more"]
                                                             if len(plan.pending) > 3 else [])
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        which = "shot" if len(plan.pending) == 1 else "shots"
        verb, it = ("has", "it") if len(plan.pending) == 1 else ("have", "them")
        raise ShotloomError(f"{which} {listed} {verb} no media yet; generate {it} (shotloom render PROJECT) "
                            f"or remove {it} before exporting")
    for span in plan.spans:
        if not Path(span.media_path).exists():
            raise MediaError(f"{span.media_path}: media of shot '{span.name}' is missing; relink or re-import it")
    start, end = frame_range if frame_range is not None else (0, plan.frames)
    if not 0 <= start < end <= plan.frames:
        raise ShotloomError(
            f"export range {start}..{end} is outside the timeline (0..{plan.frames}); pick frames inside it"
        )
    return start, end


def check_free_space(out: Path, preset: str, size: tuple[int, int], frames: int) -> None:
    need = int(size[0] * size[1] * frames * BYTES_PER_PIXEL[preset]) + 16 * 1024 * 1024
    free = shutil.disk_usage(out.parent).free
    if free < need:
        raise MediaError(
            f"{out.parent}: not enough free disk space for this export "
            f"(about {need / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free); free some space or export elsewhere"
        )


def export(
    project: Project,
    out: str | Path,
    *,
    preset: str | None = None,
    frame_range: tuple[int, int] | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Export the project's cut to `out`; `.otio`, `.xml` (Final Cut Pro XML) and `.edl` write the
    timeline instead of a video. One-line notes for the user (where the sound of a GIF went) are
    appended to `notes`. Refused (check_output) when `out` would overwrite what the project reads."""
    from engine.project.otio_io import TIMELINE_FORMATS, export_timeline

    out = Path(out).expanduser().absolute()
    check_output(project, out, preset)
    if out.suffix.lower() in TIMELINE_FORMATS:
        return export_timeline(project, out)
    return export_plan(
        build_plan(project), out, audio_clips=project.audio_clips(), preset=preset,
        frame_range=frame_range, progress=progress, cancel=cancel, notes=notes,
    )


def export_plan(
    plan: RenderPlan,
    out: Path,
    *,
    audio_clips: Sequence = (),
    preset: str | None = None,
    frame_range: tuple[int, int] | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    notes: list[str] | None = None,
) -> Path:
    from engine.media import VideoWriter

    cancel = cancel or CancelToken()
    preset = preset_for(out, preset)
    out = output_path(out, preset)
    if not out.parent.is_dir():
        raise ShotloomError(f"{out.parent}: the output folder does not exist; create it or choose another")
    start, end = check_plan(plan, frame_range)
    total = end - start
    check_free_space(out, preset, plan.size, total)

    mixer = AudioMixer(plan, audio_clips, sample_rate=AUDIO_RATE)
    with_audio = mixer.has_audio()
    sweep_debris(out.parent)  # what killed exports left here
    writer = VideoWriter(
        out, preset=preset, rate=plan.rate, size=plan.size, audio_rate=AUDIO_RATE if with_audio else None
    )
    frames: queue.Queue = queue.Queue(maxsize=PREFETCH_FRAMES)
    stop = threading.Event()
    producer = threading.Thread(
        target=_composite_frames, args=(plan, start, end, frames, stop, writer.accepts_decoded),
        name="export-compositor", daemon=True,
    )
    producer.start()
    chunk = max(1, int(plan.rate * AUDIO_CHUNK_SECONDS))
    audio_done = start
    try:
        for done in range(total):
            cancel.raise_if_canceled()
            item = frames.get()
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, np.ndarray):
                writer.write(item)
            else:
                writer.write_decoded(item)
            t = start + done
            if with_audio and (t + 1 - audio_done >= chunk or t + 1 == end):
                writer.write_audio(mixer.frames(audio_done, t + 1))
                audio_done = t + 1
            progress(done + 1, total, f"frame {t + 1}/{end}")
        writer.close()
    except BaseException as exc:
        stop.set()
        _drain(frames)
        writer.abort()
        if isinstance(exc, KeyboardInterrupt):
            raise Canceled(f"{out}: export canceled; nothing was written") from None
        if isinstance(exc, Canceled):
            raise Canceled(f"{out}: export canceled; nothing was written") from None
        if _is_disk_full(exc):
            raise MediaError(f"{out.parent}: the disk filled up during the export; free some space and export again") from None
        raise
    finally:
        stop.set()
        _drain(frames)
        producer.join(timeout=5)
    if notes is not None and writer.audio_path is not None and writer.audio_path != out:
        notes.append(f"{out}: the {preset} preset holds no sound; the audio mix is in {writer.audio_path}")
    return out


def _composite_frames(
    plan: RenderPlan, start: int, end: int, frames: queue.Queue, stop: threading.Event, passthrough
) -> None:
    """Producer thread: composites frames ahead of the encoder (PyAV releases the GIL while
    decoding and encoding, so the two overlap). Frames shown unchanged go as decoded frames."""
    try:
        with Compositor(plan) as compositor:
            for t in range(start, end):
                if stop.is_set():
                    return
                recipe = plan.at(t)
                frame = compositor.decoded_frame(recipe)
                if frame is None or not passthrough(frame):
                    frame = compositor.composite(recipe)
                while not stop.is_set():
                    try:
                        frames.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
    except BaseException as exc:  # handed to the encoding thread, which raises it
        frames.put(exc)


def _drain(frames: queue.Queue) -> None:
    try:
        while True:
            frames.get_nowait()
    except queue.Empty:
        pass


def _is_disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc)
