"""Long takes: windows joined through the family's conditioning, colour anchored to the first window
of each prompt, flat memory, and resume from wherever a run stopped."""

from __future__ import annotations

import tracemalloc

import gen_fixtures
import numpy as np
import pytest
import torch

from engine.errors import Canceled
from engine.gen.catalog import get_model
from engine.gen.loading import CACHE
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation, steps_dir
from engine.gen.tasks import long_take
from engine.media import probe
from engine.progress import CancelToken

tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir


def _request(frames: int = 41, **extra):
    # 17-frame windows joined on 9 frames (one latent of motion past the first): advancing by 8.
    data = {"task": "long_take", "model": "tiny-ltx", "prompt": "a boat at sea", "frames": frames,
            "width": 32, "height": 32, "steps": 2, "window_frames": 17, "overlap_latents": 1,
            "dtype": "float32", "seed": 3, "prompts": [{"start_seconds": 1.0, "prompt": "a storm at sea"}]}
    data.update(extra)
    return parse_request(data)


@pytest.fixture
def calls(monkeypatch):
    """Every pipeline call of the test, with its arguments (the real call still runs)."""
    from engine.gen.tasks import common

    seen = []
    original = common.call_pipeline

    def spy(ctx, kwargs):
        seen.append(dict(kwargs))
        return original(ctx, kwargs)

    monkeypatch.setattr(long_take, "call_pipeline", spy)
    return seen


@pytest.fixture
def tails(monkeypatch):
    saved = {}
    original = long_take._Work.save_array

    def spy(self, kind, i, array):
        if kind == "tail":
            saved[i] = array.copy()
        return original(self, kind, i, array)

    monkeypatch.setattr(long_take._Work, "save_array", spy)
    return saved


def _frames(condition) -> np.ndarray:
    return np.stack([np.asarray(im) for im in condition.video])


def test_ltx_windows_join_on_the_previous_windows_last_frames(tmp_path, tiny_models, calls, tails):
    result = run_generation(_request(), tmp_path / "take")
    info = result.recipe["long_take"]
    # 41 frames in 17-frame windows advancing by 8: 4 windows; each join carries 9 frames.
    assert info["windows"] == 4 and info["context_frames"] == 9 and result.frames == 41
    assert probe(result.master).frame_count == 41
    assert calls[0]["conditions"] is None
    for i, kwargs in enumerate(calls[1:], 1):
        (condition,) = kwargs["conditions"]
        assert condition.frame_index == 0 and condition.strength == 1.0
        # The video condition is exactly the frames the previous window ended on (the VAE encodes
        # them afresh, so the window's first latent is a true image latent).
        assert np.array_equal(_frames(condition), tails[i - 1])
        assert kwargs["output_type"] == "latent"  # latents are saved before decoding
    # The prompt switches at 1 s (frame 24): windows start at frames 0, 8, 16, 24.
    assert [c["prompt"] for c in calls] == ["a boat at sea"] * 3 + ["a storm at sea"]
    assert not steps_dir(tmp_path / "take").exists()  # the work folder goes once the take is complete


def test_vace_windows_keep_the_join_frames_by_mask(tmp_path, tiny_models, calls, tails):
    result = run_generation(_request(25, model="tiny-wan", window_frames=13, prompts=[]), tmp_path / "take")
    assert result.recipe["long_take"]["windows"] == 3 and result.frames == 25
    assert calls[0]["video"] is None and calls[0]["mask"] is None
    for i, kwargs in enumerate(calls[1:], 1):
        video, mask = kwargs["video"], kwargs["mask"]
        k = tails[i - 1].shape[0]
        assert k == 5 and len(video) == len(mask) == 13
        assert np.array_equal(np.stack([np.asarray(v) for v in video[:k]]), tails[i - 1])
        assert [int(np.asarray(m).max()) for m in mask] == [0] * k + [255] * (13 - k)


def test_colour_is_anchored_to_the_first_window_of_each_prompt(tmp_path, tiny_models, monkeypatch):
    raw, saved = [], {}
    from engine.gen.tasks import common

    original_call = common.call_pipeline
    monkeypatch.setattr(long_take, "call_pipeline", lambda ctx, kw: raw.append(original_call(ctx, kw)) or raw[-1])
    original_save = long_take._Work.save_tensors

    def spy(self, name, tensors, metadata=None):
        saved[name] = (tensors["latents"].clone(), metadata)
        return original_save(self, name, tensors, metadata)

    monkeypatch.setattr(long_take._Work, "save_tensors", spy)
    anchors = []
    original_anchor = long_take.adain
    monkeypatch.setattr(long_take, "adain", lambda x, ref, f: anchors.append(ref.clone()) or original_anchor(x, ref, f))
    run_generation(_request(), tmp_path / "take")

    def means(t):
        return t.mean(dim=(0, 2, 3, 4))

    # Windows 2 and 3 (same prompt as window 1) are pulled a quarter of the way to window 1's
    # statistics; window 4 starts a new prompt, so it is saved as it came and becomes the anchor.
    first = raw[0].float()
    for i in (1, 2):
        got, want = saved[f"latents_{i:04d}.safetensors"][0], raw[i].float()
        assert torch.allclose(means(got) - means(first), 0.75 * (means(want) - means(first)), atol=1e-4)
    assert torch.equal(saved["latents_0003.safetensors"][0], raw[3].float())
    assert all(torch.equal(a, first) for a in anchors) and len(anchors) == 2
    assert saved["anchor.safetensors"][1] == {"prompt": "a storm at sea"}


