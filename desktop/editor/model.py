"""The editor model: the open project as the views see it, kept up to date edit by edit.

It subscribes to the project facade. After each applied edit it re-reads only the shots the
change record names (and the cheap order and lengths of all shots), rebuilds the render plan from
its shot list, and emits one `Refresh` saying what changed, so that a trim drag step repaints one
card, the timeline and (when its picture changed) the viewer, and nothing else.

Qt-free: the views connect to its events; tests can drive it without a window.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from desktop.editor.events import Event
from desktop.editor.reading import scan
from desktop.editor.transport import Transport


@dataclass(frozen=True)
class Refresh:
    """What one edit (or undo/redo) changed, as the views need it."""

    kind: str
    """The edit's name from the change record ("trim_shot", "composite", …)."""
    rows: frozenset[str] = frozenset()
    """Shots whose own data (length, trim, takes, status, recipe, name…) changed."""
    order: bool = False
    """A shot was inserted, removed or moved: lists are rebuilt."""
    timing: bool = False
    """Some shot starts elsewhere on the timeline, or the timeline's length changed."""
    takes: frozenset[str] = frozenset()
    """Shots whose takes (or active take) changed."""
    audio: bool = False
    markers: bool = False
    """The timeline's markers changed."""
    bin: bool = False
    """The media bin (imported files, loose takes) changed."""
    project: bool = False
    """The project's own settings changed (name, rate, size, fit)."""
    revision: int = 0

    @property
    def everything(self) -> bool:
        return self.order


@dataclass(frozen=True)
class JobState:
    """A shot's generation as the engine reports it (not part of the document)."""

    status: str
    """"queued" | "rendering" | "failed" | "interrupted"."""
    job_id: str
    progress: float = 0.0
    message: str = ""
    eta: str = ""
    preview: str | None = None


class Selection:
    """The selected shots (ids in timeline order); `changed` fires with the new ids."""

    def __init__(self) -> None:
        self.ids: tuple[str, ...] = ()
        self.changed = Event()

    def set(self, ids: list[str] | tuple[str, ...]) -> None:
        ids = tuple(dict.fromkeys(ids))
        if ids != self.ids:
            self.ids = ids
            self.changed.emit(list(ids))

    def retain(self, existing: set[str]) -> None:
        kept = tuple(i for i in self.ids if i in existing)
        if kept != self.ids:
            self.set(kept)


@dataclass
class _State:
    shots: list = field(default_factory=list)
    by_id: dict = field(default_factory=dict)
    audio: list = field(default_factory=list)
    plan: Any = None
    markers: list = field(default_factory=list)
    bin: list = field(default_factory=list)
    settings: tuple = ()


def _placed(info, start: int, index: int):
    """A copy of a ShotInfo at another place on the timeline (dataclasses.replace costs ~10 µs,
    too much for the hundred shots after a trimmed one on every drag step)."""
    moved = object.__new__(type(info))
    moved.__dict__.update(info.__dict__)
    moved.__dict__["start"] = start
    moved.__dict__["index"] = index
    return moved


