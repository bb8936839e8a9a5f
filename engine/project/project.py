"""The project facade: the only object that changes a project document.

    project = Project.create("film.shotloom", fps=Fraction(24), size=(768, 512))
    undo = project.apply(InsertShot(0, "opening", media_path="clip.mp4"))
    redo = project.apply(undo)          # applying an inverse returns the edit that redoes it
    project.save()

Every applied edit is also a step of the project's history (engine.project.history), saved with
the project: `project.undo()` and `project.redo()` walk it, here or in a later process.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import threading
from collections.abc import Callable, Collection, Hashable
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from engine.errors import EditError, ProjectError
from engine.fsutil import (
    Debris,
    find_debris,
    fsync_dir,
    parse_partial,
    partial_path,
    publish_dir,
    sweep_debris,
    write_text_atomic,
)
from engine.project.document import Document
from engine.project.editing import ShotPlan, apply_edit, kind_of, plan_shots
from engine.project.edits import Edit, InsertShot, TrimShot
from engine.project.history import History, Step, describe
from engine.project.info import AudioClipInfo, BinItemInfo, Change, LooseTakeInfo, MarkerInfo, ShotInfo
from engine.project.lock import LOCK_FILES, ProjectLock
from engine.project.model import SCHEMA_VERSION, new_id, parse_fps
from engine.project.storage import (
    BACKUP_FILE,
    BACKUP_GENERATIONS,
    PROJECT_FILE,
    load_document,
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


class ProjectChangedError(ProjectError):
    """project.otio was replaced by another program since this project was read or saved."""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Project:
    """A Shotloom project bundle `NAME.shotloom/` and its timeline.

    Opened with `writer="program name"`, the project holds the bundle's ownership lock until
    `close()` (one writer per project; see engine.project.lock). A project opened without it
    is for reading; its `save()` takes the lock for the moment of the save. Either way a save
    refuses to replace a project.otio that changed on disk since this object read or wrote it."""

    def __init__(self, doc: Document, path: Path, *, dirty: bool = False, disk_digest: str | None = None,
                 lock: ProjectLock | None = None) -> None:
        self._doc = doc
        self._path = path
        self._revision = 0
        self._dirty = dirty
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()
        self._owner = lock
        self._disk_digest = disk_digest
        self.swept: list[Debris] = []
        """Debris of killed writers removed when this project was opened for writing."""
        self._dependants: dict[str, set[str]] | None = None
        self.history = History(path, disk_digest, by=lock.program if lock is not None else "shotloom")
        """The edit history kept in the bundle (see engine.project.history)."""
        self._uncommitted: list[tuple[Path, Path]] = []
        """Media copied in since the last save: (final, its partial twin); see import_media."""

    # ---- bundle ----------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path | str, *, fps: Fraction | int | str = Fraction(24),
               size: tuple[int, int] = (768, 512), name: str | None = None,
               writer: str | None = None) -> Project:
        """Make a new bundle (`.shotloom` appended when missing) and save it at once. Refuses an
        existing folder that is not empty. With `writer`, the new project keeps its lock."""
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
        lock = ProjectLock(bundle, writer).acquire() if writer else None
        project = cls(doc, bundle, lock=lock)
        project.save()
        return project

    @classmethod
    def open(cls, path: Path | str, *, from_file: Path | str | None = None, writer: str | None = None,
             hint: str = "") -> Project:
        """Open a bundle (or its project.otio). `from_file` reads the document from another file
        (an autosave) while media paths stay relative to the bundle; the project is then dirty.
        `writer` (the program's name, e.g. "shotloom render") takes the bundle's ownership lock
        before reading, or raises ProjectLockedError naming the holder (`hint` is appended to
        that message: what else the user can do); the debris of killed writers is swept then."""
        bundle = _bundle_path(path)
        if not bundle.is_dir():
            raise ProjectError(f"{bundle} is not a Shotloom project folder; check the path")
        lock = ProjectLock(bundle, writer).acquire(hint=hint) if writer else None
        try:
            own = bundle / PROJECT_FILE
            source = Path(from_file).expanduser().absolute() if from_file is not None else own
            digest = _file_digest(own)
            doc = load_document(source, bundle)
            if from_file is not None:
                doc_on_disk = load_document(own, bundle) if lock is not None else None
            else:
                doc_on_disk = doc
            swept = sweep_bundle(bundle, doc_on_disk) if lock is not None else []
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        project = cls(doc, bundle, dirty=from_file is not None, disk_digest=digest, lock=lock)
        project.swept = swept
        if from_file is not None:
            project.history.reset(f"recovered from {Path(from_file).name}")
        return project

    # ---- ownership -------------------------------------------------------------------------------
    @property
    def is_writer(self) -> bool:
        """True while this object holds the bundle's ownership lock."""
        return self._owner is not None and self._owner.held

    @property
    def disk_digest(self) -> str | None:
        """sha256 of project.otio as this object last read or saved it (None: no file yet)."""
        return self._disk_digest

    def close(self) -> None:
        """Give up the ownership lock (the object can still be read). Media copied in since the
        last save is removed (an import that was not saved did not happen)."""
        self.discard_uncommitted()
        if self._owner is not None:
            self._owner.release()
            self._owner = None

    def changed_on_disk(self) -> bool:
        """True when project.otio is no longer what this object last read or saved (False when
        it cannot be read just now: a save reports that itself)."""
        try:
            return _file_digest(self._path / PROJECT_FILE) != self._disk_digest
        except OSError:
            return False

    def save(self) -> None:
        """Atomic save to project.otio; the previous saves are kept as project.otio.bak (the last)
        and .bak.1 … .bak.4, and what happened since the last save is appended to the history.
        Saving an unchanged document with nothing to record writes nothing. Refused
        (ProjectLockedError) while another program owns the bundle, and (ProjectChangedError)
        when project.otio changed on disk since this object read or saved it."""
        with self._lock:
            brief = None
            if not self.is_writer:
                brief = ProjectLock(self._path, "shotloom").acquire(
                    hint="save there, or close it and try again")
            try:
                if self._disk_digest is not None and self.changed_on_disk():
                    raise ProjectChangedError(
                        f"{self._path / PROJECT_FILE} was changed by another program since it was opened; "
                        "reopen the project (your changes are not saved) or save them as a copy")
                text = serialize(self._doc)
                digest = _digest(text.encode("utf-8"))
                unchanged = digest == self._disk_digest
                if unchanged and not self.history.pending:
                    self._dirty = False
                    return
                sweep_debris(self._path)  # a killed save's partial files, cheaply (the bundle's root)
                try:
                    saved = self.history.commit(self._disk_digest, digest)
                except OSError as exc:
                    raise ProjectError(f"could not save {self._path / PROJECT_FILE} (its history: "
                                       f"{exc.strerror or exc}); the previous save is unchanged — free some "
                                       "disk space or check the folder's permissions") from exc
                if not unchanged:
                    write_atomic(self._path / PROJECT_FILE, text, backup=self._path / BACKUP_FILE,
                                 generations=BACKUP_GENERATIONS)
                saved()
                self._disk_digest = digest
                self._dirty = False
                self._commit_copies()
            finally:
                if brief is not None:
                    brief.release()

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

    def save_copy(self, path: Path | str) -> Path:
        """Save As: a new bundle at `path` (`.shotloom` appended when missing) holding the current
        document and the bundle's media (not its cache, backup or lock), built under a partial
        name and published whole. Refuses an existing path. This project is left as it is."""
        target = Path(path).expanduser().absolute()
        if target.suffix != SUFFIX:
            target = target.with_name(target.name + SUFFIX)
        return copy_bundle(self._path, target, self.serialize())

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
    def fit(self) -> str:
        """How media of another shape fills the frame: "fit" (letterbox) or "fill" (crop)."""
        return self._doc.meta.fit

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

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def generated_dir(self, take_id: str) -> Path:
        """`media/generated/<take-id>/` (created), where a generated take's files go."""
        if not take_id or "/" in take_id or "\\" in take_id or take_id in (".", ".."):
            raise ProjectError(f"take id {take_id!r} cannot name a folder; use a UUID")
        folder = bundle_folder(self._path, "media/generated") / take_id
        folder.mkdir(exist_ok=True)
        return folder

    # ---- reading -----------------------------------------------------------------------------------
    def shots(self, ids: Collection[str] | None = None) -> list[ShotInfo]:
        """Every shot in timeline order, or only those with these ids (still in timeline order;
        ids of shots that no longer exist are left out): an editor refreshing what an edit
        touched reads only that."""
        with self._lock:
            return self._doc.shot_infos(None if ids is None else set(ids))

    def outline(self) -> list[tuple[str, int]]:
        """(shot id, visible frames) of every shot in timeline order, without building ShotInfos."""
        with self._lock:
            return self._doc.outline()

    def shot(self, shot_id: str) -> ShotInfo:
        for info in self.shots({shot_id}):
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

    def markers(self) -> list[MarkerInfo]:
        """The timeline's markers in timeline order."""
        with self._lock:
            return [self._doc.marker_info(m) for m in self._doc.markers()]

    def bin_items(self) -> list[BinItemInfo]:
        """The media bin: imported files kept in the project whether or not a shot uses them."""
        with self._lock:
            return self._doc.bin_infos()

    def loose_takes(self) -> list[LooseTakeInfo]:
        """Finished takes whose shot was deleted before they arrived (kept, never dropped)."""
        with self._lock:
            return self._doc.loose_infos()

    def dependants(self, shot_id: str) -> list[str]:
        """Ids of the shots generated from `shot_id`, directly or through others (they go stale
        when it changes)."""
        with self._lock:
            return sorted(self._closure({shot_id}) - {shot_id})

    def _closure(self, ids: set[str]) -> set[str]:
        if self._dependants is None:
            self._dependants = self._doc.dependants()
        out, todo = set(ids), list(ids)
        while todo:
            for dep in self._dependants.get(todo.pop(), ()):
                if dep not in out:
                    out.add(dep)
                    todo.append(dep)
        return out

    def problems(self) -> list[str]:
        """Broken invariants of the document (always [] unless something is badly wrong)."""
        with self._lock:
            return self._doc.problems()

    # ---- editing -----------------------------------------------------------------------------------
    def apply(self, edit: Edit, *, label: str | None = None, merge_key: Hashable | None = None) -> Edit:
        """Validate and apply `edit`; return its exact inverse. EditError changes nothing. The edit
        becomes a new step of the history (`label` names it there; by default it is described);
        with `merge_key`, it joins the last step when that has the same key and nothing was
        undone since (the editor's drags: one step per gesture)."""
        if not isinstance(edit, Edit):
            raise EditError(f"{edit!r} is not an edit")
        with self._lock:
            text = label or describe(edit, self._shot_name)
            inverse, change = self._change(edit)
            self.history.record(edit, inverse, text, merge_key=merge_key)
        self._notify(change)
        return inverse

    def undo(self) -> Step:
        """Revert the last step of the history (this session's or a saved one); returns it.
        EditError when there is none (the message says why) or the document refuses it."""
        return self._walk(undo=True)

    def redo(self) -> Step:
        """Apply again the last undone step; returns it. EditError when there is none."""
        return self._walk(undo=False)

    def _walk(self, *, undo: bool) -> Step:
        with self._lock:
            step = self.history.undo_step() if undo else self.history.redo_step()
            if step is None:
                why = self.history.empty_reason() if undo else "no step was undone since the last edit"
                raise EditError(f"nothing to {'undo' if undo else 'redo'} in {self._path.name}: {why}")
            back, change = self._change(step.undo if undo else step.do)
            (self.history.undone if undo else self.history.redone)(step, back)
        self._notify(change)
        return step

    def _shot_name(self, shot_id: str) -> str:
        for slot in self._doc.slots():
            if self._doc.item_id(slot.clip) == shot_id:
                return slot.clip.name
        return shot_id[:8]

    def _change(self, edit: Edit) -> tuple[Edit, Change]:
        """Apply an edit to the document (the caller holds the lock); its inverse and change record."""
        with self._lock:
            inverse, touched = apply_edit(self._doc, edit)
            self._revision += 1
            self._dirty = True
            if not isinstance(edit, TrimShot):
                self._dependants = None  # a take, a shot or their order changed (a trim changes none)
            # Shots generated from a touched shot change status (stale) with it.
            touched = self._closure(set(touched))
            change = Change(kind=kind_of(edit), shot_ids=tuple(sorted(touched)), revision=self._revision)
        return inverse, change

    def _notify(self, change: Change) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        errors = []
        for fn in subscribers:
            try:
                fn(change)
            except Exception as exc:  # noqa: BLE001 — one broken listener must not hide the change from others
                errors.append(exc)
        if errors:
            raise errors[0]

    def plan_shots(self, index: int, items: list[InsertShot | otio.schema.Clip],
                   mixes: dict[int, tuple[str, int, int]] | None = None,
                   progress: Callable[[int, int, str], None] | None = None,
                   notes: dict[int, str] | None = None) -> ShotPlan:
        """Check many new shots at once (an import) and make the one edit that inserts those that
        pass (see engine.project.editing.plan_shots); nothing changes until it is applied."""
        with self._lock:
            return plan_shots(self._doc, index, items, mixes, progress, notes)

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
        a copy under media/imported/ when copy=True, else the original (imported by reference).

        A copy is part of the project from the next save() on: until then its partial twin (a
        hard link) names this process, so if the process dies first the next writer removes the
        copy with it, and close() or discard_uncommitted() remove it at once."""
        src = Path(path).expanduser().absolute()
        if not src.is_file():
            raise ProjectError(f"media file {src} not found; check the path")
        _check_media(src)
        if not copy or src.resolve().is_relative_to(self._path.resolve()):
            return src
        folder = bundle_folder(self._path, "media/imported")
        dst = folder / src.name
        n = 1
        while dst.exists() or dst.is_symlink():
            dst = folder / f"{src.stem}-{n}{src.suffix}"
            n += 1
        from engine.fsutil import copy_file_atomic

        twin = partial_path(dst)
        try:
            copy_file_atomic(src, twin)
            try:
                os.link(twin, dst)
            except FileExistsError:
                raise  # another program took the name meanwhile: never replace its file
            except OSError:  # no hard links here (FAT, some network disks): committed at once
                os.replace(twin, dst)
                fsync_dir(folder)
                return dst
        except OSError as exc:
            with contextlib.suppress(OSError):
                twin.unlink()
            raise ProjectError(f"cannot copy {src} into {folder} ({exc.strerror or exc}); "
                               "free some disk space") from None
        fsync_dir(folder)
        self._uncommitted.append((dst, twin))
        return dst

    def uncommitted_media(self) -> list[Path]:
        """Media copied in since the last save (removed unless the project is saved)."""
        return [dst for dst, _ in self._uncommitted]

    def discard_uncommitted(self) -> None:
        """Remove the media copied in since the last save (an import that is given up)."""
        for dst, twin in self._uncommitted:
            for p in (dst, twin):
                with contextlib.suppress(OSError):
                    p.unlink()
        self._uncommitted.clear()

    def _commit_copies(self) -> None:
        for _, twin in self._uncommitted:
            with contextlib.suppress(OSError):
                twin.unlink()
        self._uncommitted.clear()


def _file_digest(path: Path) -> str | None:
    """sha256 of a file's bytes; None when it does not exist (other read errors raise OSError)."""
    try:
        return _digest(path.read_bytes())
    except FileNotFoundError:
        return None


def bundle_folder(bundle: Path, rel: str) -> Path:
    """`bundle/rel` as real folders inside the bundle (created). Shotloom never writes through a
    link: a component that is a symlink is replaced by a real, empty folder (the link's target is
    left alone) and anything else in the way is refused with ProjectError."""
    root = Path(bundle)
    current = root
    for part in Path(rel).parts:
        current = current / part
        if current.is_symlink():
            current.unlink()
        try:
            current.mkdir(exist_ok=True)
        except FileExistsError:
            raise ProjectError(f"{current} is a file where Shotloom keeps a folder; move it away") from None
        except OSError as exc:
            raise ProjectError(f"cannot create {current} ({exc.strerror or exc}); check the folder") from None
    return current


def _repair_folders(bundle: Path) -> list[Debris]:
    """The bundle's own folders as real folders inside it: links (to anywhere) are replaced."""
    replaced = []
    for rel in ("media", *BUNDLE_FOLDERS):
        path = bundle / rel
        if path.is_symlink():
            replaced.append(Debris(path, 0))
            bundle_folder(bundle, rel)
    return replaced


def _uncommitted_imports(bundle: Path, doc, dead: list[Debris]) -> list[Debris]:
    """Copies into media/imported whose import never reached a saved project: the final file is a
    hard link of a dead writer's partial twin and project.otio does not refer to it."""
    if doc is None:
        return []
    used = {str(t.path) for s in doc.shot_infos() for t in s.takes} | {str(a.path) for a in doc.audio_infos()}
    out = []
    for item in dead:
        partial = parse_partial(item.path)
        if partial is None or item.path.parent.name != "imported":
            continue
        final = item.path.with_name(partial.final_name)
        try:
            twin = os.path.samefile(final, item.path)
        except OSError:
            continue
        if twin and str(final) not in used:
            out.append(Debris(final, 0))
    return out


def sweep_bundle(bundle: Path, doc=None) -> list[Debris]:
    """Remove what killed writers left in a bundle: partial files and folders of processes that
    are gone, copies of imports that were never saved (with their proxies; needs `doc`, the
    document on disk), empty take folders; the bundle's folders that are links are replaced by
    real ones. The caller holds the bundle's lock. Returns what was removed or replaced."""
    bundle = Path(bundle)
    replaced = _repair_folders(bundle)
    dead = find_debris(bundle, recursive=True)
    copies = _uncommitted_imports(bundle, doc, dead)
    extra = list(copies)
    for item in copies:  # and the proxies built of them
        with contextlib.suppress(Exception):
            from engine.render.proxies import proxy_path

            proxy = proxy_path(bundle, item.path)
            if proxy.is_file():
                extra.append(Debris(proxy, proxy.stat().st_size))
    removed = []
    for item in dead + extra:
        try:
            if item.path.is_dir() and not item.path.is_symlink():
                shutil.rmtree(item.path)
            else:
                item.path.unlink()
        except FileNotFoundError:
            continue
        except OSError:
            continue
        removed.append(item)
    generated = bundle / "media" / "generated"
    if generated.is_dir() and not generated.is_symlink():
        for child in list(generated.iterdir()):
            if child.is_dir() and not child.is_symlink() and not any(child.iterdir()):
                with contextlib.suppress(OSError):
                    child.rmdir()
                    removed.append(Debris(child, 0))
    return replaced + removed


def copy_bundle(source: Path, target: Path, text: str) -> Path:
    """A new bundle `target` with `source`'s media and `text` as its project.otio (Save As, a
    recovered copy): copied into a partial folder beside `target` and published whole, so a kill
    leaves only a partial the next Save As in that folder sweeps. Never copies the cache, the
    backup, the lock or anyone's partial files; refuses an existing `target`."""
    target = Path(target)
    if target.exists() or target.is_symlink():
        raise ProjectError(f"{target} already exists; pick another name")
    if not target.parent.is_dir():
        raise ProjectError(f"folder {target.parent} does not exist; create it first")
    sweep_debris(target.parent)  # Save As copies of killed editors

    def skip(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == Path(source)
        # Hidden entries are session state (the lock, partial files, a queued job's work folder).
        return {n for n in names if n.startswith(".") or n in LOCK_FILES
                or (top and n in ("cache", BACKUP_FILE, PROJECT_FILE))}

    temp = partial_path(target, folder=True)
    try:
        if Path(source).is_dir():
            shutil.copytree(source, temp, ignore=skip, symlinks=True)
        else:
            temp.mkdir()
        for rel in BUNDLE_FOLDERS:
            (temp / rel).mkdir(parents=True, exist_ok=True)
        write_text_atomic(temp / PROJECT_FILE, text)
        publish_dir(temp, target)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise ProjectError(f"{target}: could not be written ({exc.strerror or exc}); "
                           "free some space or check the folder's permissions") from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return target


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
