"""Model loading: offline errors, pickle refusal, custom folders, verify, the catalog's rules."""

from __future__ import annotations

import argparse
import json
import pickle
import shutil

import gen_fixtures
import numpy as np
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
    all_tasks = {"text_to_video", "image_to_video", "extend", "bridge", "long_take"}
    assert entries["tiny-ltx"].test_model and set(entries["tiny-ltx"].tasks) == all_tasks
    assert entries["tiny-wan"].pipelines["bridge"] == "WanImageToVideoPipeline" and set(entries["tiny-wan"].tasks) == all_tasks
    # Facts of the real repos the loaders depend on.
    assert entries["svd-xt"].variant == "fp16"  # the hub repo has fp16-variant weights only
    assert entries["wan2.1-flf2v-14b"].tasks == ["bridge"]  # two image embeddings: it cannot start from one image
    assert entries["cogvideox-5b-i2v"].fixed_size == (720, 480) and entries["cogvideox-5b-i2v"].frame_rule.snap(17) == 49
    assert entries["hunyuanvideo-framepack"].extra_repos == ["lllyasviel/FramePackI2V_HY", "lllyasviel/flux_redux_bfl"]
    assert all(set(e.pipelines) == set(e.tasks) for e in entries.values())
    from engine.gen.planner import default_vram_gib

    for e in entries.values():
        vram = default_vram_gib(e)
        assert vram["gpu"] >= vram["offload"] >= vram["group_offload"], e.id


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
    assert "ltx-video-2b" in message and "Lightricks/LTX-Video-0.9.5" in message and "15.9 GB" in message
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
    catalog.add_local_model(folder, "was-fine")
    (folder / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    with open(folder / "transformer" / "diffusion_pytorch_model.bin", "wb") as fh:
        pickle.dump(_Planted(marker), fh)
    # Refused when it is added, not later when someone generates with it.
    with pytest.raises(GenerationError, match=r"diffusion_pytorch_model\.bin is a pickle checkpoint"):
        catalog.add_local_model(folder, "evil")
    assert "evil" not in [e.id for e in catalog.load_catalog()]
    # A folder that turned into pickles after it was added is refused at generation and by verify.
    req = parse_request({"task": "text_to_video", "model": "was-fine", "prompt": "x", "frames": 9,
                         "width": 32, "height": 32, "steps": 1})
    with pytest.raises(GenerationError, match=r"diffusion_pytorch_model\.bin is a pickle checkpoint"):
        run_generation(req, tmp_path / "take")
    args = _parser().parse_args(["models", "verify", "was-fine"])
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


@pytest.mark.parametrize(("bundle", "tasks", "pipeline"), [
    ("tiny-wan/i2v", ["image_to_video"], "WanImageToVideoPipeline"),
    ("tiny-wan/flf2v", ["bridge"], "WanImageToVideoPipeline"),
    ("tiny-wan/vace", ["text_to_video", "extend", "bridge", "long_take"], "WanVACEPipeline"),
    ("tiny-cogvideox-i2v", ["image_to_video"], "CogVideoXImageToVideoPipeline"),
    ("tiny-svd", ["image_to_video"], "StableVideoDiffusionPipeline"),
])
def test_models_add_takes_the_tasks_from_the_folders_own_pipeline(tmp_path, tiny_models, bundle, tasks, pipeline):
    from engine.media import save_png

    folder = shutil.copytree((tiny_models / bundle).resolve(), tmp_path / "model")
    (folder / "shotloom_test_model.json").unlink(missing_ok=True)
    entry = catalog.add_local_model(folder, "mine")
    assert entry.tasks == tasks and set(entry.pipelines.values()) == {pipeline}
    if bundle == "tiny-cogvideox-i2v":
        assert entry.fixed_size == (32, 32) and entry.frame_rule.min_frames == 9  # learned positions
    if bundle == "tiny-svd":
        assert entry.variant == "fp16"
    save_png(np.full((32, 32, 3), 99, np.uint8), tmp_path / "still.png")
    if "image_to_video" in tasks:
        result = run_generation({"task": "image_to_video", "model": "mine", "prompt": "x", "image": str(tmp_path / "still.png"),
                                 "frames": 5, "width": 32, "height": 32, "dtype": "float32"}, tmp_path / "take")
        assert result.recipe["model"]["pipeline"] == pipeline and result.recipe["model"]["revision"] == "local"
    if "text_to_video" not in tasks:
        with pytest.raises(GenerationError, match="mine.*cannot do text to video; it does: " + tasks[0].replace("_", " ")):
            run_generation({"task": "text_to_video", "model": "mine", "prompt": "x"}, tmp_path / "t2v")


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


def test_framepack_downloads_and_loads_only_the_parts_it_uses(tmp_path, tiny_models, monkeypatch):
    """Three repos: the HunyuanVideo base (never its 13B text-to-video transformer), the FramePack
    transformer, the redux repo's image encoder; then generation offline from the cache."""
    from gen_fixtures import FakeHub
    from huggingface_hub import constants

    from engine.gen.loading import CACHE, download_model, resolve_model
    from engine.media import save_png

    tiny = (tiny_models / "tiny-framepack").resolve()
    redux = shutil.copytree(tiny / "flux_redux_bfl", tmp_path / "redux")
    shutil.copytree(redux / "image_encoder", redux / "image_embedder")  # in the real repo, never needed
    hub = FakeHub({"shotloom-test/HunyuanVideo": tiny / "base", "shotloom-test/FramePackI2V_HY": tiny / "FramePackI2V_HY",
                   "shotloom-test/flux_redux_bfl": redux})
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    entry = catalog.get_model("tiny-framepack").model_copy(update={
        "id": "hub-framepack", "test_model": False, "repo": "shotloom-test/HunyuanVideo", "revision": "main",
        "extra_repos": ["shotloom-test/FramePackI2V_HY", "shotloom-test/flux_redux_bfl"]})
    try:
        download_model(entry, endpoint=hub.url)
    finally:
        hub.close()
    fetched = hub.fetched()
    assert any("FramePackI2V_HY" in p for p in fetched) and any("image_encoder/" in p for p in fetched)
    assert not any("HunyuanVideo/resolve" in p and "/transformer/" in p for p in fetched)
    assert not any("image_embedder" in p for p in fetched)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    resolved = resolve_model(entry)
    assert any(k.startswith("shotloom-test/FramePackI2V_HY/") for k in resolved.files)
    catalog.save_user_entry(entry)
    save_png(np.full((32, 32, 3), 99, np.uint8), tmp_path / "still.png")
    CACHE.clear()
    result = run_generation({"task": "image_to_video", "model": "hub-framepack", "prompt": "x", "frames": 9,
                             "image": str(tmp_path / "still.png"), "dtype": "float32"}, tmp_path / "take")
    assert result.recipe["model"]["pipeline"] == "HunyuanVideoFramepackPipeline"
    CACHE.clear()
