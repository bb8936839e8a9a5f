"""LoRAs on a warm pipeline: what loading, keeping and switching a LoRA set costs.

    nice -n 10 .venv/bin/python tests/bench/bench_loras.py [--rounds 3] [--real ltx-video-2b] [--rank 32]

Tiny part (always): real takes of tiny-ltx through ``run_generation`` on one warm pipeline cache, in
this order each round: no LoRA, LoRA A (loaded), A at another strength (the same set: kept, only
``set_adapters``), B (switched: A unloaded, B loaded), no LoRA (unloaded). Prints the LoRA seconds
the recipe records (``timings.lora_s``) and the whole take, median over rounds; the ratio "kept /
loaded" is the figure that does not depend on the machine's load.

Real part (``--real ID``): the model's real-size transformer (its catalog config, bfloat16, weights
left uninitialised: loading a LoRA does not read them) in its pipeline class, and a random LoRA of
``--rank`` on every attention projection saved as safetensors: ``lora add`` (hash, read, every
family's converter, fit against every catalog model on the meta device), then through the
engine's ``apply_loras``: load into the warm pipeline, the same set again, a switch to another
LoRA, and unloading.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def make_tiny_lora(folder: Path, seed: int, targets) -> Path:
    import diffusers
    import torch
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    from engine.gen.catalog import get_model
    from engine.gen.families.base import build

    t = build(get_model("tiny-ltx").components["transformer"], seed=seed)
    torch.manual_seed(seed)
    t.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=list(targets), init_lora_weights=False))
    diffusers.LTXPipeline.save_lora_weights(folder, transformer_lora_layers=get_peft_model_state_dict(t),
                                            weight_name=f"lora{seed}.safetensors")
    return folder / f"lora{seed}.safetensors"


def tiny(rounds: int, work: Path) -> None:
    import torch

    from engine.gen.loading import PipelineCache
    from engine.gen.loras import add_lora
    from engine.gen.runner import run_generation

    torch.set_num_threads(1)
    a = add_lora(make_tiny_lora(work / "a", 1, ("to_q", "to_k", "to_v", "to_out.0")), "a")
    b = add_lora(make_tiny_lora(work / "b", 2, ("ff.net.0.proj", "ff.net.2")), "b")
    ref = lambda e, s: {"id": e.id, "strength": s, "sha256": e.sha256}  # noqa: E731
    steps = [("no LoRA", []), ("A (load)", [ref(a, 1.0)]), ("A at 0.5 (kept)", [ref(a, 0.5)]),
             ("B (switch)", [ref(b, 1.0)]), ("no LoRA (unload)", [])]
    cache = PipelineCache()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in steps}
    n = 0
    for _ in range(rounds + 1):  # the first round warms the pipeline up and is not counted
        for name, loras in steps:
            n += 1
            request = {"task": "text_to_video", "model": "tiny-ltx", "prompt": "a cat", "frames": 9, "width": 64,
                       "height": 64, "steps": 2, "seed": 1, "dtype": "float32", "loras": loras}
            r = run_generation(request, work / "takes" / f"t{n}", cache=cache)
            if n > len(steps):
                times[name].append((r.recipe["timings"].get("lora_s", 0.0), r.recipe["timings"]["total_s"]))
    print(f"tiny-ltx, 64x64, 9 frames, 2 steps, warm pipeline, median of {rounds} rounds:")
    for name, _ in steps:
        lora_s = statistics.median(t[0] for t in times[name])
        total = statistics.median(t[1] for t in times[name])
        print(f"  {name:18} LoRA {lora_s * 1000:8.1f} ms   take {total:6.2f} s")
    fresh = statistics.median(t[0] for t in times["A (load)"])
    kept = statistics.median(t[0] for t in times["A at 0.5 (kept)"])
    print(f"  kept / loaded: {kept / fresh:.3f}")


def real(model_id: str, rank: int, work: Path) -> None:
    import torch
    from safetensors.torch import save_file

    from engine.gen.catalog import get_model
    from engine.gen.families import family_of
    from engine.gen.families.base import instantiate
    from engine.gen.loading import diffusers_class
    from engine.gen.loras import add_lora, apply_loras

    entry = get_model(model_id)
    family = family_of(entry)
    t0 = time.perf_counter()
    with torch.device("meta"):
        transformer = instantiate(entry.denoiser)
    transformer = transformer.to_empty(device="cpu").to(torch.bfloat16)
    print(f"{model_id}: transformer {sum(p.numel() for p in transformer.parameters()) / 1e9:.2f} B parameters, "
          f"bfloat16, built in {time.perf_counter() - t0:.1f} s")
    targets = [name for name, m in transformer.named_modules()
               if isinstance(m, torch.nn.Linear) and name.split(".")[-1] in ("to_q", "to_k", "to_v")
               or name.endswith("to_out.0")]
    files = []
    for seed in (1, 2):
        g = torch.Generator().manual_seed(seed)
        state = {}
        for name in targets:
            w = transformer.get_submodule(name).weight
            state[f"{family.lora_prefix}.{name}.lora_A.weight"] = torch.randn(rank, w.shape[1], generator=g).to(
                torch.bfloat16) * 0.01
            state[f"{family.lora_prefix}.{name}.lora_B.weight"] = torch.randn(w.shape[0], rank, generator=g).to(
                torch.bfloat16) * 0.01
        path = work / f"real{seed}.safetensors"
        save_file(state, str(path))
        files.append(path)
    size_mb = files[0].stat().st_size / 1e6
    t0 = time.perf_counter()
    a = add_lora(files[0], "real-a")
    add_s = time.perf_counter() - t0
    b = add_lora(files[1], "real-b")
    print(f"  LoRA rank {rank} on {len(targets)} projections, {size_mb:.0f} MB: lora add {add_s:.2f} s "
          f"(fits {', '.join(a.models)})")
    pipe = diffusers_class(family.lora_pipeline)(**{k: None for k in ("scheduler", "vae", "text_encoder",
                                                                      "tokenizer")}, transformer=transformer)
    warm = SimpleNamespace(loras={})
    ref = lambda e, s: SimpleNamespace(id=e.id, strength=s, sha256=e.sha256)  # noqa: E731
    for name, refs in (("load A", [ref(a, 1.0)]), ("A at 0.5 (kept)", [ref(a, 0.5)]), ("switch to B", [ref(b, 1.0)]),
                       ("A and B", [ref(a, 0.8), ref(b, 0.4)]), ("unload", [])):
        t0 = time.perf_counter()
        apply_loras(pipe, warm, refs, entry)
        print(f"  {name:18} {time.perf_counter() - t0:8.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--real", default=None, metavar="MODEL_ID")
    parser.add_argument("--rank", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SHOTLOOM_HOME"] = str(Path(tmp) / "home")
        work = Path(tmp)
        tiny(args.rounds, work)
        if args.real:
            real(args.real, args.rank, work)


if __name__ == "__main__":
    main()
