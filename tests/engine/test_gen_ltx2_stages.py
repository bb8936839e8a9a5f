"""LTX-2 in two stages (a draft at half the size, its latents doubled by LTX2LatentUpsamplePipeline,
refined at the full size with the draft's sound), and the finishing upscale of an LTX-2 take
through the same upsampler, which keeps the take's sound. Real pipelines on the tiny builds."""

from __future__ import annotations

import json
from pathlib import Path

import gen_fixtures
import numpy as np
import pytest
from diffusers import LTX2ImageToVideoPipeline, LTX2LatentUpsamplePipeline, LTX2Pipeline
from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES, STAGE_2_DISTILLED_SIGMA_VALUES
from test_gen_ltx098 import shotloom
from test_gen_ltx2 import _corr

from engine.gen.catalog import get_model
from engine.gen.loading import CACHE
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation
from engine.media import probe, read_audio, save_png

tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir


class Calls:
    """Every call of a pipeline class: its keyword arguments, the pipeline's scheduler config and
    what it returned (real calls)."""

    def __init__(self, monkeypatch, cls) -> None:
        self.calls: list[tuple[dict, dict, object]] = []
        original = cls.__call__

        def spy(pipe, *args, **kwargs):
            out = original(pipe, *args, **kwargs)
            scheduler = getattr(pipe, "scheduler", None)
            self.calls.append((kwargs, dict(scheduler.config) if scheduler is not None else {}, out))
            return out

        monkeypatch.setattr(cls, "__call__", spy)


@pytest.mark.parametrize(("model_id", "task", "cls"), [("tiny-ltx2", "text_to_video", LTX2Pipeline),
                                                       ("tiny-ltx2.3-distilled", "image_to_video",
                                                        LTX2ImageToVideoPipeline)])
def test_an_ltx2_take_is_drafted_at_half_size_upsampled_and_refined_with_the_drafts_sound(
        tmp_path, tiny_models, monkeypatch, model_id, task, cls):
    from engine.gen.families.ltx2 import LTX2

    made = []
    original = LTX2.sound
    monkeypatch.setattr(LTX2, "sound", lambda self, pipe, audio: made.append(original(self, pipe, audio)) or made[-1])
    stages = Calls(monkeypatch, cls)
    upsample = Calls(monkeypatch, LTX2LatentUpsamplePipeline)
    data = {"task": task, "model": model_id, "prompt": "rain on a tin roof", "frames": 17, "dtype": "float32",
            "seed": 4, "width": 128, "height": 64}
    if task == "image_to_video":
        image = np.zeros((64, 128, 3), np.uint8)
        image[:, :64] = (250, 10, 10)
        save_png(image, tmp_path / "still.png")
        data["image"] = str(tmp_path / "still.png")
    reports = []
    result = run_generation(parse_request(data), tmp_path / "take", lambda *r: reports.append(r))

    (draft, draft_sched, draft_out), (refine, refine_sched, _) = stages.calls
    assert (draft["width"], draft["height"], draft["output_type"]) == (64, 32, "latent")
    assert (refine["width"], refine["height"], refine["output_type"]) == (128, 64, "np")
    # The upsampler doubles the draft's video latents in space, not in time.
    [(up, _, up_out)] = upsample.calls
    assert up["latents"] is draft_out.frames and up["output_type"] == "latent"
    assert tuple(draft_out.frames.shape) == (1, 128, 3, 1, 2) and tuple(up_out.frames.shape) == (1, 128, 3, 2, 4)
    # The refine starts from them and from the draft's audio latents: the sound is the draft's, refined.
    assert refine["latents"] is up_out.frames and refine["audio_latents"] is draft_out.audio
    assert refine["sigmas"] == STAGE_2_DISTILLED_SIGMA_VALUES and refine["noise_scale"] == STAGE_2_DISTILLED_SIGMA_VALUES[0]
    assert refine["guidance_scale"] == 1.0 and refine["stg_scale"] == 0.0 and refine["audio_guidance_scale"] == 1.0
    # ... on a scheduler that takes those sigmas as they are; the warm pipeline keeps its own.
    assert refine_sched["use_dynamic_shifting"] is False and refine_sched["shift_terminal"] is None
    assert draft_sched["use_dynamic_shifting"] is True and draft_sched["shift_terminal"] == 0.1
    warm = CACHE.pipeline(get_model(model_id), task, tier="gpu", dtype="float32", device="cpu")[0]
    assert warm.scheduler.config.use_dynamic_shifting is True
    if task == "image_to_video":  # the first frame conditions both stages
        assert refine["image"] is draft["image"]
        assert draft["sigmas"] == [float(x) for x in DISTILLED_SIGMA_VALUES]  # the distilled build's own
    else:
        assert draft["guidance_scale"] == get_model(model_id).defaults.guidance and "sigmas" not in draft
    # The take is at the full size with the refine's waveform as its sound; progress counts both stages.
    info = probe(result.master)
    assert (info.width, info.height, result.frames) == (128, 64, 17) and info.has_audio
    assert len(made) == 1
    wave, rate = made[0]
    assert result.recipe["output"]["sound"] == {"rate": rate, "channels": 2, "samples": round(17 / 24 * rate)}
    assert _corr(read_audio(result.master, sample_rate=rate), wave) > 0.9
    total = draft["num_inference_steps"] + len(STAGE_2_DISTILLED_SIGMA_VALUES)
    last = [r for r in reports if r[2].startswith("refine at 128x64")][-1]
    assert last[:2] == (total, total) and last[2].startswith("refine at 128x64: step 3/3")
    assert "a draft at 64x32" in result.message and "with the draft's sound" in result.message


