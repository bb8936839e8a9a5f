"""The project's edit history in the bundle: every edit type undone and redone after reopening,
saves killed between the history and the project file, .bak copies, hand edits, torn lines, bounds;
and the rotating backups (a no-op save keeps them)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from engine.errors import EditError
from engine.media.synthetic import make_test_clip
from engine.project import (
    AddAudioClip,
    AddBinItem,
    AddMarker,
    AddTake,
    ClearTransition,
    Composite,
    DropLooseTake,
    Edit,
    InsertShot,
    KeepLooseTake,
    MoveShot,
    Project,
    RemoveAudioClip,
    RemoveBinItem,
    RemoveMarker,
    RemoveShot,
    RemoveShots,
    RemoveTake,
    RenameProject,
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
from engine.project import history as history_module
from engine.project.history import EDIT_TYPES, HISTORY_FILE, edit_from_json, edit_to_json, load_undo_steps
from engine.project.storage import BACKUP_FILE, PROJECT_FILE, backup_files

SIZE = (64, 48)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("media")
    return [make_test_clip(folder / f"c{i}.mp4", frames=30, size=SIZE, seed=i, audio=i == 0) for i in range(3)]


def _new(tmp_path: Path, clips: list[Path], name: str = "film") -> Path:
    p = Project.create(tmp_path / name, size=SIZE, writer="test")
    p.history.one_step_per_save = True
    p.apply(InsertShot(0, "one", media_path=clips[0], frames=24))
    p.apply(InsertShot(1, "two", media_path=clips[1], frames=24))
    p.save()
    p.close()
    return p.path


def _all_edit_types(project: Project, clips: list[Path]) -> list:
    """One edit of every kind (as functions of the project as it is when each is applied)."""
    loose = project.generated_dir("0f" * 16) / "master.mp4"
    shutil.copy(clips[2], loose)
    one = lambda: project.shots()[0].id  # noqa: E731
    two = lambda: project.shots()[1].id  # noqa: E731
    return [
        lambda: InsertShot(2, "three", media_path=clips[2], frames=20, take_id="t3" * 8),
        lambda: InsertShot(3, "pending", frames=17, recipe={"shotloom_gen": {"prompt": "a boat", "seed": 7}}),
        lambda: MoveShot(one(), 2),
        lambda: TrimShot(one(), "in", 3),
        lambda: TrimShot(one(), "out", -2),
        lambda: SplitShot(two(), 5),
        lambda: SetTransition(two(), "crossfade", 4),
        lambda: ClearTransition(two()),
        lambda: AddTake(one(), "a1" * 16, clips[2], kind="imported", activate=False),
        lambda: SetActiveTake(one(), "a1" * 16),
        lambda: SetActiveTake(one(), [t.id for t in project.shots()[0].takes if t.id != "a1" * 16][0]),
        lambda: RemoveTake(one(), "a1" * 16),
        lambda: SetRecipe(two(), {"shotloom_gen": {"prompt": "dawn", "seed": 3}, "list": [1, 2.5, None]}),
        lambda: SetNotes(two(), "ünïcode ✓ notes"),
        lambda: RenameShot(two(), "renamed"),
        lambda: SetShotStatus(two(), "stale"),
        lambda: AddAudioClip(clips[0], 4, 12, gain_db=-3.5),
        lambda: RemoveAudioClip(project.audio_clips()[0].id),
        lambda: KeepLooseTake("0f" * 16, loose, "gone-shot", "lost", {"prompt": "x"}, 30),
        lambda: DropLooseTake("0f" * 16),
        lambda: RemoveShot(project.shots()[-1].id),
        lambda: Composite((RenameShot(one(), "first"), TrimShot(one(), "in", 1))),
        lambda: AddMarker(10, "beat", "red", "a note", marker_id="m1" * 8),
        lambda: SetMarker("m1" * 8, frame=12, name="beat 2", colour="BLUE"),
        lambda: RemoveMarker("m1" * 8),
        lambda: AddBinItem(clips[2], item_id="b1" * 8),
        lambda: RemoveBinItem("b1" * 8),
        lambda: RenameProject("the film"),
        lambda: SetProjectFormat(size=(96, 48), fit="fill"),
        lambda: SetProjectFormat(fps="30"),  # undone by RestoreTimeline
        lambda: RemoveShots([s.id for s in project.shots()[-2:]]),  # undone by RestoreShots
    ]


def test_every_edit_type_is_undone_and_redone_from_the_saved_history(tmp_path, clips):
    """Each edit is made by its own program (open, apply, save, close), like commands; then a
    later program undoes them all and redoes them all: every document in between is exactly the
    one that was saved at that point."""
    bundle = _new(tmp_path, clips)
    p = Project.open(bundle, writer="test")
    makers = _all_edit_types(p, clips)
    p.close()
    texts = [Project.open(bundle).serialize()]
    base = Project.open(bundle).history.cursor  # the step that made the two shots
    kinds = set()
    for n in range(len(makers)):
        p = Project.open(bundle, writer=f"editor {n}")
        edit = _all_edit_types(p, clips)[n]()
        kinds.add(type(edit).__name__)
        p.apply(edit)
        p.save()
        texts.append(p.serialize())
        p.close()
    inverses = {"RestoreShot", "RestoreTake", "RestoreAudioClip", "RestoreTimeline", "RestoreShots"}
    assert kinds | inverses == set(EDIT_TYPES)  # every kind is made here or is the inverse of one

    for n in range(len(makers), 0, -1):
        with Project.open(bundle, writer="shotloom undo") as p:
            assert p.history.cursor == base + n
            step = p.undo()
            assert step.by == f"editor {n - 1}"
            p.save()
        assert Project.open(bundle).serialize() == texts[n - 1], f"undo of step {n}"
    with Project.open(bundle, writer="shotloom undo") as p:
        assert p.history.cursor == base
    for n in range(1, len(makers) + 1):
        with Project.open(bundle, writer="shotloom redo") as p:
            p.redo()
            p.save()
        assert Project.open(bundle).serialize() == texts[n], f"redo of step {n}"
    with Project.open(bundle, writer="shotloom redo") as p, pytest.raises(EditError, match="nothing to redo"):
        p.redo()


def test_the_codec_covers_every_edit_and_keeps_bundle_paths_relative(tmp_path, clips):
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    assert set(EDIT_TYPES.values()) == set(subclasses(Edit))
    bundle = tmp_path / "b.shotloom"
    inside = bundle / "media" / "generated" / "t" / "master.mp4"
    edit = Composite((AddTake("s", "t", inside, recipe={"a": [1, 2]}, made_from=({"shot": "x", "frames": 3},)),
                      InsertShot(0, "n", media_path=clips[0])))
    data = json.loads(json.dumps(edit_to_json(edit, bundle)))
    assert data["edits"][0]["path"] == {"path": "media/generated/t/master.mp4", "bundle": True}
    assert data["edits"][1]["media_path"] == {"path": str(clips[0]), "bundle": False}
    moved = tmp_path / "moved.shotloom"
    back = edit_from_json(data, moved)
    assert back.edits[0] == dataclasses.replace(edit.edits[0], path=moved / "media/generated/t/master.mp4")
    assert back.edits[1] == edit.edits[1]
    with pytest.raises(ValueError):
        edit_from_json({"edit": "DeleteEverything"}, bundle)
    with pytest.raises(ValueError):
        edit_from_json({"edit": "RemoveShot", "shot_id": "x", "evil": 1}, bundle)


def test_one_save_is_one_step_for_commands_and_many_for_the_editor(tmp_path, clips):
    bundle = _new(tmp_path, clips)
    with Project.open(bundle, writer="shotloom import") as p:
        p.history.one_step_per_save = True
        p.apply(InsertShot(2, "x", media_path=clips[2]))
        p.apply(InsertShot(3, "y", media_path=clips[2]))
        p.save()
    with Project.open(bundle, writer="shotloom-gui") as p:
        assert [s.label for s in p.history.steps] == ["add shot 'one'; add shot 'two'", "add shot 'x'; add shot 'y'"]
        p.apply(TrimShot(p.shots()[0].id, "in", 2), label="Trim Shot")
        p.apply(MoveShot(p.shots()[0].id, 1), label="Move Shot")
        p.undo()
        p.save()
    with Project.open(bundle) as p:
        entries, index = load_undo_steps(p)
        assert [e.label for e in entries][-2:] == ["Trim Shot", "Move Shot"]
        assert index == 3 and [e.undone for e in entries] == [False, False, False, True]
        assert p.shots()[0].source_in == 2 and p.shots()[0].name == "one"


def test_a_drag_is_one_step(tmp_path, clips):
    """The editor's drags apply many small edits with one merge key: one step to undo."""
    bundle = _new(tmp_path, clips)
    with Project.open(bundle, writer="shotloom-gui") as p:
        shot = p.shots()[0].id
        for _ in range(5):
            p.apply(TrimShot(shot, "in", 1), label="Trim Shot", merge_key=("trim", shot))
        assert [s.label for s in p.history.steps][-1] == "Trim Shot" and p.history.cursor == 2
        p.apply(SetNotes(shot, "between"))
        p.apply(TrimShot(shot, "in", 1), label="Trim Shot", merge_key=("trim", shot))  # a new gesture
        assert p.history.cursor == 4
        p.undo()
        p.undo()
        p.apply(TrimShot(shot, "in", 2), label="Trim Shot", merge_key=("trim", shot))  # after an undo: new
        assert p.history.cursor == 3
        p.save()
    with Project.open(bundle, writer="cmd") as p:
        assert p.shots()[0].source_in == 7
        p.undo()
        p.undo()
        assert p.shots()[0].source_in == 0
        p.redo()
        assert p.shots()[0].source_in == 5


