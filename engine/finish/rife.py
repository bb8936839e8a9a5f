"""RIFE 4.22 (IFNet, Practical-RIFE's HDv3 line) in plain torch: frames between two frames at any
moment t in (0, 1), from a safetensors file loaded strictly. RIFE 4.25/4.26 is the same network
with a lighter encoder and a fifth block (RIFE_4_26).

The network, as published by its authors (hzwer/Practical-RIFE, MIT): a small encoder (``encode``:
three convolutions at half size and a transposed one back, 8 feature channels per frame) and four
flow blocks (``block0``..``block3``, widths 256/192/96/48) that run coarse to fine at 1/8, 1/4,
1/2 and full size. Each block takes both frames (warped by the flow so far), their warped
features, the moment t as a constant plane, the blend mask and the previous block's 8 feature
channels, and adds to the two flows (moment → frame 0, moment → frame 1); its output is 13
channels (4 flow, 1 mask, 8 features) through a transposed convolution and a pixel shuffle. The
frame at t is the two frames warped along their flows, blended by the sigmoid of the mask.

Tensor names are the ones of the authors' checkpoint (``encode.cnn0.weight``,
``block0.conv0.0.0.weight``, ``block3.convblock.7.beta``, ``block2.lastconv.0.bias`` …); a file
whose names carry the ``module.``/``flownet.`` prefixes of the training wrapper, or ComfyUI's
``blocks.N.`` spelling of the blocks, is read the same. Loading is strict: every tensor of the
file must be one of the network's with its exact shape, and every one of the network's must be in
the file (the training-only ``teacher.``/``caltime.`` heads are the one exception: known, and not
used for inference); anything else is refused in one line naming the file.

Frames are padded (edge pixels repeated) to a multiple of 64, the coarsest block's stride. The
encoder's features of the pair last asked are kept, so every output frame of one source interval
runs only the flow blocks, and the next interval encodes only its new frame. Frames larger than ``TILE_PIXELS`` run as overlapping tiles blended with
feathered edges, so memory is one tile's activations whatever the frame size; whatever the clip's
length, only the current pair is held (the stream is driven by engine.media.retime).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import GenerationError

PAD = 64
"""Inputs are padded to a multiple of this (1/8 size, then two stride-2 convolutions: 1/32; 64 as
the authors pad)."""
TILE_PIXELS = 1920 * 1088
"""Frames up to this many pixels run whole (flow over the whole picture is best); larger ones in tiles."""
TILE = 1024
"""Tile side for large frames (a multiple of PAD)."""
OVERLAP = 64
"""Pixels shared by neighbouring tiles, blended with a linear feather."""
TRAINING_ONLY = ("teacher.", "caltime.")
"""Tensors a training checkpoint may carry that inference never uses."""


@dataclass(frozen=True)
class IFNetConfig:
    name: str
    head_width: int
    head_out: int
    widths: tuple[int, ...]
    scales: tuple[int, ...]


RIFE_4_22 = IFNetConfig(name="RIFE 4.22", head_width=32, head_out=8, widths=(256, 192, 96, 48), scales=(8, 4, 2, 1))
RIFE_4_26 = IFNetConfig(name="RIFE 4.26", head_width=16, head_out=4, widths=(192, 128, 96, 64, 32),
                        scales=(16, 8, 4, 2, 1))
"""4.25/4.26: a lighter encoder (16 wide, 4 features) and a fifth block at 1/16 size."""
NETWORKS = {"rife-4.22": RIFE_4_22, "rife-4.26": RIFE_4_26}
"""Each learned interpolator of engine.finish.weights and its network."""


def _conv(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.2, True))


class Head(nn.Module):
    """Per-frame features: ``encode.cnn0..cnn3``."""

    def __init__(self, width: int, out: int) -> None:
        super().__init__()
        self.cnn0 = nn.Conv2d(3, width, 3, 2, 1)
        self.cnn1 = nn.Conv2d(width, width, 3, 1, 1)
        self.cnn2 = nn.Conv2d(width, width, 3, 1, 1)
        self.cnn3 = nn.ConvTranspose2d(width, out, 4, 2, 1)
        self.relu = nn.LeakyReLU(0.2, True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.cnn0(x))
        x = self.relu(self.cnn1(x))
        x = self.relu(self.cnn2(x))
        return self.cnn3(x)


class ResConv(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)
        self.beta = nn.Parameter(torch.ones((1, c, 1, 1)))
        self.relu = nn.LeakyReLU(0.2, True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(torch.addcmul(x, self.conv(x), self.beta))


class IFBlock(nn.Module):
    """One coarse-to-fine step: runs at 1/scale, returns (flow, mask, features) at full size."""

    def __init__(self, cin: int, c: int) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_conv(cin, c // 2, 2), _conv(c // 2, c, 2))
        self.convblock = nn.Sequential(*(ResConv(c) for _ in range(8)))
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(c, 4 * 13, 4, 2, 1), nn.PixelShuffle(2))

    def forward(self, x: torch.Tensor, flow: torch.Tensor | None, scale: int):
        if scale != 1:
            x = F.interpolate(x, scale_factor=1.0 / scale, mode="bilinear", align_corners=False)
        if flow is not None:
            if scale != 1:
                flow = F.interpolate(flow, scale_factor=1.0 / scale, mode="bilinear", align_corners=False) / scale
            x = torch.cat((x, flow), 1)
        tmp = self.lastconv(self.convblock(self.conv0(x)))
        if scale != 1:
            tmp = F.interpolate(tmp, scale_factor=scale, mode="bilinear", align_corners=False)
        return tmp[:, :4] * scale, tmp[:, 4:5], tmp[:, 5:]


class IFNet(nn.Module):
    def __init__(self, config: IFNetConfig = RIFE_4_22) -> None:
        super().__init__()
        self.config = config
        feats = 2 * config.head_out
        self.encode = Head(config.head_width, config.head_out)
        for i, width in enumerate(config.widths):
            # block0: both frames, both features, t; the others add the flow-warped frames' mask and
            # the previous block's 8 feature channels, and (inside the block) the 4 flow channels.
            cin = 7 + feats if i == 0 else 8 + 4 + 8 + feats
            self.add_module(f"block{i}", IFBlock(cin, width))
        self._grid: tuple[tuple, torch.Tensor, torch.Tensor] | None = None

    @property
    def blocks(self) -> list[IFBlock]:
        return [getattr(self, f"block{i}") for i in range(len(self.config.widths))]

    def warp(self, x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        """``x`` read at p + flow(p) (bilinear, edges repeated)."""
        n, _, h, w = flow.shape
        key = (h, w, flow.device, flow.dtype)
        if self._grid is None or self._grid[0] != key:
            ys, xs = torch.meshgrid(torch.linspace(-1.0, 1.0, h, device=flow.device, dtype=flow.dtype),
                                    torch.linspace(-1.0, 1.0, w, device=flow.device, dtype=flow.dtype), indexing="ij")
            div = torch.tensor([(w - 1.0) / 2.0, (h - 1.0) / 2.0], device=flow.device, dtype=flow.dtype)
            self._grid = (key, torch.stack((xs, ys), 0).unsqueeze(0), div.view(1, 2, 1, 1))
        _, base, div = self._grid
        grid = (base + flow / div).permute(0, 2, 3, 1)
        return F.grid_sample(x, grid.expand(x.shape[0], -1, -1, -1), mode="bilinear", padding_mode="border",
                             align_corners=True)

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, t: float | torch.Tensor,
                f0: torch.Tensor | None = None, f1: torch.Tensor | None = None) -> torch.Tensor:
        """The frame at moment ``t`` between ``img0`` and ``img1`` ((n, 3, h, w) in [0, 1], h and w
        multiples of PAD); ``f0``/``f1``: their ``encode`` features when already computed."""
        f0 = self.encode(img0) if f0 is None else f0
        f1 = self.encode(img1) if f1 is None else f1
        n, _, h, w = img0.shape
        if not torch.is_tensor(t):
            t = torch.full((n, 1, h, w), float(t), device=img0.device, dtype=img0.dtype)
        flow = mask = feat = None
        warped0, warped1 = img0, img1
        for block, scale in zip(self.blocks, self.config.scales, strict=True):
            if flow is None:
                flow, mask, feat = block(torch.cat((img0, img1, f0, f1, t), 1), None, scale)
            else:
                x = torch.cat((warped0, warped1, self.warp(f0, flow[:, :2]), self.warp(f1, flow[:, 2:4]), t, mask,
                               feat), 1)
                delta, mask, feat = block(x, flow, scale)
                flow = flow + delta
            warped0 = self.warp(img0, flow[:, :2])
            warped1 = self.warp(img1, flow[:, 2:4])
        return torch.lerp(warped1, warped0, torch.sigmoid(mask))


# -- loading --------------------------------------------------------------------------------------

def _canonical(name: str) -> str:
    for prefix in ("module.", "flownet."):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name.startswith("blocks."):  # ComfyUI's spelling of block<N>.
        _, index, rest = name.split(".", 2)
        name = f"block{index}.{rest}"
    return name


def load_ifnet(path: Path, config: IFNetConfig = RIFE_4_22, *, device: str = "cpu") -> IFNet:
    """``config``'s network with the weights of the safetensors file ``path``, every tensor checked."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if path.suffix != ".safetensors":
        raise GenerationError(f"{path} is not a .safetensors file; Shotloom never loads pickle checkpoints")
    net = IFNet(config)
    want = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    tensors: dict[str, torch.Tensor] = {}
    fix = f"download {path.name} again, or use the optical-flow interpolator (leave out --model)"
    try:
        with safe_open(str(path), framework="pt", device="cpu") as fh:
            names = list(fh.keys())
            for name in names:
                key = _canonical(name)
                if key.startswith(TRAINING_ONLY):
                    continue
                if key not in want:
                    raise GenerationError(f"{path} is not a {config.name} network: it has a tensor '{name}' that "
                                          f"{config.name} does not have; {fix}")
                if key in tensors:
                    raise GenerationError(f"{path} holds '{key}' twice (as '{name}'); {fix}")
                shape = tuple(fh.get_slice(name).get_shape())
                if shape != want[key]:
                    raise GenerationError(f"{path} is not a {config.name} network: '{name}' is {list(shape)} where "
                                          f"{config.name} has {list(want[key])}; {fix}")
                tensors[key] = fh.get_tensor(name)
    except (SafetensorError, OSError, ValueError) as exc:
        raise GenerationError(f"{path} cannot be read as safetensors ({type(exc).__name__}); {fix}") from None
    missing = [k for k in want if k not in tensors]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise GenerationError(f"{path} is not a complete {config.name} network: it lacks '{missing[0]}'{more}; {fix}")
    for key, value in tensors.items():
        if not value.is_floating_point():
            raise GenerationError(f"{path} holds '{key}' as {value.dtype}, not floating point; {fix}")
    net.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
    return net.eval().to(device)


