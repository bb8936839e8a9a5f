"""The LoRA library with real pipelines: LoRAs made here for the tiny builds with peft and saved
with the pipelines' own ``save_lora_weights``; added, detected, listed, put on shots, loaded with
``load_lora_weights`` + ``set_adapters`` and kept warm."""

from __future__ import annotations

import json
from pathlib import Path

import gen_fixtures
import numpy as np
import pytest

from engine.cli import main
from engine.gen.loading import PipelineCache
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation

LORA_TINY = ("tiny-ltx", "tiny-wan", "tiny-wan22-a14b")
WAN_FITS = ["tiny-skyreels", "tiny-wan", "tiny-wan22", "tiny-wan22-a14b"]


@pytest.fixture(scope="session")
def lora_models_dir(tmp_path_factory) -> Path:
    """tiny-ltx and tiny-wan built once (the only builds these tests need)."""
    return gen_fixtures.build_tiny_models(tmp_path_factory, LORA_TINY)


@pytest.fixture
def models(lora_models_dir, shotloom_home) -> Path:
    return gen_fixtures.link_models(lora_models_dir, shotloom_home)


def make_lora(models: Path, model_id: str, out: Path, *, seed: int, rank: int = 4,
              targets=("to_q", "to_k", "to_v", "to_out.0")) -> Path:
    """A real LoRA for a tiny build: peft adapters on its transformer with non-zero weights, saved
    by the pipeline class's save_lora_weights (diffusers' own LoRA layout)."""
    import diffusers
    import torch
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    cls = {"tiny-ltx": "LTXVideoTransformer3DModel", "tiny-wan": "WanTransformer3DModel"}[model_id]
    pipe_cls = {"tiny-ltx": diffusers.LTXPipeline, "tiny-wan": diffusers.WanPipeline}[model_id]
    transformer = getattr(diffusers, cls).from_pretrained(models / model_id / "transformer")
    torch.manual_seed(seed)
    transformer.add_adapter(LoraConfig(r=rank, lora_alpha=rank, target_modules=list(targets),
                                       init_lora_weights=False))
    with torch.no_grad():  # a trained LoRA's size of change: B is zero at init, random here
        for name, p in transformer.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 0.5)
    out.mkdir(parents=True, exist_ok=True)
    pipe_cls.save_lora_weights(out, transformer_lora_layers=get_peft_model_state_dict(transformer),
                               weight_name=f"{out.name}.safetensors")
    return out / f"{out.name}.safetensors"


def _gen(tmp_path, name, cache, loras=(), model="tiny-ltx", **fields):
    request = parse_request({"task": "text_to_video", "model": model, "prompt": "a cat walks in the rain",
                             "frames": 9, "width": 64, "height": 64, "steps": 2, "seed": 3, "dtype": "float32",
                             "loras": list(loras), **fields})
    result = run_generation(request, tmp_path / "takes" / name, cache=cache)
    return result, gen_fixtures.read_all(result.master)[0]


def _ref(lora_id: str, strength: float = 1.0) -> dict:
    from engine.gen.loras import get_lora

    return {"id": lora_id, "strength": strength, "sha256": get_lora(lora_id).sha256}