def test_memory_is_flat_in_duration(tmp_path, tiny_models):
    # Loading the model and first-time imports are not what is measured.
    run_generation(_request(65, prompts=[]), tmp_path / "warm")
    peaks = {}
    for frames in (17, 65):
        tracemalloc.start()
        result = run_generation(_request(frames, prompts=[]), tmp_path / f"take{frames}")
        peaks[frames] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert result.recipe["long_take"]["max_resident_frames"] == 17
    # 4x the duration, not 4x the memory (frames stream through one window at a time).
    assert peaks[65] < peaks[17] * 1.5


def _interrupt_at(prefix: str):
    cancel = CancelToken()

    def progress(done, total, message):
        if message.startswith(prefix):
            cancel.cancel()

    return progress, cancel


def test_interrupted_long_take_resumes_at_the_window_it_stopped(tmp_path, tiny_models, calls):
    straight = run_generation(_request(), tmp_path / "straight")
    calls.clear()
    progress, cancel = _interrupt_at("window 3/4: step 1/")
    with pytest.raises(Canceled):
        run_generation(_request(), tmp_path / "take", progress, cancel)
    steps = steps_dir(tmp_path / "take")
    assert not (tmp_path / "take").exists()
    assert sorted(p.name for p in steps.glob("done_*")) == ["done_0000", "done_0001"]
    calls.clear()
    messages = []
    result = run_generation(_request(), tmp_path / "take", lambda d, t, m: messages.append(m))
    assert result.recipe["long_take"]["resumed_from_window"] == 2 and len(calls) == 2
    assert not any(m.startswith(("window 1/", "window 2/")) for m in messages)
    assert "resumed at window 3" in result.message
    # Resuming gives exactly the frames of an uninterrupted run.
    assert result.recipe["output"]["frames_sha256"] == straight.recipe["output"]["frames_sha256"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["straight", "take"]  # no partial, no work folder


def test_stopped_after_the_last_window_before_the_take_was_written_resumes(tmp_path, tiny_models, calls):
    """Every window done, the take not yet written: the rerun writes it without denoising (this
    used to fail for good, looking for a join state the last window never writes)."""
    straight = run_generation(_request(), tmp_path / "straight")
    progress, cancel = _interrupt_at("writing the take")
    with pytest.raises(Canceled):
        run_generation(_request(frames=49), tmp_path / "take", progress, cancel)
    assert (steps_dir(tmp_path / "take") / "take.json").is_file()
    calls.clear()
    result = run_generation(_request(frames=49), tmp_path / "take")
    assert calls == [] and result.frames == 49
    again = run_generation(_request(), tmp_path / "again")
    assert again.recipe["output"]["frames_sha256"] == straight.recipe["output"]["frames_sha256"]


def test_stopped_while_decoding_resumes_from_the_saved_latents(tmp_path, tiny_models, calls):
    straight = run_generation(_request(), tmp_path / "straight")
    progress, cancel = _interrupt_at("window 2/4: decoding")
    calls.clear()
    with pytest.raises(Canceled):
        run_generation(_request(), tmp_path / "take", progress, cancel)
    assert (steps_dir(tmp_path / "take") / "latents_0001.safetensors").is_file()
    calls.clear()
    result = run_generation(_request(), tmp_path / "take")
    assert len(calls) == 2  # windows 3 and 4 denoised; window 2 only decoded from its saved latents
    assert result.recipe["output"]["frames_sha256"] == straight.recipe["output"]["frames_sha256"]


def test_unusable_or_stale_state_starts_over_instead_of_failing(tmp_path, tiny_models, calls):
    progress, cancel = _interrupt_at("window 3/4: step 1/")
    with pytest.raises(Canceled):
        run_generation(_request(), tmp_path / "take", progress, cancel)
    (steps_dir(tmp_path / "take") / "tail_0001.npy").unlink()  # the join the resume needs is gone
    calls.clear()
    result = run_generation(_request(), tmp_path / "take")
    assert result.recipe["long_take"]["resumed_from_window"] == 0 and len(calls) == 4
    # A different request into the same folder never reuses another request's windows.
    with pytest.raises(Canceled):
        run_generation(_request(), tmp_path / "other", *_interrupt_at("window 3/4: step 1/"))
    calls.clear()
    result = run_generation(_request(seed=4), tmp_path / "other")
    assert result.recipe["long_take"]["resumed_from_window"] == 0 and len(calls) == 4


def test_framepack_long_take_resumes_from_its_saved_latents(tmp_path, tiny_models, calls):
    from engine.media import save_png

    save_png(np.full((32, 32, 3), 200, np.uint8), tmp_path / "first.png")
    request = _request(80, model="tiny-framepack", image=str(tmp_path / "first.png"), prompts=[],
                       window_frames=None, overlap_latents=None)
    straight = run_generation(request, tmp_path / "straight")
    assert straight.frames == 80 and len(calls) == 1 and calls[0]["output_type"] == "latent"
    progress, cancel = _interrupt_at("decoding the take: part 2")
    with pytest.raises(Canceled):
        run_generation(request, tmp_path / "take", progress, cancel)
    calls.clear()
    result = run_generation(request, tmp_path / "take")
    assert calls == [] and "resumed from its saved latents" in result.message
    assert result.recipe["output"]["frames_sha256"] == straight.recipe["output"]["frames_sha256"]
    assert CACHE.get_warm(get_model("tiny-framepack"), "long_take", "gpu", "float32", "cpu") is not None

