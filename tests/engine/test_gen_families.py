"""Every family: each task of its tiny build on CPU, the tiny structure against the real checkpoints,
real-size configs on the meta device against the catalog, family-specific call arguments."""

from __future__ import annotations

import json
from fractions import Fraction

import gen_fixtures
import numpy as np
import pytest
import torch
from gen_fixtures import make_clip, read_all

from engine.errors import GenerationError
from engine.gen.catalog import get_model, load_catalog
from engine.gen.families import family_of
from engine.gen.families.base import build
from engine.gen.loading import CACHE
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation
from engine.media import probe, save_png

tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir

TINY = [e for e in load_catalog() if e.test_model]
REAL = [e for e in load_catalog() if not e.test_model]


@pytest.fixture
def still(tmp_path):
    image = np.zeros((48, 80, 3), np.uint8)
    image[:, :40] = (250, 10, 10)
    save_png(image, tmp_path / "still.png")
    return tmp_path / "still.png"


def _request(entry, task, tmp_path, still, **extra):
    data = {"task": task, "model": entry.id, "prompt": "a cat walks in the rain", "dtype": "float32", "seed": 1}
    size = {"width": entry.defaults.width, "height": entry.defaults.height}
    if task in ("image_to_video",) or (task == "long_take" and family_of(entry).long_take_single(entry)
                                       and family_of(entry).long_take_needs_image):
        data["image"] = str(still)
    if task == "extend":
        data["source"] = {"path": str(make_clip(tmp_path / "src.mp4", 12, rate=entry.fps, size=(64, 48)))}
        data["frames"] = 4
    if task == "bridge":
        data["before"] = {"path": str(make_clip(tmp_path / "a.mp4", 12, rate=entry.fps, size=(64, 48), seed=1))}
        data["after"] = {"path": str(make_clip(tmp_path / "b.mp4", 12, rate=entry.fps, size=(64, 48), seed=2))}
        data["frames"] = 4
    if task == "long_take":
        data["frames"] = 2 * entry.defaults.frames if family_of(entry).long_take_single(entry) else 33
        data["window_frames"] = 17 if entry.vae.temporal == 8 else 13
        data["overlap_latents"] = 1
    data.update(size)
    data.update(extra)
    return parse_request(data)


CASES = [(e.id, t) for e in TINY for t in e.tasks]