def test_lora_add_detects_the_family_and_lists_it(models, tmp_path, capsys):
    ltx = make_lora(models, "tiny-ltx", tmp_path / "ltx-style", seed=1)
    wan = make_lora(models, "tiny-wan", tmp_path / "wan-style", seed=2)
    assert main(["lora", "add", str(ltx), "--id", "style"]) == 0
    out, err = capsys.readouterr()
    assert out == "style\n" and err.startswith("fits tiny-ltx, tiny-ltx-0.9.8-distilled, tiny-ltx-distilled (rank 4, ")
    assert main(["lora", "add", str(wan)]) == 0
    assert capsys.readouterr().out == "wan-style\n"

    assert main(["lora", "list", "--json"]) == 0
    data = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    # Only the tiny builds fit: the real 2B/14B transformers are wider.
    assert data["style"]["families"] == ["ltx"] and data["style"]["models"] == ["tiny-ltx", "tiny-ltx-0.9.8-distilled", "tiny-ltx-distilled"]
    # SkyReels V2 is the Wan architecture: at the tiny builds' widths, a Wan LoRA fits its tiny build too.
    assert data["wan-style"]["families"] == ["skyreels", "wan"]
    assert data["wan-style"]["models"] == WAN_FITS
    assert data["style"]["layers"] > 0 and data["style"]["rank"] == 4
    # The library holds a copy under its hash: the original can go.
    copy = Path(data["style"]["path"])
    assert copy.read_bytes() == ltx.read_bytes()
    ltx.unlink()
    assert copy.is_file()
    assert main(["lora", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "FAMILY", "RANK", "SIZE", "FITS"]
    assert lines[1].split()[:3] == ["style", "ltx", "4"] and lines[1].endswith("tiny-ltx, tiny-ltx-0.9.8-distilled, tiny-ltx-distilled")

    # The same file again: it is in the library already, under its id.
    assert main(["lora", "add", str(wan)]) == 0
    assert capsys.readouterr().out == "wan-style\n"

    # Refusals, one line each, exit 1.
    assert main(["lora", "add", str(wan), "--id", "style"]) == 1
    assert capsys.readouterr().err == ("shotloom: a LoRA with id 'style' is already in the library; "
                                       "choose another --id\n")
    pickle = tmp_path / "old.ckpt"
    pickle.write_bytes(b"\x80\x04not a safetensors file")
    assert main(["lora", "add", str(pickle)]) == 1
    assert capsys.readouterr().err.startswith(f"shotloom: {pickle} is not a .safetensors file; ")
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{broken")
    assert main(["lora", "add", str(damaged)]) == 1
    assert capsys.readouterr().err == (f"shotloom: {damaged} is not a readable safetensors file (SafetensorError); "
                                       f"download or copy the LoRA again\n")


def test_a_lora_that_fits_no_model_is_refused(models, tmp_path, capsys):
    """Right names, wrong widths: a LoRA made for a wider LTX transformer fits no catalog model."""
    import torch
    from safetensors.torch import load_file, save_file

    lora = make_lora(models, "tiny-ltx", tmp_path / "wide", seed=1)
    state = {k: (torch.zeros(v.shape[0], v.shape[1] * 2) if "lora_A" in k else v) for k, v in load_file(lora).items()}
    save_file(state, lora)
    assert main(["lora", "add", str(lora)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"shotloom: {lora} fits no model in the catalog (")
    assert "inputs in tiny-ltx" in err and main(["lora", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_shot_add_with_a_lora_for_another_family_is_refused(models, tmp_path, capsys):
    make_lora(models, "tiny-wan", tmp_path / "wan-style", seed=2)
    make_lora(models, "tiny-ltx", tmp_path / "ltx-style", seed=1)
    assert main(["lora", "add", str(tmp_path / "wan-style" / "wan-style.safetensors")]) == 0
    assert main(["lora", "add", str(tmp_path / "ltx-style" / "ltx-style.safetensors"), "--id", "look"]) == 0
    project = tmp_path / "p.shotloom"
    assert main(["new", str(project)]) == 0
    capsys.readouterr()

    def shots():
        assert main(["info", str(project), "--json"]) == 0
        return json.loads(capsys.readouterr().out)["shots"]

    assert main(["shot", "add", str(project), "--prompt", "a boat", "--model", "tiny-ltx",
                 "--lora", "wan-style:0.8"]) == 1
    assert capsys.readouterr().err == (
        "shotloom: LoRA 'wan-style' does not fit model 'tiny-ltx' (ltx): it is a LoRA for skyreels and wan (fits "
        f"{', '.join(WAN_FITS)}); choose one of those models or another LoRA\n")
    assert shots() == []
    assert main(["shot", "add", str(project), "--prompt", "a boat", "--model", "tiny-ltx", "--lora", "look:x"]) == 1
    assert capsys.readouterr().err == ("shotloom: --lora look:x: strength 'x' is not a number; give ID or "
                                       "ID:STRENGTH like look:0.8\n")
    assert main(["shot", "add", str(project), "--prompt", "a boat", "--model", "tiny-ltx", "--lora", "nope"]) == 1
    assert capsys.readouterr().err.startswith("shotloom: there is no LoRA 'nope' in the library (known: ")

    # Accepted: the recipe lists the LoRA with its strength and file hash.
    assert main(["shot", "add", str(project), "--prompt", "a boat", "--model", "tiny-ltx", "--seed", "1",
                 "--lora", "look:0.5"]) == 0
    shot_id = capsys.readouterr().out.strip()
    from engine.jobs.apply import recipe_hash

    def spec():
        (shot,) = shots()
        assert shot["id"] == shot_id
        return shot["recipe"]["shotloom_gen"]

    first = spec()
    assert first["loras"] == [_ref("look", 0.5)]
    assert main(["info", str(project)]) == 0
    assert 'to generate: text to video · tiny-ltx · seed 1 · LoRA look 0.5 · "a boat"' in capsys.readouterr().out
    # The equivalent edit of an existing shot: one undoable recipe edit; the recipe hash follows.
    assert main(["shot", "loras", str(project), shot_id[:8], "look:0.75"]) == 0
    capsys.readouterr()
    second = spec()
    assert second["loras"] == [_ref("look", 0.75)] and recipe_hash(second) != recipe_hash(first)
    capsys.readouterr()
    assert main(["shot", "loras", str(project), shot_id[:8], "wan-style"]) == 1
    assert "does not fit model 'tiny-ltx'" in capsys.readouterr().err
    assert main(["shot", "loras", str(project), shot_id[:8]]) == 0
    capsys.readouterr()
    assert "loras" not in spec()
    assert main(["undo", str(project)]) == 0
    capsys.readouterr()
    assert spec()["loras"] == [_ref("look", 0.75)]


def test_a_lora_changes_the_output_strength_zero_is_bit_exact_and_sets_stay_warm(models, tmp_path):
    from engine.gen.loras import add_lora

    add_lora(make_lora(models, "tiny-ltx", tmp_path / "a", seed=1), "a")
    add_lora(make_lora(models, "tiny-ltx", tmp_path / "b", seed=5, targets=("ff.net.0.proj", "ff.net.2")), "b")
    cache = PipelineCache()
    plain, plain_frames = _gen(tmp_path, "plain", cache)
    with_a, a_frames = _gen(tmp_path, "a1", cache, [_ref("a")])
    # The LoRA reaches the picture, and the recipe says which file at which strength.
    assert with_a.recipe["output"]["frames_sha256"] != plain.recipe["output"]["frames_sha256"]
    assert np.abs(a_frames.astype(int) - plain_frames.astype(int)).mean() > 1.0
    assert with_a.recipe["loras"] == [{**_ref("a"), "adapter": f"a_{_ref('a')['sha256'][:12]}"}]
    assert with_a.recipe["request"]["loras"] == [_ref("a")]
    assert "loras" not in plain.recipe["request"] and "loras" not in plain.recipe
    # Strength 0 (the LoRA loaded through peft, scaled to nothing) equals no LoRA, bit for bit.
    zero, _ = _gen(tmp_path, "a0", cache, [_ref("a", 0.0)])
    assert zero.recipe["output"]["frames_sha256"] == plain.recipe["output"]["frames_sha256"]
    assert zero.recipe["timings"]["loras_loaded"] is False  # same set: kept warm, only the strength changed
    # Replay is exact: the same recipe gives the same frames.
    again, _ = _gen(tmp_path, "a1-again", cache, [_ref("a")])
    assert again.recipe["output"]["frames_sha256"] == with_a.recipe["output"]["frames_sha256"]
    # Two at once, each at its strength: differs from either alone.
    both, _ = _gen(tmp_path, "ab", cache, [_ref("a"), _ref("b", 0.7)])
    only_b, _ = _gen(tmp_path, "b", cache, [_ref("b", 0.7)])
    hashes = {r.recipe["output"]["frames_sha256"] for r in (plain, with_a, both, only_b)}
    assert len(hashes) == 4
    assert both.recipe["timings"]["loras_loaded"] and only_b.recipe["timings"]["loras_loaded"]
    # Back to no LoRA: unloaded, the pipeline is the plain one again.
    plain2, _ = _gen(tmp_path, "plain2", cache)
    assert plain2.recipe["output"]["frames_sha256"] == plain.recipe["output"]["frames_sha256"]
    warm = next(iter(cache._models.values()))
    assert warm.loras == {} and cache.loads == 1
    assert not any("lora" in n for n, _ in warm.base.transformer.named_parameters())

    # Another task of the same warm model (the image pipeline, made from the same modules with
    # from_pipe) carries the LoRA too, and keeps it for the next task that uses the same set.
    from engine.media import save_png

    image = save_png(np.tile(np.arange(64, dtype=np.uint8)[:, None, None] * 4, (1, 64, 3)), tmp_path / "start.png")
    i2v = {"task": "image_to_video", "image": str(image)}
    i2v_plain, _ = _gen(tmp_path, "i2v-plain", cache, **i2v)
    i2v_a, _ = _gen(tmp_path, "i2v-a", cache, [_ref("a")], **i2v)
    text_a, _ = _gen(tmp_path, "text-a", cache, [_ref("a")])
    assert i2v_a.recipe["model"]["pipeline"] == "LTXImageToVideoPipeline" and i2v_a.recipe["timings"]["loras_loaded"]
    assert i2v_a.recipe["output"]["frames_sha256"] != i2v_plain.recipe["output"]["frames_sha256"]
    assert text_a.recipe["timings"]["loras_loaded"] is False
    assert text_a.recipe["output"]["frames_sha256"] == with_a.recipe["output"]["frames_sha256"]
    assert cache.loads == 1


def test_generation_refuses_a_lora_of_another_family_and_a_changed_library(models, tmp_path, capsys):
    from engine.errors import GenerationError
    from engine.gen.loras import add_lora, get_lora

    add_lora(make_lora(models, "tiny-wan", tmp_path / "w", seed=2), "w")
    cache = PipelineCache()
    # A recipe edited by hand (or a library changed under it) cannot slip a Wan LoRA into LTX.
    with pytest.raises(GenerationError, match=r"^LoRA 'w' does not fit model 'tiny-ltx': "):
        _gen(tmp_path, "x", cache, [_ref("w")])
    assert not (tmp_path / "x").exists()
    get_lora("w").path.write_bytes(b"changed")
    with pytest.raises(GenerationError, match=r"was changed after it was added; add the LoRA again"):
        _gen(tmp_path, "y", cache, [_ref("w")], model="tiny-wan")


def test_lora_add_from_the_hub_and_offline(models, tmp_path, capsys, monkeypatch):
    from huggingface_hub import constants

    repo = tmp_path / "repo"
    make_lora(models, "tiny-ltx", repo, seed=1)
    (repo / "README.md").write_text("a LoRA")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert main(["lora", "add", "shotloom-test/ltx-look"]) == 1
    assert capsys.readouterr().err == (
        "shotloom: LoRA 'shotloom-test/ltx-look' is not downloaded and offline mode is on (HF_HUB_OFFLINE); run "
        "`shotloom lora add shotloom-test/ltx-look` when online, or download its .safetensors file from "
        "https://huggingface.co/shotloom-test/ltx-look and run `shotloom lora add FILE`\n")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    hub = gen_fixtures.FakeHub("shotloom-test/ltx-look", repo)
    try:
        from engine.gen.loras import add_lora

        entry = add_lora("shotloom-test/ltx-look", endpoint=hub.url)
    finally:
        hub.close()
    assert entry.id == "ltx-look" and entry.source == "shotloom-test/ltx-look" and "tiny-ltx" in entry.models
    assert not any(path.endswith("README.md") for _m, path, _r in hub.requests if _m == "GET")
    # In the cache now: offline again, a second id for the same file needs no hub.
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert main(["lora", "add", "shotloom-test/ltx-look", "--id", "again"]) == 0


def _original_wan(state: dict) -> dict:
    """A diffusers-layout Wan LoRA in Wan's original layout, as trainers save it: diffusion_model.
    prefix, self_attn/cross_attn q/k/v/o names, lora_down/lora_up and an alpha per layer (alpha =
    rank: scale 1)."""
    import torch

    names = {"to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "o"}
    attns = {"attn1": "self_attn", "attn2": "cross_attn"}
    out = {}
    for key, tensor in state.items():
        module, _, kind = key.removeprefix("transformer.").rpartition(".lora_")
        blocks, n, attn, proj = module.split(".", 3)
        base = f"diffusion_model.{blocks}.{n}.{attns[attn]}.{names[proj]}"
        out[f"{base}.{'lora_down' if kind == 'A.weight' else 'lora_up'}.weight"] = tensor
        if kind == "A.weight":
            out[f"{base}.alpha"] = torch.tensor(float(tensor.shape[0]))
    return out


def test_trainer_formats_are_read_by_the_familys_own_loader(models, tmp_path, capsys):
    """Hub LoRAs mostly come in the original checkpoints' layouts: LTX's `diffusion_model.` keys
    and Wan's original layer names with lora_down/lora_up/alpha. Each is detected for its family,
    and the Wan one makes exactly the take its diffusers form makes."""
    from safetensors.torch import load_file, save_file

    from engine.gen.loras import add_lora

    ltx = load_file(make_lora(models, "tiny-ltx", tmp_path / "ltx", seed=1))
    save_file({k.replace("transformer.", "diffusion_model.", 1): v for k, v in ltx.items()},
              tmp_path / "ltx-original.safetensors")
    assert add_lora(tmp_path / "ltx-original.safetensors").models == ["tiny-ltx", "tiny-ltx-0.9.8-distilled", "tiny-ltx-distilled"]

    wan_file = make_lora(models, "tiny-wan", tmp_path / "wan", seed=2)
    save_file(_original_wan(load_file(wan_file)), tmp_path / "wan-original.safetensors")
    original = add_lora(tmp_path / "wan-original.safetensors")
    assert original.families == ["skyreels", "wan"] and original.models == WAN_FITS
    add_lora(wan_file, "wan-diffusers")
    cache = PipelineCache()
    a, _ = _gen(tmp_path, "original", cache, [_ref("wan-original")], model="tiny-wan")
    b, _ = _gen(tmp_path, "diffusers", cache, [_ref("wan-diffusers")], model="tiny-wan")
    plain, _ = _gen(tmp_path, "plain", cache, model="tiny-wan")
    assert a.recipe["output"]["frames_sha256"] == b.recipe["output"]["frames_sha256"]
    assert a.recipe["output"]["frames_sha256"] != plain.recipe["output"]["frames_sha256"]


def test_both_experts_of_a_wan22_pair_carry_the_lora(models, tmp_path):
    """Wan 2.2 A14B denoises with two experts (high and low noise): the LoRA is loaded into both,
    weighted in both, and unloaded from both."""
    from engine.gen.loras import add_lora

    add_lora(make_lora(models, "tiny-wan", tmp_path / "w", seed=2), "w")
    cache = PipelineCache()
    plain, _ = _gen(tmp_path, "plain", cache, model="tiny-wan22-a14b")
    styled, _ = _gen(tmp_path, "styled", cache, [_ref("w")], model="tiny-wan22-a14b")
    warm = next(iter(cache._models.values()))
    for expert in (warm.base.transformer, warm.base.transformer_2):
        assert any("lora_A" in n for n, _ in expert.named_parameters())
    zero, _ = _gen(tmp_path, "zero", cache, [_ref("w", 0.0)], model="tiny-wan22-a14b")
    again, _ = _gen(tmp_path, "plain-again", cache, model="tiny-wan22-a14b")
    assert styled.recipe["output"]["frames_sha256"] != plain.recipe["output"]["frames_sha256"]
    assert zero.recipe["output"]["frames_sha256"] == plain.recipe["output"]["frames_sha256"]
    assert again.recipe["output"]["frames_sha256"] == plain.recipe["output"]["frames_sha256"]
    for expert in (warm.base.transformer, warm.base.transformer_2):
        assert not any("lora" in n for n, _ in expert.named_parameters())
