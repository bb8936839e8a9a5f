"""The inspector's core on plain frames: measurements, events, seams, drift, progress, cancel."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.analysis import (
    CheckReport,
    SeamSpec,
    ShotSpan,
    check_frames,
    measure_frames,
    seams_between,
)
from engine.analysis.synthetic import FrameSpec, Scene, make_case, render_specs
from engine.errors import Canceled
from engine.progress import CancelToken


def _take(seed: int, n: int, *, speed: float | None = None, still: bool = False) -> list[np.ndarray]:
    scene = Scene(seed, (128, 96), speed=speed)
    specs = [FrameSpec(0, 0.0 if still else float(i), seed * 1000 + i) for i in range(n)]
    if still:
        scene.shapes = []
    return render_specs({0: scene}, specs)


def test_measurements_follow_the_picture():
    frames = _take(1, 12, speed=2.0)
    series = measure_frames(iter(frames))
    assert len(series) == 12
    assert np.isnan(series.diff[0]) and np.isnan(series.flow_mag[0])
    # A 2 px/frame pan at 128 px is about 4 px/frame at the 256 px reference width.
    assert 2.5 < np.median(series.flow_mag[1:]) < 6.0
    assert series.lab_mean.shape == (12, 3) and series.structure.shape[0] == 12
    assert not series.black.any()
    assert np.all(series.warp_err[1:] < 0.05)


def test_rejects_frames_that_are_not_rgb_uint8():
    with pytest.raises(ValueError, match="uint8 RGB"):
        measure_frames([np.zeros((8, 8), np.uint8)])
    with pytest.raises(ValueError, match="same size"):
        measure_frames([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 10, 3), np.uint8)])


def test_a_still_shot_is_not_frozen_and_a_held_frame_in_motion_is():
    still = _take(2, 30, still=True)
    report = check_frames(still, [ShotSpan("s", 0, 30)])
    assert not report.events and report.found_kinds() == set()
    moving = _take(3, 30, speed=2.0)
    held = moving[:10] + [moving[9]] * 6 + moving[10:24]
    report = check_frames(held, [ShotSpan("s", 0, 30)])
    (event,) = report.events
    assert event.kind == "frozen" and event.frame == 9 and event.frames == 7


def test_black_frames_inside_a_shot_are_events_and_a_dip_transition_is_not():
    frames = _take(4, 40, speed=1.5)
    frames[20] = np.zeros_like(frames[20])
    report = check_frames(frames, [ShotSpan("s", 0, 40)])
    assert [(e.kind, e.frame) for e in report.events] == [("black", 20)]
    case = make_case("clean_dip_black", 5)
    spans = [ShotSpan("A", 0, case.seam), ShotSpan("B", case.seam, len(case.frames) - case.seam)]
    seam = SeamSpec(case.seam, ("A", "B"), case.transition)
    report = check_frames(case.frames, spans, [seam])
    assert not report.seams[0].defect and report.seams[0].transition == "dip_black"
    # The same frames without the transition set: the dip's black frames are a defect.
    report = check_frames(case.frames, spans, [SeamSpec(case.seam, ("A", "B"))])
    assert "black" in report.found_kinds()


def test_continuity_expected_turns_a_content_jump_into_a_defect():
    case = make_case("clean_cut", 6)
    spans = [ShotSpan("A", 0, case.seam), ShotSpan("B", case.seam, len(case.frames) - case.seam)]
    judged = check_frames(case.frames, spans, [SeamSpec(case.seam, ("A", "B"))])
    assert judged.seams[0].scene_change and not judged.seams[0].defect
    extended = check_frames(case.frames, spans, [SeamSpec(case.seam, ("A", "B"), expected="continuous")])
    assert extended.seams[0].defect and extended.seams[0].kinds == ["jump"]


def test_window_joins_inside_a_take_are_seams():
    case = make_case("color", 7)
    shot = ShotSpan("take", 0, len(case.frames), window_joins=(case.seam,))
    seams = seams_between([shot])
    assert seams == [SeamSpec(case.seam, ("take", "take"), None, "continuous", window_join=True, reason="long take")]
    report = check_frames(case.frames, [shot])
    assert report.seams[0].window_join and report.seams[0].kinds == ["color"]


def test_report_json_has_the_documented_shape():
    case = make_case("flash", 8)
    spans = [ShotSpan("A", 0, case.seam), ShotSpan("B", case.seam, len(case.frames) - case.seam)]
    report = check_frames(case.frames, spans, drift_window=8)
    data = json.loads(report.to_json())
    seam = data["seams"][0]
    assert seam["frame"] == case.seam and seam["shots"] == ["A", "B"]
    assert seam["defect"] is True and seam["kinds"] == ["flash"] and seam["score"] >= 1.0
    assert {d["shot"] for d in data["drift"]} == {"A", "B"}
    assert all(isinstance(v, float) for d in data["drift"] for v in d["curve"])
    assert CheckReport.model_validate(data).seams[0].kinds == ["flash"]
    table = report.table()
    assert "DEFECT" in table and "flash" in table and "thresholds:" in table


def test_progress_is_reported_and_cancel_stops_the_work():
    frames = _take(9, 60, speed=1.0)
    calls = []
    check_frames(iter(frames), [ShotSpan("s", 0, 60)], total=60, progress=lambda d, t, m: calls.append((d, t)))
    assert calls[-1] == (60, 60) and len(calls) >= 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    cancel = CancelToken()
    seen = []

    def stream():
        for i, f in enumerate(frames):
            if i == 10:
                cancel.cancel()
            seen.append(i)
            yield f

    with pytest.raises(Canceled):
        check_frames(stream(), [ShotSpan("s", 0, 60)], cancel=cancel)
    assert len(seen) == 11


def test_a_cut_from_a_moving_shot_to_a_still_shot_is_not_a_freeze():
    moving = _take(10, 24, speed=2.5)
    still = _take(11, 24, still=True)
    spans = [ShotSpan("A", 0, 24), ShotSpan("B", 24, 24)]
    report = check_frames(moving + still, spans)
    assert report.seams[0].scene_change and not report.seams[0].defect
    assert not report.events


def test_drift_report_follows_a_take_going_soft_and_changing_grade():
    import cv2

    from engine.analysis.synthetic import lab_shift

    frames = _take(12, 48, speed=1.5)
    soft = []
    for i, f in enumerate(frames):
        g = lab_shift((i * 0.4, 0.0, i * 0.3))(f.astype(np.float32))
        soft.append(np.clip(cv2.GaussianBlur(g, (0, 0), 0.2 + i * 0.05), 0, 255).astype(np.uint8))
    (drift,) = check_frames(soft, [ShotSpan("s", 0, 48)], drift_window=12).drift
    assert drift.drifting and drift.curve == sorted(drift.curve) and drift.curve[-1] > 12
    assert drift.sharpness[0] == 1.0 and drift.sharpness[-1] < 0.5
    (steady,) = check_frames(frames, [ShotSpan("s", 0, 48)], drift_window=12).drift
    assert steady.curve[-1] < 0.6 * drift.curve[-1] and steady.sharpness[-1] > 0.6