@pytest.mark.parametrize(("model_id", "task"), CASES)
def test_every_task_of_every_family_runs_on_cpu(tmp_path, tiny_models, still, model_id, task):
    entry = get_model(model_id)
    reports, previews = [], []
    result = run_generation(_request(entry, task, tmp_path, still), tmp_path / "take",
                            lambda *r: reports.append(r), preview=previews.append)
    assert result.frames >= 1 and probe(result.master).frame_count == result.frames
    assert result.recipe["model"]["pipeline"] == entry.pipelines[task]
    assert any("step 1/" in m for _, _, m in reports)
    # The live preview reads the family's latent layout: one latent frame at the latent size.
    s = entry.vae.spatial
    assert previews and previews[-1].shape == (entry.defaults.height // s, entry.defaults.width // s, 3)


# ---- tiny builds keep the real structure ----------------------------------------------------------

# What a tiny build may change: widths, depths, vocabulary and token counts, the sizes that learned
# embeddings and tiles are made for. Everything else in each config is the real checkpoint's.
SIZE_KEYS = {
    "attention_head_dim", "num_attention_heads", "num_layers", "num_single_layers", "num_refiner_layers",
    "cross_attention_dim", "caption_channels", "text_dim", "text_embed_dim", "ffn_dim", "time_embed_dim",
    "image_dim", "added_kv_proj_dim", "pos_embed_seq_len", "rope_max_seq_len", "rope_axes_dim", "vace_layers",
    "image_proj_dim", "pooled_projection_dim", "max_text_seq_length", "sample_width", "sample_height",
    "sample_frames", "sample_size", "block_out_channels", "decoder_block_out_channels", "layers_per_block",
    "decoder_layers_per_block", "norm_num_groups", "base_dim", "decoder_base_dim", "dim_mult", "num_res_blocks",
    "addition_time_embed_dim", "projection_class_embeddings_input_dim", "down_block_types", "up_block_types",
    "d_model", "d_kv", "d_ff", "num_heads", "relative_attention_num_buckets", "relative_attention_max_distance",
    "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_key_value_heads",
    "max_position_embeddings", "projection_dim", "image_size", "patch_size", "bos_token_id", "eos_token_id",
    "pad_token_id", "mid_channels", "num_blocks_per_stage",
    # LTX-2: the audio stream's and the text connectors' widths and depths, the vocoder's and audio VAE's
    # widths, and Gemma 3's nested text and vision configs (widths, depths, vocabulary, image size).
    "audio_num_attention_heads", "audio_attention_head_dim", "audio_cross_attention_dim", "text_proj_in_factor",
    "video_connector_num_attention_heads", "video_connector_attention_head_dim", "video_connector_num_layers",
    "video_connector_num_learnable_registers", "audio_connector_num_attention_heads",
    "audio_connector_attention_head_dim", "audio_connector_num_layers", "audio_connector_num_learnable_registers",
    "video_hidden_dim", "audio_hidden_dim", "hidden_channels", "bwe_hidden_channels", "ch_mult", "text_config",
    "vision_config", "mm_tokens_per_image",
}


@pytest.mark.parametrize("entry", TINY, ids=lambda e: e.id)
def test_tiny_builds_keep_the_real_structure(entry):
    """Same classes, compression factors, latent channels, image encoders and positional embedding
    kind as a real checkpoint of the family: only the sizes differ."""
    real = [e for e in REAL if e.family == entry.family]
    assert (entry.vae.spatial, entry.vae.temporal, entry.vae.latent_channels) in {
        (e.vae.spatial, e.vae.temporal, e.vae.latent_channels) for e in real}
    for name, comp in entry.components.items():
        twins = [c for e in real for c in e.components.values() if c.cls == comp.cls]
        assert twins, f"{entry.id}: {name} is a {comp.cls}, which no real {entry.family} checkpoint uses"
        differences = [sorted(k for k in set(comp.config) | set(c.config) if comp.config.get(k) != c.config.get(k))
                       for c in twins]
        closest = min(differences, key=len)
        assert set(closest) <= SIZE_KEYS, f"{entry.id}: {name} differs from the real one in {closest}"


def test_every_real_structure_has_a_tiny_twin():
    tiny_classes = {(e.family, c.cls) for e in TINY for c in e.components.values()}
    for entry in REAL:
        if entry.micro:  # small enough to run in the tests itself (test_gen_micro.py)
            continue
        for comp in entry.components.values():
            assert (entry.family, comp.cls) in tiny_classes, (entry.id, comp.cls)
    kinds = {(e.denoiser.config["use_rotary_positional_embeddings"], e.denoiser.config["use_learned_positional_embeddings"])
             for e in TINY if e.family == "cogvideox"}
    assert {(True, False), (True, True)} <= kinds  # rotary (5B) and rotary + learned (5B image-to-video)


def test_tiny_vae_compresses_like_the_real_one(tiny_models):
    for entry in TINY:
        vae = build(entry.components["vae"])
        s, t = entry.vae.spatial, entry.vae.temporal
        frames = 1 + 2 * t if t > 1 else 1
        x = torch.zeros(1, 3, frames, 2 * s, 3 * s) if t > 1 else torch.zeros(1, 3, 2 * s, 3 * s)
        with torch.no_grad():
            z = vae.encode(x).latent_dist.mode()
        expected = (1, entry.vae.latent_channels, 3, 2, 3) if t > 1 else (1, entry.vae.latent_channels, 2, 3)
        assert tuple(z.shape) == expected, entry.id


@pytest.mark.parametrize("entry", REAL + TINY, ids=lambda e: e.id)
def test_component_configs_build_the_catalog_parameter_counts(entry):
    """Each catalog config instantiates its real class on the meta device with exactly the catalog's
    parameter count (what the planner's weight figures are made of)."""
    from engine.gen.families.base import instantiate
    from engine.gen.planner import BYTES, predict_peak

    for name, comp in entry.components.items():
        with torch.device("meta"):
            model = instantiate(comp)
        assert sum(p.numel() for p in model.parameters()) == comp.params, (entry.id, name)
    d = entry.defaults
    plan = predict_peak(entry, width=d.width, height=d.height, frames=family_of(entry).plan_frames(entry, d.frames),
                        tier="gpu", dtype="bfloat16")
    # (A second expert, Wan 2.2's transformer_2, stays loaded beside the first; the tiny builds' other
    # transformer_* are other bundles' and never loaded together.)
    all_weights = sum(c.params for n, c in entry.components.items()
                      if not n.startswith(("transformer_", "unet_")) or n == "transformer_2") * BYTES["bfloat16"]
    assert plan.weights_bytes == all_weights


def test_tiny_builds_hold_the_catalog_parameter_counts(tiny_models):
    from engine.gen.families.base import component_class

    for entry in TINY:
        bundle = tiny_models / entry.id / family_of(entry).bundle(entry, entry.tasks[0])
        for name, comp in entry.components.items():
            saved = json.loads((bundle / name / "config.json").read_text()) if (bundle / name).is_dir() else {}
            if comp.cls not in (saved.get("_class_name"), *saved.get("architectures", [])):
                continue  # a component of another bundle or an extra repo (FramePack's transformer)
            model = component_class(comp).from_pretrained(bundle / name, variant=entry.variant)
            assert sum(p.numel() for p in model.parameters()) == comp.params, (entry.id, name)


# ---- family specifics ------------------------------------------------------------------------------

def _pipe(model_id, task):
    entry = get_model(model_id)
    return CACHE.pipeline(entry, task, tier="gpu", dtype="float32", device="cpu")[0]


def test_ltx_passes_the_decode_timestep_and_noise_and_the_image_condition_noise(tmp_path, tiny_models, monkeypatch):
    seen = {}
    pipe = _pipe("tiny-ltx", "extend")
    original = type(pipe).__call__

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(pipe), "__call__", spy)
    decoded = []
    h = pipe.vae.decoder.register_forward_pre_hook(lambda m, args: decoded.append(args[1].clone()))
    try:
        clip = make_clip(tmp_path / "src.mp4", 12, size=(64, 64))
        run_generation(parse_request({"task": "extend", "model": "tiny-ltx", "prompt": "x", "source": {"path": str(clip)},
                                      "frames": 8, "width": 64, "height": 64, "dtype": "float32"}), tmp_path / "t")
    finally:
        h.remove()
    assert seen["decode_timestep"] == 0.05 and seen["decode_noise_scale"] == 0.025
    assert seen["image_cond_noise_scale"] == 0.025
    # The VAE (timestep-conditioned, like 0.9.5's) decoded at t = 0.05 (x1000 inside the decoder).
    assert decoded and torch.allclose(decoded[0].float(), torch.tensor([0.05]))