class EditorModel:
    def __init__(self) -> None:
        self.project: Any = None
        self.transport = Transport()
        self.selection = Selection()
        self.jobs: dict[str, JobState] = {}
        self._state = _State()
        self._unsubscribe = None
        self.opened = Event()  # () another project (or none) is current
        self.changed = Event()  # (Refresh) after each applied edit
        self.jobsChanged = Event()  # (shot ids) the engine's state of these shots changed

    # -- reading -----------------------------------------------------------------------------
    @property
    def shots(self) -> list:
        return self._state.shots

    @property
    def plan(self):
        return self._state.plan

    @property
    def audio(self) -> list:
        return self._state.audio

    @property
    def markers(self) -> list:
        """The timeline's markers (MarkerInfo) in timeline order."""
        return self._state.markers

    @property
    def bin(self) -> list:
        """The media bin's files (BinItemInfo)."""
        return self._state.bin

    def marker(self, marker_id: str):
        return next((m for m in self._state.markers if m.id == marker_id), None)

    def marker_at(self, frame: int):
        return next((m for m in self._state.markers if m.frame == frame), None)

    def shot(self, shot_id: str):
        return self._state.by_id.get(shot_id)

    def shot_at(self, frame: int):
        import bisect

        shots = self._state.shots
        i = bisect.bisect_right([s.start for s in shots], frame) - 1 if shots else -1
        if 0 <= i < len(shots) and shots[i].start <= frame < shots[i].end:
            return shots[i]
        return None

    def selected_shots(self) -> list:
        """The selected shots, or the shot under the playhead when none is selected."""
        if self.selection.ids:
            return [s for s in (self.shot(i) for i in self.selection.ids) if s is not None]
        shot = self.shot_at(self.transport.frame)
        return [shot] if shot is not None else []

    def status(self, shot) -> str:
        """What a card shows: the engine's state while a job is alive, else the document's."""
        job = self.jobs.get(shot.id)
        if job is not None and job.status in ("queued", "rendering", "failed"):
            return job.status
        return shot.status

    # -- project -----------------------------------------------------------------------------
    def set_project(self, project: Any) -> None:
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:  # noqa: BLE001 - an old project going away must not block the new one
                pass
        self._unsubscribe = None
        self.project = project
        self.jobs = {}
        self._reload()
        self.selection.set(())
        if project is not None:
            self.transport.reset(self._state.plan.frames, project.fps)
            self._unsubscribe = project.subscribe(self._on_change)
        else:
            self.transport.reset(0, self.transport.rate)
        self.opened.emit()

    def reload(self) -> None:
        """Read everything again (after the project file changed from outside)."""
        self._reload()
        self.selection.retain(set(self._state.by_id))
        self._after(Refresh("reload", frozenset(self._state.by_id), order=True, timing=True,
                            takes=frozenset(self._state.by_id), audio=True, markers=True, bin=True, project=True))

    def _reload(self) -> None:
        project = self.project
        if project is None:
            self._state = _State()
            return
        shots = project.shots()
        self._state = _State(shots, {s.id: s for s in shots}, project.audio_clips(), None, _markers(project),
                             _bin(project), _settings(project))
        self._state.plan = self._make_plan()

    def _make_plan(self):
        from engine.render.plan import Span, make_plan

        spans, transitions = [], {}
        for shot in self._state.shots:
            spans.append(Span(shot.start, shot.frames, shot.id, shot.name, shot.media_path, shot.source_in))
            if shot.transition_in is not None:
                transitions[shot.id] = (shot.transition_in.kind, shot.transition_in.frames)
        return make_plan(self.project.fps, self.project.size, spans, transitions, getattr(self.project, "fit", "fit"))

    # -- edits -------------------------------------------------------------------------------
    def _on_change(self, change: Any) -> None:
        state = self._state
        settings = _settings(self.project)
        if change.kind == "restore_timeline" or settings[:1] != state.settings[:1]:
            # A new frame rate re-timed every shot, transition, audio clip and marker.
            self._reload()
            self.selection.retain(set(self._state.by_id))
            for gone in set(self.jobs) - set(self._state.by_id):
                del self.jobs[gone]
            self._after(Refresh(change.kind, frozenset(self._state.by_id), order=True, timing=True,
                                takes=frozenset(self._state.by_id), audio=True, markers=True, bin=True,
                                project=True, revision=change.revision))
            return
        touched = set(change.shot_ids)
        found = scan(self.project, touched)
        if any(i not in found.infos and i not in state.by_id for i in found.order):
            self.reload()  # a shot appeared that the change record did not name
            return
        old_order = [s.id for s in state.shots]
        order = found.order != old_order
        # A shot whose length changed without being named is re-read too (never trust a stale view).
        if not order:
            extra = {i for i, n, s in zip(found.order, found.lengths, state.shots) if n != s.frames and i not in touched}
            if extra:
                touched |= extra
                found = scan(self.project, touched)
        shots, by_id = [], {}
        rows, takes = set(), set()
        timing = order
        start = 0
        for index, (shot_id, frames) in enumerate(zip(found.order, found.lengths)):
            info = found.infos.get(shot_id)
            old = state.by_id.get(shot_id)
            if info is None:
                info = old
                if info.start != start or info.index != index:
                    info = _placed(info, start, index)
                    timing = True
            else:
                if old is None or old.frames != info.frames or old.start != info.start:
                    timing = True
                if old is None or old != dataclasses.replace(info, start=old.start, index=old.index):
                    rows.add(shot_id)
                if old is None or old.takes != info.takes or old.take_id != info.take_id:
                    takes.add(shot_id)
            shots.append(info)
            by_id[shot_id] = info
            start += frames
        # Ids that are not shots belong to audio clips, markers or media bin items: read those again
        # (cheap) and say which changed.
        others = bool(touched - set(by_id) - set(state.by_id)) or change.kind in ("composite", "keep_loose_take",
                                                                                   "drop_loose_take")
        audio = markers = in_bin = False
        if others or "audio" in change.kind:
            fresh = self.project.audio_clips()
            audio, state.audio = fresh != state.audio, fresh
        if others or "marker" in change.kind:
            fresh = _markers(self.project)
            markers, state.markers = fresh != state.markers, fresh
        if others or "bin" in change.kind:
            fresh = _bin(self.project)
            in_bin, state.bin = fresh != state.bin, fresh
        in_bin = in_bin or bool(takes) or order or "loose" in change.kind
        project = settings != state.settings
        state.settings = settings
        state.shots, state.by_id = shots, by_id
        state.plan = self._make_plan()
        if order:
            self.selection.retain(set(by_id))
            for gone in set(self.jobs) - set(by_id):
                del self.jobs[gone]
        self._after(Refresh(change.kind, frozenset(rows), order=order, timing=timing, takes=frozenset(takes),
                            audio=audio, markers=markers, bin=in_bin, project=project, revision=change.revision))

    def _after(self, refresh: Refresh) -> None:
        self.transport.rate = self.project.fps
        if refresh.timing or refresh.order:
            self.transport.set_length(self._state.plan.frames)
        self.changed.emit(refresh)

    # -- engine state --------------------------------------------------------------------------
    def set_job(self, shot_id: str, state: JobState | None) -> None:
        if shot_id not in self._state.by_id:
            return
        if state is None:
            if self.jobs.pop(shot_id, None) is None:
                return
        else:
            if self.jobs.get(shot_id) == state:
                return
            self.jobs[shot_id] = state
        self.jobsChanged.emit([shot_id])


def _markers(project: Any) -> list:
    read = getattr(project, "markers", None)
    return list(read()) if callable(read) else []


def _bin(project: Any) -> list:
    read = getattr(project, "bin_items", None)
    return list(read()) if callable(read) else []


def _settings(project: Any) -> tuple:
    """(rate, size, fit, name): the rate first (a change of rate re-times everything)."""
    return (project.fps, tuple(project.size), getattr(project, "fit", "fit"), project.name)