def test_an_ltx2_size_is_snapped_to_what_the_draft_can_halve(tmp_path, tiny_models):
    result = run_generation(parse_request({"task": "text_to_video", "model": "tiny-ltx2", "prompt": "x", "frames": 9,
                                           "dtype": "float32", "width": 96, "height": 64}), tmp_path / "take")
    assert (probe(result.master).width, probe(result.master).height) == (128, 64)
    assert "snapped to 128x64 (Tiny LTX-2 (test model, output is noise) needs multiples of 64)" in result.message


def test_upscaling_an_ltx2_take_uses_its_latent_upsampler_and_keeps_its_sound(tmp_path, tiny_models, shotloom_home):
    model = "tiny-ltx2"
    project = tmp_path / "film.shotloom"
    shotloom("new", project, "--fps", "24", "--size", "128x64", home=shotloom_home)
    shotloom("shot", "add", project, "--prompt", "waves on rocks", "--model", model, "--seconds", "0.7",
             home=shotloom_home)
    shotloom("generate", project, home=shotloom_home)
    [made] = json.loads(shotloom("info", project, "--json", home=shotloom_home).stdout)["shots"][0]["takes"]

    res = shotloom("upscale", project, "1", "--factor", "2", home=shotloom_home)
    take_id = res.stdout.strip()
    takes = json.loads(shotloom("info", project, "--json", home=shotloom_home).stdout)["shots"][0]["takes"]
    active = next(t for t in takes if t["active"])
    assert active["id"] == take_id != made["id"]
    src, up = probe(Path(made["path"])), probe(Path(active["path"]))
    assert (up.width, up.height) == (256, 128) and up.frame_count == src.frame_count >= 17
    recipe = json.loads((Path(active["path"]).parent / "recipe.json").read_text())
    assert recipe["model"]["architecture"] == "LTX2LatentUpsamplerModel" and recipe["model"]["vae"] == model
    assert recipe["model"]["repo"] == model and recipe["model"]["file"].endswith(".safetensors")
    assert recipe["message"] == f"upscaled ×2 to 256x128 with the latent upsampler of {get_model(model).name}"
    # The take's own sound comes along (the same 17/24 s).
    assert up.has_audio and up.audio_rate == src.audio_rate == 24000
    before, after = read_audio(Path(made["path"]), sample_rate=24000), read_audio(Path(active["path"]), sample_rate=24000)
    assert abs(after.shape[1] - before.shape[1]) <= 1024 and _corr(after, before) > 0.9


def test_offline_an_ltx2_3_entry_is_refused_in_one_line_naming_its_upsampler_repo(tmp_path, monkeypatch):
    from huggingface_hub import constants

    from engine.errors import GenerationError
    from engine.gen.loading import resolve_model

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(GenerationError) as err:
        resolve_model(get_model("ltx2.3-22b"))
    assert str(err.value).startswith(
        "model 'ltx2.3-22b' (dg845/LTX-2.3-Diffusers and dg845/LTX-2.3-Spatial-Upsampler-Diffusers, about ")
    assert "\n" not in str(err.value)


# -- long takes: chained windows, each window's sound crossfaded at the joins ----------------------------

def _joined(waves: list[np.ndarray], plan, per_frame: int) -> np.ndarray:
    """The take's sound built here from the windows' own waveforms: each window's first ``context``
    frames crossfaded linearly, sample by sample, from what the take holds there (a waveform a
    little shorter than its window's frames is silence-padded, as a take's sound is)."""
    n, size = plan.context * per_frame, plan.window * per_frame
    waves = [np.pad(w[:, :size], ((0, 0), (0, size - min(size, w.shape[1])))) for w in waves]
    take = waves[0]
    for i in range(1, plan.count):
        s = plan.start(i) * per_frame
        wave = waves[i]
        ramp = np.linspace(1.0, 0.0, n + 2, dtype=np.float32)[1:-1]
        take = np.concatenate([take[:, :s], ramp * take[:, s:s + n] + (1 - ramp) * wave[:, :n], wave[:, n:]], axis=1)
    return take[:, :plan.total * per_frame]


