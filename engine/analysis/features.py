"""Per-frame measurements along a sequence of frames, computed in one streaming pass.

Every frame is measured once and dropped: the analysis keeps a few numbers per frame (about 100
floats), never the frames, so a 60 s timeline costs memory for its numbers only. Flow and
difference work on a grey copy no wider than ``flow_width`` pixels; colour statistics on a copy
no wider than ``stats_width``. Motion figures are expressed in pixels of a 256-pixel-wide frame,
so thresholds do not depend on the resolution of the footage.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

import cv2
import numpy as np

from engine.progress import CancelToken, ProgressFn

FLOW_GRID = 4  # motion is summarised as the mean flow of each cell of a 4x4 grid
REFERENCE_WIDTH = 256.0  # motion figures are in pixels of a frame this wide
HOG_BINS = 8
HOG_CELLS = 2
HIST_LEVELS = 4  # colour histogram: 4 x 4 x 4 RGB bins
CHANGED_LEVEL = 20.0  # a pixel the flow does not explain: |warp residual| above this (grey, std 40)


@dataclass
class FrameSeries:
    """Numbers measured per frame; index t is frame t of the analysed sequence.

    Pair measurements (difference, flow, warp error) at index t describe the step from frame t-1
    to frame t; index 0 holds NaN there.
    """

    lab_mean: np.ndarray  # (n, 3) CIE Lab means (L 0..100, a/b about -128..127)
    lab_std: np.ndarray  # (n, 3)
    lab_median: np.ndarray  # (n, 3) per-channel medians (robust to shapes coming and going)
    sharpness: np.ndarray  # (n,) variance of the Laplacian of the normalised grey frame
    black: np.ndarray  # (n,) bool
    diff: np.ndarray  # (n,) mean |grey_t - grey_t-1| in 0..255 on the raw grey frame
    ndiff: np.ndarray  # (n,) same on the contrast-normalised grey frame (robust to grading)
    flow_mean: np.ndarray  # (n, 2) mean flow vector (dx, dy)
    flow_mag: np.ndarray  # (n,) mean flow magnitude
    flow_grid: np.ndarray  # (n, 4, 4, 2) mean flow per grid cell
    flow_hi: np.ndarray  # (n,) 95th percentile of the flow magnitude (what moves, however small)
    changed: np.ndarray  # (n,) share of pixels the flow does not explain (warp residual > 20)
    hist: np.ndarray  # (n, 64) colour histogram (4x4x4 RGB bins, sums to 1)
    warp_err: np.ndarray  # (n,) mean |normalised grey_t-1 - grey_t warped back by the flow| / 255
    structure: np.ndarray  # (n, 32) HOG-like descriptor (gradient orientation histogram, 2x2 cells)
    aligned_dlab: np.ndarray  # (n, 3) median Lab change of the same content (t-1 warped onto t)
    # Trajectories: the flow of step t against the flow of the steps before it, followed along
    # the flow onto the same points (each moving point is compared with itself, so people
    # walking at different speeds all count). NaN where too little moves (see ``relate_flows``).
    flow_scale: np.ndarray  # (n,) how far points move in step t / in step t-1 (least squares; 1 steady)
    flow_turn: np.ndarray  # (n,) cosine between the motion of step t and of step t-1 (1 same, -1 reversed)
    flow_scale2: np.ndarray  # (n,) same against step t-2 (across step t-1: a join's step is left out)
    flow_turn2: np.ndarray  # (n,) cosine against step t-2
    # The camera's motion: the median flow vector of the step (most of the picture is background,
    # so what moves by itself does not pull it), in pixels of a 256-wide frame.
    flow_med: np.ndarray  # (n, 2)
    # mean |normalised grey_t - grey_t-2|: small where frame t shows again what frame t-2 showed
    # (the picture goes back the way it came: a reversal), NaN for t < 2.
    back2: np.ndarray  # (n,)
    # mean |normalised grey_t - grey_t-LAG|: how much frames LAG apart differ (NaN for t < LAG). A
    # join that changes the picture as much as that, or more, is missing more than a few frames.
    back_lag: np.ndarray  # (n,)

    def __len__(self) -> int:
        return int(self.lab_mean.shape[0])

    @property
    def luma(self) -> np.ndarray:
        return self.lab_mean[:, 0]

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def slice(self, lo: int, hi: int) -> FrameSeries:
        """Frames lo..hi-1; the step into frame lo is dropped (NaN): its previous frame is gone."""
        out = FrameSeries(**{k: v[lo:hi].copy() for k, v in self.arrays().items()})
        if hi > lo:
            for name in PAIR_FIELDS:
                getattr(out, name)[0] = np.nan
            for name, depth in HISTORY_FIELDS:
                getattr(out, name)[:depth + 1] = np.nan
        return out

    @classmethod
    def concat(cls, parts: list[FrameSeries]) -> FrameSeries:
        if not parts:
            raise ValueError("no frames were analysed")
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def set_step(self, t: int, step: FrameSeries, at: int = 1, *, pair: bool = True) -> None:
        """Put the step measurements of ``step``'s frame ``at`` (the step from its frame at-1) at
        index t: the pair fields (with ``pair``) and the trajectory fields it has."""
        for name in PAIR_FIELDS if pair else ():
            getattr(self, name)[t] = getattr(step, name)[at]
        for name, _ in TRAJECTORY_FIELDS:
            value = getattr(step, name)[at]
            if np.isfinite(value):
                getattr(self, name)[t] = value


LAG = 8  # frames apart for ``back_lag``
PAIR_FIELDS = ("diff", "ndiff", "flow_mean", "flow_mag", "flow_grid", "flow_hi", "changed", "warp_err",
               "aligned_dlab", "flow_med")
# Fields that need the steps before: (name, how many frames before the step's own pair they use).
TRAJECTORY_FIELDS = (("flow_scale", 1), ("flow_turn", 1), ("flow_scale2", 2), ("flow_turn2", 2), ("back2", 1))
# Fields over LAG frames: measured inside a span only (a cached span does not keep LAG frames at its
# ends), so the frame pairs a join separates are never used (seams.lag_change).
LAG_FIELDS = (("back_lag", LAG - 1),)
HISTORY_FIELDS = TRAJECTORY_FIELDS + LAG_FIELDS
CAMERA_CELLS = (32, 24)  # the camera's motion is the median of the flow averaged over this grid
MOVING_PX = 0.5  # a point moves when it moves this far (pixels of the flow frame) in either step
MIN_MOVING = 0.002  # ... and a comparison needs at least this share of the picture moving


def relate_flows(flow: np.ndarray, before: np.ndarray) -> tuple[float, float]:
    """(scale, cosine) of a flow field against an earlier step's motion at the same points: the
    least-squares factor taking ``before`` to ``flow`` and the cosine between them, over the
    points that move in either (weighted by how far they move); NaN when almost nothing moves."""
    moving = cv2.compare(cv2.max(cv2.magnitude(flow[..., 0], flow[..., 1]),
                                 cv2.magnitude(before[..., 0], before[..., 1])), MOVING_PX, cv2.CMP_GT)
    if cv2.countNonZero(moving) < MIN_MOVING * moving.size:
        return np.nan, np.nan
    # Means over the moving points (OpenCV sums in double): the count cancels in both ratios.
    dot = sum(cv2.mean(cv2.multiply(flow, before), mask=moving)[:2])
    ff = sum(cv2.mean(cv2.multiply(flow, flow), mask=moving)[:2])
    gg = sum(cv2.mean(cv2.multiply(before, before), mask=moving)[:2])
    return dot / max(gg, 1e-9), dot / max(float(np.sqrt(ff * gg)), 1e-12)


@dataclass
class AnalysisConfig:
    """Sizes and the flow preset; the defaults are what the thresholds were calibrated with."""

    flow_width: int = 256
    stats_width: int = 64
    flow_preset: str = "ultrafast"  # "ultrafast" | "fast" | "medium"
    extra: dict = field(default_factory=dict)


_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _scaled_size(w: int, h: int, max_width: int) -> tuple[int, int]:
    if w <= max_width:
        return w, h
    return max_width, max(8, round(h * max_width / w))


def _shrink(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average down to ``size``; from far larger frames (1080p and up) first keep every k-th
    pixel down to about twice the size, since a full area average costs more than the analysis."""
    w, h = frame.shape[1], frame.shape[0]
    step = w // (2 * size[0])
    if step >= 2:
        frame = cv2.resize(frame, (w // step, h // step), interpolation=cv2.INTER_NEAREST)
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _normalise(grey: np.ndarray) -> np.ndarray:
    """Grey frame rescaled to mean 128 and std 40, so grading and exposure changes do not look
    like motion or structure changes."""
    mean, std = cv2.meanStdDev(grey)
    scale = 40.0 / max(float(std[0, 0]), 2.0)
    return grey.astype(np.float32) * scale + (128.0 - float(mean[0, 0]) * scale)


def _channel_median(img: np.ndarray) -> np.ndarray:
    planes = np.ascontiguousarray(img.reshape(-1, img.shape[-1]).T)
    return np.median(planes, axis=1)


def _hog(grey: np.ndarray) -> np.ndarray:
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    mag, ang = cv2.cartToPolar(gx, gy, angleInDegrees=False)
    bins = np.minimum((ang % np.pi) / np.pi * HOG_BINS, HOG_BINS - 1).astype(np.int32)
    h, w = grey.shape
    out = np.zeros((HOG_CELLS, HOG_CELLS, HOG_BINS), np.float32)
    for cy in range(HOG_CELLS):
        for cx in range(HOG_CELLS):
            ys = slice(cy * h // HOG_CELLS, (cy + 1) * h // HOG_CELLS)
            xs = slice(cx * w // HOG_CELLS, (cx + 1) * w // HOG_CELLS)
            out[cy, cx] = np.bincount(bins[ys, xs].ravel(), weights=mag[ys, xs].ravel(),
                                      minlength=HOG_BINS)
    flat = out.ravel()
    return flat / (np.linalg.norm(flat) + 1e-6)


class FrameAnalyzer:
    """Streaming measurement: ``push`` frames in order, then ``series()``."""

    def __init__(self, config: AnalysisConfig | None = None) -> None:
        self.config = config or AnalysisConfig()
        self._dis = cv2.DISOpticalFlow_create(_PRESETS[self.config.flow_preset])
        self._prev_grey: np.ndarray | None = None
        self._prev_norm: np.ndarray | None = None
        self._prev2_norm: np.ndarray | None = None
        self._history: deque[np.ndarray] = deque(maxlen=LAG)  # the last LAG normalised frames
        self._flow_size: tuple[int, int] | None = None
        self._grid_cache: tuple[np.ndarray, np.ndarray] | None = None
        self._rows: dict[str, list] = {k: [] for k in (
            "lab_mean", "lab_std", "lab_median", "sharpness", "black", "diff", "ndiff", "flow_mean", "flow_mag",
            "flow_grid", "flow_hi", "changed", "hist", "warp_err", "structure", "aligned_dlab", "flow_med",
            *(name for name, _ in HISTORY_FIELDS))}
        self._motion: tuple[np.ndarray, np.ndarray | None] | None = None  # the last two steps' motion, on the last frame
        self._prev_lab: np.ndarray | None = None
        self._stats_grid: tuple[np.ndarray, np.ndarray] | None = None

    def push(self, frame: np.ndarray) -> None:
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"expected an (h, w, 3) uint8 RGB frame, got {frame.shape} {frame.dtype}")
        h, w = frame.shape[:2]
        cfg = self.config
        fw, fh = _scaled_size(w, h, cfg.flow_width)
        if self._flow_size is None:
            self._flow_size = (fw, fh)
        elif self._flow_size != (fw, fh):
            raise ValueError("all frames of one analysis must have the same size")
        small = frame if (fw, fh) == (w, h) else _shrink(frame, (fw, fh))
        sw, sh = _scaled_size(fw, fh, cfg.stats_width)
        tiny = small if (sw, sh) == (fw, fh) else cv2.resize(small, (sw, sh), interpolation=cv2.INTER_AREA)

        lab = cv2.cvtColor(tiny.astype(np.float32) * (1.0 / 255.0), cv2.COLOR_RGB2Lab)
        mean, std = cv2.meanStdDev(lab)
        r = self._rows
        r["lab_mean"].append(mean.ravel())
        r["lab_std"].append(std.ravel())
        r["lab_median"].append(_channel_median(lab))
        r["black"].append(bool(mean[0, 0] < 6.0 and std[0, 0] < 4.0))
        bins = (tiny >> 6).astype(np.int32)
        codes = (bins[..., 0] * HIST_LEVELS + bins[..., 1]) * HIST_LEVELS + bins[..., 2]
        r["hist"].append(np.bincount(codes.ravel(), minlength=HIST_LEVELS ** 3) / codes.size)

        grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        norm = _normalise(grey)
        norm8 = np.clip(norm, 0, 255).astype(np.uint8)
        r["sharpness"].append(float(cv2.Laplacian(norm8, cv2.CV_32F).var()))
        r["structure"].append(_hog(cv2.resize(norm8, (64, max(8, 64 * fh // fw)), interpolation=cv2.INTER_AREA)))

        scale = REFERENCE_WIDTH / fw
        if self._prev_grey is None:
            r["diff"].append(np.nan)
            r["ndiff"].append(np.nan)
            r["flow_mean"].append(np.full(2, np.nan, np.float32))
            r["flow_mag"].append(np.nan)
            r["flow_grid"].append(np.full((FLOW_GRID, FLOW_GRID, 2), np.nan, np.float32))
            r["flow_hi"].append(np.nan)
            r["changed"].append(np.nan)
            r["warp_err"].append(np.nan)
            r["aligned_dlab"].append(np.full(3, np.nan))
            r["flow_med"].append(np.full(2, np.nan))
            for name, _ in HISTORY_FIELDS:
                r[name].append(np.nan)
        else:
            r["diff"].append(cv2.mean(cv2.absdiff(grey, self._prev_grey))[0])
            r["ndiff"].append(cv2.mean(cv2.absdiff(norm, self._prev_norm))[0])
            prev8 = np.clip(self._prev_norm, 0, 255).astype(np.uint8)
            flow = self._dis.calc(prev8, norm8, None)
            mag = cv2.magnitude(flow[..., 0], flow[..., 1])
            r["flow_mean"].append(np.array(cv2.mean(flow)[:2]) * scale)
            r["flow_mag"].append(cv2.mean(mag)[0] * scale)
            flat = mag.ravel()
            k = int(flat.size * 0.95)
            r["flow_hi"].append(float(np.partition(flat, k)[k]) * scale)
            grid = cv2.resize(flow, (FLOW_GRID, FLOW_GRID), interpolation=cv2.INTER_AREA)
            r["flow_grid"].append(grid * scale)
            cells = cv2.resize(flow, CAMERA_CELLS, interpolation=cv2.INTER_AREA).reshape(-1, 2)
            r["flow_med"].append(np.median(cells, axis=0) * scale)
            # Warp the current frame back onto the previous one along the flow: what the flow
            # cannot explain (new content, a cut, a flash) is left as error.
            if self._grid_cache is None:
                gx, gy = np.meshgrid(np.arange(fw, dtype=np.float32), np.arange(fh, dtype=np.float32))
                self._grid_cache = (gx, gy)
            gx, gy = self._grid_cache
            warped = cv2.remap(norm, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
            residual = cv2.absdiff(warped, self._prev_norm)
            r["warp_err"].append(cv2.mean(residual)[0] / 255.0)
            r["changed"].append(float(np.count_nonzero(residual > CHANGED_LEVEL)) / residual.size)
            # Colour change of the same content: the current frame's Lab warped back onto the
            # previous one. The median ignores what moved in or out, so a grade creeping over a
            # take adds up while content coming and going does not.
            lh, lw = lab.shape[:2]
            if self._stats_grid is None:
                sx, sy = np.meshgrid(np.arange(lw, dtype=np.float32), np.arange(lh, dtype=np.float32))
                self._stats_grid = (sx, sy)
            sx, sy = self._stats_grid
            small_flow = flow if (lw, lh) == (fw, fh) else cv2.resize(flow, (lw, lh), interpolation=cv2.INTER_AREA) * (lw / fw)
            lab_back = cv2.remap(lab, sx + small_flow[..., 0], sy + small_flow[..., 1], cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
            r["aligned_dlab"].append(_channel_median(lab_back - self._prev_lab))
            self._trajectory(flow, gx, gy)
            r["back2"].append(cv2.mean(cv2.absdiff(norm, self._prev2_norm))[0] if self._prev2_norm is not None
                              else np.nan)
            r["back_lag"].append(cv2.mean(cv2.absdiff(norm, self._history[0]))[0] if len(self._history) == LAG
                                 else np.nan)
        self._prev_grey = grey
        self._prev2_norm = self._prev_norm
        self._prev_norm = norm
        self._history.append(norm)
        self._prev_lab = lab

    def _trajectory(self, flow: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> None:
        """Compare this step's flow with the motion of the two steps before it (carried onto the
        previous frame's points), then carry both onto this frame for the next step."""
        r = self._rows
        last, earlier = self._motion if self._motion is not None else (None, None)
        for (scale, turn), before in ((("flow_scale", "flow_turn"), last), (("flow_scale2", "flow_turn2"), earlier)):
            s, c = relate_flows(flow, before) if before is not None else (np.nan, np.nan)
            r[scale].append(s)
            r[turn].append(c)
        # A point x of this frame came from about x - flow(x) of the previous one.
        back_x, back_y = gx - flow[..., 0], gy - flow[..., 1]
        carried = cv2.remap(flow, back_x, back_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        older = (cv2.remap(last, back_x, back_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                 if last is not None else None)
        self._motion = (carried, older)

    def series(self) -> FrameSeries:
        r = self._rows
        n = len(r["lab_mean"])
        if n == 0:
            raise ValueError("no frames were analysed")
        return FrameSeries(
            lab_mean=np.asarray(r["lab_mean"], np.float64).reshape(n, 3),
            lab_std=np.asarray(r["lab_std"], np.float64).reshape(n, 3),
            lab_median=np.asarray(r["lab_median"], np.float64).reshape(n, 3),
            sharpness=np.asarray(r["sharpness"], np.float64),
            black=np.asarray(r["black"], bool),
            diff=np.asarray(r["diff"], np.float64),
            ndiff=np.asarray(r["ndiff"], np.float64),
            flow_mean=np.asarray(r["flow_mean"], np.float64).reshape(n, 2),
            flow_mag=np.asarray(r["flow_mag"], np.float64),
            flow_grid=np.asarray(r["flow_grid"], np.float64).reshape(n, FLOW_GRID, FLOW_GRID, 2),
            flow_hi=np.asarray(r["flow_hi"], np.float64),
            changed=np.asarray(r["changed"], np.float64),
            hist=np.asarray(r["hist"], np.float64).reshape(n, -1),
            warp_err=np.asarray(r["warp_err"], np.float64),
            structure=np.asarray(r["structure"], np.float64).reshape(n, -1),
            aligned_dlab=np.asarray(r["aligned_dlab"], np.float64).reshape(n, 3),
            flow_med=np.asarray(r["flow_med"], np.float64).reshape(n, 2),
            **{name: np.asarray(r[name], np.float64) for name, _ in HISTORY_FIELDS},
        )


def measure_frames(
    frames: Iterable[np.ndarray],
    *,
    total: int | None = None,
    config: AnalysisConfig | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    progress_every: int = 24,
) -> FrameSeries:
    """Measure every frame of an iterator of (h, w, 3) uint8 RGB frames, once, in order."""
    analyzer = FrameAnalyzer(config)
    done = 0
    for frame in frames:
        if cancel is not None:
            cancel.raise_if_canceled()
        analyzer.push(frame)
        done += 1
        if progress is not None and done % progress_every == 0:
            progress(done, total or 0, "measuring frames")
    if progress is not None:
        progress(done, total or done, "measured frames")
    return analyzer.series()
