"""Detection quality on a generated set: 200 seams with injected defects of known kind and
position (and clean joins, including hard cuts and transitions between different scenes), plus
20 long takes with and without a gradual drift."""

from __future__ import annotations

import pytest

from engine.analysis.evaluation import check_case, tally
from engine.analysis.features import measure_frames
from engine.analysis.synthetic import SEAM_KINDS, make_cases, make_long_take

FLOOR = 0.9


@pytest.fixture(scope="module")
def evaluated():
    cases = make_cases(10)
    cases += [make_long_take(seed, drifting=d) for seed in range(10) for d in (False, True)]
    reports = [check_case(c, measure_frames(c.frames)) for c in cases]
    return cases, reports


def test_the_set_is_large_and_covers_every_kind(evaluated):
    cases, _ = evaluated
    seam_cases = [c for c in cases if c.seam < len(c.frames)]
    assert len(seam_cases) >= 200
    for kind in SEAM_KINDS:
        assert sum(kind in c.kinds for c in seam_cases) >= 10, kind
    assert sum(not c.kinds for c in seam_cases) >= 80
    assert sum(c.transition is not None for c in seam_cases) >= 30


@pytest.mark.parametrize("kind", [*SEAM_KINDS, "seam", "drift"])
def test_precision_and_recall_per_kind(evaluated, kind):
    cases, reports = evaluated
    t = tally(cases, reports)[kind]
    assert t.tp >= 10
    assert t.precision >= FLOOR, f"{kind}: false alarms on {t.false}"
    assert t.recall >= FLOOR, f"{kind}: missed {t.misses}"


def test_intended_cuts_and_transitions_are_not_defects(evaluated):
    cases, reports = evaluated
    for case, report in zip(cases, reports):
        if case.name.startswith(("clean_cut", "clean_crossfade", "clean_dip")):
            seam = report.seams[0]
            assert not seam.defect, (case.name, seam)
            assert seam.intended_cut, case.name
            assert not report.events, (case.name, report.events)
        if case.name.startswith("clean_cut"):
            assert report.seams[0].scene_change, case.name


def test_defects_are_placed_where_they_were_injected(evaluated):
    cases, reports = evaluated
    for case, report in zip(cases, reports):
        if not case.kinds or case.seam >= len(case.frames):
            continue
        seam = report.seams[0]
        assert seam.frame == case.seam
        assert seam.defect and set(case.kinds) <= set(seam.kinds), (case.name, seam)
        assert seam.score >= 1.0
        if case.kinds & {"flash", "black", "frozen"}:
            assert set(case.defect_frames) & set(seam.defect_frames), (case.name, seam.defect_frames)


def test_a_flash_at_an_intended_cut_is_still_a_defect(evaluated):
    cases, reports = evaluated
    flash_cuts = [(c, r) for c, r in zip(cases, reports) if c.name.startswith("flash_cut")]
    assert flash_cuts
    for case, report in flash_cuts:
        seam = report.seams[0]
        assert seam.scene_change
        assert seam.kinds == ["flash"], (case.name, seam)


def test_drift_curves_rise_on_drifting_takes_only(evaluated):
    cases, reports = evaluated
    for case, report in zip(cases, reports):
        if case.seam < len(case.frames):
            continue
        (drift,) = report.drift
        assert len(drift.curve) == len(case.frames) // drift.window
        assert drift.curve[0] == 0.0
        assert drift.drifting == case.drifting, (case.name, drift.curve)
        if case.drifting:
            assert drift.curve[-1] > drift.curve[1]
