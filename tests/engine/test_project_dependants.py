"""Shots generated from other shots (extensions, bridges) go stale when their sources change, and
come back when the change is undone; a take whose shot is gone is kept, never dropped."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from engine.media.synthetic import make_test_clip
from engine.project import (
    AddTake,
    DropLooseTake,
    InsertShot,
    KeepLooseTake,
    Project,
    RemoveShot,
    SetActiveTake,
    TrimShot,
)
from engine.project.model import SCHEMA_VERSION

SIZE = (64, 48)


def _generated(project: Project, name: str, seed: int) -> Path:
    """A clip placed where the engine puts a generated take (media/generated/<take>/master.mp4)."""
    folder = project.path / "media" / "generated" / name
    folder.mkdir(parents=True)
    return make_test_clip(folder / "master.mp4", frames=24, rate=Fraction(24), size=SIZE, seed=seed)


@pytest.fixture
def film(tmp_path):
    """source → extension → extension of the extension, and a bridge between source and a third shot."""
    p = Project.create(tmp_path / "film", fps=24, size=SIZE)
    src = _generated(p, "t-src", 1)
    p.apply(InsertShot(0, "source", media_path=src, shot_id="src", take_id="t-src", frames=20))
    for i, (shot, reads) in enumerate((("ext", ["src"]), ("ext2", ["ext"]), ("other", []), ("bridge", ["src", "other"]))):
        p.apply(InsertShot(i + 1, shot, frames=24, recipe={"prompt": shot}, shot_id=shot))
        uses = [{"shot": r, "take": p.shot(r).take_id, "source_in": p.shot(r).source_in, "frames": p.shot(r).frames}
                for r in reads]
        p.apply(AddTake(shot, f"t-{shot}", _generated(p, f"t-{shot}", i + 2), made_from=tuple(uses) or None))
    return p


def _status(p: Project) -> dict[str, str]:
    return {s.id: s.status for s in p.shots()}


def test_a_trimmed_source_makes_its_dependants_stale_and_undo_brings_them_back(film):
    assert set(_status(film).values()) == {"ready"}
    assert film.dependants("src") == ["bridge", "ext", "ext2"]
    changes = []
    film.subscribe(changes.append)
    undo = film.apply(TrimShot("src", "out", -4))
    status = _status(film)
    assert status == {"src": "ready", "ext": "stale", "ext2": "stale", "other": "ready", "bridge": "stale"}
    assert "'source' it was generated from was trimmed" in film.shot("ext").stale_reason
    assert "is stale" in film.shot("ext2").stale_reason  # through the extension it continues
    assert set(changes[-1].shot_ids) == {"src", "ext", "ext2", "bridge"}  # views refresh the dependants too
    film.apply(undo)
    assert set(_status(film).values()) == {"ready"}


def test_another_take_or_a_removed_source_makes_them_stale(film):
    film.apply(AddTake("src", "t-src2", _generated(film, "t-src2", 9), activate=True))
    assert film.shot("ext").status == "stale" and "another take" in film.shot("ext").stale_reason
    film.apply(SetActiveTake("src", "t-src"))
    assert film.shot("ext").status == "ready"
    undo = film.apply(RemoveShot("src"))
    assert film.shot("ext").status == "stale" and "removed" in film.shot("ext").stale_reason
    assert film.shot("bridge").status == "stale"
    film.apply(undo)
    assert set(_status(film).values()) == {"ready"}


def test_staleness_survives_save_and_open(film):
    film.apply(TrimShot("src", "in", 2))
    film.save()
    again = Project.open(film.path)
    assert again.shot("ext").status == "stale" and again.shot("ext").sources == ("src",)


def test_a_take_without_its_shot_is_kept_listed_and_undoable(film, tmp_path):
    master = _generated(film, "t-late", 11)
    undo = film.apply(KeepLooseTake("t-late", master, "gone", "a shot that was deleted", {"seed": 3}, 24))
    loose = film.loose_takes()
    assert [(t.id, t.shot_id, t.path) for t in loose] == [("t-late", "gone", master)]
    film.save()
    again = Project.open(film.path)
    assert [t.id for t in again.loose_takes()] == ["t-late"] and again.loose_takes()[0].recipe == {"seed": 3}
    film.apply(undo)
    assert film.loose_takes() == []
    with pytest.raises(Exception, match="no loose take"):
        film.apply(DropLooseTake("t-late"))
    outside = tmp_path / "outside.mp4"
    shutil.copy(master, outside)
    with pytest.raises(Exception, match="outside the project bundle"):
        film.apply(KeepLooseTake("t-x", outside, "gone"))


def test_an_older_project_file_opens_and_is_saved_in_the_current_format(film):
    import json

    film.save()
    text = (film.path / "project.otio").read_text()
    data = json.loads(text)
    data["metadata"]["shotloom"]["schema_version"] = 1
    del data["metadata"]["shotloom"]["loose_takes"]
    (film.path / "project.otio").write_text(json.dumps(data))
    old = Project.open(film.path)
    assert len(old.shots()) == 5
    old.save()
    assert json.loads((film.path / "project.otio").read_text())["metadata"]["shotloom"]["schema_version"] == SCHEMA_VERSION
