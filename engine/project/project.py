"""The project facade: the only object that changes a project document.

    project = Project.create("film.shotloom", fps=Fraction(24), size=(768, 512))
    undo = project.apply(InsertShot(0, "opening", media_path="clip.mp4"))
    redo = project.apply(undo)          # applying an inverse returns the edit that redoes it
    project.save()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from engine.errors import EditError, ProjectError
from engine.project.document import Document
from engine.project.editing import apply_edit, kind_of
from engine.project.edits import Edit
from engine.project.info import AudioClipInfo, Change, ShotInfo
from engine.project.model import SCHEMA_VERSION, new_id, parse_fps
from engine.project.storage import (
    BACKUP_FILE,
    PROJECT_FILE,
    copy_into,
    load_document,
    remove_stale_temps,
    serialize,
    write_atomic,
)

SUFFIX = ".shotloom"
BUNDLE_FOLDERS = ("media/imported", "media/generated", "cache")

Subscriber = Callable[[Change], None]


def _bundle_path(path: Path | str) -> Path:
    p = Path(path).expanduser().absolute()
    if p.name == PROJECT_FILE:
        return p.parent
    if not p.exists() and p.suffix != SUFFIX and p.with_name(p.name + SUFFIX).exists():
        return p.with_name(p.name + SUFFIX)
    return p


class Project:
    """A Shotloom project bundle `NAME.shotloom/` and its timeline."""

    def __init__(self, doc: Document, path: Path, *, dirty: bool = False) -> None:
        self._doc = doc
        self._path = path
        self._revision = 0
        self._dirty = dirty
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()

    # ---- bundle ----------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path | str, *, fps: Fraction | int | str = Fraction(24),
               size: tuple[int, int] = (768, 512), name: str | None = None) -> Project:
        """Make a new bundle (`.shotloom` appended when missing) and save it at once. Refuses an
        existing folder that is not empty."""
        bundle = Path(path).expanduser().absolute()
        if bundle.suffix != SUFFIX:
            bundle = bundle.with_name(bundle.name + SUFFIX)
        try:
            rate = parse_fps(fps)
        except ValueError as exc:
            raise ProjectError(str(exc)) from None
        if (not isinstance(size, (tuple, list)) or len(size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 16384 for v in size)):
            raise ProjectError(f"project size {size!r} must be two whole numbers like (768, 512)")
        if bundle.exists() and (not bundle.is_dir() or any(bundle.iterdir())):
            raise ProjectError(f"{bundle} already exists and is not an empty folder; pick another name")
        title = name if name is not None else bundle.name[: -len(SUFFIX)]
        doc = Document.new(bundle, project_id=new_id(), name=title, fps=rate,
                           size=(int(size[0]), int(size[1])), schema_version=SCHEMA_VERSION)
        try:
            for folder in BUNDLE_FOLDERS:
                (bundle / folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"cannot create {bundle} ({exc.strerror or exc}); check the folder") from None
        project = cls(doc, bundle)
        project.save()
        return project

    @classmethod
    def open(cls, path: Path | str, *, from_file: Path | str | None = None) -> Project:
        """Open a bundle (or its project.otio). `from_file` reads the document from another file
        (an autosave) while media paths stay relative to the bundle; the project is then dirty."""
        bundle = _bundle_path(path)
        if not bundle.is_dir():
            raise ProjectError(f"{bundle} is not a Shotloom project folder; check the path")
        source = Path(from_file).expanduser().absolute() if from_file is not None else bundle / PROJECT_FILE
        doc = load_document(source, bundle)
        return cls(doc, bundle, dirty=from_file is not None)

    def save(self) -> None:
        """Atomic save to project.otio; the previous save is kept as project.otio.bak."""
        with self._lock:
            remove_stale_temps(self._path)
            write_atomic(self._path / PROJECT_FILE, serialize(self._doc),
                         backup=self._path / BACKUP_FILE)
            self._dirty = False

    def save_to(self, path: Path | str) -> Path:
        """Atomic write of the document to another file (autosave); never over the project's own
        file, and the project stays dirty."""
        target = Path(path).expanduser().absolute()
        own = (self._path / PROJECT_FILE).resolve()
        if target.resolve() == own or target.resolve() == (self._path / BACKUP_FILE).resolve():
            raise ProjectError(f"{target} is the project's own file; use save() to save the project")
        with self._lock:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProjectError(f"cannot create {target.parent} ({exc.strerror or exc})") from None
            write_atomic(target, serialize(self._doc))
        return target

    def serialize(self) -> str:
        """The document as project.otio text (what save writes)."""
        with self._lock:
            return serialize(self._doc)

    # ---- properties --------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self._path

    @property
    def id(self) -> str:
        return self._doc.meta.id

    @property
    def name(self) -> str:
        return self._doc.meta.name

    @property
    def fps(self) -> Fraction:
        return self._doc.fps

    @property
    def size(self) -> tuple[int, int]:
        return self._doc.meta.size

    @property
    def timeline(self) -> otio.schema.Timeline:
        """The OTIO timeline; read it, never change it (use apply)."""
        return self._doc.timeline

    @property
    def duration(self) -> int:
        with self._lock:
            return self._doc.duration()

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def media_dir(self) -> Path:
        return self._path / "media"

    @property
    def cache_dir(self) -> Path:
        return self._path / "cache"

    def generated_dir(self, take_id: str) -> Path:
        """`media/generated/<take-id>/` (created), where a generated take's files go."""
        if not take_id or "/" in take_id or "\\" in take_id or take_id in (".", ".."):
            raise ProjectError(f"take id {take_id!r} cannot name a folder; use a UUID")
        folder = self._path / "media" / "generated" / take_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    # ---- reading -----------------------------------------------------------------------------------
    def shots(self) -> list[ShotInfo]:
        with self._lock:
            return self._doc.shot_infos()

    def shot(self, shot_id: str) -> ShotInfo:
        for info in self.shots():
            if info.id == shot_id:
                return info
        raise EditError(f"no shot with id {shot_id!r} in this project")

    def audio_clips(self) -> list[AudioClipInfo]:
        with self._lock:
            return self._doc.audio_infos()

    def audio_clip(self, clip_id: str) -> AudioClipInfo:
        for info in self.audio_clips():
            if info.id == clip_id:
                return info
        raise EditError(f"no audio clip with id {clip_id!r} in this project")

    def problems(self) -> list[str]:
        """Broken invariants of the document (always [] unless something is badly wrong)."""
        with self._lock:
            return self._doc.problems()

    # ---- editing -----------------------------------------------------------------------------------
    def apply(self, edit: Edit) -> Edit:
        """Validate and apply `edit`; return its exact inverse. EditError changes nothing."""
        if not isinstance(edit, Edit):
            raise EditError(f"{edit!r} is not an edit")
        with self._lock:
            inverse, touched = apply_edit(self._doc, edit)
            self._revision += 1
            self._dirty = True
            change = Change(kind=kind_of(edit), shot_ids=tuple(sorted(touched)), revision=self._revision)
            subscribers = list(self._subscribers)
        errors = []
        for fn in subscribers:
            try:
                fn(change)
            except Exception as exc:  # noqa: BLE001 — one broken listener must not hide the change from others
                errors.append(exc)
        if errors:
            raise errors[0]
        return inverse

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Call fn(Change) after each applied edit; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    # ---- media ---------------------------------------------------------------------------------------
    def import_media(self, path: Path | str, *, copy: bool = False) -> Path:
        """Check a new media file (probed in a child process) and return the path to reference:
        a copy under media/imported/ when copy=True, else the original (imported by reference)."""
        src = Path(path).expanduser().absolute()
        if not src.is_file():
            raise ProjectError(f"media file {src} not found; check the path")
        _check_media(src)
        if not copy or src.resolve().is_relative_to(self._path.resolve()):
            return src
        folder = self._path / "media" / "imported"
        folder.mkdir(parents=True, exist_ok=True)
        dst = folder / src.name
        n = 1
        while dst.exists():
            dst = folder / f"{src.stem}-{n}{src.suffix}"
            n += 1
        try:
            copy_into(src, dst)
        except OSError as exc:
            raise ProjectError(f"cannot copy {src} into {folder} ({exc.strerror or exc}); "
                               "free some disk space") from None
        return dst


def _check_media(path: Path) -> None:
    """Probe and decode the first frame in a child process where the media core offers it
    (a broken file can crash PyAV); otherwise measure it here."""
    try:
        from engine.media import probe_isolated
    except ImportError:
        probe_isolated = None
    if probe_isolated is not None:
        probe_isolated(path)
        return
    from engine.project.media_length import media_length

    try:
        media_length(path, Fraction(24))
    except EditError as exc:
        raise ProjectError(str(exc)) from None
