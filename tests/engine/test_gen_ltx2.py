"""LTX-2: the take carries the sound generated with it, the export mixes it, and extensions and
bridges place their clips' frames where they belong (tiny builds of the real structures on CPU)."""

from __future__ import annotations

from fractions import Fraction

import gen_fixtures
import numpy as np
import pytest
from gen_fixtures import make_clip

from engine.gen.catalog import get_model
from engine.gen.loading import CACHE
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation
from engine.media import probe, read_audio

tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir

AAC_FRAME = 1024  # the encoder pads the sound's end to a whole frame of samples


def _pipe(model_id, task):
    return CACHE.pipeline(get_model(model_id), task, tier="gpu", dtype="float32", device="cpu")[0]


def _spy(monkeypatch, cls, name):
    """Records the keyword arguments (``__call__``) or the return value (any other method) of a
    pipeline class's method, and lets it run."""
    seen = []
    original = getattr(cls, name)

    def spy(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        seen.append(kwargs if name == "__call__" else out)
        return out

    monkeypatch.setattr(cls, name, spy)
    return seen


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two waveforms below about 3 kHz (AAC keeps that band of noise-like sound; the
    random vocoders' hiss above it is what the encoder drops first)."""
    n = min(a.shape[1], b.shape[1])
    box = np.ones(16) / 16
    low = [np.stack([np.convolve(ch[:n], box, mode="valid") for ch in x]) for x in (a, b)]
    return float(np.corrcoef(low[0].ravel(), low[1].ravel())[0, 1])


@pytest.mark.parametrize(("model_id", "rate"), [("tiny-ltx2", 24000), ("tiny-ltx2.3", 48000)])
def test_a_text_take_carries_the_sound_made_with_it(tmp_path, tiny_models, monkeypatch, model_id, rate):
    from engine.gen.families.ltx2 import LTX2

    made = []
    original = LTX2.sound
    monkeypatch.setattr(LTX2, "sound", lambda self, pipe, audio: made.append(original(self, pipe, audio)) or made[-1])
    # 17 frames at the model's 24 fps, conformed to a 30 fps project: 21 frames, 0.7 s.
    result = run_generation(parse_request({"task": "text_to_video", "model": model_id, "prompt": "a dog runs on the sea",
                                           "frames": 17, "dtype": "float32", "seed": 3, "output_rate": "30"}),
                            tmp_path / "take")
    assert result.frames == 21
    for path in (result.master, result.scrub):
        info = probe(path)
        assert info.has_audio and info.audio_rate == rate and info.audio_channels == 2 and info.frame_count == 21
    heard = read_audio(result.master, sample_rate=rate)  # PyAV decode
    expected = round(Fraction(21, 30) * rate)
    assert expected <= heard.shape[1] <= expected + AAC_FRAME
    assert result.recipe["output"]["sound"] == {"rate": rate, "channels": 2, "samples": expected}
    # It is the pipeline's own waveform (through AAC), not silence.
    wave, wave_rate = made[0]
    assert wave_rate == rate and np.abs(heard).mean() > 1e-3
    assert _corr(heard, wave) > 0.9


def test_the_exported_cut_plays_the_take_sound(tmp_path, tiny_models):
    from engine.gen.takes import add_generated_shot, generate_into_project
    from engine.project import InsertShot, Project
    from engine.render.export import export

    project = Project.create(tmp_path / "film", fps=Fraction(24), size=(64, 64))
    silent = project.import_media(make_clip(tmp_path / "a.mp4", 24, size=(64, 64)), copy=True)
    project.apply(InsertShot(index=0, name="A", media_path=silent, kind="imported"))
    shot = add_generated_shot(project, prompt="rain on the street at night", model="tiny-ltx2.3", seconds=1.0,
                              seed=5, steps=2)
    result = generate_into_project(project, shot)
    start = project.shot(shot).start
    out = export(project, tmp_path / "cut.mp4", preset="h264")
    cut = read_audio(out, sample_rate=48000)
    take = read_audio(result.master, sample_rate=48000)
    s0 = start * 2000  # 48000 / 24 samples a frame
    n = result.frames * 2000
    assert cut.shape[1] >= s0 + n
    # The imported shot has no sound (up to the encoder's spread of the cut: one frame of samples).
    assert np.abs(cut[:, :s0 - 2 * AAC_FRAME]).max() < 1e-3
    part = cut[:, s0:s0 + n]
    assert _corr(part, take[:, :n]) > 0.9
    assert np.sqrt((part ** 2).mean()) == pytest.approx(np.sqrt((take[:, :n] ** 2).mean()), rel=0.15)


def _placements(seen, fps, latent_tokens, frames):
    """(latent frames of the window held clean, [(first, end) pixel positions of each appended
    keyframe latent]) of the last condition call of a ``frames``-frame window."""
    _latents, mask, _clean, coords = seen[-1]
    lat = (frames - 1) // 8 + 1
    base = mask[0, :lat * latent_tokens, 0].reshape(lat, latent_tokens)[:, 0]
    held = [int(i) for i in np.flatnonzero(base.numpy() > 0.99)]
    keyframes = []
    if coords is not None:
        t = (coords[0, 0] * fps).round().int().numpy()  # (patches, [start, end)) in pixel frames
        keyframes = sorted({(int(a), int(b)) for a, b in t})
        assert mask.shape[1] == lat * latent_tokens + t.shape[0]
        assert bool((mask[0, lat * latent_tokens:, 0] > 0.99).all())  # the keyframes are held clean
    return held, keyframes


def test_extensions_and_bridges_place_their_clips_frames(tmp_path, tiny_models, monkeypatch):
    from diffusers import LTX2ConditionPipeline

    pipe = _pipe("tiny-ltx2.3", "extend")
    seen = _spy(monkeypatch, LTX2ConditionPipeline, "prepare_latents")
    calls = _spy(monkeypatch, LTX2ConditionPipeline, "__call__")
    clip = make_clip(tmp_path / "src.mp4", 24, rate=Fraction(24), size=(64, 64))
    tokens = 4  # a 64x64 latent frame: 2x2 tokens
    base = {"model": "tiny-ltx2.3", "prompt": "a bird flies", "width": 64, "height": 64, "dtype": "float32"}

    # Forward: the clip's last 9 frames open a 17-frame window (index 0: its two latents held clean).
    fwd = run_generation(parse_request({**base, "task": "extend", "source": {"path": str(clip)}, "frames": 8}),
                         tmp_path / "f")
    cond = calls[-1]["conditions"]
    assert [c.index for c in cond] == [0] and len(cond[0].frames) == 9 and calls[-1]["num_frames"] == 17
    assert _placements(seen, 24, tokens, 17) == ([0, 1], [])
    assert fwd.frames == 8

    # Backward: the clip's first 9 frames close the window. Index 1 appends their latents at pixel
    # positions [1, 9) (the first frame's latent) and [9, 17): the clip's frames 1..8 are window frames
    # 9..16, its last frame the window's last.
    back = run_generation(parse_request({**base, "task": "extend", "direction": "backward", "frames": 8,
                                         "source": {"path": str(clip)}}), tmp_path / "b")
    cond = calls[-1]["conditions"]
    assert [c.index for c in cond] == [1] and len(cond[0].frames) == 9
    assert _placements(seen, 24, tokens, 17) == ([], [(1, 9), (9, 17)])
    assert back.frames == 8

    # Bridge: A's last 9 frames open a 33-frame window, B's first 9 close it (index 3: [17, 33)).
    a = make_clip(tmp_path / "a.mp4", 24, rate=Fraction(24), size=(64, 64), seed=1)
    b = make_clip(tmp_path / "b2.mp4", 24, rate=Fraction(24), size=(64, 64), seed=2)
    bridge = run_generation(parse_request({**base, "task": "bridge", "frames": 8, "before": {"path": str(a)},
                                           "after": {"path": str(b)}}), tmp_path / "g")
    cond = calls[-1]["conditions"]
    assert [c.index for c in cond] == [0, 3] and calls[-1]["num_frames"] == 33
    assert _placements(seen, 24, tokens, 33) == ([0, 1], [(17, 25), (25, 33)])
    assert bridge.frames == 15  # 33 - 9 - 9
    # Each carries the sound generated under its new frames.
    for result in (fwd, back, bridge):
        heard = read_audio(result.master, sample_rate=48000)
        expected = result.frames * 2000
        assert expected <= heard.shape[1] <= expected + AAC_FRAME
        assert result.recipe["output"]["sound"]["samples"] == expected
    assert pipe is not None


def test_the_distilled_build_runs_its_own_sigmas_without_guidance(tmp_path, tiny_models, monkeypatch):
    from diffusers import LTX2Pipeline
    from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES

    _pipe("tiny-ltx2.3-distilled", "text_to_video")
    calls = _spy(monkeypatch, LTX2Pipeline, "__call__")
    base = {"task": "text_to_video", "model": "tiny-ltx2.3-distilled", "prompt": "x", "frames": 9, "dtype": "float32"}
    run_generation(parse_request(base), tmp_path / "full")
    run_generation(parse_request({**base, "draft": True, "steps": 4}), tmp_path / "draft")
    # Each take is two stages (its draft runs the build's sigmas, the refine the stage-2 ones).
    full, full_refine, draft, draft_refine = calls
    assert full_refine["sigmas"] == draft_refine["sigmas"] == [0.909375, 0.725, 0.421875]
    assert full["sigmas"] == pytest.approx(list(DISTILLED_SIGMA_VALUES)) and full["num_inference_steps"] == 8
    assert draft["sigmas"] == pytest.approx([DISTILLED_SIGMA_VALUES[i] for i in (0, 2, 5, 7)])
    for call in calls:
        assert call["guidance_scale"] == 1.0 and call["stg_scale"] == 0.0 and call["audio_guidance_scale"] == 1.0


def test_ltx2_plans_its_sound_and_text_connectors():
    from engine.gen.planner import BYTES, predict_peak

    entry = get_model("ltx2.3-22b")
    plan = predict_peak(entry, width=768, height=512, frames=121, tier="gpu")
    assert plan.weights_bytes == sum(c.params for c in entry.components.values()) * BYTES["bfloat16"]
    offload = predict_peak(entry, width=768, height=512, frames=121, tier="offload")
    c = entry.components
    # Offloaded, the text encoder and its connectors are resident together, and the VAE with the audio
    # VAE and vocoder; the transformer (19B, 38 GB in bf16) is the largest at once.
    assert offload.weights_bytes == c["transformer"].params * 2
    assert 38e9 < offload.peak_bytes < 48e9


class _Quiet:
    """A finishing job's progress (counts and previews), ignored."""

    def __call__(self, done, total, message):
        pass

    def preview_frame(self, frame):
        pass


def test_finishing_a_take_keeps_its_sound_unless_it_slows_down(tmp_path, tiny_models):
    from engine.finish.jobs import run_finish_job
    from engine.jobs.models import FinishParams
    from engine.progress import CancelToken

    take = run_generation(parse_request({"task": "text_to_video", "model": "tiny-ltx2", "prompt": "fire in the forest",
                                         "frames": 17, "dtype": "float32", "seed": 2}), tmp_path / "take")
    heard = read_audio(take.master, sample_rate=24000)

    def finish(name, **kw):
        params = FinishParams(operation="interpolate", source=str(take.master), source_take="t0", take_id=name,
                              project_rate="24/1", **kw)
        return run_finish_job(params, tmp_path / name, _Quiet(), CancelToken())

    faster = finish("fps48", fps="48")  # the same 17/24 s at twice the frames: the same sound
    sound = read_audio(faster["master"], sample_rate=24000)
    assert faster["frames"] == 34 and probe(faster["master"]).audio_rate == 24000
    assert _corr(sound, heard) > 0.9
    slow = finish("slow", factor=2)  # slow motion would stretch the sound: the take has none
    assert not probe(slow["master"]).has_audio


def test_drafts_skip_the_block_caches_diffusers_cannot_hook_on_ltx2(tmp_path, tiny_models):
    base = {"task": "text_to_video", "model": "tiny-ltx2.3", "prompt": "x", "frames": 9, "dtype": "float32",
            "draft": True, "steps": 12}
    draft = run_generation(parse_request(base), tmp_path / "draft")
    assert not any("cache" in a for a in draft.recipe["tier_applied"]) and probe(draft.master).has_audio
    mag = run_generation(parse_request({**base, "cache": "mag"}), tmp_path / "mag")
    assert "mag cache skipped (diffusers has no hooks for this model's blocks)" in mag.recipe["tier_applied"]
    taylor = run_generation(parse_request({**base, "cache": "taylorseer"}), tmp_path / "taylor")
    assert "taylorseer cache every 4 steps" in taylor.recipe["tier_applied"]


def test_an_ltx2_lora_fits_ltx2_only_changes_the_picture_and_strength_zero_is_exact(tmp_path, tiny_models):
    import diffusers
    import torch
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    from engine.gen.loading import PipelineCache
    from engine.gen.loras import add_lora, get_lora

    transformer = diffusers.LTX2VideoTransformer3DModel.from_pretrained(tiny_models / "tiny-ltx2.3" / "transformer")
    torch.manual_seed(1)
    transformer.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"],
                                       init_lora_weights=False))
    with torch.no_grad():
        for name, p in transformer.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.5)
    diffusers.LTX2Pipeline.save_lora_weights(tmp_path, transformer_lora_layers=get_peft_model_state_dict(transformer),
                                             weight_name="style.safetensors")
    lora = add_lora(tmp_path / "style.safetensors", "style")
    assert lora.families == ["ltx2"] and lora.models == ["tiny-ltx2", "tiny-ltx2.3", "tiny-ltx2.3-distilled"]
    cache = PipelineCache()

    def take(name, loras=()):
        return run_generation(parse_request({"task": "text_to_video", "model": "tiny-ltx2.3", "prompt": "a cat",
                                             "frames": 9, "steps": 2, "seed": 3, "dtype": "float32",
                                             "loras": list(loras)}), tmp_path / name, cache=cache)

    ref = {"id": "style", "sha256": get_lora("style").sha256}
    plain, styled, zero = take("plain"), take("styled", [{**ref, "strength": 1.0}]), take("zero", [{**ref, "strength": 0.0}])
    assert styled.recipe["output"]["frames_sha256"] != plain.recipe["output"]["frames_sha256"]
    assert zero.recipe["output"]["frames_sha256"] == plain.recipe["output"]["frames_sha256"]
