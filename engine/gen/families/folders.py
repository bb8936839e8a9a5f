"""A catalog entry for a local diffusers model folder (``shotloom models add``).

What the folder can do comes from the folder itself: its pipeline class (``model_index.json``) and
its components' configs (a Wan image-to-video transformer with ``pos_embed_seq_len`` is the
first+last-frame checkpoint: it bridges; CogVideoX with learned positional embeddings makes one
size and length). Parameter counts come from the safetensors headers (no weights are read, no
torch needed). A folder whose weights exist only as pickles is refused here, not at generation.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from engine.errors import GenerationError
from engine.gen.catalog import Component, Latent, ModelEntry, builtin_catalog
from engine.gen.families import FAMILIES, family_for_pipeline, read_index

_CONFIG_FILES = ("config.json",)


def _params(folder: Path) -> int:
    """Values in a component's safetensors files, from their JSON headers."""
    total = 0
    for path in folder.glob("*.safetensors"):
        with open(path, "rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(size))
        for name, info in header.items():
            if name != "__metadata__":
                n = 1
                for d in info["shape"]:
                    n *= d
                total += n
    return total


def _component(folder: Path, library: str, cls: str, module: str | None = None) -> Component:
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config = {k: v for k, v in config.items() if not k.startswith("_") and k not in ("architectures", "transformers_version",
                                                                                     "torch_dtype", "dtype")}
    config_class = None
    if library == "transformers":
        # The catalog knows the config class of every encoder class it ships (no transformers
        # import: the editor migrates old user catalogs torch-free); a new class asks transformers.
        config_class = next((c.config_class for e in builtin_catalog() for c in e.components.values()
                             if c.library == "transformers" and c.cls == cls), None)
        if config_class is None:
            from transformers import AutoConfig

            config_class = type(AutoConfig.for_model(config["model_type"])).__name__
    return Component(library=library, cls=cls, config_class=config_class, module=module, config=config,
                     params=_params(folder))


def _tasks(class_name: str, components: dict[str, Component]) -> dict[str, str]:
    transformer = components.get("transformer")
    cfg = transformer.config if transformer is not None else {}
    if class_name in ("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"):
        # The same weights run every LTX pipeline.
        return {"text_to_video": "LTXPipeline", "image_to_video": "LTXImageToVideoPipeline",
                "extend": "LTXConditionPipeline", "bridge": "LTXConditionPipeline", "long_take": "LTXConditionPipeline"}
    if class_name in ("LTX2Pipeline", "LTX2ImageToVideoPipeline", "LTX2ConditionPipeline"):
        return {"text_to_video": "LTX2Pipeline", "image_to_video": "LTX2ImageToVideoPipeline",
                "extend": "LTX2ConditionPipeline", "bridge": "LTX2ConditionPipeline"}
    if class_name == "WanImageToVideoPipeline":
        # A first+last-frame transformer embeds two images' tokens: it bridges, it cannot start from one image.
        return {"bridge": class_name} if cfg.get("pos_embed_seq_len") else {"image_to_video": class_name}
    if class_name == "WanVACEPipeline":
        return {t: class_name for t in ("text_to_video", "extend", "bridge", "long_take")}
    if class_name in ("WanPipeline", "CogVideoXPipeline"):
        return {"text_to_video": class_name}
    if class_name == "HunyuanVideoFramepackPipeline":
        return {"image_to_video": class_name, "long_take": class_name}
    return {"image_to_video": class_name}  # CogVideoXImageToVideoPipeline, StableVideoDiffusionPipeline


def _variant(folder: Path) -> str | None:
    """"fp16" when the folder's weights exist only as fp16-variant files (SVD-XT 1.1's layout)."""
    weights = list(folder.rglob("*.safetensors"))
    if weights and all(p.name.endswith(".fp16.safetensors") for p in weights):
        return "fp16"
    return None


def entry_for_folder(path: Path, model_id: str) -> ModelEntry:
    from engine.gen.loading import check_no_pickles

    index = read_index(path)
    class_name = index.get("_class_name", "")
    family = family_for_pipeline(class_name)
    if family is None:
        supported = sorted(c for f in FAMILIES.values() for c in f.pipeline_classes)
        raise GenerationError(f"{path} holds a {class_name or 'pipeline of unknown class'}, which Shotloom cannot "
                              f"run; supported: {', '.join(supported)}")
    check_no_pickles(path)
    components = {}
    for name, spec in index.items():
        if name.startswith("_") or not isinstance(spec, list) or len(spec) != 2 or spec[0] is None:
            continue
        library, cls = spec
        if library in ("diffusers", "transformers") and (path / name / "config.json").is_file():
            components[name] = _component(path / name, library, cls)
        elif isinstance(library, str) and (path / name / "config.json").is_file():
            # A class its pipeline's package defines (LTX-2's "ltx2" vocoder and connectors).
            components[name] = _component(path / name, "diffusers", cls, module=library)
    if not any(n in components for n in ("transformer", "unet")) or "vae" not in components:
        raise GenerationError(f"{path} has no denoiser or no VAE with a config.json; point to a complete "
                              f"diffusers model folder")
    pipelines = _tasks(class_name, components)
    template = next((e for e in builtin_catalog() if e.family == family.name and not e.test_model
                     and class_name in e.pipelines.values()), None) or next(
        e for e in builtin_catalog() if e.family == family.name and not e.test_model)
    denoiser = components.get("transformer") or components["unet"]
    fixed_size, frame_rule = None, template.frame_rule
    if denoiser.config.get("use_learned_positional_embeddings"):
        # Learned positional embeddings exist for one latent size and length only.
        s = template.vae.spatial
        cfg = denoiser.config
        fixed_size = (cfg["sample_width"] * s, cfg["sample_height"] * s)
        frame_rule = frame_rule.model_copy(update={"min_frames": cfg["sample_frames"],
                                                   "max_frames": cfg["sample_frames"]})
    vae_cfg = components["vae"].config
    vae = Latent(spatial=vae_cfg.get("spatial_compression_ratio") or template.vae.spatial,
                 temporal=vae_cfg.get("temporal_compression_ratio") or template.vae.temporal,
                 latent_channels=vae_cfg.get("latent_channels") or vae_cfg.get("z_dim") or template.vae.latent_channels)
    return template.model_copy(update={
        "id": model_id, "name": f"{model_id} (local folder)", "repo": None, "repo_checked": None, "revision": "local",
        "local_path": str(path), "custom": True, "test_model": False, "distilled": False,
        "transformer_file": None, "extra_repos": [], "variant": _variant(path),
        "license": "unknown", "license_note": "Local folder added by the user; check its license yourself.",
        "tasks": list(pipelines), "pipelines": pipelines, "components": components, "fixed_size": fixed_size,
        "frame_rule": frame_rule, "vae": vae, "download_gb": 0.0,
    })
