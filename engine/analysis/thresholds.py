"""Detection thresholds, and why they are where they are.

Every score the inspector reports is a raw measurement divided by its threshold, so 1.0 is the
line between "fine" and "defect" for every kind. The raw values were calibrated on the generated
set of ``engine.analysis.synthetic`` (200 seams, textured panning scenes with moving shapes and
grain, a third of them through JPEG): each threshold sits between the highest raw value seen on
clean joins and the lowest seen on injected defects of that kind (``tests/bench/bench_analysis.py``
prints both ranges as the calibration margin).
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
    # frozen: a run of >= 3 consecutive frame steps whose optical flow is below this fraction of
    # the motion around it, in footage that moves (local motion >= frozen_min_motion px at 256
    # px width). Grain and codec noise do not make flow, so a held frame with live grain is found.
    frozen_flow_ratio: float = 0.15
    frozen_min_steps: int = 3
    frozen_min_motion: float = 0.6
    # dropped: one step moving >= this many times the motion of its neighbours (frames skipped),
    # or 1-2 steps with no motion and no change in a moving shot (a duplicated frame).
    dropped_flow_ratio: float = 1.6
    duplicate_flow_ratio: float = 0.1
    duplicate_diff_ratio: float = 0.3
    # motion: change of the 3x3 grid of mean flow vectors from the frames before to the frames
    # after the seam, relative to the speed (|change| / (max speed + 0.5 px)); 2 is a reversal,
    # 1.4 a right-angle turn, 0 the same motion.
    motion_change: float = 0.7
    motion_min_speed: float = 0.5
    # scene change: the warp error of the step across the seam (normalised grey, 0..1) above this
    # AND above scene_ratio x its neighbours means the content does not continue (a cut to another
    # scene). Such a cut is intended unless the shots are meant to continue (extend, split), and
    # then colour and motion differences across it are not defects.
    scene_warp: float = 0.06
    scene_ratio: float = 3.0
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
            (f"frozen: >= {self.frozen_min_steps} steps with flow < {self.frozen_flow_ratio} x the "
             f"surrounding motion (when it moves >= {self.frozen_min_motion} px/frame at 256 px)"),
            (f"dropped: a step moving >= {self.dropped_flow_ratio} x its neighbours, or 1-2 duplicated "
             f"frames (flow < {self.duplicate_flow_ratio} x and difference < {self.duplicate_diff_ratio} x)"),
            f"motion: flow-grid change across the seam >= {self.motion_change} x (speed + 0.5 px)",
            (f"scene change (intended cut, not a defect): warp error >= {self.scene_warp} and >= "
             f"{self.scene_ratio} x its neighbours"),
            (f"drift: colour drift of the last window from the first >= delta E {self.drift_delta_e} "
             f"(the smaller of the Lab-median distance and the same-content colour change), rising on "
             f">= {self.drift_rising:.0%} of the windows"),
            "score: raw value / threshold; 1.0 or more is a defect",
        ]


DEFAULT_THRESHOLDS = Thresholds()