def test_an_ltx2_long_take_carries_every_windows_sound_crossfaded_at_the_joins(tmp_path, tiny_models, monkeypatch):
    import engine.gen.runner as runner
    from engine.gen.families.ltx2 import LTX2
    from engine.gen.tasks.long_take import plan_for

    windows, written = [], []
    decode_sound = LTX2.decode_sound
    monkeypatch.setattr(LTX2, "decode_sound",
                        lambda self, ctx, a: windows.append(decode_sound(self, ctx, a)) or windows[-1])
    write = runner.write_take_videos
    monkeypatch.setattr(runner, "write_take_videos", lambda *a, **kw: written.append(kw["sound"]) or write(*a, **kw))
    request = parse_request({"task": "long_take", "model": "tiny-ltx2", "prompt": "surf on a beach", "frames": 41,
                             "dtype": "float32", "seed": 5})
    result = run_generation(request, tmp_path / "take")

    plan = plan_for(get_model("tiny-ltx2"), request, 41)
    assert (plan.count, plan.window, plan.context, result.frames) == (3, 25, 17, 41)
    rate, per_frame = 24000, 1000  # 24 fps
    # Each window's own sound, within a frame of its 25 frames (the pipeline's audio latents round it).
    assert [w[1] for w in windows] == [rate] * 3
    assert all(24 * per_frame <= w[0].shape[1] <= 26 * per_frame for w in windows), [w[0].shape for w in windows]
    # The master is given the whole take's sound: the windows' sounds joined with the crossfades.
    [(sound, sound_rate)] = written
    expected = _joined([w[0] for w in windows], plan, per_frame)
    assert sound_rate == rate and sound.shape == (2, 41 * per_frame)
    np.testing.assert_allclose(sound, expected, atol=1e-6)
    assert result.recipe["output"]["sound"] == {"rate": rate, "channels": 2, "samples": 41 * per_frame}
    # Decoded from the master with PyAV: the take's length, its sound, and no click at any join (where
    # a crossfade starts or ends, the step between two samples is no larger than the sound's usual
    # steps; a gap or a jump there would be).
    heard = read_audio(result.master, sample_rate=rate)
    assert 41 * per_frame <= heard.shape[1] <= 41 * per_frame + 1024
    assert _corr(heard, sound) > 0.9
    steps = np.abs(np.diff(heard[:, :41 * per_frame], axis=1))
    usual = np.percentile(steps, 99.5)
    joins = [plan.start(i) * per_frame for i in range(1, plan.count)]
    joins += [j + plan.context * per_frame for j in joins]
    for j in joins:
        assert steps[:, j - 2:j + 2].max() <= usual, (j, steps[:, j - 2:j + 2].max(), usual)


@pytest.mark.parametrize("stop_at", ["window 2/3: decoding", "window 3/3: step 1/", "writing the take"])
def test_an_ltx2_long_take_stopped_anywhere_resumes_to_the_same_sound(tmp_path, tiny_models, monkeypatch, stop_at):
    """Stopped while a window decodes (its latents and sound saved), while the last one denoises, or
    after every window, the rerun gives the sound of an uninterrupted run, sample for sample."""
    import engine.gen.runner as runner
    from engine.errors import Canceled
    from engine.progress import CancelToken

    written = []
    write = runner.write_take_videos
    monkeypatch.setattr(runner, "write_take_videos", lambda *a, **kw: written.append(kw["sound"]) or write(*a, **kw))
    data = {"task": "long_take", "model": "tiny-ltx2", "prompt": "wind in the trees", "frames": 41,
            "dtype": "float32", "seed": 6}
    straight = run_generation(parse_request(data), tmp_path / "straight")
    cancel = CancelToken()

    def progress(done, total, message):
        if message.startswith(stop_at):
            cancel.cancel()

    with pytest.raises(Canceled):
        run_generation(parse_request(data), tmp_path / "take", progress, cancel)
    result = run_generation(parse_request(data), tmp_path / "take")
    first, *_, last = written
    assert last[1] == first[1] == 24000 and last[0].shape == first[0].shape == (2, 41000)
    assert np.array_equal(last[0], first[0])
    assert result.recipe["output"]["frames_sha256"] == straight.recipe["output"]["frames_sha256"]
    assert result.recipe["output"]["sound"] == straight.recipe["output"]["sound"]
