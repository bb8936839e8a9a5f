"""The render plan: which source frames make each timeline frame, including inside transitions."""

from fractions import Fraction
from pathlib import Path

import pytest

from engine.render.plan import Span, make_plan

A, B, C = Path("/m/a.mp4"), Path("/m/b.mp4"), Path("/m/c.mp4")


def three_shots(kind_b=None, len_b=0, kind_c=None, len_c=0):
    # A: 24 visible frames from 0; B: starts at 24, source_in 10; C: pending.
    spans = [
        Span(0, 24, "a", "A", A, 0),
        Span(24, 30, "b", "B", B, 10),
        Span(54, 12, "c", "C", None, 0),
    ]
    transitions = {}
    if kind_b:
        transitions["b"] = (kind_b, len_b)
    if kind_c:
        transitions["c"] = (kind_c, len_c)
    return make_plan(Fraction(24), (320, 240), spans, transitions)


def test_plain_cut_maps_every_frame_to_one_source_frame():
    plan = three_shots()
    assert plan.frames == 66
    assert plan.cuts == [(24, "a", "b"), (54, "b", "c")]
    r = plan.at(0)
    assert [(x.media_path, x.source_frame, x.weight) for x in r.layers] == [(A, 0, 1.0)]
    r = plan.at(23)
    assert r.layers[0].source_frame == 23
    r = plan.at(24)
    assert (r.layers[0].media_path, r.layers[0].source_frame) == (B, 10)
    assert plan.at(53).layers[0].source_frame == 39


def test_pending_shot_is_a_slate_and_listed():
    plan = three_shots()
    r = plan.at(60)
    assert r.layers == () and r.fill_weight == 1.0
    assert [s.shot_id for s in plan.pending] == ["c"]


def test_crossfade_mixes_last_frames_of_a_with_handle_of_b():
    plan = three_shots("crossfade", 6)
    assert plan.frames == 66  # the edit shortened B already: the plan only reads the spans
    for k, t in enumerate(range(18, 24)):
        r = plan.at(t)
        (la, lb) = r.layers
        assert (la.media_path, la.source_frame) == (A, t)
        assert (lb.media_path, lb.source_frame) == (B, 10 - 6 + k)
        assert la.weight + lb.weight == pytest.approx(1.0)
        assert lb.weight == pytest.approx((k + 1) / 7)
    assert len(plan.at(17).layers) == 1 and len(plan.at(24).layers) == 1
    weights = [plan.at(t).layers[1].weight for t in range(18, 24)]
    assert weights == sorted(weights)


def test_dip_to_black_goes_through_black_without_both_shots_at_once():
    plan = three_shots("dip_black", 8)
    seen_fill = []
    for t in range(16, 24):
        r = plan.at(t)
        names = {x.media_path for x in r.layers}
        assert len(names) <= 1
        assert r.fill == (0, 0, 0)
        seen_fill.append(r.fill_weight)
        total = sum(x.weight for x in r.layers) + r.fill_weight
        assert total == pytest.approx(1.0)
    assert max(seen_fill) > 0.8


def test_dip_white_uses_white():
    plan = three_shots("dip_white", 4)
    assert plan.at(21).fill == (255, 255, 255)


def test_mix_into_pending_shot_shows_slate_colour():
    plan = three_shots(kind_c="crossfade", len_c=4)
    r = plan.at(52)
    assert len(r.layers) == 1 and r.fill_weight > 0


def test_frames_outside_the_timeline_are_refused():
    plan = three_shots()
    with pytest.raises(IndexError):
        plan.at(66)
    with pytest.raises(IndexError):
        plan.at(-1)


def test_empty_plan():
    plan = make_plan(Fraction(25), (64, 64), [], {})
    assert plan.frames == 0 and plan.cuts == []
