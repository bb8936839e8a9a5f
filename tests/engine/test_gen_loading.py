"""Model loading: offline errors, pickle refusal, custom folders, verify, the catalog's rules."""

from __future__ import annotations

import argparse
import json
import pickle
import shutil

import gen_fixtures
import pytest

from engine.errors import GenerationError
from engine.gen import catalog
from engine.gen.requests import parse_request
from engine.gen.runner import run_generation

# Fixtures shared by the generation tests (tiny models built once per session).
tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir


class _Planted:
    """Unpickling this writes a marker file: proof that a pickle was executed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('executed')",))


def _parser():
    from engine.gen.commands import register

    parser = argparse.ArgumentParser(prog="shotloom")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_catalog_lists_the_families_with_their_rules():
    entries = {e.id: e for e in catalog.load_catalog()}
    for model_id in ("ltx-video-2b", "ltx-video-2b-distilled", "wan2.1-t2v-1.3b", "wan2.1-t2v-14b",
                     "wan2.1-flf2v-14b", "wan2.1-vace-1.3b", "cogvideox-2b", "cogvideox-5b", "cogvideox-5b-i2v",
                     "hunyuanvideo-framepack", "svd-xt", "tiny-ltx", "tiny-wan"):
        assert model_id in entries
    ltx, wan = entries["ltx-video-2b"], entries["wan2.1-t2v-1.3b"]
    assert ltx.repo == "Lightricks/LTX-Video-0.9.5" and ltx.size_multiple == 32 and ltx.fps == 24
    assert [ltx.frame_rule.snap(n) for n in (1, 9, 10, 121, 1000)] == [9, 9, 17, 121, 257]
    assert [wan.frame_rule.snap(n) for n in (1, 5, 6, 80, 500)] == [5, 5, 9, 81, 81]
    assert wan.fps == 16 and wan.multilingual and wan.snap_size(830, 470) == (832, 464)
    assert entries["tiny-ltx"].test_model and set(entries["tiny-ltx"].tasks) == {
        "text_to_video", "image_to_video", "extend", "bridge", "long_take"}
    assert entries["tiny-wan"].pipelines["bridge"] == "WanImageToVideoPipeline"
    assert all(e.vram_gb["gpu"] >= e.vram_gb["offload"] >= e.vram_gb["group_offload"] for e in entries.values())


def test_models_list_json(capsys):
    args = _parser().parse_args(["models", "list", "--json"])
    assert args.func(args) == 0
    data = json.loads(capsys.readouterr().out)
    tiny = next(d for d in data if d["id"] == "tiny-ltx")
    assert tiny["test_model"] is True and tiny["family"] == "ltx" and "extend" in tiny["tasks"]


def test_planner_orders_tiers_and_grows_with_length():
    from engine.gen.planner import choose_tier, predict_peak

    ltx = catalog.get_model("ltx-video-2b")
    peaks = {t: predict_peak(ltx, width=768, height=512, frames=121, tier=t).peak_bytes
             for t in ("gpu", "offload", "group_offload")}
    assert peaks["gpu"] > peaks["offload"] > peaks["group_offload"]
    assert predict_peak(ltx, width=768, height=512, frames=257, tier="gpu").peak_bytes > peaks["gpu"]
    assert choose_tier(ltx, width=768, height=512, frames=121, free_bytes=80 << 30) == "gpu"
    assert choose_tier(ltx, width=768, height=512, frames=121, free_bytes=int(peaks["offload"] * 1.1)) == "offload"
    assert choose_tier(ltx, width=768, height=512, frames=121, free_bytes=1 << 30) == "group_offload"


def test_offline_missing_model_names_it_its_size_and_where_to_put_it(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    req = parse_request({"task": "text_to_video", "model": "ltx-video-2b", "prompt": "x", "frames": 9})
    with pytest.raises(GenerationError) as err:
        run_generation(req, tmp_path / "take")
    message = str(err.value)
    assert "ltx-video-2b" in message and "Lightricks/LTX-Video-0.9.5" in message and "9.4 GB" in message
    assert str(tmp_path / "hf") in message and "shotloom models download ltx-video-2b" in message
    assert "\n" not in message and not (tmp_path / "take").exists()
    from engine.gen.loading import download_model

    with pytest.raises(GenerationError, match="wan2.1-t2v-1.3b.*28 GB"):
        download_model(catalog.get_model("wan2.1-t2v-1.3b"))


def _copy_tiny(tiny_models, dst):
    shutil.copytree((tiny_models / "tiny-ltx").resolve(), dst)
    (dst / "shotloom_test_model.json").unlink()
    return dst


def test_planted_pickle_checkpoint_is_refused_and_never_executed(tmp_path, tiny_models):
    marker = tmp_path / "executed.txt"
    # The planted file really would run code if unpickled (so this test can fail):
    probe_marker = tmp_path / "probe.txt"
    pickle.loads(pickle.dumps(_Planted(probe_marker)))
    assert probe_marker.exists()

    folder = _copy_tiny(tiny_models, tmp_path / "evil-model")
    (folder / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    with open(folder / "transformer" / "diffusion_pytorch_model.bin", "wb") as fh:
        pickle.dump(_Planted(marker), fh)
    catalog.add_local_model(folder, "evil")
    req = parse_request({"task": "text_to_video", "model": "evil", "prompt": "x", "frames": 9,
                         "width": 32, "height": 32, "steps": 1})
    with pytest.raises(GenerationError, match=r"diffusion_pytorch_model\.bin is a pickle checkpoint"):
        run_generation(req, tmp_path / "take")
    args = _parser().parse_args(["models", "verify", "evil"])
    with pytest.raises(GenerationError, match="never loads"):
        args.func(args)
    assert not marker.exists()


def test_pickle_beside_safetensors_is_ignored(tmp_path, tiny_models):
    marker = tmp_path / "executed.txt"
    folder = _copy_tiny(tiny_models, tmp_path / "mixed-model")
    with open(folder / "transformer" / "diffusion_pytorch_model.bin", "wb") as fh:
        pickle.dump(_Planted(marker), fh)
    entry = catalog.add_local_model(folder, "mixed")
    assert entry.custom and entry.family == "ltx" and entry.local_path == str(folder.resolve())
    result = run_generation(parse_request({"task": "text_to_video", "model": "mixed", "prompt": "x", "frames": 9,
                                           "width": 32, "height": 32, "steps": 1, "dtype": "float32"}),
                            tmp_path / "take")
    assert result.recipe["model"]["revision"] == "local" and not marker.exists()
    assert "transformer/diffusion_pytorch_model.bin" not in result.recipe["model"]["files"]


def test_models_add_refuses_a_non_model_folder_and_duplicates(tmp_path, tiny_models, capsys):
    with pytest.raises(GenerationError, match="no model_index.json"):
        catalog.add_local_model(tmp_path, "nothing")
    folder = _copy_tiny(tiny_models, tmp_path / "m")
    args = _parser().parse_args(["models", "add", str(folder), "--id", "mine"])
    assert args.func(args) == 0 and capsys.readouterr().out.strip() == "mine"
    with pytest.raises(GenerationError, match="already exists"):
        args.func(args)
    verify = _parser().parse_args(["models", "verify", "mine"])
    assert verify.func(verify) == 0 and "mine: ok, revision local" in capsys.readouterr().out


def test_download_through_the_hub_client_skips_pickles_resumes_and_resolves_offline(tmp_path, tiny_models,
                                                                                  monkeypatch):
    import hashlib

    from gen_fixtures import FakeHub
    from huggingface_hub import constants
    from tqdm import tqdm

    from engine.gen.loading import download_model, resolve_model

    repo_dir = _copy_tiny(tiny_models, tmp_path / "repo")
    marker = tmp_path / "executed.txt"
    with open(repo_dir / "transformer" / "old_checkpoint.bin", "wb") as fh:
        pickle.dump(_Planted(marker), fh)
    hub = FakeHub("shotloom-test/tiny-ltx", repo_dir)
    cache = tmp_path / "hf"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    base = catalog.get_model("tiny-ltx")
    entry = base.model_copy(update={"id": "hub-ltx", "repo": "shotloom-test/tiny-ltx", "revision": "main",
                                    "test_model": False, "download_gb": 0.001})
    bars = []

    class Bar(tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = False
            super().__init__(*args, **kwargs)
            bars.append(self)

    vae = (repo_dir / "vae" / "diffusion_pytorch_model.safetensors").read_bytes()
    try:
        folder = download_model(entry, tqdm_class=Bar, endpoint=hub.url)
        assert (folder / "model_index.json").is_file() and folder.name == hub.commit
        assert not list(folder.rglob("*.bin")) and not marker.exists()
        assert not any(path.endswith(".bin") for _, path, _ in hub.requests)
        # An interrupted download (one weight file missing) picks up where it stopped: only the
        # missing file is fetched again; complete files are kept.
        (folder / "vae" / "diffusion_pytorch_model.safetensors").resolve().unlink()
        (folder / "vae" / "diffusion_pytorch_model.safetensors").unlink()
        hub.requests.clear()
        download_model(entry, tqdm_class=Bar, endpoint=hub.url)
    finally:
        hub.close()
    fetched = [path for method, path, _ in hub.requests if method == "GET" and "/resolve/" in path]
    assert len(fetched) == 1 and fetched[0].endswith("vae/diffusion_pytorch_model.safetensors")
    assert (folder / "vae" / "diffusion_pytorch_model.safetensors").read_bytes() == vae
    assert bars  # progress was reported through the given tqdm class
    resolved = resolve_model(entry)  # offline from the cache now
    assert resolved.revision == hub.commit
    assert resolved.files["vae/diffusion_pytorch_model.safetensors"] == hashlib.sha256(vae).hexdigest()