def test_distilled_ltx_runs_its_own_timesteps_from_a_local_single_file(tmp_path, tiny_models, monkeypatch):
    from huggingface_hub import constants

    from engine.gen.families.ltx import DISTILLED_TIMESTEPS

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # any hub access would fail loudly
    CACHE.clear()
    steps = []
    pipe = _pipe("tiny-ltx-distilled", "text_to_video")
    assert type(pipe).__name__ == "LTXConditionPipeline"
    h = pipe.transformer.register_forward_pre_hook(
        lambda m, a, kw: steps.append(float(kw["timestep"].flatten()[0])), with_kwargs=True)
    try:
        full = run_generation({"task": "text_to_video", "model": "tiny-ltx-distilled", "prompt": "x", "frames": 9,
                               "dtype": "float32"}, tmp_path / "full")
        draft = run_generation({"task": "text_to_video", "model": "tiny-ltx-distilled", "prompt": "x", "frames": 9,
                                "dtype": "float32", "draft": True}, tmp_path / "draft")
    finally:
        h.remove()
    expected = [t * 1000 for t in DISTILLED_TIMESTEPS]
    assert steps[:8] == pytest.approx(expected, abs=0.01)
    assert steps[8:] == pytest.approx([expected[i] for i in (0, 2, 5, 7)], abs=0.01)  # a 4-step draft: a subset
    assert full.recipe["model"]["timesteps"] == list(DISTILLED_TIMESTEPS)
    assert "first block cache" not in " ".join(draft.recipe["tier_applied"])  # no cache on a 4-step draft
    # The checkpoint file is hashed into the recipe beside the base folder's files.
    assert len(full.recipe["model"]["files"]["tiny-ltxv-distilled.safetensors"]) == 64


