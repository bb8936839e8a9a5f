"""`shotloom models list` shows each model's memory need, whether its files are here and whether it
runs on this machine; `shotloom doctor` checks the files of the models that are here."""

from __future__ import annotations

import json
import shutil

import gen_fixtures

from engine.cli import main
from engine.gen.catalog import get_model, load_catalog
from engine.gen.memory import cannot_run_here, needs_gb

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
        assert f"{needs_gb(entry):g} GB" in row
        assert row.split("  [")[0].rstrip().endswith("yes" if cannot_run_here(entry) is None else "too little memory")
    assert "built " in rows["tiny-ltx"] and "[test model: output is noise]" in rows["tiny-ltx"]
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
