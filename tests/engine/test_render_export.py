"""Export decoded back: frame count, rate, size, the exact source frame at every timeline frame,
the right mix inside transitions, audio with the cut, and nothing partial left on cancel or error."""

from __future__ import annotations

import errno
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest

from engine.errors import Canceled, MediaError, ShotloomError
from engine.media import FrameReader, read_audio
from engine.media.synthetic import decode_index, make_test_clip
from engine.progress import CancelToken
from engine.project import Project
from engine.project.edits import AddAudioClip, InsertShot, SetTransition, TrimShot
from engine.render import Compositor, build_plan, export
from engine.render.audio import AudioMixer, sample_at

SIZE = (192, 112)
RATE = Fraction(24)
FRAMES = 30


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return [
        make_test_clip(folder / f"c{i}.mp4", frames=FRAMES, rate=RATE, size=SIZE, seed=i, audio=True, bframes=2)
        for i in range(3)
    ]


def make_project(tmp_path: Path, clips, transitions=()) -> Project:
    project = Project.create(tmp_path / "cut.shotloom", fps=RATE, size=SIZE)
    for n, clip in enumerate(clips):
        project.apply(InsertShot(index=n, name=f"shot{n}", media_path=project.import_media(clip), frames=FRAMES))
    shots = project.shots()
    for index, kind, length in transitions:
        project.apply(SetTransition(shots[index].id, kind, length))
    project.save()
    return project


def decoded(path: Path) -> list[np.ndarray]:
    with FrameReader(path) as reader:
        return [reader.frame(i) for i in range(reader.frame_count)]


def expected_sources(project: Project):
    """(clip index, source frame) per timeline frame outside mixes, from the project's own shots."""
    plan = build_plan(project)
    out = {}
    for t in range(plan.frames):
        recipe = plan.at(t)
        if len(recipe.layers) == 1 and recipe.fill_weight == 0:
            out[t] = (recipe.layers[0].media_path, recipe.layers[0].source_frame)
    return plan, out


def test_plain_cut_every_frame_is_the_exact_source_frame(tmp_path, clips):
    project = make_project(tmp_path, clips)
    shots = project.shots()
    project.apply(TrimShot(shots[1].id, "in", 5))
    project.apply(TrimShot(shots[2].id, "out", -4))
    out = export(project, tmp_path / "cut.mp4")
    frames = decoded(out)
    assert len(frames) == project.duration == 3 * FRAMES - 9
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == SIZE
        assert v.average_rate == RATE
    expected = [i for i in range(FRAMES)] + [i for i in range(5, FRAMES)] + [i for i in range(FRAMES - 4)]
    assert [decode_index(f) for f in frames] == expected


def test_crossfade_frames_are_the_mix_of_the_two_right_frames(tmp_path, clips):
    project = make_project(tmp_path, clips, [(1, "crossfade", 8), (2, "dip_black", 6)])
    assert project.duration == 3 * FRAMES - 14
    out = export(project, tmp_path / "mix.mp4")
    frames = decoded(out)
    plan, singles = expected_sources(project)
    assert len(frames) == plan.frames
    for t, (_, src) in singles.items():
        assert decode_index(frames[t]) == src
    sources = {Path(c).resolve(): decoded(c) for c in clips}
    mixes = [t for t in range(plan.frames) if t not in singles]
    assert len(mixes) == 8 + 6
    for t in mixes:
        recipe = plan.at(t)
        want = np.zeros(frames[t].shape, np.float64)
        want += recipe.fill_weight * np.array(recipe.fill, np.float64)
        for layer in recipe.layers:
            want += layer.weight * sources[Path(layer.media_path).resolve()][layer.source_frame]
        err = np.abs(frames[t].astype(np.float64) - want).mean()
        assert err < 4.0, f"timeline frame {t}: mean error {err:.1f} against the expected mix"
        # and it is really a mix: neither source alone matches
        if len(recipe.layers) == 2 and min(x.weight for x in recipe.layers) > 0.3:
            for layer in recipe.layers:
                alone = sources[Path(layer.media_path).resolve()][layer.source_frame].astype(np.float64)
                assert np.abs(frames[t] - alone).mean() > err + 2


@pytest.mark.parametrize("preset,suffix", [("h265", ".mp4"), ("prores", ".mov"), ("vp9", ".webm"),
                                           ("gif", ".gif"), ("png", "")])