def test_svd_loads_the_fp16_variant_and_decodes_in_chunks(tmp_path, tiny_models, still, monkeypatch):
    folder = tiny_models / "tiny-svd"
    weights = sorted(p.name for p in folder.rglob("*.safetensors"))
    assert weights and all(name.endswith(".fp16.safetensors") for name in weights)  # like the hub repo
    chunks = []
    pipe = _pipe("tiny-svd", "image_to_video")
    original = pipe.vae.decode

    def spy(z, *args, **kwargs):
        chunks.append(z.shape[0])
        return original(z, *args, **kwargs)

    monkeypatch.setattr(pipe.vae, "decode", spy)
    result = run_generation({"task": "image_to_video", "model": "tiny-svd", "prompt": "x", "image": str(still),
                             "frames": 14, "dtype": "float32"}, tmp_path / "t")
    assert result.frames == 14 and chunks == [8, 6]  # decode_chunk_size 8 on the gpu tier, not all 14 at once
    assert result.recipe["model"]["variant"] == "fp16"


def test_cogvideox_i2v_makes_its_one_size_and_length_for_any_project(tmp_path, tiny_models, still):
    # A 16:9 project asks for 16:9; the learned positional embeddings only know 32x32 (720x480 for
    # the real model) and 9 frames (49): generated there, conformed to the project afterwards.
    result = run_generation({"task": "image_to_video", "model": "tiny-cogvideox-i2v", "prompt": "x",
                             "image": str(still), "seconds": 0.5, "dtype": "float32", "output_size": [64, 36],
                             "output_rate": "24"}, tmp_path / "t")
    assert result.recipe["size"] == [32, 32] and result.recipe["frames"] == 9
    assert result.size == (64, 36) and "the only size" in result.message


def test_framepack_loads_its_own_transformer_and_image_encoder_only(tmp_path, tiny_models, still, monkeypatch):
    from diffusers import HunyuanVideoTransformer3DModel

    CACHE.clear()
    loaded = []
    original = HunyuanVideoTransformer3DModel.from_pretrained.__func__
    monkeypatch.setattr(HunyuanVideoTransformer3DModel, "from_pretrained",
                        classmethod(lambda cls, *a, **k: loaded.append(a) or original(cls, *a, **k)))
    pipe = _pipe("tiny-framepack", "image_to_video")
    assert type(pipe.transformer).__name__ == "HunyuanVideoFramepackTransformer3DModel"
    assert type(pipe.image_encoder).__name__ == "SiglipVisionModel"
    assert loaded == []  # the base repo's text-to-video transformer was never read
    result = run_generation({"task": "image_to_video", "model": "tiny-framepack", "prompt": "x", "image": str(still),
                             "frames": 33, "dtype": "float32"}, tmp_path / "t")
    files = result.recipe["model"]["files"]
    assert any(k.startswith("FramePackI2V_HY/") for k in files) and any("image_encoder" in k for k in files)


def test_group_offload_tier_applies_its_hooks_once_per_model(tmp_path, tiny_models, still):
    """FramePack loads extra components; the tier's hooks go on once (never 'already exists')."""
    CACHE.clear()
    for task in ("image_to_video", "long_take"):
        extra = {"frames": 33} if task == "image_to_video" else {"frames": 40}
        result = run_generation({"task": task, "model": "tiny-framepack", "prompt": "x", "image": str(still),
                                 "dtype": "float32", "tier": "group_offload", **extra}, tmp_path / task)
        assert "fp8 layerwise storage" in result.recipe["tier_applied"]
    warm = CACHE.get_warm(get_model("tiny-framepack"), "long_take", "group_offload", "float32", "cpu")
    assert any(p.dtype == torch.float8_e4m3fn for p in warm.base.transformer.parameters())


def test_a_wrong_call_argument_is_an_error_not_silently_dropped(tmp_path, tiny_models, monkeypatch):
    from engine.errors import GenerationError
    from engine.gen.families.wan import Wan

    original = Wan._args
    monkeypatch.setattr(Wan, "_args", lambda self, ctx, n, **kw: {**original(self, ctx, n, **kw), "frame_rate": 16})
    with pytest.raises(GenerationError, match="frame_rate"):
        run_generation({"task": "text_to_video", "model": "tiny-wan", "prompt": "x", "frames": 5,
                        "dtype": "float32"}, tmp_path / "t")


