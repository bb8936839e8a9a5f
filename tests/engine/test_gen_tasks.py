"""Every generation task through the real diffusers pipeline classes (tiny random weights, CPU)."""

from __future__ import annotations

import json
from fractions import Fraction

import gen_fixtures
import numpy as np
import pytest
import torch
from gen_fixtures import make_clip, read_all

from engine.errors import Canceled, GenerationError
from engine.gen.loading import CACHE
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation
from engine.media import probe
from engine.progress import CancelToken

# Fixtures shared by the generation tests (tiny models built once per session).
tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir


def _run(tmp_path, name="take", progress=None, preview=None, **fields):
    fields.setdefault("model", "tiny-ltx")
    fields.setdefault("prompt", "a cat walks in the rain")
    fields.setdefault("dtype", "float32")
    return run_generation(parse_request(fields), tmp_path / name, progress, preview=preview)


def test_text_to_video_snaps_generates_native_and_conforms(tmp_path, tiny_models):
    reports, previews = [], []
    result = _run(tmp_path, progress=lambda *r: reports.append(r), preview=previews.append, task="text_to_video",
                  seconds=0.5, width=64, height=64, steps=2, output_rate="30", output_size=[96, 64])
    # Progress per denoise step with an ETA, then the encode; a live preview from the latents.
    assert reports[0][:2] == (1, 2) and "step 1/2, ETA" in reports[0][2] and "step 2/2" in reports[1][2]
    # LTX compresses 32x in space: a 64x64 take previews at 2x2 latent pixels.
    assert previews and previews[-1].dtype == np.uint8 and previews[-1].shape == (2, 2, 3)
    # 0.5 s at 24 fps = 12 frames -> LTX 8k+1 -> 17 native frames -> 17 * 30/24 = 21 frames at 30 fps.
    assert result.recipe["frames"] == 17 and result.recipe["native_fps"] == "24/1"
    assert result.frames == 21 and result.rate == Fraction(30) and result.size == (96, 64)
    assert "snapped to 17" in result.message and "conformed to 21 frames at 30 fps" in result.message
    for path in (result.master, result.scrub):
        info = probe(path)
        assert (info.frame_count, info.width, info.height, info.fps) == (21, 96, 64, Fraction(30))
    recipe = json.loads(result.recipe_path.read_text())
    assert recipe["model"]["id"] == "tiny-ltx" and recipe["model"]["revision"].startswith("tiny-v")
    assert any(k.endswith(".safetensors") and len(v) == 64 for k, v in recipe["model"]["files"].items())
    assert recipe["seed"] == 0 and recipe["steps"] == 2 and recipe["tier"] == "gpu"
    assert recipe["library_versions"]["diffusers"] and recipe["timings"]["generate_s"] > 0
    assert sorted(p.name for p in result.take_dir.iterdir()) == ["master.mp4", "recipe.json", "scrub.mp4"]


def test_same_seed_is_bit_exact_and_other_seed_differs(tmp_path, tiny_models):
    # 128x128: below about 128 px, x264 itself is not repeatable in a process that has run OpenCV
    # (the same frames, even with one encoder thread, gave different bytes after a flow retime);
    # from 128 px up its output is the same every time, and takes are far larger.
    a = _run(tmp_path, "a", task="text_to_video", frames=9, width=128, height=128, steps=2, seed=7)
    b = _run(tmp_path, "b", task="text_to_video", frames=9, width=128, height=128, steps=2, seed=7)
    c = _run(tmp_path, "c", task="text_to_video", frames=9, width=128, height=128, steps=2, seed=8)
    assert a.recipe["output"]["frames_sha256"] == b.recipe["output"]["frames_sha256"]
    assert a.recipe["output"]["frames_sha256"] != c.recipe["output"]["frames_sha256"]
    # The same pixels make the same file: the masters decode identically.
    da, db = _decode(a.master), _decode(b.master)
    assert da.shape == (9, 128, 128, 3) and np.array_equal(da, db)
    assert not np.array_equal(da, _decode(c.master))


