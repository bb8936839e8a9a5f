"""Importing a media file as a shot: one home for the command line, the editor and scripts.

`import_as_shot` probes the file once, in a child process (a broken file can crash FFmpeg); the
probe decodes it all, so the length it measures is the length a decode reaches. The shot's
length at the project's rate comes from that probe, with no second read; a still gets
STILL_SECONDS everywhere. It returns the InsertShot edit that adds the shot, with the probe and its
warnings (damaged frames, a file cut short, lost sound). Nothing changes in the project until the
caller applies the edit, so a file either becomes a shot or leaves no trace: `discard()` removes
the copy made for the bundle when the edit is not applied.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ShotloomError
from engine.project.edits import InsertShot

if TYPE_CHECKING:
    from engine.media import MediaInfo
    from engine.progress import CancelToken, ProgressFn
    from engine.project import Project

STILL_SECONDS = 3
"""How long a still image is shown when it becomes a shot."""


def still_frames(fps: Fraction) -> int:
    return max(1, round(Fraction(fps) * STILL_SECONDS))


@dataclass(frozen=True)
class ImportedShot:
    """A file ready to become a shot: apply `edit` to add it."""

    edit: InsertShot
    info: MediaInfo
    warnings: tuple[str, ...]
    media_path: Path
    """What the shot refers to: the copy in the bundle, or the file itself."""
    copied: bool

    def discard(self) -> None:
        """The edit will not be applied: remove the copy made for it (the user's file stays)."""
        if self.copied:
            with contextlib.suppress(OSError):
                self.media_path.unlink()


def import_as_shot(project: Project, path: Path | str, *, index: int | None = None, name: str | None = None,
                   copy: bool = False, progress: ProgressFn | None = None,
                   cancel: CancelToken | None = None) -> ImportedShot:
    """Probe `path` once (in a child process) and build the edit that adds it as a shot at
    `index` (default: the end), named `name` (default: the file's stem). `copy` copies the file
    into the bundle's media/imported/ instead of referring to it. A ShotloomError names the file
    when it cannot become a shot; then nothing was changed or left behind."""
    from engine.media import probe_isolated
    from engine.media.info import remember
    from engine.media.scan import remember_copy
    from engine.project.media_length import media_length

    path = Path(path).expanduser().absolute()
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not found"
        raise ShotloomError(f"{path}: {what}; import video or image files")
    info = probe_isolated(path, progress=progress, cancel=cancel)
    if not info.has_video:
        raise ShotloomError(f"{path}: has no picture; import a video or image file "
                            "(sound goes on the audio track: shotloom audio add)")
    fps = Fraction(project.fps)
    ref = Path(project.import_media(path, copy=copy))  # the probe above is remembered: no new child
    copied = ref != path
    if copied:  # a byte-for-byte copy: it has the original's probe and scan
        remember(info.model_copy(update={"path": str(ref)}))
        remember_copy(path, ref)
    try:
        if info.is_image:
            frames = still_frames(fps)
        else:
            frames = info.frames_at(fps)
            # Never longer than the document will measure the media (its own rule, same probe).
            stored = media_length(ref, fps)
            if stored is not None:
                frames = min(frames, stored)
        if frames < 1:
            raise ShotloomError(f"{path}: is shorter than one frame at {fps} fps; pick a longer clip")
        edit = InsertShot(index=len(project.shots()) if index is None else index, name=name or path.stem,
                          media_path=ref, frames=frames, kind="imported")
    except BaseException:
        if copied:
            with contextlib.suppress(OSError):
                ref.unlink()
        raise
    return ImportedShot(edit, info, tuple(info.warnings), ref, copied)


__all__ = ["STILL_SECONDS", "ImportedShot", "import_as_shot", "still_frames"]
