"""The planner's VAE decode figure against the tensors a real decoder keeps alive.

Each family's real VAE config, narrowed 4x and made shallower (the widths keep their proportions,
so the upsampler into full size is still twice the last level's width), decodes a small clip on
the CPU while a dispatch mode counts the bytes of every tensor alive (storage-exact, no sampling,
no allocator noise). The family's ``decode_live_bytes`` must land within 25 % of the traced peak,
at two sizes and lengths unlike the ones the counts were read from. The old figure (values per
output pixel) was 10-20x too small for four families and fails this test.
"""

from __future__ import annotations

import weakref

import pytest

from engine.gen.catalog import get_model
from engine.gen.families import family_of

torch = pytest.importorskip("torch")
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils._pytree import tree_flatten  # noqa: E402


class LiveBytes(TorchDispatchMode):
    """The peak of the bytes held by tensors that ops created and that are still referenced."""

    def __init__(self) -> None:
        super().__init__()
        self.live: dict[int, int] = {}
        self.now = 0
        self.peak = 0

    def _gone(self, key: int) -> None:
        self.now -= self.live.pop(key, 0)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if not isinstance(t, torch.Tensor):
                continue
            storage = t.untyped_storage()
            key = storage.data_ptr()
            if key and key not in self.live:
                self.live[key] = storage.nbytes()
                self.now += storage.nbytes()
                weakref.finalize(storage, self._gone, key)
                self.peak = max(self.peak, self.now)
        return out


def _narrow(values, by: int = 4):
    return [v // by for v in values]


REDUCE = {
    # The real config's widths / 4; one resnet per level (the peak is one resnet's working set).
    "ltx-video-2b": lambda c: {**c, "block_out_channels": _narrow(c["block_out_channels"]),
                               "decoder_block_out_channels": _narrow(c["decoder_block_out_channels"]),
                               "layers_per_block": [1] * len(c["layers_per_block"]),
                               "decoder_layers_per_block": [1] * len(c["decoder_layers_per_block"])},
    "ltx2-19b": lambda c: REDUCE["ltx-video-2b"](c),
    "ltx2.3-22b": lambda c: REDUCE["ltx-video-2b"](c),
    "wan2.1-t2v-1.3b": lambda c: {**c, "base_dim": c["base_dim"] // 4, "num_res_blocks": 1},
    "cogvideox-2b": lambda c: {**c, "block_out_channels": _narrow(c["block_out_channels"]), "layers_per_block": 1,
                               "norm_num_groups": 8},
    "hunyuanvideo-framepack": lambda c: {**c, "block_out_channels": _narrow(c["block_out_channels"]),
                                         "layers_per_block": 1, "norm_num_groups": 8},
    "svd-xt": lambda c: {**c, "block_out_channels": _narrow(c["block_out_channels"]), "layers_per_block": 1},
}
SIZES = {"ltx-video-2b": [(256, 128, 17), (160, 96, 9)], "ltx2-19b": [(320, 192, 25), (160, 96, 9)],
         "ltx2.3-22b": [(320, 192, 25), (160, 96, 9)], "wan2.1-t2v-1.3b": [(192, 128, 9), (128, 96, 5)],
         "cogvideox-2b": [(192, 128, 9), (128, 96, 5)], "hunyuanvideo-framepack": [(192, 128, 9), (128, 96, 5)],
         "svd-xt": [(192, 128, 6), (128, 96, 3)]}


def _reduced_entry(model_id: str):
    entry = get_model(model_id)
    vae = entry.components["vae"]
    vae = vae.model_copy(update={"config": REDUCE[model_id](dict(vae.config))})
    if model_id == "svd-xt":  # the 2D decoder's GroupNorm has 32 groups fixed in the class: keep ≥ 32 channels
        vae = vae.model_copy(update={"config": {**vae.config, "block_out_channels": [32, 64, 128, 128]}})
    return entry.model_copy(update={"components": {**entry.components, "vae": vae}})


def _traced_decode(entry, width: int, height: int, frames: int) -> int:
    from engine.gen.families.base import build

    vae = build(entry.components["vae"]).to(torch.bfloat16)
    s, t, c = entry.vae.spatial, entry.vae.temporal, entry.vae.latent_channels
    g = torch.Generator().manual_seed(0)
    if t > 1:
        latents = torch.randn(1, c, (frames - 1) // t + 1, height // s, width // s, generator=g)
    else:
        latents = torch.randn(frames, c, height // s, width // s, generator=g)
    kwargs = {"temb": torch.tensor([0.05], dtype=torch.bfloat16)} if entry.family == "ltx" else {}
    if entry.family == "svd":
        kwargs["num_frames"] = frames
    with torch.inference_mode(), LiveBytes() as live:
        vae.decode(latents.to(torch.bfloat16), **kwargs)
    return live.peak


@pytest.mark.parametrize("model_id", list(REDUCE))
def test_the_decode_figure_follows_the_decoder_that_runs(model_id):
    torch.set_num_threads(1)
    entry = _reduced_entry(model_id)
    family = family_of(entry)
    for width, height, frames in SIZES[model_id]:
        traced = _traced_decode(entry, width, height, frames)
        planned = family.decode_live_bytes(entry, width, height, frames, 2, tiled=False)
        assert 0.75 * traced <= planned <= 1.25 * traced, (
            f"{model_id} at {width}x{height}x{frames}: planned {planned / 2**20:.1f} MiB, "
            f"traced {traced / 2**20:.1f} MiB")
