"""`shotloom import` and `shotloom export` with the files creators own, as a user runs them."""

from __future__ import annotations

import random
import stat
from pathlib import Path

import pytest
from media_files import FRAMES, SIZE, b_frame_packets, ffmpeg, ffmpeg_frames, garble_packets
from test_cli import refused, shotloom

from engine.media import FrameReader, read_audio
from engine.media.synthetic import decode_index, make_test_clip


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("own")
    master = make_test_clip(folder / "master.mkv", frames=FRAMES, size=SIZE, codec="ffv1", gop=1, audio=True)
    files = {"xvid": folder / "holiday_xvid.avi", "mpeg4": folder / "camera.avi"}
    ffmpeg("-i", master, "-c:v", "libxvid", "-bf", "2", "-g", "12", "-q:v", "3", "-c:a", "ac3", files["xvid"])
    ffmpeg("-i", master, "-c:v", "mpeg4", "-bf", "2", "-g", "12", "-q:v", "3", "-an", files["mpeg4"])
    files["damaged"] = garble_packets(files["mpeg4"], folder / "camera_damaged.avi",
                                      b_frame_packets(files["mpeg4"])[2:3])
    data = files["mpeg4"].read_bytes()
    files["short"] = folder / "camera_short.avi"
    files["short"].write_bytes(data[: len(data) * 2 // 3])
    files["still"] = make_test_clip(folder / "poster.png", frames=1, size=SIZE)
    files["broken"] = folder / "broken.mp4"
    files["broken"].write_bytes(random.Random(7).randbytes(20_000))
    return files


def new_project(tmp_path) -> Path:
    project = tmp_path / "cut.shotloom"
    shotloom("new", project, "--fps", "24", "--size", f"{SIZE[0]}x{SIZE[1]}")
    return project


def info_of(project):
    import json

    return json.loads(shotloom("info", project, "--json").stdout)


def test_old_camera_files_import_and_export_frame_exact(tmp_path, footage):
    project = new_project(tmp_path)
    res = shotloom("import", project, footage["xvid"], footage["damaged"], footage["short"], footage["still"])
    ids = res.stdout.split()
    assert len(ids) == 4
    warnings = [line for line in res.stderr.splitlines() if line.startswith("shotloom: warning: ")]
    assert "Traceback" not in res.stderr
    assert [w for w in warnings if "camera_damaged.avi" in w] == [
        f"shotloom: warning: {footage['damaged']}: 1 of 36 frames are damaged (frame 4); "
        "they show the nearest good frame"]
    assert any("camera_short.avi: the file is cut short" in w for w in warnings)
    assert not any("holiday_xvid.avi" in w or "poster.png" in w for w in warnings)

    xvid = ffmpeg_frames(footage["xvid"])
    with FrameReader(footage["short"]) as reader:
        short_frames = reader.frame_count
    info = info_of(project)
    assert [s["id"] for s in info["shots"]] == ids
    assert [s["frames"] for s in info["shots"]] == [len(xvid), FRAMES, short_frames, 3 * 24]

    out = tmp_path / "cut.mp4"
    res = shotloom("export", project, "-o", out)  # never an error mid-export
    assert Path(res.stdout.strip()) == out
    with FrameReader(out) as reader:
        assert reader.frame_count == info["frames"]
        got = [decode_index(reader.frame(i)) for i in range(len(xvid))]
        damaged = [decode_index(reader.frame(len(xvid) + i)) for i in range(FRAMES)]
    assert got == [decode_index(f) for f in xvid]  # the packed B-frames, each in its place
    assert all(k >= 0 for k in damaged)  # the damaged frame shows its neighbour, not garbage
    assert read_audio(out).shape[1] > 0  # the Xvid file's AC-3 sound made it


def test_import_is_all_or_nothing_per_file(tmp_path, footage):
    project = new_project(tmp_path)
    res = shotloom("import", project, footage["mpeg4"], footage["broken"], footage["still"], "--copy",
                   "--no-proxy", check=False)
    assert res.returncode == 1
    messages = [line for line in res.stderr.replace("\r", "\n").splitlines() if line.startswith("shotloom:")]
    assert len(messages) == 1 and messages[0].startswith(f"shotloom: {footage['broken']}: ")
    ids = res.stdout.split()
    assert len(ids) == 2
    assert [s["id"] for s in info_of(project)["shots"]] == ids
    assert sorted(p.name for p in (project / "media" / "imported").iterdir()) == ["camera.avi", "poster.png"]


def test_a_bad_file_alone_changes_nothing(tmp_path, footage):
    project = new_project(tmp_path)
    before = (project / "project.otio").read_bytes()
    refused(shotloom("import", project, footage["broken"], check=False), "broken.mp4")
    assert (project / "project.otio").read_bytes() == before


def test_png_export_is_visible_named_after_the_output_and_keeps_the_sound(tmp_path, footage):
    project = new_project(tmp_path)
    shotloom("import", project, footage["xvid"], "--no-proxy")
    frames = tmp_path / "frames"
    res = shotloom("export", project, "-o", frames, "--preset", "png")
    assert Path(res.stdout.strip()) == frames
    pngs = sorted(frames.glob("*.png"))
    assert [p.name for p in pngs][:2] == ["frames_000000.png", "frames_000001.png"]
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o044 == 0o044 for p in pngs)  # readable by all
    (note,) = [line for line in res.stderr.splitlines() if "shotloom:" in line]
    assert f"the audio mix is in {frames / 'frames.wav'}" in note
    assert read_audio(frames / "frames.wav").shape[1] > 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_gif_export_writes_the_mix_beside_it_and_says_so(tmp_path, footage):
    project = new_project(tmp_path)
    shotloom("import", project, footage["xvid"], "--no-proxy")
    res = shotloom("export", project, "-o", tmp_path / "loop.gif")
    assert f"the audio mix is in {tmp_path / 'loop.wav'}" in res.stderr
    assert read_audio(tmp_path / "loop.wav").shape[1] > 0
