"""Each edit: applies, its inverse restores the identical document (and the inverse of the inverse
redoes it exactly), bad input raises EditError and leaves the document byte-for-byte unchanged."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from engine.errors import EditError
from engine.media.synthetic import make_test_clip
from engine.project import (
    AddAudioClip,
    AddTake,
    Change,
    ClearTransition,
    Composite,
    InsertShot,
    MoveShot,
    Project,
    RemoveAudioClip,
    RemoveShot,
    RemoveTake,
    RenameShot,
    SetActiveTake,
    SetNotes,
    SetRecipe,
    SetShotStatus,
    SetTransition,
    SplitShot,
    TrimShot,
)

FRAMES = 48


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    return {
        "a": make_test_clip(folder / "a.mp4", frames=FRAMES, size=(64, 48)),
        "b": make_test_clip(folder / "b.mp4", frames=FRAMES, size=(64, 48), seed=1),
        "short": make_test_clip(folder / "short.mp4", frames=12, size=(64, 48), seed=2),
        "sound": make_test_clip(folder / "sound.mp4", frames=FRAMES, size=(64, 48), audio=True, seed=3),
        "still": make_test_clip(folder / "still.png", frames=1, size=(64, 48)),
    }


@pytest.fixture
def project(tmp_path, media) -> Project:
    """Three imported shots of 48 frames, shown 40 frames each from source frame 4."""
    p = Project.create(tmp_path / "film", fps=Fraction(24), size=(64, 48))
    for i, key in enumerate(["a", "b", "a"]):
        p.apply(InsertShot(i, f"shot{i}", media_path=media[key], source_in=4, frames=40))
    return p


def roundtrip(project: Project, edit) -> object:
    """Apply edit; check invariants, undo (identical text), redo (identical text), undo again."""
    before = project.serialize()
    inverse = project.apply(edit)
    assert project.problems() == []
    after = project.serialize()
    assert after != before
    redo = project.apply(inverse)
    assert project.serialize() == before
    again = project.apply(redo)
    assert project.serialize() == after
    project.apply(again)
    assert project.serialize() == before
    return project.apply(redo)


def refused(project: Project, edit, words: str) -> None:
    before, revision = project.serialize(), project.revision
    with pytest.raises(EditError) as info:
        project.apply(edit)
    message = str(info.value)
    assert "\n" not in message and words in message
    assert project.serialize() == before and project.revision == revision


def ids(project: Project) -> list[str]:
    return [s.id for s in project.shots()]


def test_create_makes_a_saved_bundle(tmp_path):
    p = Project.create(tmp_path / "film", fps=Fraction(30000, 1001), size=(640, 360))
    assert p.path == tmp_path / "film.shotloom"
    for sub in ("project.otio", "media/imported", "media/generated", "cache"):
        assert (p.path / sub).exists()
    assert (p.fps, p.size, p.name, p.duration, p.dirty) == (Fraction(30000, 1001), (640, 360), "film", 0, False)
    assert Project.open(p.path).id == p.id


def test_insert_shots_lay_out_in_order(project, media):
    shots = project.shots()
    assert [(s.index, s.name, s.start, s.frames, s.source_in) for s in shots] == [
        (0, "shot0", 0, 40, 4), (1, "shot1", 40, 40, 4), (2, "shot2", 80, 40, 4)]
    assert project.duration == 120
    s = shots[1]
    assert s.status == "ready" and s.media_path == media["b"] and s.source_frames == FRAMES
    assert s.takes[0].kind == "imported" and s.takes[0].active and s.takes[0].by_reference
    assert s.take_id == s.takes[0].id and s.transition_in is None and s.recipe is None
    assert len(set(ids(project))) == 3


def test_insert_whole_media_and_pending_shot(project, media):
    roundtrip(project, InsertShot(1, "whole", media_path=media["short"]))
    whole = project.shots()[1]
    assert (whole.source_in, whole.frames, whole.start) == (0, 12, 40)
    roundtrip(project, InsertShot(0, "dream", frames=25, recipe={"prompt": "a fox", "seed": 3},
                                  shot_id="pending-1"))
    pending = project.shot("pending-1")
    assert (pending.status, pending.media_path, pending.take_id, pending.frames) == ("pending", None, None, 25)
    assert pending.recipe == {"prompt": "a fox", "seed": 3} and pending.source_frames is None
    assert [s.start for s in project.shots()][:3] == [0, 25, 65]


def test_insert_refuses_bad_input(project, media, tmp_path):
    refused(project, InsertShot(9, "x", media_path=media["a"]), "outside 0..3")
    refused(project, InsertShot(0, "x", media_path=tmp_path / "nope.mp4"), "not found")
    refused(project, InsertShot(0, "x", media_path=media["a"], source_in=40, frames=10), "has 48 frames")
    refused(project, InsertShot(0, "x", media_path=media["a"], frames=0), "at least 1 frame")
    refused(project, InsertShot(0, "x", frames=None), "needs a length")
    refused(project, InsertShot(0, "x", media_path=media["still"]), "still image")
    refused(project, InsertShot(0, "x", media_path=media["a"], shot_id=ids(project)[0]), "already used")
    refused(project, InsertShot(0, "x", media_path=media["a"], kind="generated"), "outside the project")
    refused(project, InsertShot(0, "x", frames=10, recipe={"bad": object()}), "plain JSON")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00not a video" * 100)
    refused(project, InsertShot(0, "x", media_path=garbage), "garbage.mp4")


def test_still_image_shot_takes_any_length(project, media):
    roundtrip(project, InsertShot(3, "card", media_path=media["still"], frames=72))
    card = project.shots()[3]
    assert (card.frames, card.source_frames, card.status) == (72, None, "ready")


def test_remove_shot_restores_everything(project):
    a, b, c = ids(project)
    project.apply(SetTransition(b, "crossfade", 4))
    project.apply(SetNotes(b, "keep the fox"))
    roundtrip(project, RemoveShot(b))
    assert ids(project) == [a, c]
    refused(project, RemoveShot("nope"), "no shot with id")


def test_remove_first_shot_turns_following_transition_into_cut(project):
    a, b, _ = ids(project)
    project.apply(SetTransition(b, "crossfade", 6))
    before = project.serialize()
    inverse = project.apply(RemoveShot(a))
    first = project.shots()[0]
    assert first.id == b and first.transition_in is None and (first.source_in, first.frames) == (4, 40)
    assert project.problems() == []
    project.apply(inverse)
    assert project.serialize() == before


def test_move_shot(project):
    a, b, c = ids(project)
    roundtrip(project, MoveShot(c, 0))
    assert ids(project) == [c, a, b]
    assert [s.start for s in project.shots()] == [0, 40, 80]
    refused(project, MoveShot(a, 3), "outside 0..2")


def test_move_keeps_a_fitting_transition_and_drops_one_at_the_start(project):
    _, _, c = ids(project)
    project.apply(SetTransition(c, "dip_black", 5))
    roundtrip(project, MoveShot(c, 1))
    moved = project.shot(c)
    assert moved.index == 1 and moved.transition_in.kind == "dip_black"
    before = project.serialize()
    inverse = project.apply(MoveShot(c, 0))
    assert project.shot(c).transition_in is None and project.shot(c).source_in == 4
    project.apply(inverse)
    assert project.serialize() == before


def test_trim_in_and_out(project):
    _, b, c = ids(project)
    roundtrip(project, TrimShot(b, "in", 3))
    shot = project.shot(b)
    assert (shot.source_in, shot.frames, project.shot(c).start) == (7, 37, 77)
    roundtrip(project, TrimShot(b, "in", -4))
    assert (project.shot(b).source_in, project.shot(b).frames) == (3, 41)
    roundtrip(project, TrimShot(b, "out", 4))
    assert project.shot(b).frames == 45
    refused(project, TrimShot(b, "in", -5), "before its media begins")
    refused(project, TrimShot(b, "out", 5), "has 48 frames")
    refused(project, TrimShot(b, "in", 45), "at least 1 frame")
    refused(project, TrimShot(b, "sideways", 1), "'in' or 'out'")
    refused(project, TrimShot(b, "in", 1.5), "whole number")


def test_trim_respects_transitions(project):
    _, b, c = ids(project)
    project.apply(SetTransition(b, "crossfade", 6))  # b: source_in 10, 34 frames
    project.apply(SetTransition(c, "crossfade", 20))  # needs 20 frames of b
    refused(project, TrimShot(b, "in", -5), "needs its in-point")
    refused(project, TrimShot(b, "out", -15), "at least 20 frames")
    roundtrip(project, TrimShot(b, "out", -14))


def test_split_shot(project):
    a, b, c = ids(project)
    roundtrip(project, SplitShot(b, 15, new_shot_id="right"))
    left, right = project.shot(b), project.shot("right")
    assert (left.source_in, left.frames, right.source_in, right.frames, right.start) == (4, 15, 19, 25, 55)
    assert right.takes == left.takes and right.index == 2
    refused(project, SplitShot(a, 0), "must be inside")
    refused(project, SplitShot(a, 40), "must be inside")
    refused(project, SplitShot(a, 10, new_shot_id=c), "already used")


def test_split_refuses_to_starve_the_next_transition(project):
    a, b, _ = ids(project)
    project.apply(SetTransition(b, "crossfade", 10))
    refused(project, SplitShot(a, 35), "frames after the split point")
    roundtrip(project, SplitShot(a, 30))


def test_set_and_clear_transition(project):
    a, b, _ = ids(project)
    roundtrip(project, SetTransition(b, "crossfade", 4))
    shot = project.shot(b)
    assert shot.transition_in.kind == "crossfade" and shot.transition_in.frames == 4
    assert (shot.source_in, shot.frames, shot.start, project.duration) == (8, 36, 40, 116)
    roundtrip(project, SetTransition(b, "dip_white", 2))
    assert (project.shot(b).source_in, project.shot(b).transition_in.kind) == (6, "dip_white")
    roundtrip(project, ClearTransition(b))
    assert (project.shot(b).source_in, project.shot(b).frames, project.shot(b).transition_in) == (4, 40, None)
    refused(project, ClearTransition(b), "no transition")
    refused(project, SetTransition(a, "crossfade", 4), "first shot")
    refused(project, SetTransition(b, "wipe", 4), "must be one of")
    refused(project, SetTransition(b, "crossfade", 0), "at least 1 frame")
    refused(project, SetTransition(b, "crossfade", 41), "needs at least 42")
    refused(project, SetTransition(b, "crossfade", 40), "needs at least 41")
    undo = project.apply(TrimShot(a, "out", -30))
    refused(project, SetTransition(b, "crossfade", 11), "at most that long")
    project.apply(undo)


def test_transition_is_valid_otio_overlap(project):
    import opentimelineio as otio

    _, b, _ = ids(project)
    project.apply(SetTransition(b, "crossfade", 4))
    track = project.timeline.tracks[0]
    tr = track[1]
    assert isinstance(tr, otio.schema.Transition) and tr.in_offset.value == 4 and tr.out_offset.value == 0
    clip_b = track[2]
    # B's handle: OTIO sees its media visible from 4 frames before the cut.
    assert clip_b.visible_range().start_time.value == 4
    assert clip_b.range_in_parent().start_time.value == 40


def test_takes(project, media):
    _, b, _ = ids(project)
    gen_dir = project.generated_dir("take-2")
    master = make_test_clip(gen_dir / "master.mp4", frames=FRAMES, size=(64, 48), seed=5)
    roundtrip(project, AddTake(b, "take-2", master, recipe={"prompt": "p"}))
    shot = project.shot(b)
    assert shot.take_id == "take-2" and shot.media_path == master and len(shot.takes) == 2
    new = next(t for t in shot.takes if t.id == "take-2")
    assert new.kind == "generated" and not new.by_reference and new.recipe == {"prompt": "p"}
    first = next(t for t in shot.takes if t.id != "take-2").id
    roundtrip(project, SetActiveTake(b, first))
    assert project.shot(b).media_path == media["b"]
    roundtrip(project, RemoveTake(b, "take-2"))
    refused(project, RemoveTake(b, first), "active take")
    refused(project, AddTake(b, "take-x", media["a"]), "outside the project")
    refused(project, AddTake(b, "take-y", media["short"], kind="imported"), "trim the shot first")
    refused(project, AddTake(b, first, master), "already has a take")
    refused(project, AddTake(b, "t9", None), "must be a file path")
    refused(project, SetActiveTake(b, "nope"), "no take")
    refused(project, SetActiveTake(b, None), "no recipe")
    roundtrip(project, AddTake(b, "short", media["short"], kind="imported", activate=False))


def test_pending_shot_gets_a_take_and_goes_stale_when_recipe_changes(project):
    inverse_insert = project.apply(InsertShot(3, "gen", frames=24, recipe={"prompt": "fox"}, shot_id="g"))
    master = make_test_clip(project.generated_dir("t1") / "master.mp4", frames=25, size=(64, 48))
    roundtrip(project, AddTake("g", "t1", master, recipe={"prompt": "fox"}))
    assert project.shot("g").status == "ready"
    roundtrip(project, SetRecipe("g", {"prompt": "wolf"}))
    assert project.shot("g").status == "stale" and project.shot("g").recipe == {"prompt": "wolf"}
    roundtrip(project, SetActiveTake("g", None))
    assert project.shot("g").status == "pending"
    project.apply(SetActiveTake("g", None))
    refused(project, SetRecipe("g", None), "needs a recipe")
    project.apply(inverse_insert)
    assert "g" not in ids(project)


def test_recipe_notes_and_status(project):
    a, _, _ = ids(project)
    roundtrip(project, SetRecipe(a, {"prompt": "x", "steps": [1, 2, {"k": None}]}))
    assert project.shot(a).recipe == {"prompt": "x", "steps": [1, 2, {"k": None}]}
    roundtrip(project, SetRecipe(a, None))
    roundtrip(project, RenameShot(a, "opening"))
    assert project.shot(a).name == "opening"
    refused(project, RenameShot(a, None), "must be text")
    roundtrip(project, SetNotes(a, "reshoot: too dark"))
    assert project.shot(a).notes == "reshoot: too dark"
    roundtrip(project, SetShotStatus(a, "stale"))
    assert project.shot(a).status == "stale"
    refused(project, SetShotStatus(a, "great"), "must be one of")
    refused(project, SetNotes(a, 5), "must be text")
    refused(project, SetRecipe(a, ["x"]), "dictionary")
    refused(project, SetRecipe(a, {"seed": 2**64}), "too large")


def test_missing_media_shows_as_missing(tmp_path, media):
    import shutil

    copy = tmp_path / "copy.mp4"
    shutil.copy(media["a"], copy)
    p = Project.create(tmp_path / "m", size=(64, 48))
    p.apply(InsertShot(0, "x", media_path=copy))
    copy.unlink()
    assert p.shots()[0].status == "missing"


def test_audio_clips(project, media):
    roundtrip(project, AddAudioClip(media["sound"], 10, 20, source_in=2, gain_db=-6.0, clip_id="m1"))
    roundtrip(project, AddAudioClip(media["sound"], 40, 30, clip_id="m2"))
    clips = project.audio_clips()
    assert [(c.id, c.start, c.frames, c.source_in, c.gain_db, c.kind) for c in clips] == [
        ("m1", 10, 20, 2, -6.0, "music"), ("m2", 40, 30, 0, 0.0, "music")]
    assert clips[0].path == media["sound"] and clips[0].source_frames == FRAMES
    roundtrip(project, RemoveAudioClip("m1"))
    refused(project, AddAudioClip(media["sound"], 25, 20), "overlaps")
    refused(project, AddAudioClip(media["sound"], -1, 5), "before the timeline")
    refused(project, AddAudioClip(media["sound"], 100, 40, source_in=10), "has 48 frames")
    refused(project, AddAudioClip(media["sound"], 100, 5, gain_db=float("nan")), "gain")
    refused(project, RemoveAudioClip("nope"), "no audio clip")


def test_composite_is_all_or_nothing(project):
    a, b, c = ids(project)
    roundtrip(project, Composite([TrimShot(a, "in", 2), SetTransition(b, "crossfade", 3), MoveShot(c, 0)]))
    refused(project, Composite([TrimShot(a, "in", 2), RemoveShot(b), TrimShot(b, "in", 1)]), "no shot with id")
    refused(project, Composite([SetNotes(a, "x"), "not an edit"]), "not an edit")


def test_changes_are_announced(project):
    seen: list[Change] = []
    unsubscribe = project.subscribe(seen.append)
    a, b, c = ids(project)
    rev = project.revision
    project.apply(TrimShot(b, "in", 1))
    project.apply(Composite([SetNotes(a, "n"), SetNotes(c, "m")]))
    assert [(ch.kind, ch.shot_ids, ch.revision) for ch in seen] == [
        ("trim_shot", (b,), rev + 1), ("composite", tuple(sorted([a, c])), rev + 2)]
    assert project.dirty
    unsubscribe()
    project.apply(SetNotes(a, "z"))
    assert len(seen) == 2
    with pytest.raises(EditError):
        project.apply(TrimShot(b, "in", 100))
    assert project.revision == rev + 3


def _wav(path: Path, seconds: Fraction) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=48000, layout="stereo")
        samples = int(48000 * seconds)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, samples * 2), np.int16), format="s16",
                                           layout="stereo")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_media_length_is_counted_in_project_frames(tmp_path):
    ntsc = make_test_clip(tmp_path / "ntsc.mp4", frames=30, rate=Fraction(30000, 1001), size=(64, 48))
    p = Project.create(tmp_path / "film", fps=Fraction(24), size=(64, 48))
    p.apply(InsertShot(0, "ntsc", media_path=ntsc))
    # 30 frames at 29.97 fps last 1.001 s: 25 frames at 24 fps are on screen during it.
    assert (p.shots()[0].frames, p.shots()[0].source_frames) == (25, 25)
    p.apply(AddAudioClip(_wav(tmp_path / "music.wav", Fraction(3, 2)), 0))
    assert p.audio_clips()[0].frames == 36


def test_many_shots_go_out_and_back_in_one_step(project):
    from engine.project.edits import RemoveShots, RestoreShots

    ids = [s.id for s in project.shots()]
    project.apply(SetTransition(ids[1], "crossfade", 3))
    project.apply(SetTransition(ids[2], "dip_black", 2))
    inverse = roundtrip(project, RemoveShots(ids[1:]))  # shots 2 and 3 with their transitions
    assert isinstance(inverse, RestoreShots) and len(project.shots()) == 1
    project.apply(inverse)
    # Shot 3 becomes the first: its transition in becomes a cut, and comes back with the others.
    project.apply(roundtrip(project, RemoveShots(ids[:2])))
    assert project.shot(ids[2]).transition_in.kind == "dip_black"
    before = project.serialize()
    for bad in (RemoveShots([ids[0], ids[2]]), RemoveShots([ids[0], ids[0]]), RemoveShots([]),
                RemoveShots(["nope"]), RestoreShots(0, "{not json"), RestoreShots(9, inverse.track_json),
                RestoreShots(0, inverse.track_json)):  # the last: its ids are in the project already
        with pytest.raises(EditError):
            project.apply(bad)
        assert project.serialize() == before
