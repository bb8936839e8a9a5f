"""Generated footage with known continuity defects, for tests, calibration and benchmarks.

A ``Scene`` is a real-looking moving picture made in NumPy/OpenCV: a periodic colour texture
(low-pass noise in a scene palette) panning under a sky-like gradient, with antialiased shapes
moving over it and fresh sensor grain on every frame. A ``Case`` joins two shots at a seam and
injects one defect of a known kind and position (or none), optionally passing every frame through
JPEG to imitate a lossy codec. ``make_cases`` builds a deterministic set of them.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

SEAM_KINDS = ("flash", "color", "frozen", "dropped", "motion", "black", "jump")


class Scene:
    """A moving scene; ``render(t)`` draws it at (fractional) scene time t without grain."""

    def __init__(self, seed: int, size: tuple[int, int] = (128, 96), speed: float | None = None) -> None:
        rng = np.random.default_rng(seed)
        self.size = size
        w, h = size
        n = 256
        # Periodic low-pass noise: filtering in the frequency domain keeps the texture tileable,
        # so the camera can pan forever with BORDER_WRAP.
        fy = np.fft.fftfreq(n)[:, None]
        fx = np.fft.rfftfreq(n)[None, :]
        cutoff = rng.uniform(0.02, 0.06)
        lowpass = np.exp(-(fx ** 2 + fy ** 2) / (2 * cutoff ** 2))
        layers = []
        for _ in range(2):
            noise = np.fft.irfft2(np.fft.rfft2(rng.standard_normal((n, n))) * lowpass, s=(n, n))
            noise = (noise - noise.mean()) / (noise.std() + 1e-9)
            layers.append(noise)
        palette = rng.uniform(30, 225, size=(3, 3))
        tex = (palette[0][None, None, :] + layers[0][..., None] * (palette[1] - 128)[None, None, :] * 0.5
               + layers[1][..., None] * (palette[2] - 128)[None, None, :] * 0.3)
        self.texture = np.clip(tex, 0, 255).astype(np.float32)
        top, bottom = rng.uniform(20, 235, size=(2, 3))
        ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        self.gradient = (top * (1 - ramp) + bottom * ramp).astype(np.float32) * np.ones((1, w, 1), np.float32)
        self.gradient_weight = float(rng.uniform(0.15, 0.45))
        s = speed if speed is not None else rng.uniform(1.0, 3.0)
        angle = rng.uniform(0, 2 * np.pi)
        self.bg_velocity = np.array([np.cos(angle), np.sin(angle)]) * s
        self.bg_origin = rng.uniform(0, n, size=2)
        self.shapes = []
        for _ in range(int(rng.integers(1, 4))):
            self.shapes.append({
                "pos": rng.uniform([0.15 * w, 0.15 * h], [0.85 * w, 0.85 * h]),
                "vel": rng.uniform(-2.0, 2.0, size=2),
                "radius": float(rng.uniform(0.06, 0.16) * w),
                "colour": tuple(float(c) for c in rng.uniform(0, 255, size=3)),
                "ellipse": float(rng.uniform(0.6, 1.0)),
            })
        self.turn: tuple[float, float] | None = None  # (scene time, angle): motion turns there

    def _travel(self, velocity: np.ndarray, t: float) -> np.ndarray:
        if self.turn is None or t <= self.turn[0]:
            return velocity * t
        t0, angle = self.turn
        c, s = np.cos(angle), np.sin(angle)
        turned = np.array([c * velocity[0] - s * velocity[1], s * velocity[0] + c * velocity[1]])
        return velocity * t0 + turned * (t - t0)

    def render(self, t: float) -> np.ndarray:
        w, h = self.size
        ox, oy = self.bg_origin + self._travel(self.bg_velocity, t)
        m = np.array([[1, 0, -ox], [0, 1, -oy]], np.float32)
        bg = cv2.warpAffine(self.texture, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
        img = bg * (1 - self.gradient_weight) + self.gradient * self.gradient_weight
        for shape in self.shapes:
            p = shape["pos"] + self._travel(shape["vel"], t)
            # Shapes wrap around a margin so they never all leave the frame.
            margin = shape["radius"] * 2
            px = (p[0] + margin) % (w + 2 * margin) - margin
            py = (p[1] + margin) % (h + 2 * margin) - margin
            r = shape["radius"]
            cv2.ellipse(img, (int(px * 16), int(py * 16)), (int(r * 16), int(r * shape["ellipse"] * 16)),
                        0, 0, 360, shape["colour"], -1, cv2.LINE_AA, 4)
        return img


@dataclass
class FrameSpec:
    """How to draw one output frame: which scene at which time, then what is done to it."""

    scene: int
    t: float
    grain_seed: int
    post: list[Callable[[np.ndarray], np.ndarray]] = field(default_factory=list)
    mix: tuple[int, float, float] | None = None  # (scene, t, weight of that scene) for transitions
    mix_colour: tuple[float, float] | None = None  # (value 0/255, weight) for dips


@dataclass
class Case:
    """Frames with one seam; ``kinds`` are the injected seam defects (empty for a clean join)."""

    name: str
    frames: list[np.ndarray]
    seam: int
    kinds: frozenset[str]
    transition: tuple[str, int] | None = None  # (kind, frames) of the transition set on shot B
    expected: str | None = "continuous"  # what the join is meant to be: "continuous", "cut", "transition"
    drifting: bool = False  # for long-take cases: a gradual drift was injected
    defect_frames: tuple[int, ...] = ()
    renders: dict = field(default_factory=dict)


def lab_shift(offset: tuple[float, float, float], contrast: float = 1.0) -> Callable[[np.ndarray], np.ndarray]:
    """A colour grade: add ``offset`` to the Lab values (and scale lightness contrast)."""

    def apply(img: np.ndarray) -> np.ndarray:
        lab = cv2.cvtColor(np.clip(img, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
        mean_l = lab[..., 0].mean()
        lab[..., 0] = (lab[..., 0] - mean_l) * contrast + mean_l
        lab += np.asarray(offset, np.float32)
        return cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255.0

    return apply


def flash_fx(colour: tuple[float, float, float], weight: float) -> Callable[[np.ndarray], np.ndarray]:
    c = np.asarray(colour, np.float32)

    def apply(img: np.ndarray) -> np.ndarray:
        return img * (1 - weight) + c * weight

    return apply


def black_fx(img: np.ndarray) -> np.ndarray:
    return np.zeros_like(img) + 2.0


_GRAIN_POOL: dict[tuple, list[np.ndarray]] = {}
GRAIN_FIELDS = (251, 17)  # primes: neighbouring frames never share a field (small, large frames)


def _grain(seed: int, shape: tuple) -> np.ndarray:
    """Unit grain for a frame: the same seed gives the same field (a repeated frame), different
    seeds different fields; drawn once per shape from a pool."""
    pool = _GRAIN_POOL.get(shape)
    if pool is None:
        rng = np.random.default_rng(12345)
        count = GRAIN_FIELDS[0] if int(np.prod(shape)) <= 200_000 else GRAIN_FIELDS[1]
        pool = _GRAIN_POOL[shape] = [rng.standard_normal(shape, np.float32) for _ in range(count)]
    return pool[seed % len(pool)]


def render_specs(scenes: dict[int, Scene], specs: list[FrameSpec], *, grain: float = 1.5,
                 jpeg: int | None = None) -> list[np.ndarray]:
    out = []
    cache: dict[tuple[int, float], np.ndarray] = {}

    def draw(scene: int, t: float) -> np.ndarray:
        key = (scene, round(t, 4))
        if key not in cache:
            cache[key] = scenes[scene].render(t)
        return cache[key]

    for spec in specs:
        img = draw(spec.scene, spec.t).copy()
        if spec.mix is not None:
            other, t2, wgt = spec.mix
            img = img * (1 - wgt) + draw(other, t2) * wgt
        if spec.mix_colour is not None:
            value, wgt = spec.mix_colour
            img = img * (1 - wgt) + value * wgt
        for fx in spec.post:
            img = fx(img)
        if grain > 0:
            img = img + _grain(spec.grain_seed, img.shape) * grain
        frame = np.clip(img + 0.5, 0, 255).astype(np.uint8)
        if jpeg is not None:
            _, buf = cv2.imencode(".jpg", frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, jpeg])
            frame = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
        out.append(frame)
    return out


def make_case(kind: str, seed: int, *, size: tuple[int, int] = (128, 96), shot_frames: int = 24,
              hard: bool = False) -> Case:
    """One case of the given kind (a seam defect or a clean join). ``hard`` makes the defects
    subtler (near or under the thresholds) and the footage noisier (grain 3, JPEG 40-60): a set
    that shows where detection stops, for the benchmark, not for the test floors."""
    rng = np.random.default_rng(seed * 7919 + zlib.crc32(kind.encode()) % 1000)
    seam = shot_frames
    total = 2 * shot_frames
    scenes = {0: Scene(seed * 2 + 1, size), 1: Scene(seed * 2 + 2, size)}
    specs = [FrameSpec(0, float(i), seed * 100000 + i) for i in range(total)]
    kinds: set[str] = set()
    transition = None
    expect = "continuous"  # a defect is judged where B is meant to continue A (an extension, a split)
    defect_frames: list[int] = []
    drifting = False

    def cut_to_scene_b() -> None:
        for i in range(seam, total):
            specs[i].scene = 1
            specs[i].t = float(i - seam)

    if kind == "clean":
        pass
    elif kind == "clean_cut":
        expect = "cut"
        cut_to_scene_b()
    elif kind in ("clean_crossfade", "clean_dip_black", "clean_dip_white"):
        expect = "transition"
        length = int(rng.integers(4, 13))
        cut_to_scene_b()
        tkind = kind.removeprefix("clean_")
        transition = (tkind, length)
        for j in range(length):
            i = seam - length + j
            w = (j + 1) / (length + 1)
            tb = float(-(length - j))  # B's handle frames before its visible start
            if tkind == "crossfade":
                specs[i].mix = (1, tb, w)
            else:
                value = 0.0 if tkind == "dip_black" else 255.0
                if w < 0.5:
                    specs[i].mix_colour = (value, w * 2)
                else:
                    specs[i].scene, specs[i].t = 1, tb
                    specs[i].mix_colour = (value, (1 - w) * 2)
    elif kind in ("flash", "flash_cut"):
        if kind == "flash_cut":
            expect = "cut"
            cut_to_scene_b()
        k = int(rng.integers(1, 4))
        start = seam + int(rng.integers(-1, 2)) if k > 1 else seam + int(rng.integers(-1, 1))
        if rng.random() < 0.5:
            colour = (255.0, 255.0, 255.0)
        else:
            colour = tuple(float(c) for c in rng.uniform(0, 255, size=3))
        weight = float(rng.uniform(0.2, 0.4) if hard else rng.uniform(0.55, 0.9))
        for i in range(start, start + k):
            specs[i].post.append(flash_fx(colour, weight))
            defect_frames.append(i)
        kinds.add("flash")
    elif kind == "black":
        k = int(rng.integers(1, 4))
        start = seam + int(rng.integers(-1, 1))
        for i in range(start, start + k):
            specs[i].post.append(black_fx)
            defect_frames.append(i)
        kinds.add("black")
    elif kind == "color":
        direction = rng.standard_normal(3)
        direction[0] *= 0.6
        direction /= np.linalg.norm(direction)
        delta = direction * (rng.uniform(4.0, 9.0) if hard else rng.uniform(8.0, 25.0))
        contrast = float(rng.uniform(0.85, 1.15))
        grade = lab_shift(tuple(delta), contrast)
        for i in range(seam, total):
            specs[i].post.append(grade)
        kinds.add("color")
        defect_frames.append(seam)
    elif kind == "frozen":
        n = int(rng.integers(4, 6) if hard else rng.integers(4, 11))
        live_grain = rng.random() < 0.5
        end_of_a = rng.random() < 0.5
        start = seam - n if end_of_a else seam
        held = specs[start - 1] if end_of_a else specs[seam]
        for i in range(start, start + n):
            specs[i].t = held.t
            specs[i].scene = held.scene
            if not live_grain:
                specs[i].grain_seed = held.grain_seed
        # After the hold the scene goes on from where it stopped (time stalled, nothing skipped).
        for i in range(start + n, total):
            specs[i].t -= n if end_of_a else n - 1
        kinds.add("frozen")
        defect_frames.extend(range(start, start + n))
    elif kind == "dropped":
        if rng.random() < 0.7:
            m = 1 if hard else int(rng.integers(1, 5))
            for i in range(seam, total):
                specs[i].t += m
        else:  # a duplicated frame at the join, the picture repeats and goes on
            for i in range(seam, total):
                specs[i].t -= 1
            specs[seam].grain_seed = specs[seam - 1].grain_seed
        kinds.add("dropped")
        defect_frames.append(seam)
    elif kind == "jump":
        # A stretch of the scene is missing: everything is elsewhere after the seam.
        skip = float(rng.uniform(24, 96))
        for i in range(seam, total):
            specs[i].t += skip
        kinds.add("jump")
        defect_frames.append(seam)
    elif kind == "motion":
        scene = scenes[0]
        if rng.random() < 0.5:  # reversal: B plays the motion back
            for i in range(seam, total):
                specs[i].t = float(2 * seam - 2 - i)
        else:
            lo = np.pi / 4 if hard else np.pi / 2
            scene.turn = (seam - 0.5, float(rng.choice([1, -1]) * rng.uniform(lo, np.pi)))
            scene.shapes = []  # the camera turns, shapes would wrap differently; keep it simple
        kinds.add("motion")
        defect_frames.append(seam)
    else:
        raise ValueError(f"unknown case kind {kind!r}")

    jpeg = int(rng.integers(60, 90)) if rng.random() < 0.35 else None
    if hard:
        jpeg = int(rng.integers(40, 60))
    frames = render_specs(scenes, specs, jpeg=jpeg, grain=3.0 if hard else 1.5)
    return Case(f"{kind}-{seed}", frames, seam, frozenset(kinds), transition, expect, drifting,
                tuple(defect_frames))


def make_long_take(seed: int, *, drifting: bool, size: tuple[int, int] = (128, 96), frames: int = 96) -> Case:
    """A long take; with ``drifting`` its colour grade creeps away from the first frames."""
    rng = np.random.default_rng(seed * 104729 + int(drifting))
    scenes = {0: Scene(seed * 3 + 11, size)}
    specs = [FrameSpec(0, float(i), seed * 100000 + i) for i in range(frames)]
    if drifting:
        direction = rng.standard_normal(3)
        direction /= np.linalg.norm(direction)
        total = direction * rng.uniform(10.0, 25.0)
        for i, spec in enumerate(specs):
            spec.post.append(lab_shift(tuple(total * i / (frames - 1)), 1.0 - 0.25 * i / (frames - 1)))
    jpeg = int(rng.integers(60, 90)) if rng.random() < 0.35 else None
    out = render_specs(scenes, specs, jpeg=jpeg)
    return Case(f"longtake-{'drift' if drifting else 'clean'}-{seed}", out, frames,
                frozenset({"drift"} if drifting else ()), expected=None, drifting=drifting)


CASE_MIX = {
    "clean": 3, "clean_cut": 2, "clean_crossfade": 1, "clean_dip_black": 1, "clean_dip_white": 1,
    "flash": 2, "flash_cut": 1, "black": 1, "color": 2, "frozen": 2, "dropped": 2, "motion": 2, "jump": 1,
}


def make_cases(rounds: int = 10, *, size: tuple[int, int] = (128, 96), seed0: int = 0,
               hard: bool = False) -> list[Case]:
    """``rounds`` x 21 seam cases in the proportions of CASE_MIX (10 rounds = 210 cases)."""
    cases = []
    for r in range(rounds):
        for kind, count in CASE_MIX.items():
            for c in range(count):
                cases.append(make_case(kind, seed0 + r * 10 + c, size=size, hard=hard))
    return cases
