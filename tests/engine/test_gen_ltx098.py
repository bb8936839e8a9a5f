"""LTX-Video 13B 0.9.8 on its tiny build: the two-stage take (draft at half the size, the latent
upsampler, a refine at the full size), the one-call long take with a prompt per temporal tile, and
the finishing upscale of an LTX take through the same latent upsampler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gen_fixtures
import numpy as np
import pytest
from diffusers import LTXConditionPipeline, LTXI2VLongMultiPromptPipeline, LTXLatentUpsamplePipeline

from engine.gen.catalog import get_model
from engine.gen.families.ltx import REFINE_RUNS, REFINE_TIMESTEPS_098
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation
from engine.media import probe, save_png

tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir
MODEL = "tiny-ltx-0.9.8-distilled"


class Calls:
    """Every call of a pipeline class: its keyword arguments and what it returned (real calls)."""

    def __init__(self, monkeypatch, cls) -> None:
        self.calls: list[tuple[dict, object]] = []
        original = cls.__call__

        def spy(pipe, *args, **kwargs):
            out = original(pipe, *args, **kwargs)
            self.calls.append((kwargs, out))
            return out

        monkeypatch.setattr(cls, "__call__", spy)


def _request(tmp_path, task="text_to_video", **extra):
    data = {"task": task, "model": MODEL, "prompt": "a cat walks in the rain", "dtype": "float32", "seed": 3,
            "width": 128, "height": 64}
    data.update(extra)
    return parse_request(data)


@pytest.fixture
def still(tmp_path):
    image = np.zeros((64, 128, 3), np.uint8)
    image[:, :64] = (250, 10, 10)
    save_png(image, tmp_path / "still.png")
    return tmp_path / "still.png"


@pytest.mark.parametrize("task", ["text_to_video", "image_to_video"])
def test_a_take_is_drafted_at_half_size_upsampled_in_latents_and_refined_at_full_size(tmp_path, tiny_models,
                                                                                       monkeypatch, still, task):
    stages = Calls(monkeypatch, LTXConditionPipeline)
    upsample = Calls(monkeypatch, LTXLatentUpsamplePipeline)
    reports = []
    extra = {"image": str(still)} if task == "image_to_video" else {}
    result = run_generation(_request(tmp_path, task, **extra), tmp_path / "take", lambda *r: reports.append(r))

    (draft, draft_out), (refine, _) = stages.calls
    assert (draft["width"], draft["height"], draft["output_type"]) == (64, 32, "latent")
    assert (refine["width"], refine["height"], refine["output_type"]) == (128, 64, "np")
    # The upsampler doubles the draft's latents in space (not in time); the refine starts from them.
    [(up, up_out)] = upsample.calls
    assert up["latents"] is draft_out.frames
    d, u = tuple(draft_out.frames.shape), tuple(up_out.frames.shape)
    assert d == (1, 128, 2, 1, 2) and u == (1, 128, 2, 2, 4)
    assert refine["latents"] is up_out.frames
    assert refine["timesteps"] == [t * 1000.0 for t in REFINE_TIMESTEPS_098] and refine["denoise_strength"] == 0.999
    assert draft["timesteps"][0] == 1000.0 and "denoise_strength" not in draft
    if task == "image_to_video":  # the first frame conditions both stages
        assert len(draft["conditions"]) == 1 and refine["conditions"] is draft["conditions"]
    # The take is at the full size; progress counts the draft's steps and the refine's.
    assert probe(result.master).width == 128 and probe(result.master).height == 64 and result.frames == 9
    assert reports[-1][1] == len(draft["timesteps"]) + REFINE_RUNS
    assert any(m.startswith("refine at 128x64: step 4/4") for _, _, m in reports)
    assert "a draft at 64x32" in result.message
    files = result.recipe["model"]["files"]
    # The upsampler's weights are hashed into the recipe (in a tiny build they sit inside its folder).
    assert any("LTX-0.9.8-Latent-Upsampler/" in k and k.endswith(".safetensors") for k in files)


def test_the_long_take_is_one_call_with_a_prompt_per_tile(tmp_path, tiny_models, monkeypatch, still):
    long = Calls(monkeypatch, LTXI2VLongMultiPromptPipeline)
    prompts = []
    original = LTXI2VLongMultiPromptPipeline.encode_prompt

    def encode(pipe, prompt, *args, **kwargs):
        prompts.append(prompt)
        return original(pipe, prompt, *args, **kwargs)

    monkeypatch.setattr(LTXI2VLongMultiPromptPipeline, "encode_prompt", encode)
    request = _request(tmp_path, "long_take", frames=25, window_frames=16, overlap_latents=1, image=str(still),
                       prompts=[{"start_seconds": 0.5, "prompt": "a dog runs at night"}])
    previews = []
    reports = []
    result = run_generation(request, tmp_path / "take", lambda *r: reports.append(r), preview=previews.append)

    [(call, out)] = long.calls  # the whole take in one call
    assert call["num_frames"] == 25 and call["temporal_tile_size"] == 16 and call["temporal_overlap"] == 8
    # The distilled schedule down to 0: 8 steps per tile, 3 tiles, and progress reaches its total.
    assert call["sigmas"][0] == 1.0 and call["sigmas"][-1] == 0.0 and len(call["sigmas"]) == 9
    steps = [r for r in reports if "step" in r[2]]
    assert len(steps) == 24 and steps[-1][:2] == (24, 24)
    assert call["cond_image"] is not None and call["cond_image"].size == (128, 64)
    # Tiles start on latents 0, 1, 2 (frames 0, 8, 16 at 24 fps: 0 s, 0.33 s, 0.67 s): the range that
    # starts at 0.5 s prompts the third tile, and each tile's prompt reached the text encoder.
    texts = [seg["text"] for seg in call["prompt_segments"]]
    assert texts == ["a cat walks in the rain", "a cat walks in the rain", "a dog runs at night"]
    assert prompts == [[t] for t in texts]
    assert tuple(out.frames.shape) == (1, 128, 4, 2, 4)
    assert result.frames == 25 and probe(result.master).width == 128
    assert result.recipe["long_take"]["windows"] == 1 and result.recipe["model"]["pipeline"] == \
        "LTXI2VLongMultiPromptPipeline"
    assert "temporal tiles" in result.recipe["long_take"]["chaining"]
    # The live preview shows the tile being denoised (at least its last step each), not the take's
    # initial noise: pictures of the latent size that change from tile to tile.
    assert len(previews) >= 3 and all(p.shape == (2, 4, 3) for p in previews)
    assert len({p.tobytes() for p in previews}) > 1


# -- finishing: the upscale of an LTX take ----------------------------------------------------------------

def shotloom(*args, home: Path, check=True) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", "SHOTLOOM_HOME": str(home)}, timeout=600)
    if check and res.returncode != 0:
        raise AssertionError(f"shotloom {' '.join(map(str, args))} failed ({res.returncode}): {res.stderr}")
    return res


def test_upscaling_an_ltx_take_uses_its_latent_upsampler_and_adds_a_take_to_the_shot(tmp_path, tiny_models,
                                                                                     shotloom_home):
    project = tmp_path / "film.shotloom"
    shotloom("new", project, "--fps", "24", "--size", "128x64", home=shotloom_home)
    shot = shotloom("shot", "add", project, "--prompt", "a boat", "--model", MODEL, home=shotloom_home).stdout.strip()
    shotloom("generate", project, home=shotloom_home)
    before = json.loads(shotloom("info", project, "--json", home=shotloom_home).stdout)["shots"][0]
    [made] = before["takes"]

    res = shotloom("upscale", project, "1", "--factor", "2", home=shotloom_home)
    take_id = res.stdout.strip()
    after = json.loads(shotloom("info", project, "--json", home=shotloom_home).stdout)["shots"][0]
    assert after["id"] == before["id"] == shot
    active = next(t for t in after["takes"] if t["active"])
    assert active["id"] == take_id and {t["id"] for t in after["takes"]} == {made["id"], take_id}
    info = probe(Path(active["path"]))
    assert (info.width, info.height) == (256, 128) and info.frame_count == probe(Path(made["path"])).frame_count
    recipe = json.loads((Path(active["path"]).parent / "recipe.json").read_text())
    assert recipe["task"] == "upscale" and recipe["model"]["architecture"] == "LTXLatentUpsamplerModel"
    assert recipe["model"]["vae"] == MODEL and recipe["source_model"]["id"] == MODEL
    assert recipe["message"] == f"upscaled ×2 to 256x128 with the latent upsampler of {get_model(MODEL).name}"
    assert recipe["message"] in res.stderr
    # Undo brings the generated take back.
    shotloom("undo", project, home=shotloom_home)
    shot_now = json.loads(shotloom("info", project, "--json", home=shotloom_home).stdout)["shots"][0]
    assert [t["id"] for t in shot_now["takes"] if t["active"]] == [made["id"]]


def test_the_latent_upscaler_streams_chunks_and_keeps_every_frame(tiny_models, monkeypatch):
    """20 frames: a whole chunk of 17, then 3 more after its last frame (padded to 9, cut back); ×4
    is two passes."""
    import torch

    from engine.finish.upscale import LATENT_CHUNK, LatentUpscaler
    from engine.gen.families import family_of

    entry = get_model(MODEL)
    pipe, weights = family_of(entry).latent_upscale_pipeline(entry, "cpu", "float32")
    assert weights.suffix == ".safetensors"
    upscaler = LatentUpscaler(pipe=pipe, device="cpu", name="tiny")
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (64, 96), dtype=np.uint8)[..., None].repeat(3, 2) for _ in range(20)]
    calls = Calls(monkeypatch, LTXLatentUpsamplePipeline)
    torch.manual_seed(0)
    out = list(upscaler.frames(iter(frames), 2))
    assert len(out) == 20 and out[0].shape == (128, 192, 3)
    # One call per chunk: 17 frames, then the 17th again with the last 3, padded to 9 (8k+1).
    sent = [call["video"] for call, _ in calls.calls]
    assert [len(v) for v in sent] == [LATENT_CHUNK, 9] == [17, 9]
    assert np.array_equal(np.asarray(sent[1][0]), frames[16]) and np.array_equal(np.asarray(sent[1][-1]), frames[19])
    calls.calls.clear()
    x4 = list(upscaler.frames(iter(frames[:5]), 4))
    assert len(x4) == 5 and x4[0].shape == (256, 384, 3)
    assert [(len(c["video"]), c["video"][0].size) for c, _ in calls.calls] == [(9, (96, 64)), (9, (192, 128))]


def test_the_13b_dev_model_drafts_with_its_steps_and_guidance_and_refines_at_strength_0_4(tmp_path, tiny_models,
                                                                                          monkeypatch):
    """A non-distilled 0.9.8 entry (the tiny structure added as a user's model): the draft runs the
    request's steps with guidance, the refine 10 steps at denoise strength 0.4 (its last 4)."""
    from engine.gen.catalog import save_user_entry

    dev = get_model(MODEL).model_copy(update={"id": "tiny-ltx-0.9.8-dev", "distilled": False})
    save_user_entry(dev.model_copy(update={"defaults": dev.defaults.model_copy(
        update={"steps": 3, "guidance": 3.0, "draft_steps": 2})}))
    stages = Calls(monkeypatch, LTXConditionPipeline)
    reports = []
    result = run_generation(parse_request({"task": "text_to_video", "model": "tiny-ltx-0.9.8-dev", "prompt": "a boat",
                                           "dtype": "float32", "seed": 1}), tmp_path / "take",
                            lambda *r: reports.append(r))
    (draft, _), (refine, _) = stages.calls
    assert "timesteps" not in draft and draft["num_inference_steps"] == 3 and draft["guidance_scale"] == 3.0
    assert (draft["width"], draft["height"]) == (64, 32) and draft["guidance_rescale"] == 0.7
    assert "timesteps" not in refine and refine["num_inference_steps"] == 10 and refine["denoise_strength"] == 0.4
    assert (refine["width"], refine["height"]) == (128, 64) and result.frames == 9
    assert "timesteps" not in result.recipe["model"]  # no distilled schedule recorded for it
    assert reports[-1][1] == 3 + REFINE_RUNS


def test_offline_the_13b_is_refused_in_one_line_naming_its_repo_and_its_upsampler(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from engine.errors import GenerationError
    from engine.gen.loading import resolve_model

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(GenerationError) as err:
        resolve_model(get_model("ltx-video-13b-distilled"))
    assert str(err.value) == (
        "model 'ltx-video-13b-distilled' (Lightricks/LTX-Video-0.9.8-13B-distilled and "
        "a-r-r-o-w/LTX-0.9.8-Latent-Upsampler, about 38.6 GB) is not downloaded and Shotloom does not download "
        "during generation; run `shotloom models download ltx-video-13b-distilled` when online, or download it "
        f"with `hf download Lightricks/LTX-Video-0.9.8-13B-distilled` into {tmp_path / 'hf'}, or add a local copy "
        "with `shotloom models add FOLDER --id ltx-video-13b-distilled-local`")