@pytest.mark.parametrize("model_id", ["tiny-ltx", "tiny-wan", "tiny-cogvideox", "tiny-framepack", "tiny-svd"])
def test_compile_works_with_draft_and_the_fp8_tier_and_skips_what_cannot_compile(tmp_path, tiny_models, still,
                                                                                 model_id):
    """Regional compilation (dynamo; the eager backend here, no GPU) with the first-block cache and
    fp8 layerwise-casting hooks in place: no fullgraph errors; a UNet is left uncompiled."""
    from engine.gen.memory import apply_speed, compile_denoiser

    entry = get_model(model_id)
    pipe, _ = CACHE.pipeline(entry, entry.tasks[0], tier="group_offload", dtype="float32", device="cpu")
    family = family_of(entry)
    applied = apply_speed(pipe, family, draft=True, steps=12, attention_backend=None, device="cpu",
                          compile_blocks=True, compile_backend="eager")
    denoiser = family.denoiser(pipe)
    if family.compile_blocks:
        assert any(a.startswith("compiled ") for a in applied)
        assert compile_denoiser(denoiser, family.compile_blocks) == denoiser._shotloom_compiled  # once
    else:
        assert any(a.startswith("compile skipped") for a in applied)
    data = {"task": entry.tasks[0], "model": model_id, "prompt": "x", "dtype": "float32", "tier": "group_offload",
            "steps": 10, "draft": True}  # the cache hook stays on during the compiled run
    if entry.tasks[0] == "image_to_video":
        data["image"] = str(still)
    result = run_generation(data, tmp_path / "t")
    assert result.frames >= 1
    assert ("first block cache 0.05" in result.recipe["tier_applied"]) == family.first_block_cache
    torch._dynamo.reset()


def test_half_precision_on_gpus_without_bfloat16(monkeypatch):
    from engine.gen import memory

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: False)
    assert memory.pick_dtype("cuda") == "float16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert memory.pick_dtype("cuda") == "bfloat16"


@pytest.mark.parametrize("model_id", ["tiny-cogvideox", "tiny-svd"])
def test_preview_reads_frames_first_latents_on_the_right_axes(tiny_models, model_id):
    """CogVideoX and SVD step latents are (B, F, C, H, W): the preview must show latent height x
    width, not channels x height."""
    entry = get_model(model_id)
    pipe = _pipe(model_id, entry.tasks[0])
    latents = torch.randn(1, 3, entry.vae.latent_channels, 5, 7)
    five = family_of(entry).latents_5d(pipe, latents, frames=9, height=40, width=56)
    assert tuple(five.shape) == (1, entry.vae.latent_channels, 3, 5, 7)


def test_ltx_preview_skips_prepended_condition_tokens(tiny_models):
    entry = get_model("tiny-ltx")
    pipe = _pipe("tiny-ltx", "bridge")
    f, h, w = 3, 2, 3
    video = torch.randn(1, 128, f, h, w)
    packed = pipe._pack_latents(video, 1, 1)
    extra = torch.randn(1, 5, packed.shape[-1])  # a condition's tokens, prepended
    five = family_of(entry).latents_5d(pipe, torch.cat([extra, packed], 1), frames=17, height=64, width=96)
    assert torch.equal(five, video)


def test_models_list_reports_the_planned_memory(capsys):
    import argparse

    from engine.gen.commands import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["models", "list", "--json"])
    assert args.func(args) == 0
    data = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    svd = data["svd-xt"]
    assert svd["family"] == "svd" and svd["parameters"]["unet"] > 1_500_000_000
    assert 10 <= svd["vram_gb"]["gpu"] <= 18  # measured about 14 GiB at 1024x576x25 on a GPU
    assert set(data["tiny-framepack"]["tasks"]) == {"image_to_video", "long_take"}
    assert Fraction(data["tiny-cogvideox-i2v"]["native_fps"]) == 8


# ---- Wan 2.2 -------------------------------------------------------------------------------------

def _hooked(pipe, names, monkeypatch):
    """Counts the forward calls of the pipeline's denoisers and records the call's keyword arguments."""
    calls = {name: [] for name in names}
    hooks = [getattr(pipe, name).register_forward_pre_hook(
        lambda m, args, kwargs, name=name: calls[name].append(kwargs.get("timestep", args[1] if len(args) > 1 else None)),
        with_kwargs=True) for name in names]
    return calls, _spy_call(pipe, monkeypatch), hooks