def test_every_preset_writes_the_whole_cut(tmp_path, clips, preset, suffix):
    project = make_project(tmp_path, clips[:2], [(1, "crossfade", 6)])
    notes: list[str] = []
    out = export(project, tmp_path / f"out{suffix}", preset=preset, notes=notes)
    if preset == "png":
        pngs = sorted(p.name for p in out.glob("*.png"))
        assert pngs == [f"out_{k:06d}.png" for k in range(project.duration)]
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        with FrameReader(out) as reader:
            assert [decode_index(reader.frame(k)) for k in (3, FRAMES + 2)] == [3, 2 + 6]
        assert notes == [f"{out}: the png preset holds no sound; the audio mix is in {out / 'out.wav'}"]
        return
    with FrameReader(out) as reader:
        assert reader.frame_count == project.duration
        assert reader.size == SIZE
        if preset != "gif":
            assert decode_index(reader.frame(3)) == 3
            assert decode_index(reader.frame(FRAMES + 2)) == 2 + 6


@pytest.mark.parametrize(("preset", "name", "wav"), [("gif", "cut.gif", "cut.wav"), ("png", "cut", "cut/cut.wav")])
def test_gif_and_png_write_the_mix_beside_them_and_say_so(tmp_path, clips, preset, name, wav):
    project = make_project(tmp_path, clips[:2])
    notes: list[str] = []
    span = (FRAMES - 3, FRAMES + 3)  # across the cut
    out = export(project, tmp_path / name, preset=preset, frame_range=span, notes=notes)
    assert notes == [f"{out}: the {preset} preset holds no sound; the audio mix is in {tmp_path / wav}"]
    heard = read_audio(tmp_path / wav, sample_rate=48000)
    expected = AudioMixer(build_plan(project)).frames(*span)
    assert heard.shape == expected.shape
    assert np.abs(heard - expected).max() < 1e-3  # 16-bit PCM of the very mix


def test_silent_cut_as_gif_writes_no_wav(tmp_path):
    silent = make_test_clip(tmp_path / "silent.mp4", frames=8, rate=RATE, size=SIZE)
    project = Project.create(tmp_path / "s.shotloom", fps=RATE, size=SIZE)
    project.apply(InsertShot(index=0, name="s", media_path=project.import_media(silent), frames=8))
    notes: list[str] = []
    export(project, tmp_path / "quiet.gif", notes=notes)
    assert notes == [] and not (tmp_path / "quiet.wav").exists()


def test_range_export(tmp_path, clips):
    project = make_project(tmp_path, clips)
    out = export(project, tmp_path / "range.mp4", frame_range=(20, 40))
    assert [decode_index(f) for f in decoded(out)] == list(range(20, 30)) + list(range(0, 10))
    with pytest.raises(ShotloomError, match="outside the timeline"):
        export(project, tmp_path / "bad.mp4", frame_range=(50, 500))


def test_conform_letterboxes_other_sizes_and_rates(tmp_path):
    src = make_test_clip(tmp_path / "ntsc.mp4", frames=30, rate=Fraction(30000, 1001), size=(160, 160))
    project = Project.create(tmp_path / "wide.shotloom", fps=Fraction(24), size=(256, 144))
    with FrameReader(src, rate=project.fps) as reader:
        n = reader.frame_count
    assert n == 25  # 30 frames of 29.97 fps last 1.001 s: frames 0..24 at 24 fps start inside it
    project.apply(InsertShot(index=0, name="ntsc", media_path=project.import_media(src), frames=n))
    frames = decoded(export(project, tmp_path / "wide.mp4"))
    assert len(frames) == n
    assert frames[0].shape == (144, 256, 3)
    assert frames[0][:, :40].max() < 20 and frames[0][:, -40:].max() < 20  # black side bars
    assert frames[0][:, 100:150].mean() > 30


def test_audio_follows_the_cut_sample_exactly(tmp_path, clips):
    project = make_project(tmp_path, clips[:2])
    shots = project.shots()
    project.apply(TrimShot(shots[1].id, "in", 7))
    plan = build_plan(project)
    mixer = AudioMixer(plan)
    source = read_audio(clips[1], sample_rate=48000)
    t = FRAMES + 3  # shot 2, source frame 10
    got = mixer.frames(t, t + 1)
    s0 = sample_at(10, RATE, 48000)
    assert np.allclose(got, source[:, s0 : s0 + got.shape[1]], atol=1e-6)
    total = mixer.frames(0, plan.frames)
    assert total.shape[1] == sample_at(plan.frames, RATE, 48000)

    out = export(project, tmp_path / "sound.mp4")
    with av.open(str(out)) as c:
        assert len(c.streams.audio) == 1
    audio = read_audio(out, sample_rate=48000)
    assert abs(audio.shape[1] - total.shape[1]) <= 2048


