"""`shotloom models list` shows each model's memory need, whether its files are here and whether it
runs on this machine; `shotloom doctor` checks the files of the models that are here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import gen_fixtures

from engine.cli import main
from engine.gen.catalog import get_model, load_catalog
from engine.gen.memory import cannot_run_here, needs_bytes, size_text

tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir


def _local_model(tiny_models, tmp_path, capsys):
    folder = tmp_path / "mine"
    shutil.copytree(tiny_models / "tiny-ltx", folder)
    assert main(["models", "add", str(folder), "--id", "mine"]) == 0
    capsys.readouterr()
    return folder


def test_models_list_shows_needs_files_and_fit(tiny_models, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    _local_model(tiny_models, tmp_path, capsys)
    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("this machine: ") and lines[1].split()[:3] == ["ID", "FAMILY", "NEEDS"]
    rows = {line.split()[0]: line for line in lines[2:] if not line.startswith(" ")}
    for entry in load_catalog():
        row = rows[entry.id]
        assert f" {size_text(needs_bytes(entry))} " in row
        assert " 0 GB" not in row and " 0 MB" not in row
        assert row.split("  [")[0].rstrip().endswith("yes" if cannot_run_here(entry) is None else "too little memory")
    assert "built " in rows["tiny-ltx"] and "[test model: output is noise]" in rows["tiny-ltx"]
    # A small model's need reads in MB (it was "0 GB").
    assert rows["tiny-ltx"].split()[2:4] == [str(round(needs_bytes(get_model("tiny-ltx")) / 1e6)), "MB"]
    assert rows["ltx-video-2b"].split()[3] == "GB"
    assert "local folder" in rows["mine"] and "not downloaded" in rows["ltx-video-2b"]

    assert main(["models", "list", "--json"]) == 0
    data = {d["id"]: d for d in json.loads(capsys.readouterr().out)}
    assert data["mine"]["downloaded"] and data["mine"]["files"] == "local folder"
    wan = data["wan2.1-t2v-14b"]
    # The planner's figures from the real configs: 14 B bf16 weights, the T5 encoder and the activations.
    assert not wan["downloaded"] and wan["vram_gb"] == get_model("wan2.1-t2v-14b").vram_gb
    assert 40 <= wan["vram_gb"]["gpu"] <= 60 and wan["vram_gb"]["group_offload"] < wan["vram_gb"]["offload"] < 45
    assert data["tiny-ltx"]["runs_here"] and data["tiny-ltx"]["why_not"] is None


def test_doctor_checks_the_models_that_are_here(tiny_models, tmp_path, capsys):
    folder = _local_model(tiny_models, tmp_path, capsys)
    assert main(["doctor", "--json"]) == 0
    checks = {c["check"]: c for c in json.loads(capsys.readouterr().out)}
    assert checks["model catalog"]["ok"] and checks["model mine"]["ok"]
    assert "local folder" in checks["model mine"]["detail"] and "weight files readable" in checks["model mine"]["detail"]
    assert checks["models"]["ok"] and "mine" in checks["models"]["detail"]
    # A damaged weight file is found and named.
    weights = sorted(folder.rglob("*.safetensors"))[0]
    weights.write_bytes(b"\xff" * 64)
    assert main(["doctor", "--json"]) == 0  # models are not essential: the installation still works
    checks = {c["check"]: c for c in json.loads(capsys.readouterr().out)}
    assert not checks["model mine"]["ok"] and str(weights) in checks["model mine"]["detail"]
    assert checks["model mine"]["fix"] == f"put a good copy of the model in {folder}"
    # The model that ships with Shotloom is still ready to generate; the damaged one is not.
    assert "mine" not in checks["models"]["detail"] and "micro-ltx" in checks["models"]["detail"]
    assert main(["doctor"]) == 0
    text = capsys.readouterr().out
    assert "[ - ] model mine" in text and "damaged" in text


def test_a_user_catalog_from_an_older_shotloom_is_migrated_with_a_backup(tiny_models, tmp_path, capsys):
    """A schema-1 ``models.json`` as the older Shotloom's ``models add`` wrote it (one local
    image-to-video folder that it registered as text-to-video, one folder on a drive that is not
    plugged in now) is rewritten in today's schema; the old file is kept beside it."""
    from engine import paths

    folder = tmp_path / "my-cog-i2v"
    shutil.copytree(tiny_models / "tiny-cogvideox-i2v", folder)
    old_text = (Path(__file__).parent / "data" / "user-models-schema1.json").read_text(encoding="utf-8") \
        .replace("@LOCAL_I2V@", str(folder)).replace("@UNPLUGGED_SVD@", str(tmp_path / "usb" / "svd"))
    user = paths.user_config_dir() / "models.json"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text(old_text, encoding="utf-8")
    old = json.loads(old_text)
    assert old["schema_version"] == 1 and old["models"][0]["tasks"] == ["text_to_video"]

    assert main(["models", "list"]) == 0
    rows = capsys.readouterr().out
    assert "my-cog-i2v" in rows and "svd-on-usb" in rows
    backup = user.with_name("models.schema-1.json")
    assert backup.read_text(encoding="utf-8") == old_text  # the user's file, byte for byte
    new = json.loads(user.read_text(encoding="utf-8"))
    assert new["schema_version"] == 2
    assert [m["id"] for m in new["models"]] == ["my-cog-i2v", "svd-on-usb"]
    assert not [p for p in user.parent.iterdir() if ".partial" in p.name]
    cog, svd = get_model("my-cog-i2v"), get_model("svd-on-usb")
    # The folder that is here is read again: an image-to-video pipeline, its own (tiny) components.
    assert cog.local_path == str(folder) and cog.custom and cog.tasks == ["image_to_video"]
    assert cog.pipelines == {"image_to_video": "CogVideoXImageToVideoPipeline"}
    tiny = get_model("tiny-cogvideox-i2v").components["transformer"]
    assert cog.components["transformer"].config["num_layers"] == tiny.config["num_layers"]
    assert cog.components["transformer"].params < 100_000 and cog.fixed_size is not None
    # The folder that is not here keeps everything the user had, on the built-in entry's components.
    assert svd.local_path == str(tmp_path / "usb" / "svd") and svd.custom and svd.repo is None
    assert svd.name == "svd-on-usb (local folder)" and svd.tasks == ["image_to_video"]
    assert svd.components == get_model("svd-xt").components
    # Read again: nothing more to migrate, the backup is left alone.
    assert main(["models", "list"]) == 0
    capsys.readouterr()
    assert backup.read_text(encoding="utf-8") == old_text and json.loads(user.read_text())["schema_version"] == 2
    # A model added now goes beside the migrated ones.
    shutil.copytree(tiny_models / "tiny-ltx", tmp_path / "ltx")
    assert main(["models", "add", str(tmp_path / "ltx"), "--id", "mine"]) == 0
    assert [m["id"] for m in json.loads(user.read_text())["models"]] == ["my-cog-i2v", "svd-on-usb", "mine"]


def test_an_unreadable_schema_is_refused_in_one_line_and_the_file_kept(shotloom_home, capsys):
    from engine import paths

    user = paths.user_config_dir() / "models.json"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('{"schema_version": 7, "models": []}', encoding="utf-8")
    assert main(["models", "list"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(user) in err[0] and "schema 7" in err[0]
    assert user.read_text(encoding="utf-8") == '{"schema_version": 7, "models": []}'
