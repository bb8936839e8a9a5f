"""Long takes: chained windows in latent space, flat memory, resume after interruption."""

from __future__ import annotations

import itertools
import tracemalloc

import gen_fixtures
import pytest

from engine.errors import Canceled
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation
from engine.media import probe
from engine.progress import CancelToken

# Fixtures shared by the generation tests (tiny models built once per session).
tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir


def _request(frames: int, **extra):
    data = {"task": "long_take", "model": "tiny-ltx", "prompt": "a boat at sea", "frames": frames,
            "width": 32, "height": 32, "steps": 2, "window_frames": 9, "overlap_latents": 1,
            "dtype": "float32", "seed": 3,
            "prompts": [{"start_seconds": 1.0, "prompt": "a storm at sea"}]}
    data.update(extra)
    return parse_request(data)


def test_long_take_chains_windows_in_latent_space(tmp_path, tiny_models, monkeypatch):
    import torch

    from engine.gen.catalog import get_model
    from engine.gen.loading import CACHE
    from engine.gen.tasks import long_take

    pinners = []
    original_init = long_take._Pinner.__init__

    def record(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        pinners.append(self)

    monkeypatch.setattr(long_take._Pinner, "__init__", record)

    pipe, _ = CACHE.pipeline(get_model("tiny-ltx"), "long_take", tier="gpu", dtype="float32", device="cpu")
    prompts = []
    orig = pipe.encode_prompt

    def spy(*args, **kwargs):
        prompts.append(kwargs.get("prompt", args[0] if args else None))
        return orig(*args, **kwargs)

    pipe.encode_prompt = spy
    try:
        result = run_generation(_request(49), tmp_path / "take")
    finally:
        del pipe.encode_prompt
    info = result.recipe["long_take"]
    # Each window after the first ends with its head latents equal to the previous window's clean tail.
    assert len(pinners) == 6 and pinners[0].head is None
    for prev, cur in itertools.pairwise(pinners):
        assert torch.allclose(cur.final[:, :, :1], prev.final[:, :, -1:], atol=1e-5)
        assert not torch.allclose(cur.final[:, :, 1:], prev.final[:, :, 1:], atol=1e-3)
    # 9-frame windows advancing by 8: 49 frames = 6 windows, one shared frame between neighbours.
    assert info["windows"] == 6 and info["overlap_frames"] == 1 and info["chaining"] == "latent"
    assert result.frames == 49 and probe(result.master).frame_count == 49
    # The prompt switches at 1 s (frame 24): windows starting at 0, 8, 16 then 24, 32, 40.
    assert prompts == ["a boat at sea"] * 3 + ["a storm at sea"] * 3
    assert not (tmp_path / ".take.steps").exists()  # resumable state removed once the take is complete


def test_memory_is_flat_in_duration(tmp_path, tiny_models):
    peaks = {}
    for frames in (17, 65):
        tracemalloc.start()
        result = run_generation(_request(frames), tmp_path / f"take{frames}")
        peaks[frames] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert result.recipe["long_take"]["max_resident_frames"] == 9
    # 4x the duration, not 4x the memory (frames stream through one window at a time).
    assert peaks[65] < peaks[17] * 1.5


def test_interrupted_long_take_resumes_at_the_window_it_stopped(tmp_path, tiny_models):
    straight = run_generation(_request(41), tmp_path / "straight")
    cancel = CancelToken()
    seen = []

    def progress(done, total, message):
        seen.append(message)
        if message.startswith("window 4/5"):
            cancel.cancel()

    with pytest.raises(Canceled):
        run_generation(_request(41), tmp_path / "take", progress, cancel)
    steps = tmp_path / ".take.steps"
    assert not (tmp_path / "take").exists()
    assert sorted(p.name for p in steps.glob("done_*")) == ["done_0000", "done_0001", "done_0002"]
    resumed_messages = []
    result = run_generation(_request(41), tmp_path / "take", lambda d, t, m: resumed_messages.append(m))
    assert result.recipe["long_take"]["resumed_from_window"] == 3
    assert not any(m.startswith(("window 1/", "window 2/", "window 3/")) for m in resumed_messages)
    assert "resumed at window 4" in result.message
    # Resuming gives exactly the frames of an uninterrupted run.
    assert result.recipe["output"]["frames_sha256"] == straight.recipe["output"]["frames_sha256"]


def test_wan_long_take_chains_unpacked_latents(tmp_path, tiny_models):
    result = run_generation(_request(17, model="tiny-wan", prompts=[]), tmp_path / "take")
    info = result.recipe["long_take"]
    # Wan windows of 9 frames (4k+1) advance by 8: 17 frames = 2 windows.
    assert info["windows"] == 2 and result.frames == 17 and result.recipe["model"]["pipeline"] == "WanPipeline"