def test_wan22_a14b_runs_both_experts_with_their_own_guidance(tmp_path, tiny_models, monkeypatch):
    pipe = _pipe("tiny-wan22-a14b", "text_to_video")
    assert pipe.config.boundary_ratio == 0.875 and pipe.transformer_2 is not None
    calls, seen, hooks = _hooked(pipe, ("transformer", "transformer_2"), monkeypatch)
    try:
        run_generation(parse_request({"task": "text_to_video", "model": "tiny-wan22-a14b", "prompt": "x", "steps": 4,
                                      "frames": 9, "width": 32, "height": 32, "dtype": "float32"}), tmp_path / "t")
    finally:
        for h in hooks:
            h.remove()
    # The high-noise expert takes the steps above the boundary, the low-noise one the rest (two passes
    # each: conditional and unconditional, one after the other).
    assert calls["transformer"] and calls["transformer_2"]
    assert all(float(t.flatten()[0]) >= 875 for t in calls["transformer"])
    assert all(float(t.flatten()[0]) < 875 for t in calls["transformer_2"])
    assert seen["guidance_scale"] == 4.0 and seen["guidance_scale_2"] == 3.0


def test_wan22_ti2v_starts_on_the_image_with_per_token_timesteps(tmp_path, tiny_models, still, monkeypatch):
    pipe = _pipe("tiny-wan22", "image_to_video")
    assert type(pipe).__name__ == "WanImageToVideoPipeline" and pipe.config.expand_timesteps
    assert pipe.image_encoder is None and pipe.vae.config.z_dim == 48
    calls, seen, hooks = _hooked(pipe, ("transformer",), monkeypatch)
    try:
        result = run_generation(parse_request({"task": "image_to_video", "model": "tiny-wan22", "prompt": "x",
                                               "image": str(still), "frames": 9, "width": 64, "height": 32,
                                               "dtype": "float32"}), tmp_path / "t")
    finally:
        for h in hooks:
            h.remove()
    # expand_timesteps: one timestep per latent token, the first latent frame (the image) at 0.
    t = calls["transformer"][0]
    assert t.ndim == 2 and float(t[0, 0]) == 0.0 and float(t[0, -1]) > 0
    assert "guidance_scale_2" not in seen and seen["image"].size == (64, 32)
    assert result.recipe["model"]["pipeline"] == "WanImageToVideoPipeline" and result.frames == 9


def test_wan22_extends_forward_from_the_last_frame_and_refuses_backward(tmp_path, tiny_models, monkeypatch):
    from engine.errors import GenerationError

    clip = make_clip(tmp_path / "src.mp4", 12, rate=Fraction(24), size=(64, 64))
    pipe = _pipe("tiny-wan22", "extend")
    _calls, seen, hooks = _hooked(pipe, ("transformer",), monkeypatch)
    for h in hooks:
        h.remove()
    result = run_generation(parse_request({"task": "extend", "model": "tiny-wan22", "prompt": "x",
                                           "source": {"path": str(clip)}, "frames": 8, "width": 64, "height": 64,
                                           "dtype": "float32"}), tmp_path / "f")
    last = read_all(clip)[0][-1]
    assert np.abs(np.asarray(seen["image"]).astype(int) - last.astype(int)).mean() < 3
    assert "conditioned on 1 frames" in result.message and result.frames == 8
    with pytest.raises(GenerationError, match=r"^model 'tiny-wan22' extends forward only"):
        run_generation(parse_request({"task": "extend", "model": "tiny-wan22", "prompt": "x", "direction": "backward",
                                      "source": {"path": str(clip)}, "frames": 8, "width": 64, "height": 64,
                                      "dtype": "float32"}), tmp_path / "b")


def test_wan22_a14b_plans_both_experts_on_the_gpu_and_one_at_a_time_when_offloading():
    from engine.gen.planner import predict_peak

    pair, single = get_model("wan2.2-t2v-a14b"), get_model("wan2.1-t2v-14b")
    size = {"width": 1280, "height": 720, "frames": 81}
    expert = pair.components["transformer_2"].params * 2  # bf16
    gpu = predict_peak(pair, tier="gpu", **size).peak_bytes - predict_peak(single, tier="gpu", **size).peak_bytes
    assert gpu == pytest.approx(expert, rel=0.01)
    assert predict_peak(pair, tier="offload", **size).peak_bytes == predict_peak(single, tier="offload", **size).peak_bytes
    assert predict_peak(pair, tier="offload", **size).ram_bytes > predict_peak(single, tier="offload", **size).ram_bytes


