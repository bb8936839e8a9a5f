"""Detection thresholds, and why they are where they are.

Every score the inspector reports is a raw measurement divided by its threshold, so 1.0 is the
line between "fine" and "defect" for every kind. The values were chosen on the calibration part
of the real footage set (``engine.analysis.footage``: vtest's first half and box, with still and
panning cameras) together with the generated set of ``engine.analysis.synthetic``; the held-out
real footage (vtest's second half, cup, tree) was never used to choose them.
``tests/bench/bench_analysis_real.py`` prints recall and false alarms per kind on both.
"""

from __future__ import annotations

from pydantic import BaseModel


class Thresholds(BaseModel):
    # color: CIE76 delta E between the Lab means of the frames either side of the seam, each
    # side extrapolated to the seam along the local trend (median frame-to-frame change), so a
    # steady grade change (drift, a fade) is not a jump. Just-noticeable is about 2.3; graded
    # footage flickers by < 1; jumps under ~6 are rarely seen by viewers.
    color_delta_e: float = 5.0
    # flash: a run of 1-4 frames whose Lab mean leaves the straight Lab path from the frames
    # before it to the frames after it by this delta E (a cut or a fade stays on that path; a
    # flash, even one at a cut, leaves it).
    # Clean joins of the generated sets never produce a run off the path by more than 2; the
    # subtlest injected flashes (20 % towards a colour, heavy grain) reach 10.
    flash_delta_e: float = 8.0
    # black: mean L* < 6 and L* spread < 4 (a frame a viewer sees as black).
    # frozen: a run of >= 3 consecutive frame steps whose motion (95th percentile of the flow
    # magnitude, so a few people walking in a still frame count) is below this fraction of the
    # motion around it, in footage that moves (>= frozen_min_motion px at 256 px width), and whose
    # picture changes less than duplicate_diff_ratio x the usual step. Grain and codec noise do
    # not make flow, so a held frame with live grain is found.
    frozen_flow_ratio: float = 0.2
    frozen_min_steps: int = 3
    frozen_min_motion: float = 0.15
    # dropped: one step moving >= dropped_flow_ratio x the most any of the 12 steps around it
    # moves AND changing the picture >= dropped_diff_ratio x what they usually change (frames
    # skipped; the flow still follows it), or 1-2 steps with no motion and no change in a moving
    # shot (a duplicated frame). Motion against the most, not the median: footage whose own steps
    # are uneven (vtest alternates 1- and 2-frame steps) hides 1-frame skips, and is not flagged.
    dropped_flow_ratio: float = 1.4
    dropped_diff_ratio: float = 1.5
    dropped_floor: float = 0.3
    duplicate_diff_ratio: float = 0.4
    # trajectories (seams.Trajectory: every moving point's motion compared with its own motion the
    # steps before, so people walking at different speeds all count), at continuous joins where
    # the picture moves (95th percentile of the flow >= trajectory_min_speed around the join):
    # dropped, the join's step carries the points >= skip_speed x their usual step (a skip of k
    # frames: about k + 1; vtest's own uneven 1- and 2-frame steps and a hand's wobble reach it:
    # 2.45 is the 99th percentile of the calibration scan's 2,023 moving joins, where 1.85 let 4.4 %
    # through; 2-3 frame skips 2.0-5.9, those under it found by the other rules), or under hold_step x the step before (the picture repeats),
    # the motion going on the same way across the join (cosine >= skip_turn); motion, the motion
    # after the join turns from the motion before it to cosine <= turn_cosine (reversals -0.5 to
    # -0.96, 90-178 degree pan turns -0.8 to 0.22, calibration clean joins >= 0.41) where the
    # motion around keeps its way (median cosine >= turn_steady: 0.85, as handheld calibration pans
    # keep it up to 0.83 with their points turning to cosine 0.07 at clean joins).
    # camera (seams.camera_change): the camera's mean motion (median flow) over the 4 steps after a
    # continuous join differs from the 4 steps before by >= camera_ratio x the most it differs
    # between two such windows next to each other inside the sides (what the camera does by itself,
    # a hand's wobble too; floor camera_floor px at 256 wide), and by >= camera_min px: a turn,
    # reversal or stall of the camera. Chosen where the calibration scan (every frame of vtest 0-399
    # and box as a split, through still, panning and handheld cameras: 3,260 joins, pan bounces
    # included) reaches it at under 1 % (0.6 %); calibration cases: clean joins <= 1.29, pan turns
    # 1.78-28.7.
    camera_ratio: float = 1.5
    camera_floor: float = 0.1
    camera_min: float = 0.5
    # reversal (seams.reversal): frame f differs from frame f-2 by <= reverse_back2 x what frames two
    # apart usually differ (the picture goes back the way it came), while the join's own step is
    # >= reverse_step x the usual step (not a repeated frame). Calibration: reversals 0.00, clean
    # joins >= 0.66; every frame of vtest 0-399 and box as a split >= 0.51, with a hand's wobble
    # >= 0.24 (it comes back near where it was).
    reverse_back2: float = 0.15
    reverse_step: float = 0.5
    # dropped by difference: the join's step changes the picture >= skip_diff x what frames two
    # apart usually differ around it AND >= skip_diff x the most any step around it changes it,
    # moving >= skip_diff x the usual mean flow (a colour change alters the picture, not the motion),
    # where frames two apart differ >= skip_moving x neighbours (the differences measure motion, not
    # noise). The calibration scan reaches 1.3 at 0.06 % of its joins (vtest's own irregular
    # capture); it is for slow or shaking footage the trajectories cannot follow.
    skip_diff: float = 1.3
    skip_moving: float = 1.2
    trajectory_min_speed: float = 0.6
    skip_speed: float = 2.45
    hold_step: float = 0.15
    skip_turn: float = 0.45
    turn_cosine: float = 0.3
    turn_steady: float = 0.85
    # jump (a continuous join whose picture is elsewhere after the seam: a stretch removed, an
    # extension that does not start where its source ends): the warp error of the step across
    # the seam (what the flow cannot explain) >= jump_warp_ratio x the steps around it (floor
    # jump_warp_floor: a still picture has almost none). A removed 1 s of people walking past a
    # still camera scores 3-5, 1-3 dropped frames 1.2-2.8, clean joins under 1.7. A colour jump
    # also leaves warp error (the grade is not all undone by the normalisation) but no motion.
    jump_warp_ratio: float = 2.9
    # ... or, at a continuous join where the moving points are followed across it (seams.Trajectory,
    # the motion going on the same way), the join's step carries them >= jump_speed x their usual
    # step: 7 frames or more missing. Calibration (16 rounds of cases, seeds 1000-1159): 2-3 frame
    # skips reach 5.9, clean joins 2.45 at their 99th percentile; removed seconds that the flow
    # follows (pans) 8-76.
    jump_speed: float = 8.0
    # ... or the warp error >= jump_lag_warp x the steps around it while the join changes the
    # picture >= jump_lag_ratio x what frames 8 apart differ inside its sides (seams.lag_change: a
    # skip of 2-3 frames changes it less than 8 frames do; slow footage hides a removed second from
    # the warp error, not from this). Calibration (seeds 1000-1159): 2-3 frame skips <= 1.24
    # (vtest's uneven capture), clean joins, colour jumps and reversals <= 0.75, removed seconds
    # 0.80-6.5; the calibration scan (1,200 clean joins) raises no jump with it.
    jump_lag_ratio: float = 1.3
    # A jump by the warp error alone is a few dropped frames when the trajectories follow the join
    # at skip_speed to jump_speed x the usual step, the same way, and it changes the picture less
    # than frames 8 apart differ (seams.lag_change < skip_lag_ratio): calibration 2-3 frame skips
    # that the warp error calls a jump (vtest's uneven capture) 0.94-1.24, removed seconds whose
    # trajectories fall in that range 1.31 and more.
    skip_lag_ratio: float = 1.0
    jump_lag_warp: float = 2.0
    jump_flow_ratio: float = 1.5  # ... and the motion at the step >= this x the steps around it
    jump_warp_floor: float = 0.002
    jump_ndiff_floor: float = 0.3
    # scene change: the warp error of the step (normalised grey, 0..1) above this AND above
    # scene_ratio x its neighbours, AND >= scene_changed of the picture unexplained or
    # >= scene_hist of the colour histogram moved: the content does not continue (a cut to another
    # scene). Inside a shot that is a scene boundary; at a continuous join, a jump.
    scene_warp: float = 0.06
    scene_ratio: float = 3.0
    scene_changed: float = 0.3
    scene_hist: float = 0.25
    # drift along a long take: the colour drift (delta E, see seams.drift_curve) of the last window
    # from the first, with the curve rising on at least drift_rising of its steps. Chosen on 40+40
    # generated long takes (seeds 100-139); on 40+40 others (200-239) it finds 38 of 40 drifts
    # (10-25 dE) with 3 false alarms, where "max >= 6" alone raised 11.
    drift_delta_e: float = 6.0
    drift_rising: float = 0.7

    def explain(self) -> list[str]:
        """One line per kind, for the report printed by ``shotloom check``."""
        return [
            f"color: delta E (CIE76, Lab means, trend-corrected) across the seam >= {self.color_delta_e}",
            (f"flash: 1-4 frames whose colour leaves the path between their neighbours by delta E >= "
             f"{self.flash_delta_e}"),
            "black: frames with mean L* < 6 and L* spread < 4",
            (f"frozen: >= {self.frozen_min_steps} steps moving < {self.frozen_flow_ratio} x the "
             f"surrounding motion (when it moves >= {self.frozen_min_motion} px/frame at 256 px)"),
            (f"dropped: a step moving >= {self.dropped_flow_ratio} x the most of the steps around it and "
             f"changing >= {self.dropped_diff_ratio} x their median, or 1-2 steps without motion (a duplicated "
             f"frame)"),
            (f"motion: the camera's motion changes across the seam by >= {self.camera_ratio} x its usual "
             f"step-to-step change (and >= {self.camera_min} px at 256 px), or the seam shows again the frame "
             f"before last (difference <= {self.reverse_back2} x the usual), or, where the motion keeps its way "
             f"(median cosine >= {self.turn_steady}), the moving points' own motion turns: cosine across the "
             f"seam <= {self.turn_cosine}"),
            (f"dropped (trajectories): the seam's step carries the moving points >= {self.skip_speed} x their "
             f"usual step, or under {self.hold_step} x, the same way on both sides"),
            (f"jump (continuous joins): warp error across the seam >= {self.jump_warp_ratio} x the steps "
             f"around it (>= {self.jump_lag_warp} x where the seam changes the picture >= {self.jump_lag_ratio} x "
             f"what frames 8 apart differ), or the moving points carried >= {self.jump_speed} x their usual step the same way"),
            (f"scene change (a cut; inside a shot a scene boundary): warp error >= {self.scene_warp} and >= "
             f"{self.scene_ratio} x its neighbours, with >= {self.scene_changed:.0%} of the picture new or "
             f">= {self.scene_hist:.0%} of its colours"),
            (f"drift: colour drift of the last window from the first >= delta E {self.drift_delta_e} "
             f"(the smaller of the Lab-median distance and the same-content colour change), rising on "
             f">= {self.drift_rising:.0%} of the windows"),
            "score: raw value / threshold; 1.0 or more is a defect",
        ]


DEFAULT_THRESHOLDS = Thresholds()
