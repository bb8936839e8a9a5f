"""Markers, the media bin, the project's name and its format (rate, size, fit) as edits: each applies,
its inverse restores the identical document, bad input changes nothing, and all of it is saved."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from test_project_edits import refused, roundtrip  # the same exact-inverse checks as every other edit

from engine.errors import ProjectError
from engine.media import FrameReader, conform_frame
from engine.media.synthetic import make_test_clip
from engine.project import (
    AddAudioClip,
    AddBinItem,
    AddMarker,
    InsertShot,
    Project,
    RemoveBinItem,
    RemoveMarker,
    RenameProject,
    RestoreTimeline,
    SetMarker,
    SetProjectFormat,
    SetTransition,
)
from engine.project.model import parse_size


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    return {
        "a": make_test_clip(folder / "a.mp4", frames=48, size=(64, 48)),
        "sound": make_test_clip(folder / "sound.mp4", frames=48, size=(64, 48), audio=True, seed=3),
        "wide": make_test_clip(folder / "wide.mp4", frames=12, size=(96, 48), seed=4),
    }


@pytest.fixture
def project(tmp_path, media) -> Project:
    p = Project.create(tmp_path / "film", fps=Fraction(24), size=(64, 48))
    for i in range(3):
        p.apply(InsertShot(i, f"shot{i}", media_path=media["a"], source_in=4, frames=40))
    return p


def test_markers_are_otio_markers_on_the_timeline_saved_and_undoable(project):
    roundtrip(project, AddMarker(30, "Music starts", "red", "bring the drums in", marker_id="m1"))
    roundtrip(project, AddMarker(10, "Title", marker_id="m2"))
    roundtrip(project, AddMarker(30, "Beat", "BLUE", frames=12, marker_id="m0"))
    markers = project.markers()
    # Timeline order: by frame, then by id.
    assert [(m.id, m.frame, m.name, m.colour, m.frames) for m in markers] == [
        ("m2", 10, "Title", "GREEN", 0), ("m0", 30, "Beat", "BLUE", 12), ("m1", 30, "Music starts", "RED", 0)]
    assert markers[2].note == "bring the drums in"
    otio_markers = project.timeline.tracks.markers
    assert [m.color for m in otio_markers] == ["GREEN", "BLUE", "RED"]
    assert otio_markers[0].marked_range.start_time == otio.opentime.RationalTime(10, 24)

    roundtrip(project, SetMarker("m1", frame=5, name="Drums", colour="yellow"))
    assert [(m.id, m.frame, m.name, m.colour) for m in project.markers()][0] == ("m1", 5, "Drums", "YELLOW")
    roundtrip(project, RemoveMarker("m0"))
    assert [m.id for m in project.markers()] == ["m1", "m2"]

    project.save()
    again = Project.open(project.path)
    assert again.markers() == project.markers()

    refused(project, AddMarker(-1), "before the start")
    refused(project, AddMarker(3, colour="teal"), "marker colour 'teal'")
    refused(project, AddMarker(3, frames=-2), "-2 frames long")
    refused(project, AddMarker(3, marker_id="m1"), "already used")
    refused(project, AddMarker(3, marker_id=project.shots()[0].id), "already used")
    refused(project, SetMarker("nope", name="x"), "no marker with id 'nope'")
    refused(project, RemoveMarker("nope"), "no marker")
    refused(project, SetMarker("m1", frame=2.5), "whole number")


def test_a_marker_past_the_end_after_a_trim_can_still_be_removed_and_put_back(project):
    project.apply(AddMarker(110, "end", marker_id="late"))
    from engine.project import TrimShot

    project.apply(TrimShot(project.shots()[2].id, "out", -30))
    assert project.duration == 90
    roundtrip(project, RemoveMarker("late"))


def test_media_bin_keeps_files_no_shot_uses(project, media, tmp_path):
    roundtrip(project, AddBinItem(media["sound"], item_id="b1"))
    roundtrip(project, AddBinItem(media["wide"], item_id="b0", index=0))
    items = project.bin_items()
    assert [(i.id, i.path, i.by_reference) for i in items] == [
        ("b0", media["wide"], True), ("b1", media["sound"], True)]
    inside = project.path / "media" / "imported" / "copy.mp4"
    inside.write_bytes(media["a"].read_bytes())
    roundtrip(project, AddBinItem(inside, item_id="b2"))
    assert project.bin_items()[2].by_reference is False
    assert '"media/imported/copy.mp4"' in project.serialize()
    roundtrip(project, RemoveBinItem("b0"))  # undo puts it back first
    project.save()
    assert Project.open(project.path).bin_items() == project.bin_items()

    refused(project, AddBinItem(media["sound"]), "already in the media bin")
    refused(project, AddBinItem(tmp_path / "gone.mp4"), "not found")
    refused(project, AddBinItem(media["a"], index=9), "outside 0..2")
    refused(project, RemoveBinItem("nope"), "no media bin item")


def test_rename_project(project):
    roundtrip(project, RenameProject("film (recovered)"))
    assert project.name == "film (recovered)"
    refused(project, RenameProject("  "), "needs a name")


def test_size_and_fit_change_and_undo(project, media):
    roundtrip(project, SetProjectFormat(size=(96, 48), fit="fill"))
    assert (project.size, project.fit, project.fps) == ((96, 48), "fill", Fraction(24))
    refused(project, SetProjectFormat(size=(97, 48)), "even sides")
    refused(project, SetProjectFormat(size="wide"), "two whole numbers")
    refused(project, SetProjectFormat(fit="stretch"), "'fit' (letterbox) or 'fill' (crop)")
    refused(project, SetProjectFormat(fps="0"), "between 0 and 1000")
    assert parse_size("1920×1080") == (1920, 1080)


def test_fit_letterboxes_and_fill_crops_in_preview_and_export(tmp_path, media):
    from engine.render import Compositor
    from engine.render.plan import build_plan

    project = Project.create(tmp_path / "square", fps=Fraction(24), size=(64, 64))
    project.apply(InsertShot(0, "wide", media_path=media["wide"], frames=12))
    with Compositor(build_plan(project)) as compositor:
        letterboxed = compositor.frame(0)
    project.apply(SetProjectFormat(fit="fill"))
    with Compositor(build_plan(project)) as compositor:
        cropped = compositor.frame(0)
    assert letterboxed.shape == cropped.shape == (64, 64, 3)
    source = FrameReader(media["wide"], rate=Fraction(24)).frame(0)
    # The 2:1 clip in a square frame: black bars above and below when letterboxed, its middle when cropped.
    assert letterboxed[:8].max() == 0 and letterboxed[-8:].max() == 0
    assert np.array_equal(letterboxed, conform_frame(source, (64, 64), "fit"))
    assert np.array_equal(cropped, conform_frame(source, (64, 64), "fill"))
    assert not np.array_equal(letterboxed, cropped)


def test_rate_change_conforms_the_cut_in_seconds_and_undoes_exactly(project, media):
    shots = project.shots()
    project.apply(SetTransition(shots[1].id, "crossfade", 8))
    project.apply(AddAudioClip(media["sound"], 24, 24))
    project.apply(AddMarker(48, "beat", marker_id="m"))
    project.apply(AddBinItem(media["sound"]))
    before = project.serialize()
    inverse = roundtrip(project, SetProjectFormat(fps=30))
    assert isinstance(inverse, RestoreTimeline)
    assert project.fps == Fraction(30)
    conformed = project.shots()
    # 24 fps → 30 fps: every place and length keeps its time (× 1.25 frames).
    # (shot 1 gave its first 8 frames at 24 fps to the crossfade's handle: 12..44 → 15..55)
    assert [(s.source_in, s.frames) for s in conformed] == [(5, 50), (15, 40), (5, 50)]
    assert conformed[1].transition_in.frames == 10
    assert project.duration == 140
    audio = project.audio_clips()[0]
    assert (audio.start, audio.frames) == (30, 30)
    assert project.markers()[0].frame == 60
    # Media lengths were measured again at the new rate: the 48-frame clip is 60 frames at 30 fps.
    assert all(s.source_frames == 60 for s in conformed)
    assert project.problems() == []
    project.save()
    again = Project.open(project.path)
    assert again.fps == Fraction(30) and [s.frames for s in again.shots()] == [50, 40, 50]

    # Down and back up rounds, but undo is exact: it restores the timeline as it was.
    project.apply(inverse)
    assert project.serialize() == before
    undo = project.apply(SetProjectFormat(fps=Fraction(30000, 1001)))
    assert project.problems() == []
    project.apply(undo)
    assert project.serialize() == before


def test_restore_timeline_refuses_another_projects_timeline(project, tmp_path):
    other = Project.create(tmp_path / "other", fps=Fraction(24), size=(64, 48))
    refused(project, RestoreTimeline(other.serialize()), "belongs to another project")
    refused(project, RestoreTimeline("{not json"), "not a valid OTIO item")


def test_timeline_exports_through_otio_adapters(project, tmp_path):
    from engine.project.otio_io import export_timeline

    project.apply(SetTransition(project.shots()[1].id, "crossfade", 6))
    for suffix, adapter in ((".otio", "otio_json"), (".xml", "fcp_xml"), (".edl", "cmx_3600")):
        out = export_timeline(project, tmp_path / f"cut{suffix}")
        back = otio.adapters.read_from_file(str(out), adapter)
        video = [c for c in back.find_clips() if c.name.startswith("shot")]
        assert [c.name for c in video] == ["shot0", "shot1", "shot2"], suffix
    with pytest.raises(ProjectError, match="pick one of those extensions"):
        export_timeline(project, tmp_path / "cut.aaf")