def test_a_save_killed_after_the_history_line_leaves_a_history_that_fits(tmp_path, clips, monkeypatch):
    bundle = _new(tmp_path, clips)
    with Project.open(bundle, writer="a") as p:
        p.apply(TrimShot(p.shots()[0].id, "in", 4))
        p.save()
    saved = (bundle / PROJECT_FILE).read_text()
    with Project.open(bundle, writer="b") as p:
        p.apply(RenameShot(p.shots()[0].id, "killed"))

        def killed(*args, **kwargs):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr("engine.project.project.write_atomic", killed)
        with pytest.raises(Exception, match="No space left"):
            p.save()
        monkeypatch.undo()
    assert (bundle / PROJECT_FILE).read_text() == saved
    assert len((bundle / HISTORY_FILE).read_text().splitlines()) == 4  # the line of the save that died is there
    with Project.open(bundle, writer="c") as p:
        assert [s.label for s in p.history.steps][-1] == "trim shot 'one' (in +4)"
        p.apply(SetNotes(p.shots()[1].id, "next"))
        p.save()
    with Project.open(bundle, writer="d") as p:
        assert len(p.history.steps) == 3
        p.undo()
        p.undo()
        p.save()
        assert p.shots()[0].source_in == 0 and p.shots()[0].name == "one" and p.shots()[1].notes == ""


