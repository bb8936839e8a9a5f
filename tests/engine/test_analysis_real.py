"""The inspector on real footage (OpenCV's sample clips, tests/data/footage), cut the way people cut
it: in a project, through the same edits and the same analysis the CLI and the editor use."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from test_analysis_repair import write_clip

from engine.analysis import ShotSpan, analyze_project, check_frames
from engine.analysis.evaluation import check_case
from engine.analysis.footage import Source, clip_frames, footage_path, make_real_case
from engine.analysis.thresholds import DEFAULT_THRESHOLDS
from engine.media import VideoWriter
from engine.media.conform import retimed_source_frames
from engine.project import AddTake, InsertShot, Project, SetTransition, SplitShot, TrimShot

REPO = Path(__file__).resolve().parents[2]


def clip_project(tmp_path: Path, clip: str, name: str = "p") -> Project:
    rate = {"vtest": 10, "box": 30, "cup": 25, "tree": 15}[clip]
    project = Project.create(tmp_path / name, fps=Fraction(rate), size=(320, 240))
    return project


def test_a_jump_cut_in_one_static_shot_is_found_and_a_plain_split_is_clean(tmp_path):
    project = clip_project(tmp_path, "vtest")
    project.apply(InsertShot(index=0, name="square", media_path=footage_path("vtest"), source_in=100, frames=80))
    shot = project.shots()[0]
    right = uuid.uuid4().hex
    project.apply(SplitShot(shot.id, 30, new_shot_id=right))  # a split: the join continues the picture
    report = analyze_project(project)
    (seam,) = report.seams
    assert seam.expected == "continuous" and seam.reason == "split"
    assert not seam.defect and seam.severity == "clean", seam
    assert not report.events and not report.scenes
    # Remove 2 s from the middle (people walking past a still camera): a jump.
    project.apply(TrimShot(right, "in", 20))
    (seam,) = analyze_project(project).seams
    assert seam.reason == "same source, 20 frames removed"
    assert seam.kinds == ["jump"] and seam.severity == "defect" and seam.frame == 30


@pytest.mark.parametrize(("kind", "seed"), [("jump", 3), ("jump", 5), ("jump_pan", 1), ("jump_pan", 4)])
def test_jump_cuts_of_several_lengths_with_still_and_moving_cameras_are_found(kind, seed):
    case = make_real_case(kind, "held_out", seed)
    seam = check_case(case).seams[0]
    assert seam.kinds == ["jump"], (case.name, seam.scores)


@pytest.mark.parametrize(("seed", "evidence"), [
    (4011, "jump_lag"),  # the tree, a still camera: the wind moves it too little for the warp error
    (4012, "jump_lag"),
    (4001, "skip_speed"),  # the tree through a pan: the flow follows the pan across the removed second
])
def test_a_second_removed_from_a_slow_shot_is_a_jump_not_dropped_frames(seed, evidence):
    # Misses of the held-out report: the join changes the picture more than frames 8 apart do
    # (jump_lag_ratio), or carries the moving points 16 steps at once (jump_speed).
    case = make_real_case("jump_pan" if evidence == "skip_speed" else "jump", "held_out", seed)
    seam = check_case(case).seams[0]
    assert seam.kinds == ["jump"], (case.name, seam.scores, seam.raw)
    limit = DEFAULT_THRESHOLDS.jump_lag_ratio if evidence == "jump_lag" else DEFAULT_THRESHOLDS.jump_speed
    assert seam.raw[evidence] >= limit


@pytest.mark.parametrize(("kind", "seed"), [("dropped", 1110), ("dropped", 1070), ("dropped_pan", 1011)])
def test_three_frames_skipped_that_the_warp_error_calls_a_jump_are_dropped_frames(kind, seed):
    # vtest's uneven capture and a handheld pan leave 3 skipped frames with a warp error of a jump;
    # the moving points are followed across at 4-5 steps and the picture changes less than 8 frames.
    case = make_real_case(kind, "calibration", seed)
    seam = check_case(case).seams[0]
    assert seam.kinds == ["dropped"], (case.name, seam.scores, seam.raw)
    assert seam.raw["jump"] >= DEFAULT_THRESHOLDS.jump_warp_ratio > 0
    assert seam.raw["jump_lag"] < DEFAULT_THRESHOLDS.skip_lag_ratio


@pytest.mark.parametrize("seed", [4010, 4040, 4050])
def test_a_hold_at_the_start_of_the_later_shot_is_frozen_not_a_jump(seed):
    case = make_real_case("frozen", "calibration", seed)
    seam = check_case(case).seams[0]
    assert seam.kinds == ["frozen"], (case.name, seam.scores, seam.raw)


def test_a_shot_that_moves_slowly_and_then_fast_holds_no_frozen_frames():
    # The tree in the wind, then a hand coming in: the slow steps are far under the hand's, but
    # as slow as the steps right around them; nothing stopped (two "frozen" events before).
    frames = clip_frames("tree")
    report = check_frames(frames, [ShotSpan("tree", 0, len(frames))])
    assert report.events == [], report.events


@pytest.mark.parametrize(("kind", "seed"), [
    ("clean", 1), ("clean_pan", 7), ("clean_cut", 3), ("clean_crossfade", 4), ("clean_dip_white", 5),
    ("clean_dip_black", 6)])
def test_clean_joins_transitions_and_cuts_between_scenes_are_not_flagged(kind, seed):
    case = make_real_case(kind, "held_out", seed)
    report = check_case(case)
    (seam,) = report.seams
    assert not seam.defect and not report.events, (case.name, seam, report.events)
    assert seam.expected == case.expected


def test_a_dip_to_white_between_two_scenes_in_a_project_is_not_a_defect(tmp_path):
    # The case: a dip to white between two different real scenes reported "dropped".
    a = write_clip(tmp_path / "square.mp4", list(clip_frames("vtest")[200:260]))
    b = write_clip(tmp_path / "cup.mp4", list(clip_frames("cup")[0:60]))
    project = Project.create(tmp_path / "dip", fps=Fraction(24), size=(320, 240))
    project.apply(InsertShot(index=0, name="square", media_path=a))
    project.apply(InsertShot(index=1, name="cup", media_path=b, source_in=12, frames=48))
    project.apply(SetTransition(project.shots()[1].id, "dip_white", 12))
    report = analyze_project(project)
    (seam,) = report.seams
    assert seam.expected == "transition" and not seam.defect and seam.defect_frames == []
    # Nothing is reported anywhere: not "dropped" at the dip (the report), and not "frozen"
    # in the cup shot, whose first second moves slowly before the hand moves the cup (slow steps
    # are no hold when the steps right around them are as slow).
    assert not report.events, report.events


def _retimed_take(tmp_path: Path, native: Fraction, out: Fraction) -> tuple[Path, int]:
    """A take 'generated' at ``native`` fps (a pan over real footage) and conformed to ``out`` the
    way engine.gen does it: frames repeated by timestamp."""
    src = Source("box", 0, 455, (10.0, 20.0, 1.2, 0.6))
    native_frames = [np.array(src.frame(t)) for t in range(40)]
    count = round(len(native_frames) * out / native)
    path = tmp_path / "take.mp4"
    with VideoWriter(path, preset="h264", rate=out, size=native_frames[0].shape[1::-1]) as writer:
        for i in retimed_source_frames(native, out, count):
            writer.write(native_frames[i])
    return path, count


def test_a_take_conformed_from_16_to_24_fps_has_no_dropped_or_frozen_frames(tmp_path):
    path, count = _retimed_take(tmp_path, Fraction(16), Fraction(24))
    native = retimed_source_frames(Fraction(16), Fraction(24), count)
    split = next(k for k in range(20, count) if native[k] == native[k - 1])  # a repeated frame
    project = Project.create(tmp_path / "gen", fps=Fraction(24), size=(192, 144))
    project.apply(InsertShot(index=0, name="take", media_path=path))
    shot = project.shots()[0]
    project.apply(SplitShot(shot.id, split))  # the join continues the take
    # Without knowing the take was conformed, the repeated frame at the join is a duplicated frame...
    unknown = analyze_project(project, cache=False)
    assert unknown.seams[0].expected == "continuous" and "dropped" in unknown.seams[0].kinds
    # ...its recipe says so (native 16 fps, output 24 fps): no repeat is a defect, at the join or inside.
    recipe = {"task": "text_to_video", "native_fps": "16/1", "output": {"frames": count, "rate": "24/1"}}
    for s in project.shots():
        project.apply(AddTake(s.id, uuid.uuid4().hex, path, recipe=recipe, kind="imported", activate=True))
    report = analyze_project(project)
    assert not report.seams[0].defect and not report.events, (report.seams[0].kinds, report.seams[0].scores)
    assert report.found_kinds() == set()


def test_a_cut_inside_an_imported_clip_is_a_scene_boundary_not_drift(tmp_path):
    frames = list(clip_frames("vtest")[300:348]) + list(clip_frames("box")[100:148])
    path = write_clip(tmp_path / "two-scenes.mp4", frames)
    project = Project.create(tmp_path / "scenes", fps=Fraction(24), size=(320, 240))
    project.apply(InsertShot(index=0, name="clip", media_path=path))
    report = analyze_project(project)
    assert [s.frame for s in report.scenes] == [48]
    assert report.found_kinds() == set(), (report.events, report.drift)
    (drift,) = report.drift
    assert not drift.drifting and len(drift.scene_starts) == 2 and drift.curve[drift.scene_starts[1]] == 0.0
    data = json.loads(report.to_json())
    assert data["scenes"][0]["frame"] == 48


def test_only_the_shots_that_changed_are_measured_again(tmp_path):
    project = clip_project(tmp_path, "vtest")
    for k in range(3):
        project.apply(InsertShot(index=k, name=f"s{k}", media_path=footage_path("vtest"), source_in=40 * k,
                                 frames=30))
    first = analyze_project(project)
    assert (first.measured_shots, first.cached_shots) == (3, 0)
    again = analyze_project(project)
    assert (again.measured_shots, again.cached_shots) == (0, 3)
    assert again.seams == first.seams and again.drift == first.drift
    project.apply(TrimShot(project.shots()[2].id, "in", 4))
    changed = analyze_project(project)
    assert (changed.measured_shots, changed.cached_shots) == (1, 2)
    fresh = analyze_project(project, cache=False)
    assert changed.seams == fresh.seams  # the cache changes nothing but the time it takes
    assert len(list((project.cache_dir / "analysis").glob("*.npz"))) == 4


def test_the_worker_runs_the_analysis_as_a_job_with_progress(tmp_path):
    from engine.jobs import JobQueue
    from engine.jobs import events as ev

    project = clip_project(tmp_path, "vtest")
    project.apply(InsertShot(index=0, name="a", media_path=footage_path("vtest"), source_in=0, frames=30))
    project.apply(InsertShot(index=1, name="b", media_path=footage_path("vtest"), source_in=50, frames=30))
    project.save()
    db = tmp_path / "jobs.sqlite"
    with JobQueue(db) as q:
        job_id = q.submit("analyze", {"project": str(project.path)}).id
    run = subprocess.run([sys.executable, "-m", "engine.worker", "--db", str(db), "--poll", "0.05",
                          "--exit-when-idle"], capture_output=True, text=True, cwd=REPO, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    events = [e for e in (ev.decode(line) for line in run.stdout.splitlines()) if e is not None]
    mine = [e.type for e in events if getattr(e, "job", None) == job_id]
    assert "progress" in mine and mine[-1] == "succeeded"
    with JobQueue(db) as q:
        job = q.get(job_id)
    assert job.result["kinds"] == ["jump"] and job.result["measured_shots"] == 2
    saved = json.loads((project.path / "cache" / "check.json").read_text())
    assert saved["seams"][0]["kinds"] == ["jump"] and saved["seams"][0]["expected"] == "continuous"


def test_core_check_on_real_frames_reports_a_hold_in_a_moving_shot():
    frames = [np.array(Source("cup", 0, 217, (20.0, 10.0, 1.5, 0.5)).frame(t)) for t in range(60)]
    held = frames[:30] + [frames[29]] * 6 + frames[30:54]

    report = check_frames(held, [ShotSpan("s", 0, 60)])
    assert [(e.kind, e.frame) for e in report.events] == [("frozen", 29)]


@pytest.mark.parametrize(("kind", "seed", "found"), [
    ("dropped", 31, "dropped"),  # 2 frames skipped inside vtest's own uneven 1- and 2-frame steps
    ("dropped", 71, "dropped"),  # one frame shown twice
    ("motion", 70, "motion"),  # the recording plays backwards from the seam
])
def test_skips_and_reversals_found_by_the_moving_points_own_motion(kind, seed, found):
    # Calibration cases the grid of mean flows missed; the trajectories of the moving points find them.
    case = make_real_case(kind, "calibration", seed)
    seam = check_case(case).seams[0]
    assert found in seam.kinds, (case.name, seam.scores, seam.raw)


def test_a_cached_analysis_sees_the_same_trajectories_across_a_join(tmp_path):
    # The shots are measured apart (and cached); the motion before a join still reaches the steps after it.
    from engine.analysis.features import TRAJECTORY_FIELDS, measure_frames
    from engine.analysis.timeline import project_layout
    from engine.render import Compositor, build_plan

    project = clip_project(tmp_path, "vtest")
    project.apply(InsertShot(index=0, name="square", media_path=footage_path("vtest"), source_in=200, frames=40))
    project.apply(SplitShot(project.shots()[0].id, 20, new_shot_id=uuid.uuid4().hex))
    analyze_project(project)  # fills the cache
    report = analyze_project(project)
    assert report.cached_shots == 2
    from engine.analysis.cache import measure_plan

    series, _ = measure_plan(project, build_plan(project))
    with Compositor(build_plan(project)) as comp:
        whole = measure_frames(comp.frame(t) for t in range(40))
    _, (seam,) = project_layout(project)
    for name, _depth in TRAJECTORY_FIELDS:
        for t in (seam.frame, seam.frame + 1, seam.frame + 2):
            assert getattr(series, name)[t] == pytest.approx(getattr(whole, name)[t], rel=1e-4, abs=1e-6), (name, t)


def _continuous_pair(a: list[np.ndarray], b: list[np.ndarray]):
    from engine.analysis.seams import SeamSpec

    shots = [ShotSpan("A", 0, len(a)), ShotSpan("B", len(a), len(b))]
    return check_frames(a + b, shots, [SeamSpec(len(a), ("A", "B"), expected="continuous")]).seams[0]


@pytest.mark.parametrize("clip", ["box", "vtest"])
def test_a_camera_that_turns_or_a_take_that_plays_backwards_at_a_join_is_motion(clip):
    # A real recording through a panning camera, cut at frame 124 and joined three ways: as it was
    # (clean), with the camera going on at a right angle (a turn), and with the recording playing
    # backwards from the join (a reversal: the join shows again the frame before last).
    import cv2

    from engine.analysis.footage import CROP

    src = Source(clip, 0, 400, (30.0, 20.0, 1.6, 0.6))
    a = [np.array(src.frame(t)) for t in range(100, 124)]
    on = [np.array(src.frame(t)) for t in range(124, 148)]
    back = [np.array(src.frame(t)) for t in range(122, 98, -1)]
    x0, y0 = src.position(123.5)
    vx, vy = np.subtract(src.position(124), src.position(123))
    turned = []
    for i, t in enumerate(range(124, 148)):  # the camera's velocity turned by 90 degrees
        m = np.array([[1, 0, -(x0 - vy * (i + 0.5))], [0, 1, -(y0 + vx * (i + 0.5))]], np.float32)
        turned.append(cv2.warpAffine(clip_frames(clip)[t], m, CROP, flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REFLECT))
    clean = _continuous_pair(a, on)
    assert not clean.defect, clean
    turn = _continuous_pair(a, turned)
    assert turn.kinds == ["motion"], turn
    assert turn.raw["camera"] >= DEFAULT_THRESHOLDS.camera_ratio * max(turn.raw["camera_usual"],
                                                                      DEFAULT_THRESHOLDS.camera_floor)
    reverse = _continuous_pair(a, back)
    assert reverse.kinds == ["motion"], reverse
    assert reverse.raw["back2"] <= DEFAULT_THRESHOLDS.reverse_back2 < clean.raw["back2"]


@pytest.mark.parametrize(("clip", "source_in", "removed"), [("box", 200, 3), ("vtest", 250, 2), ("cup", 60, 2)])
def test_a_few_frames_removed_from_a_split_are_dropped_frames_and_the_split_alone_is_clean(
        tmp_path, clip, source_in, removed):
    project = clip_project(tmp_path, clip)
    project.apply(InsertShot(index=0, name="take", media_path=footage_path(clip), source_in=source_in, frames=60))
    right = uuid.uuid4().hex
    project.apply(SplitShot(project.shots()[0].id, 30, new_shot_id=right))
    (seam,) = analyze_project(project).seams
    assert not seam.defect, seam
    project.apply(TrimShot(right, "in", removed))
    (seam,) = analyze_project(project).seams
    assert seam.reason == f"same source, {removed} frames removed"
    assert seam.kinds == ["dropped"] and seam.frame == 30, seam


@pytest.mark.parametrize("seed", [3011, 3020, 4071])
def test_a_colour_jump_at_a_join_of_real_footage_is_colour_not_dropped_frames(seed):
    # The grade changes at the join: that step changes the picture and moves the flow more than the
    # steps around it, which is the colour jump's doing, not frames missing.
    case = make_real_case("color", "calibration", seed)
    seam = check_case(case).seams[0]
    assert seam.kinds == ["color"], (case.name, seam.scores, seam.raw)