def _decode(path):
    import av

    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def test_image_to_video_conditions_on_the_image(tmp_path, tiny_models):
    from engine.media import save_png

    image = np.zeros((48, 80, 3), np.uint8)
    image[:, :40] = (250, 10, 10)
    save_png(image, tmp_path / "still.png")
    seen = []
    from engine.gen.catalog import get_model

    pipe, _ = CACHE.pipeline(get_model("tiny-ltx"), "image_to_video", tier="gpu", dtype="float32", device="cpu")
    handle = pipe.vae.encoder.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    try:
        result = _run(tmp_path, task="image_to_video", image=str(tmp_path / "still.png"), frames=9,
                      width=64, height=32, steps=2)
    finally:
        handle.remove()
    assert result.frames == 9 and result.size == (64, 32)
    # The image (cropped to 64x32, scaled to [-1, 1]) is what the pipeline's VAE encoded.
    assert seen and seen[0].shape[-2:] == (32, 64)
    left, right = seen[0][0, 0, 0, :, :20].mean(), seen[0][0, 0, 0, :, -20:].mean()
    assert left > 0.9 and right < -0.9


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_ltx_extend_conditions_on_the_clip_edge(tmp_path, tiny_models, direction):
    from engine.media import FrameReader, conform_frame

    # Imported footage at another rate and size: conformed to 24 fps and 64x64 before conditioning.
    clip = make_clip(tmp_path / "src.mp4", frames=25, rate=Fraction(30), size=(80, 60))
    src_frames, _ = read_all(clip)
    with FrameReader(clip, rate=24) as at_model_rate:
        conformed = [conform_frame(at_model_rate.frame(i), (64, 64), "fill")
                     for i in range(at_model_rate.frame_count)]
    encoded, timesteps = [], []
    from engine.gen.catalog import get_model

    pipe, _ = CACHE.pipeline(get_model("tiny-ltx"), "extend", tier="gpu", dtype="float32", device="cpu")
    h1 = pipe.vae.encoder.register_forward_pre_hook(lambda m, args: encoded.append(args[0].detach().clone()))
    h2 = pipe.transformer.register_forward_pre_hook(
        lambda m, args, kwargs: timesteps.append(kwargs["timestep"].detach().clone()), with_kwargs=True)
    try:
        result = _run(tmp_path, task="extend", source={"path": str(clip)}, direction=direction,
                      frames=8, width=64, height=64, steps=2, context_frames=9)
    finally:
        h1.remove()
        h2.remove()
    assert result.frames == 8  # 9 context + 8 new = 17 (8k+1): exactly the new frames come back
    assert len(conformed) == 20  # 25 frames at 30 fps = 20 at 24 fps
    edge = np.stack(conformed[-9:] if direction == "forward" else conformed[:9])
    # The clip's edge frames reached the pipeline's VAE encoder (in [-1, 1], channels first).
    got = ((encoded[0][0].permute(1, 2, 3, 0).numpy() + 1) * 127.5).round()
    assert got.shape == (9, 64, 64, 3)
    assert np.abs(got - edge.astype(np.float64)).mean() < 1.0
    # And the conditioned tokens are marked clean (timestep 0) in the transformer's input.
    assert (timesteps[0] == 0).any() and (timesteps[0] > 0).any()
    assert np.array_equal(src_frames, read_all(clip)[0])  # the source clip is untouched


def test_wan_bridge_first_and_last_frame(tmp_path, tiny_models):
    a = make_clip(tmp_path / "a.mp4", frames=12, rate=Fraction(16), size=(64, 48), seed=1)
    b = make_clip(tmp_path / "b.mp4", frames=12, rate=Fraction(16), size=(64, 48), seed=2)
    result = _run(tmp_path, model="tiny-wan", task="bridge", before={"path": str(a)}, after={"path": str(b)},
                  frames=7, width=32, height=32, steps=2, output_rate="24")
    assert result.recipe["model"]["pipeline"] == "WanImageToVideoPipeline"
    # 1 + 7 + 1 = 9 (4k+1) at 16 fps -> 7 new frames -> 7 * 24/16 = 10.5 -> 10 frames at 24 fps.
    assert result.recipe["frames"] == 7 and result.frames == 10 and result.rate == Fraction(24)


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_wan_vace_extend_keeps_the_context_frames(tmp_path, tiny_models, direction):
    from engine.gen.catalog import get_model
    from engine.media import FrameReader, conform_frame

    clip = make_clip(tmp_path / "src.mp4", frames=10, rate=Fraction(16), size=(64, 48))
    with FrameReader(clip) as reader:
        conformed = [conform_frame(reader.frame(i), (32, 32), "fill") for i in range(10)]
    edge = np.stack(conformed[-5:] if direction == "forward" else conformed[:5]).astype(np.float64)
    pipe, _ = CACHE.pipeline(get_model("tiny-wan"), "extend", tier="gpu", dtype="float32", device="cpu")
    encoded, controls = [], []
    original_encode = pipe.vae.encode

    def spy(x, *args, **kwargs):
        encoded.append(x.detach().clone())
        return original_encode(x, *args, **kwargs)

    pipe.vae.encode = spy
    h = pipe.transformer.register_forward_pre_hook(
        lambda m, args, kwargs: controls.append(kwargs["control_hidden_states"].detach().clone()), with_kwargs=True)
    try:
        result = _run(tmp_path, model="tiny-wan", task="extend", source={"path": str(clip)}, direction=direction,
                      frames=4, context_frames=5, width=32, height=32, steps=2)
    finally:
        h.remove()
        del pipe.vae.encode
    assert result.recipe["model"]["pipeline"] == "WanVACEPipeline" and result.frames == 4
    # VACE encodes video * (1 - mask) first: the clip's 5 edge frames where the mask keeps, zeros
    # where the 4 new frames are to be made (after them forward, before them backward).
    inactive = ((encoded[0][0].permute(1, 2, 3, 0).numpy() + 1) * 127.5)
    assert inactive.shape == (9, 32, 32, 3)
    known, new = (inactive[:5], inactive[5:]) if direction == "forward" else (inactive[4:], inactive[:4])
    assert np.abs(known - edge).mean() < 1.0
    assert np.abs(new - 127.5).max() < 1e-3  # zero in [-1, 1]
    assert controls and controls[0].shape[1] == 96  # the control stream reached the VACE transformer