def test_a_bak_copied_back_finds_its_history_and_a_hand_edit_starts_it_again(tmp_path, clips):
    bundle = _new(tmp_path, clips)
    for _ in range(3):
        with Project.open(bundle, writer="cmd") as p:
            p.apply(TrimShot(p.shots()[0].id, "in", 1))
            p.save()
    shutil.copy(bundle / BACKUP_FILE, bundle / PROJECT_FILE)  # back one save, by hand
    with Project.open(bundle, writer="cmd") as p:
        assert p.shots()[0].source_in == 2 and p.history.cursor == 3
        p.undo()
        p.save()
        assert p.shots()[0].source_in == 1
    text = (bundle / PROJECT_FILE).read_text().replace('"name": "two"', '"name": "by hand"')
    (bundle / PROJECT_FILE).write_text(text)
    with Project.open(bundle, writer="cmd") as p:
        assert p.history.steps == ()
        with pytest.raises(EditError, match="changed by a program that keeps no Shotloom history"):
            p.undo()
        p.apply(SetNotes(p.shots()[0].id, "after the hand edit"))
        p.save()
    with Project.open(bundle, writer="cmd") as p:
        assert len(p.history.steps) == 1
        p.undo()
        p.save()
        assert p.shots()[1].name == "by hand" and p.shots()[0].notes == ""