# ---- SkyReels V2 diffusion forcing --------------------------------------------------------------

def _spy_call(pipe, monkeypatch):
    seen = {}
    original = type(pipe).__call__

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(pipe), "__call__", spy)
    return seen


def test_skyreels_long_take_is_one_call_over_sliding_windows_decoded_in_chunks(tmp_path, tiny_models, monkeypatch):
    entry = get_model("tiny-skyreels")
    seen = _spy_call(_pipe("tiny-skyreels", "long_take"), monkeypatch)
    reports = []
    result = run_generation(parse_request({"task": "long_take", "model": "tiny-skyreels", "prompt": "x", "frames": 97,
                                           "width": 32, "height": 32, "dtype": "float32", "steps": 2}),
                            tmp_path / "t", lambda *r: reports.append(r))
    # 97 frames = 25 latent frames in windows of 9 that keep 5 of the previous: 1 + ceil(16 / 4) = 5 windows.
    assert seen["num_frames"] == 97 and seen["base_num_frames"] == entry.defaults.frames == 33
    assert seen["overlap_history"] == 17 and seen["addnoise_condition"] == 20 and seen["output_type"] == "latent"
    assert "image" not in seen and result.frames == 97 and probe(result.master).frame_count == 97
    assert reports[-1][1] >= 5 * 2  # progress counts every window's steps
    info = result.recipe["long_take"]
    assert info["chaining"] == "diffusion forcing over sliding windows" and info["windows"] == 1
    assert info["max_resident_frames"] <= 8 * 4 + 1  # decoded 8 latent frames at a time, whatever the length
    with pytest.raises(GenerationError, match=r"^model 'tiny-skyreels' makes long takes from text"):
        run_generation(parse_request({"task": "long_take", "model": "tiny-skyreels", "prompt": "x", "frames": 65,
                                      "image": str(_still(tmp_path)), "width": 32, "height": 32, "dtype": "float32"}),
                       tmp_path / "i")


def _still(tmp_path):
    image = np.full((32, 32, 3), 200, np.uint8)
    save_png(image, tmp_path / "s.png")
    return tmp_path / "s.png"


def test_skyreels_extends_forward_from_a_prefix_of_the_clip_and_bridges_between_two_frames(tmp_path, tiny_models,
                                                                                           monkeypatch):
    clip = make_clip(tmp_path / "src.mp4", 24, rate=Fraction(24), size=(64, 48))
    seen = _spy_call(_pipe("tiny-skyreels", "extend"), monkeypatch)
    result = run_generation(parse_request({"task": "extend", "model": "tiny-skyreels", "prompt": "x", "frames": 10,
                                           "source": {"path": str(clip)}, "width": 32, "height": 32,
                                           "dtype": "float32"}), tmp_path / "f")
    # The clip's last 17 frames go in (4k+1, as the VAE encodes them); 17 + 10 snaps to a 29-frame window,
    # so 12 new frames come out (the pipeline makes 13, a 4k+1 count, with a clip prefix shorter than
    # what it makes: 9).
    assert len(seen["video"]) == 17 and seen["num_frames"] == 13 and seen["overlap_history"] == 9
    assert result.frames == 12 and "conditioned on 17 frames" in result.message
    with pytest.raises(GenerationError, match=r"^model 'tiny-skyreels' extends forward only"):
        run_generation(parse_request({"task": "extend", "model": "tiny-skyreels", "prompt": "x", "frames": 10,
                                      "direction": "backward", "source": {"path": str(clip)}, "width": 32,
                                      "height": 32, "dtype": "float32"}), tmp_path / "b")
    a = make_clip(tmp_path / "a.mp4", 12, rate=Fraction(24), size=(64, 48), seed=1)
    b = make_clip(tmp_path / "b.mp4", 12, rate=Fraction(24), size=(64, 48), seed=2)
    seen = _spy_call(_pipe("tiny-skyreels", "bridge"), monkeypatch)
    result = run_generation(parse_request({"task": "bridge", "model": "tiny-skyreels", "prompt": "x", "frames": 7,
                                           "before": {"path": str(a)}, "after": {"path": str(b)}, "width": 32,
                                           "height": 32, "dtype": "float32"}), tmp_path / "g")
    assert seen["image"].size == seen["last_image"].size == (32, 32) and seen["num_frames"] == 9
    assert result.frames == 7
