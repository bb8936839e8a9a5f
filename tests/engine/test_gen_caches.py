"""Step caches as generation options: the first-block cache, MagCache (calibrated once per model, on a
full-quality run) and TaylorSeer, on the real diffusers hooks of a tiny build (CPU)."""

from __future__ import annotations

import json

import gen_fixtures
import numpy as np
import pytest

from engine.gen.memory import mag_ratios_path
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation

tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir


def _run(tmp_path, name, **fields):
    data = {"task": "text_to_video", "model": "tiny-wan", "prompt": "a cat", "frames": 9, "width": 32, "height": 32,
            "steps": 12, "seed": 3, "dtype": "float32", **fields}
    return run_generation(parse_request(data), tmp_path / name)


def _frames(result):
    return result.recipe["output"]["frames_sha256"]


def test_each_cache_is_recorded_and_none_is_the_full_run(tmp_path, tiny_models):
    full = _run(tmp_path, "full")
    none = _run(tmp_path, "none", draft=True, cache="none")
    assert _frames(none) == _frames(full) and none.recipe["cache"] == "none"
    assert not any("cache" in a for a in none.recipe["tier_applied"])
    taylor = _run(tmp_path, "taylor", cache="taylorseer")
    assert taylor.recipe["cache"] == "taylorseer"
    assert any(a.startswith("taylorseer cache") for a in taylor.recipe["tier_applied"])
    assert _frames(taylor) != _frames(full)  # predicted steps are not the computed ones
    again = _run(tmp_path, "taylor2", cache="taylorseer")
    assert _frames(again) == _frames(taylor)  # a replay with the same cache is exact
    back = _run(tmp_path, "back")  # the cache is removed again for a full-quality take
    assert _frames(back) == _frames(full)


def test_magcache_calibrates_once_on_a_full_quality_run_then_skips(tmp_path, tiny_models, capfd):
    from engine.gen.catalog import get_model

    path = mag_ratios_path(get_model("tiny-wan"), 12)
    full = _run(tmp_path, "full")
    first = _run(tmp_path, "calibrate", cache="mag")
    assert any("calibrating" in a for a in first.recipe["tier_applied"])
    assert _frames(first) == _frames(full)  # calibration never skips a step
    saved = json.loads(path.read_text())
    assert saved["model"] == "tiny-wan" and len(saved["ratios"]) == 12 and saved["ratios"][0] == 1.0
    assert "[MagCache]" not in capfd.readouterr().out  # the library's print never reaches stdout
    second = _run(tmp_path, "skip", cache="mag")
    assert any(a.startswith("mag cache") and "calibrated" in a for a in second.recipe["tier_applied"])
    assert second.frames == full.frames


def test_the_command_line_takes_draft_and_cache(tmp_path, tiny_models, capsys):
    import argparse
    from fractions import Fraction

    from engine.gen.commands import register
    from engine.project import Project

    Project.create(tmp_path / "p", fps=Fraction(24), size=(64, 64)).close()
    parser = argparse.ArgumentParser(prog="shotloom")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["shot", "add", str(tmp_path / "p.shotloom"), "--prompt", "a cat", "--model", "tiny-wan",
                              "--seconds", "0.3", "--draft", "--cache", "taylorseer"])
    assert args.func(args) == 0
    shot_id = capsys.readouterr().out.strip()
    spec = Project.open(tmp_path / "p.shotloom").shot(shot_id).recipe["shotloom_gen"]
    assert spec["draft"] is True and spec["cache"] == "taylorseer"
    with pytest.raises(SystemExit):
        parser.parse_args(["shot", "add", "p", "--prompt", "x", "--cache", "warp"])
    assert np is not None