def test_cancel_mid_run_leaves_nothing(tmp_path, tiny_models):
    cancel = CancelToken()

    def progress(done, total, message):
        if "step 1/" in message:
            cancel.cancel()

    with pytest.raises(Canceled):
        run_generation(parse_request({"task": "text_to_video", "model": "tiny-ltx", "prompt": "x", "frames": 9,
                                      "width": 32, "height": 32, "steps": 3, "dtype": "float32"}),
                       tmp_path / "take", progress, cancel)
    assert list(tmp_path.iterdir()) == []


def test_out_of_memory_walks_down_the_tiers_freeing_the_failed_pipeline_first(tmp_path, tiny_models, monkeypatch):
    import gc

    from engine.gen import loading
    from engine.gen.catalog import get_model

    entry = get_model("tiny-ltx")
    CACHE.clear()
    pipe, _ = CACHE.pipeline(entry, "text_to_video", tier="gpu", dtype="float32", device="cpu")

    def oom(module, args):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    pipe.transformer.register_forward_pre_hook(oom)
    del pipe
    alive_at_next_load = []
    original = loading.load_pipeline

    def load(*args, **kwargs):
        gc.collect()
        alive_at_next_load.append(CACHE.last_evicted is not None and CACHE.last_evicted() is not None)
        return original(*args, **kwargs)

    monkeypatch.setattr(loading, "load_pipeline", load)
    result = _run(tmp_path, task="text_to_video", frames=9, width=32, height=32, steps=2, tier="gpu")
    assert result.recipe["tier"] == "offload"
    assert result.recipe["oom_attempts"][0]["tier"] == "gpu"
    assert "vae tiling" in result.recipe["tier_applied"]
    assert "out of memory on tier gpu; retried on offload" in result.message
    assert CACHE.get_warm(entry, "text_to_video", "gpu", "float32", "cpu") is None
    # The failed pipeline was gone before the next tier loaded: never two copies in memory.
    assert alive_at_next_load == [False]


def test_group_offload_tier_stores_fp8_weights(tmp_path, tiny_models):
    result = _run(tmp_path, task="text_to_video", frames=9, width=32, height=32, steps=2, tier="group_offload")
    assert "fp8 layerwise storage" in result.recipe["tier_applied"]
    from engine.gen.catalog import get_model

    warm = CACHE.get_warm(get_model("tiny-ltx"), "text_to_video", "group_offload", "float32", "cpu")
    assert any(p.dtype == torch.float8_e4m3fn for p in warm.base.transformer.parameters())


def test_draft_uses_fewer_steps_and_the_cache_only_where_steps_allow(tmp_path, tiny_models):
    few = _run(tmp_path, "few", task="text_to_video", frames=9, width=32, height=32, draft=True)
    assert few.recipe["steps"] == 1 and not any("cache" in a for a in few.recipe["tier_applied"])
    many = _run(tmp_path, "many", task="text_to_video", frames=9, width=32, height=32, draft=True, steps=12)
    assert "first block cache 0.05" in many.recipe["tier_applied"]  # the library's default threshold
    plain = _run(tmp_path, "plain", task="text_to_video", frames=9, width=32, height=32, steps=12)
    assert not any("cache" in a for a in plain.recipe["tier_applied"])  # switched off again


def test_unsupported_task_and_bad_request_are_clear(tmp_path, tiny_models):
    with pytest.raises(GenerationError, match="tiny-svd.*cannot do text to video"):
        _run(tmp_path, model="tiny-svd", task="text_to_video")
    with pytest.raises(GenerationError, match="request is invalid"):
        run_generation({"task": "long_take", "model": "tiny-ltx", "prompt": "x"}, tmp_path / "t")
    assert not (tmp_path / "t").exists()