def test_a_torn_last_line_is_ignored_and_cut_before_the_next(tmp_path, clips):
    bundle = _new(tmp_path, clips)
    with Project.open(bundle, writer="cmd") as p:
        p.apply(TrimShot(p.shots()[0].id, "in", 2))
        p.save()
    log = bundle / HISTORY_FILE
    with open(log, "ab") as fh:
        fh.write(b'{"v":1,"before":"abc","after":"de')  # a crash in the middle of an append
    with Project.open(bundle, writer="cmd") as p:
        assert len(p.history.steps) == 2
        p.apply(TrimShot(p.shots()[0].id, "in", 2))
        p.save()
    lines = log.read_text().splitlines()
    assert all(json.loads(line) for line in lines) and len(lines) == 4
    with Project.open(bundle, writer="cmd") as p:
        assert p.history.cursor == 3


def test_the_history_is_bounded(tmp_path, clips, monkeypatch):
    monkeypatch.setattr(history_module, "MAX_STEPS", 5)
    monkeypatch.setattr(history_module, "MAX_LOG_BYTES", 12_000)
    bundle = _new(tmp_path, clips)
    for n in range(12):
        with Project.open(bundle, writer="cmd") as p:
            p.apply(SetNotes(p.shots()[0].id, f"note {n} " + "x" * 300))
            p.save()
        assert (bundle / HISTORY_FILE).stat().st_size <= 12_000
    with Project.open(bundle, writer="cmd") as p:
        assert 1 <= len(p.history.steps) <= 5 and p.history.cursor == len(p.history.steps)
        for _ in range(len(p.history.steps)):
            p.undo()
        p.save()
        assert p.shots()[0].notes.startswith(f"note {11 - len(p.history.steps)} ")
    # A step too large to keep ends the history before it (it cannot be undone, nor what came before).
    with Project.open(bundle, writer="cmd") as p:
        p.apply(SetNotes(p.shots()[0].id, "y" * (history_module.MAX_STEP_BYTES + 10)))
        p.save()
    with Project.open(bundle, writer="cmd") as p:
        assert p.history.steps == ()
        with pytest.raises(EditError, match="nothing to undo"):
            p.undo()


def test_backups_rotate_and_a_no_op_save_keeps_them(tmp_path, clips):
    bundle = _new(tmp_path, clips)
    texts = [(bundle / PROJECT_FILE).read_text()]
    for n in range(7):
        with Project.open(bundle, writer="cmd") as p:
            p.apply(SetNotes(p.shots()[0].id, f"save {n}"))
            p.save()
            texts.append((bundle / PROJECT_FILE).read_text())
    baks = backup_files(bundle / BACKUP_FILE)
    assert [b.name for b in baks] == ["project.otio.bak"] + [f"project.otio.bak.{n}" for n in range(1, 5)]
    assert [b.read_text() for b in baks] == texts[-2:-7:-1]  # newest first, five saves back
    state = {f.name: f.stat().st_mtime_ns for f in bundle.iterdir() if f.is_file()}
    with Project.open(bundle, writer="cmd") as p:
        p.save()  # nothing changed: nothing written, nothing rotated
        p.apply(SetNotes(p.shots()[0].id, "save 6"))  # the same text as on disk
        p.apply(TrimShot(p.shots()[0].id, "in", 1))
        p.undo()
        p.save()  # the document is as it was: only the history records the step and its undo
    after = {f.name: f.stat().st_mtime_ns for f in bundle.iterdir() if f.is_file()}
    assert {k: v for k, v in after.items() if k != HISTORY_FILE} == {k: v for k, v in state.items()
                                                                      if k != HISTORY_FILE}
    with Project.open(bundle, writer="cmd") as p:
        p.redo()
        p.save()
        assert p.shots()[0].source_in == 1