# -- the interpolator -----------------------------------------------------------------------------

def _spans(length: int, tile: int, overlap: int) -> list[int]:
    if length <= tile:
        return [0]
    n = -(-(length - overlap) // (tile - overlap))  # tiles so neighbours share at least ``overlap``
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def _feather(n: int, lo: bool, hi: bool, overlap: int) -> np.ndarray:
    w = np.ones(n, dtype=np.float32)
    ramp = np.linspace(1.0 / (overlap + 1), 1.0, overlap, dtype=np.float32)
    if lo:
        w[:overlap] = ramp
    if hi:
        w[-overlap:] = np.minimum(w[-overlap:], ramp[::-1])
    return w


class RifeInterpolator:
    """The learned interpolator behind the interface of engine.media.retime.FlowInterpolator:
    ``between(a, b, t, key)`` (RIFE) and ``beyond(a, b, s, key)`` (past the last frame, where
    there is no second frame to interpolate towards: the last interval's motion carried on by
    optical flow)."""

    def __init__(self, net: IFNet, *, device: str = "cpu", name: str = "rife-4.22",
                 tile_pixels: int = TILE_PIXELS, tile: int = TILE) -> None:
        from engine.media.retime import FlowInterpolator

        self.net = net
        self.device = device
        self.name = name
        self.tile_pixels = tile_pixels
        self.tile = max(PAD, tile // PAD * PAD)
        self._flow = FlowInterpolator()
        self._key: object = None
        self._pair: list | None = None
        self._b: np.ndarray | None = None

    def _tensor(self, frame: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(frame)).to(self.device)
        return x.permute(2, 0, 1).unsqueeze(0).float().div_(255.0)

    @staticmethod
    def _padded(x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[2:]
        ph, pw = -h % PAD, -w % PAD
        return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x

    def _windows(self, h: int, w: int) -> list[tuple[int, int, int, int]]:
        if h * w <= self.tile_pixels:
            return [(0, h, 0, w)]
        th, tw = min(self.tile, h), min(self.tile, w)
        return [(y, y + th, x, x + tw) for y in _spans(h, th, OVERLAP) for x in _spans(w, tw, OVERLAP)]

    def _prepare(self, a: np.ndarray, b: np.ndarray, key: object) -> list:
        """Per window: the padded pair and its encoder features (kept for the pair's key)."""
        if key is not None and key == self._key and self._pair is not None:
            return self._pair
        # The next interval of a stream starts on the frame the last one ended on: its features are kept.
        last = self._b
        follows = self._pair is not None and last is not None and last.shape == a.shape \
            and (last is a or np.array_equal(last, a))
        ta, tb = self._tensor(a), self._tensor(b)
        h, w = a.shape[:2]
        pair = []
        with torch.inference_mode():
            for n, (y0, y1, x0, x1) in enumerate(self._windows(h, w)):
                pb = self._padded(tb[:, :, y0:y1, x0:x1])
                if follows:
                    _, _, pa, _, fa = self._pair[n]
                else:
                    pa = self._padded(ta[:, :, y0:y1, x0:x1])
                    fa = self.net.encode(pa)
                pair.append(((y0, y1, x0, x1), pa, pb, fa, self.net.encode(pb)))
        self._key, self._pair, self._b = key, pair, b
        return pair

    def between(self, a: np.ndarray, b: np.ndarray, t: float, key: object = None) -> np.ndarray:
        """The frame at fraction ``t`` (0 < t < 1) of the way from ``a`` to ``b`` ((h, w, 3) uint8)."""
        pair = self._prepare(a, b, key)
        h, w = a.shape[:2]
        with torch.inference_mode():
            if len(pair) == 1:
                (_, y1, _, x1), pa, pb, fa, fb = pair[0]
                out = self.net(pa, pb, float(t), fa, fb)[0, :, :y1, :x1]
            else:
                out = torch.zeros((3, h, w), device=self.device)
                weight = torch.zeros((1, h, w), device=self.device)
                for (y0, y1, x0, x1), pa, pb, fa, fb in pair:
                    res = self.net(pa, pb, float(t), fa, fb)[0, :, :y1 - y0, :x1 - x0]
                    wy = _feather(y1 - y0, y0 > 0, y1 < h, OVERLAP)
                    wx = _feather(x1 - x0, x0 > 0, x1 < w, OVERLAP)
                    feather = torch.from_numpy(np.outer(wy, wx)).to(self.device).unsqueeze(0)
                    out[:, y0:y1, x0:x1] += res * feather
                    weight[:, y0:y1, x0:x1] += feather
                out = out / weight
            out = out.clamp_(0, 1).mul_(255).round_().to(torch.uint8)
        return out.permute(1, 2, 0).contiguous().cpu().numpy()

    def beyond(self, a: np.ndarray, b: np.ndarray, s: float, key: object = None) -> np.ndarray:
        return self._flow.beyond(a, b, s, key)


def load_rife(path: Path, *, device: str = "cpu", name: str = "rife-4.22") -> RifeInterpolator:
    """The interpolator ``name`` (a key of NETWORKS) with the weights of ``path``."""
    return RifeInterpolator(load_ifnet(path, NETWORKS[name], device=device), device=device, name=name)
