"""Foreign timelines: every sample in shared/data/otio reads (what maps becomes shots, the rest is
reported, never a crash); a cut of real media with dissolves imports frame-exactly; export_otio
is read back by OpenTimelineIO as an equivalent timeline and re-imports to the same cut."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from engine.errors import ProjectError
from engine.media.synthetic import make_test_clip
from engine.project import AddAudioClip, InsertShot, Project, SetNotes, SetTransition
from engine.project.otio_io import export_otio, exported_timeline, import_otio

REPO = Path(__file__).resolve().parents[2]
# The real-world samples: a copy in the repository if there is one, else the team's shared folder.
_PLACES = [REPO / "tests" / "data" / "otio", REPO.parent / "shared" / "data" / "otio"]
SAMPLES = next((p for p in _PLACES if p.is_dir()), _PLACES[-1])


def fresh(tmp_path: Path, name: str = "p", fps=Fraction(24)) -> Project:
    return Project.create(tmp_path / name, fps=fps, size=(64, 48))


def imported(tmp_path, sample: str, fps=Fraction(24)):
    p = fresh(tmp_path, fps=fps)
    before = p.serialize()
    report = import_otio(p, SAMPLES / sample)
    assert p.problems() == []
    assert [s.id for s in p.shots()] == report.shot_ids
    for line in report.lines:
        assert "\n" not in line and line
    p.save()
    assert Project.open(p.path).serialize() == p.serialize()
    if report.undo is not None:  # one edit takes the whole import back
        p.apply(report.undo)
        assert p.serialize() == before
    return Project.open(p.path), report


def has(report, *words) -> int:
    return sum(all(w in line for w in words) for line in report.lines)


def test_every_sample_reads_without_a_crash(tmp_path):
    samples = sorted(SAMPLES.glob("*.otio"))
    assert len(samples) == 9
    for i, sample in enumerate(samples):
        _, report = imported(tmp_path / str(i), sample.name)
        assert report.shot_ids, sample.name
        assert str(report).startswith(f"{sample.name}: {len(report.shot_ids)} shot(s) imported")


def test_simple_cut_keeps_timing_and_reports_missing_media(tmp_path):
    p, report = imported(tmp_path, "simple_cut.otio")
    shots = p.shots()
    assert [(s.name, s.start, s.frames, s.source_in, s.status) for s in shots] == [
        ("Clip-001", 0, 3, 3, "missing"), ("Clip-002", 3, 6, 2, "missing"),
        ("Clip-003", 9, 4, 0, "missing"), ("Clip-004", 13, 6, 0, "missing")]
    assert shots[0].media_path == Path("/folder/titles.mov") and shots[0].takes[0].by_reference
    assert has(report, "not found", "relink") == 4


def test_dissolve_becomes_a_crossfade_with_the_same_mix(tmp_path):
    p, _ = imported(tmp_path, "transition.otio")
    a, b = p.shots()[1], p.shots()[2]
    # Foreign mix: 2 frames before the cut at 9, 3 after → Shotloom mix [7, 12), cut at 12.
    assert b.transition_in.kind == "crossfade" and b.transition_in.frames == 5
    assert (a.frames, b.start, b.source_in, b.frames, p.duration) == (9, 12, 5, 1, 19)


def test_nested_stacks_and_effects_are_reported(tmp_path):
    p, report = imported(tmp_path, "nested_example.otio")
    assert [s.name for s in p.shots()] == ["Normal Clip 1", "Normal Clip 2", "Normal Clip 3", "Normal Clip 4"]
    assert all(s.status == "pending" for s in p.shots())
    assert has(report, "nested sequence", "skipped") == 3
    assert has(report, "Nested Stack 2 (with effects)", "1 effect(s)") == 1
    assert has(report, "has no media", "pending shot") == 4


def test_gaps_and_other_tracks_are_reported(tmp_path):
    p, report = imported(tmp_path, "multitrack.otio")
    assert [s.frames for s in p.shots()] == [720, 722, 720]
    assert has(report, "gap of", "removed") == 3
    assert has(report, "video track", "ignored") == 2


def test_premiere_export_reads(tmp_path):
    p, report = imported(tmp_path, "premiere_example.otio", fps=Fraction(30))
    (shot,) = p.shots()
    assert (shot.name, shot.frames, shot.status) == ("sc01_sh010_anim.mov", 100, "missing")
    assert str(shot.media_path) == "/D:/media/sc01_sh010_anim.mov"
    assert has(report, "newer OpenTimelineIO", "Marker.3") == 1
    assert has(report, "3 timeline marker(s)") == 1
    assert has(report, "audio track(s)", "ignored") == 1
    assert has(report, "video track", "ignored") == 3
    assert has(report, "15 fps", "converted") == 1


def test_other_samples(tmp_path):
    p, report = imported(tmp_path / "a", "clip_example.otio")
    assert has(report, "transition", "dropped") == 1 and has(report, "gap of") == 2
    p, report = imported(tmp_path / "b", "generator_reference_test.otio")
    assert p.shots()[0].frames == 50 and has(report, "SMPTEBars", "pending shot") == 1
    p, report = imported(tmp_path / "c", "big_int.otio")
    assert [(s.frames, s.source_in, s.status) for s in p.shots()] == [(24, 0, "missing")]
    assert p.shots()[0].media_path == SAMPLES / "black.mov"
    p, report = imported(tmp_path / "d", "screening_example.otio")
    assert len(p.shots()) == 9 and has(report, "marker(s) on clip") == 2


def test_unreadable_files_are_refused_clearly(tmp_path):
    p = fresh(tmp_path)
    bad = tmp_path / "bad.otio"
    for text, words in [("{not json", "not a readable OTIO timeline"),
                        (otio.schema.Marker(name="m").to_json_string(), "holds a Marker, not a timeline"),
                        ('{"OTIO_SCHEMA": "Frobnicator.9"}', "bad.otio")]:
        bad.write_text(text)
        with pytest.raises(ProjectError) as info:
            import_otio(p, bad)
        assert words in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ProjectError, match="not found"):
        import_otio(p, tmp_path / "absent.otio")
    assert p.shots() == [] and p.revision == 0


def _foreign_cut(folder: Path, clips: list[Path]) -> Path:
    """A cut made by 'another editor': relative URLs, a dissolve, a gap, effects, markers."""
    r = 24
    def t(v):
        return otio.opentime.RationalTime(v, r)
    track = otio.schema.Track(name="V1")

    def clip(name, path, start, dur, media_start=0):
        ref = otio.schema.ExternalReference(
            target_url=path, available_range=otio.opentime.TimeRange(t(media_start), t(48)))
        return otio.schema.Clip(name=name, media_reference=ref,
                                source_range=otio.opentime.TimeRange(t(media_start + start), t(dur)))

    track.append(clip("one", clips[0].name, 4, 20))
    track.append(otio.schema.Transition(transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                        in_offset=t(3), out_offset=t(2)))
    track.append(clip("two", clips[1].as_uri(), 10, 16, media_start=86400))
    track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(t(0), t(5))))
    three = clip("three", str(clips[0]), 0, 12)
    three.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    three.markers.append(otio.schema.Marker(name="fix", marked_range=otio.opentime.TimeRange(t(1), t(0))))
    track.append(three)
    timeline = otio.schema.Timeline(name="foreign", tracks=[track])
    out = folder / "cut.otio"
    otio.adapters.write_to_file(timeline, str(out))
    return out


def test_real_media_cut_imports_frame_exactly(tmp_path):
    clips = [make_test_clip(tmp_path / f"m{i}.mp4", frames=48, size=(64, 48), seed=i) for i in range(2)]
    p = fresh(tmp_path)
    p.apply(InsertShot(0, "existing", frames=10, recipe={"prompt": "x"}))
    report = import_otio(p, _foreign_cut(tmp_path, clips))
    shots = p.shots()
    assert [s.name for s in shots] == ["existing", "one", "two", "three"]
    assert all(s.status == "ready" for s in shots[1:]) and shots[2].media_path == clips[1]
    one, two, three = shots[1:]
    # Mix [cut - 3, cut + 2) around the cut at 10 + 20 → one grows by 2, two loses 2 at its head.
    assert (one.source_in, one.frames) == (4, 22)
    assert (two.source_in, two.frames, two.start, two.transition_in.frames) == (12, 14, 32, 5)
    assert (three.source_in, three.frames) == (0, 12)
    assert has(report, "gap of 5 frames") == 1 and has(report, "LinearTimeWarp") == 1
    assert has(report, "1 marker(s)") == 1 and p.problems() == []


@pytest.fixture
def rich(tmp_path) -> Project:
    clips = [make_test_clip(tmp_path / f"m{i}.mp4", frames=48, size=(64, 48), seed=i, audio=i == 0)
             for i in range(2)]
    p = fresh(tmp_path, "rich", fps=Fraction(30000, 1001))
    local = p.path / "media" / "imported" / clips[0].name
    shutil.copy(clips[0], local)
    p.apply(InsertShot(0, "one", media_path=local, source_in=2, frames=30))
    p.apply(InsertShot(1, "two", media_path=clips[1], source_in=8, frames=30))
    p.apply(InsertShot(2, "three", frames=24, recipe={"prompt": "dawn", "seed": 1}))
    p.apply(SetTransition(p.shots()[1].id, "dip_black", 6))
    p.apply(SetTransition(p.shots()[2].id, "crossfade", 4))
    p.apply(SetNotes(p.shots()[0].id, "hero shot"))
    p.apply(AddAudioClip(clips[0], 5, 20))
    return p


def test_export_reads_back_equivalent(tmp_path, rich):
    out = export_otio(rich, tmp_path / "cut.otio")
    back = otio.adapters.read_from_file(str(out))
    assert back.is_equivalent_to(exported_timeline(rich))
    urls = [c.media_reference.target_url for c in back.find_clips() if
            isinstance(c.media_reference, otio.schema.ExternalReference)]
    assert len(urls) == 3 and all(u.startswith("file:///") for u in urls)
    assert all(Path(otio.url_utils.filepath_from_url(u)).is_file() for u in urls)
    assert json.loads(out.read_text())["metadata"]["shotloom"]["fps"] == "30000/1001"
    with pytest.raises(ProjectError, match="must end in .otio"):
        export_otio(rich, tmp_path / "cut.mp4")


def test_export_then_import_gives_the_same_cut(tmp_path, rich):
    out = export_otio(rich, tmp_path / "cut.otio")
    p = fresh(tmp_path, "again", fps=Fraction(30000, 1001))
    report = import_otio(p, out)
    assert report.lines == [("1 audio track(s) (1 clips) ignored: shots keep their own sound; add music "
                             "with an audio clip")]
    def keep(s):
        return (s.name, s.start, s.frames, s.source_in, s.status, s.media_path, s.recipe,
                          s.notes, s.transition_in and (s.transition_in.kind, s.transition_in.frames))
    assert [keep(s) for s in p.shots()] == [keep(s) for s in rich.shots()]