def test_music_on_the_audio_track_is_mixed(tmp_path, clips):
    silent = make_test_clip(tmp_path / "silent.mp4", frames=FRAMES, rate=RATE, size=SIZE)
    project = Project.create(tmp_path / "m.shotloom", fps=RATE, size=SIZE)
    project.apply(InsertShot(index=0, name="s", media_path=project.import_media(silent), frames=FRAMES))
    project.apply(AddAudioClip(project.import_media(clips[0]), 4, 10))
    plan = build_plan(project)
    mixer = AudioMixer(plan, project.audio_clips())
    audio = mixer.frames(0, FRAMES)
    assert np.abs(audio[:, : sample_at(4, RATE, 48000)]).max() == 0
    assert np.abs(audio[:, sample_at(5, RATE, 48000) : sample_at(13, RATE, 48000)]).max() > 0.1
    assert np.abs(audio[:, sample_at(14, RATE, 48000) :]).max() == 0


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix in (".mp4", ".mov"))


def test_cancel_leaves_nothing(tmp_path, clips):
    project = make_project(tmp_path, clips)
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    token = CancelToken()

    def progress(done, total, message=""):
        if done == 17:
            token.cancel()

    with pytest.raises(Canceled):
        export(project, out_dir / "cut.mp4", progress=progress, cancel=token)
    assert list(out_dir.iterdir()) == []


def test_ctrl_c_leaves_nothing(tmp_path, clips):
    project = make_project(tmp_path, clips)
    out_dir = tmp_path / "exports"
    out_dir.mkdir()

    def progress(done, total, message=""):
        if done == 9:
            raise KeyboardInterrupt

    with pytest.raises(Canceled):
        export(project, out_dir / "cut.mp4", progress=progress)
    assert list(out_dir.iterdir()) == []


def test_existing_file_survives_a_failed_export(tmp_path, clips, monkeypatch):
    project = make_project(tmp_path, clips)
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous export")
    from engine.media import writer as writer_module

    calls = {"n": 0}

    def failing(real):
        def write(self, frame):
            calls["n"] += 1
            if calls["n"] == 10:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(self, frame)
        return write

    for name in ("write", "write_decoded"):
        monkeypatch.setattr(writer_module.VideoWriter, name, failing(getattr(writer_module.VideoWriter, name)))
    with pytest.raises(MediaError, match="disk filled up"):
        export(project, out)
    assert out.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep")] == []


def test_free_space_is_checked_first(tmp_path, clips, monkeypatch):
    project = make_project(tmp_path, clips)
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(MediaError, match="not enough free disk space"):
        export(project, tmp_path / "full.mp4")
    assert not (tmp_path / "full.mp4").exists()


def test_pending_shot_is_refused_by_name(tmp_path, clips):
    project = make_project(tmp_path, clips[:1])
    project.apply(InsertShot(index=1, name="sunrise over the bay", frames=24))
    with pytest.raises(ShotloomError, match="sunrise over the bay"):
        export(project, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_wrong_extension_for_preset_is_refused(tmp_path, clips):
    project = make_project(tmp_path, clips[:1])
    with pytest.raises(ShotloomError, match=r"\.mov"):
        export(project, tmp_path / "x.mp4", preset="prores")


def test_otio_export_reads_back(tmp_path, clips):
    project = make_project(tmp_path, clips, [(1, "crossfade", 8)])
    out = export(project, tmp_path / "cut.otio")
    timeline = otio.adapters.read_from_file(str(out))
    clips_back = list(timeline.find_clips())
    assert len(clips_back) == 3
    assert len([t for t in timeline.tracks[0] if isinstance(t, otio.schema.Transition)]) == 1


def test_preview_compositor_matches_export(tmp_path, clips):
    project = make_project(tmp_path, clips, [(1, "crossfade", 8)])
    plan = build_plan(project)
    out = export(project, tmp_path / "p.mov", preset="prores")
    exported = decoded(out)
    with Compositor(plan) as comp:
        for t in (0, 25, 29, 40, plan.frames - 1):
            assert np.abs(comp.frame(t).astype(int) - exported[t].astype(int)).mean() < 2.5
    assert os.path.exists(out)
