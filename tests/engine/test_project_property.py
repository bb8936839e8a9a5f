"""Random edit sequences (hypothesis): every accepted edit keeps the document sound, every refused
edit changes nothing, and applying the inverses in reverse restores the identical document."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import EditError
from engine.media.synthetic import make_test_clip
from engine.project import (
    AddAudioClip,
    AddMarker,
    AddTake,
    ClearTransition,
    Composite,
    InsertShot,
    MoveShot,
    Project,
    RemoveAudioClip,
    RemoveMarker,
    RemoveShot,
    RemoveTake,
    RenameShot,
    SetActiveTake,
    SetMarker,
    SetNotes,
    SetProjectFormat,
    SetRecipe,
    SetShotStatus,
    SetTransition,
    SplitShot,
    TrimShot,
)

_counter = itertools.count()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prop")
    clips = [make_test_clip(folder / f"c{i}.mp4", frames=n, size=(64, 48), gop=4, seed=i)
             for i, n in enumerate((30, 45))]
    sound = make_test_clip(folder / "s.mp4", frames=40, size=(64, 48), audio=True)
    return folder, clips, sound


def check_sound(project: Project) -> None:
    """The invariants, computed here from the public views (not trusting problems())."""
    assert project.problems() == []
    shots = project.shots()
    pos = 0
    seen: set[str] = set()
    for i, s in enumerate(shots):
        assert s.index == i and s.start == pos and s.frames >= 1 and s.source_in >= 0
        if s.source_frames is not None:
            assert s.source_in + s.frames <= s.source_frames
        if s.transition_in is not None:
            length = s.transition_in.frames
            assert i > 0 and 1 <= length <= shots[i - 1].frames and s.source_in >= length
            assert s.transition_in.id not in seen
            seen.add(s.transition_in.id)
        assert s.id not in seen
        seen.add(s.id)
        pos += s.frames
    assert project.duration == pos
    end = 0
    for clip in project.audio_clips():
        assert clip.start >= end and clip.frames >= 1 and clip.id not in seen
        seen.add(clip.id)
        end = clip.start + clip.frames


def random_edit(data, project: Project, clips, sound, depth: int = 0):
    shots = project.shots()
    audio = project.audio_clips()
    small = st.integers(-12, 40)
    choices = ["insert_pending", "insert_media"]
    if shots:
        choices += ["remove", "move", "trim", "trim", "split", "transition", "transition", "clear",
                    "take", "active", "recipe", "notes", "rename", "status", "remove_take"]
    choices += ["audio"] + (["remove_audio"] if audio else [])
    markers = project.markers()
    choices += ["marker", "format"] + (["set_marker", "remove_marker"] if markers else [])
    if depth == 0:
        choices.append("composite")
    kind = data.draw(st.sampled_from(choices))
    pick = (lambda: data.draw(st.sampled_from(shots))) if shots else None
    index = st.integers(-1, len(shots) + 1)
    if kind == "insert_pending":
        return InsertShot(data.draw(index), "p", frames=data.draw(st.integers(0, 30)),
                          recipe={"prompt": data.draw(st.sampled_from(["fox", "owl"]))})
    if kind == "insert_media":
        return InsertShot(data.draw(index), "m", media_path=data.draw(st.sampled_from(clips)),
                          source_in=data.draw(st.integers(-2, 20)),
                          frames=data.draw(st.none() | st.integers(0, 45)))
    if kind == "remove":
        return RemoveShot(pick().id)
    if kind == "move":
        return MoveShot(pick().id, data.draw(index))
    if kind == "trim":
        return TrimShot(pick().id, data.draw(st.sampled_from(["in", "out"])), data.draw(small) - 14)
    if kind == "split":
        return SplitShot(pick().id, data.draw(st.integers(0, 30)))
    if kind == "transition":
        return SetTransition(pick().id, data.draw(st.sampled_from(["crossfade", "dip_black", "dip_white", "cut"])),
                             data.draw(st.integers(0, 20)))
    if kind == "clear":
        return ClearTransition(pick().id)
    if kind == "take":
        return AddTake(pick().id, f"t{next(_counter)}", data.draw(st.sampled_from(clips)), kind="imported",
                       activate=data.draw(st.booleans()))
    if kind == "active":
        shot = pick()
        options = [None] + [t.id for t in shot.takes]
        return SetActiveTake(shot.id, data.draw(st.sampled_from(options)))
    if kind == "remove_take":
        shot = pick()
        return RemoveTake(shot.id, data.draw(st.sampled_from([t.id for t in shot.takes] + ["x"])))
    if kind == "recipe":
        return SetRecipe(pick().id, data.draw(st.none() | st.fixed_dictionaries({"prompt": st.text(max_size=5)})))
    if kind == "notes":
        return SetNotes(pick().id, data.draw(st.text(max_size=8)))
    if kind == "rename":
        return RenameShot(pick().id, data.draw(st.text(max_size=6)))
    if kind == "status":
        return SetShotStatus(pick().id, data.draw(st.sampled_from([None, "stale", "ready", "bogus"])))
    if kind == "audio":
        return AddAudioClip(sound, data.draw(st.integers(-2, 80)), data.draw(st.integers(0, 30)),
                            source_in=data.draw(st.integers(0, 15)))
    if kind == "remove_audio":
        return RemoveAudioClip(data.draw(st.sampled_from(audio)).id)
    if kind == "marker":
        return AddMarker(data.draw(st.integers(-2, 120)), data.draw(st.text(max_size=4)),
                         data.draw(st.sampled_from(["red", "GREEN", "mauve"])), frames=data.draw(st.integers(-1, 9)))
    if kind == "set_marker":
        return SetMarker(data.draw(st.sampled_from(markers)).id, frame=data.draw(st.none() | st.integers(-1, 120)),
                         name=data.draw(st.none() | st.text(max_size=4)))
    if kind == "remove_marker":
        return RemoveMarker(data.draw(st.sampled_from(markers)).id)
    if kind == "format":
        return SetProjectFormat(fps=data.draw(st.none() | st.sampled_from([24, 25, "30000/1001", 60, 12])),
                                size=data.draw(st.none() | st.sampled_from([(32, 32), (48, 32), (33, 32)])))
    n = data.draw(st.integers(1, 3))
    return Composite([random_edit(data, project, clips, sound, depth + 1) for _ in range(n)])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data())
def test_random_edits_undo_exactly(env, data):
    folder, clips, sound = env
    fps = data.draw(st.sampled_from([Fraction(24), Fraction(25), Fraction(30000, 1001)]))
    project = Project.create(folder / f"p{next(_counter)}", fps=fps, size=(32, 32))
    start = project.serialize()
    inverses = []
    states = [start]
    for _ in range(data.draw(st.integers(1, 25))):
        edit = random_edit(data, project, clips, sound)
        before = project.serialize()
        try:
            inverses.append(project.apply(edit))
        except EditError as exc:
            assert "\n" not in str(exc)
            assert project.serialize() == before
            continue
        check_sound(project)
        states.append(project.serialize())
    for inverse, state in zip(reversed(inverses), reversed(states)):
        assert project.serialize() == state
        project.apply(inverse)
        check_sound(project)
    assert project.serialize() == start
