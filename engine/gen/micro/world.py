"""The shapes world: the footage micro-ltx is trained on, its captions, and how to read a clip back.

One or two shapes (disc, square, triangle) in one of six colours glide over a plain background in
one of eight directions at a constant speed and bounce off the frame's edges. Every clip is drawn
here from a few numbers, so training data is made on the fly and never stored, and the same
drawing gives the benchmark and the tests footage whose truth is known (where each shape is).

``read_clip`` is the inverse used to score a generated clip: the background colour (the commonest
colour of the frame border), the shape colour (the mean of the pixels far from the background)
and the centroid track of those pixels, from which the direction of motion follows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

# sRGB values far apart in Lab, so a generated colour is never ambiguous.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (40, 70, 220),
    "yellow": (240, 215, 40),
    "white": (240, 240, 240),
    "black": (20, 20, 20),
}
SHAPES = ("disc", "square", "triangle")
# Image axes: x to the right, y downwards.
DIRECTIONS: dict[str, tuple[float, float]] = {
    "right": (1.0, 0.0), "left": (-1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0),
    "up-right": (1.0, -1.0), "up-left": (-1.0, -1.0), "down-right": (1.0, 1.0), "down-left": (-1.0, 1.0),
}
# At 64 pixels: shapes 18 px across, 1 px per frame along each moving axis (diagonals are faster:
# they cover both axes, which keeps their direction as easy to read as a straight one).
BASE_SIZE = 64
RADIUS = 9.0
SPEED = 1.0
CAPTION_WORDS = ("a", "moving", "and", "on", "background", *SHAPES, *COLOURS,
                 "right", "left", "up", "down", "-")


@dataclass(frozen=True)
class Shape:
    kind: str
    colour: str
    direction: str
    x: float  # centre at frame 0, pixels
    y: float

    def velocity(self, size: int) -> tuple[float, float]:
        dx, dy = DIRECTIONS[self.direction]
        s = SPEED * size / BASE_SIZE
        return dx * s, dy * s


@dataclass(frozen=True)
class Scene:
    """What a clip shows; ``frames(n, start)`` draws frames start..start+n-1."""

    background: str
    shapes: tuple[Shape, ...]
    size: int = BASE_SIZE

    @property
    def radius(self) -> float:
        return RADIUS * self.size / BASE_SIZE

    def caption(self, frame: int = 0) -> str:
        """What the clip starting at ``frame`` shows (directions as they are at that frame)."""
        moving = self.moving_at(frame)
        parts = [f"a {s.colour} {s.kind} moving {d}" for s, d in zip(self.shapes, moving, strict=True)]
        return f"{' and '.join(parts)} on a {self.background} background"

    def positions(self, t: np.ndarray) -> np.ndarray:
        """(len(t), n_shapes, 2) centres at frames t (fractional allowed), bouncing off the edges."""
        r = self.radius
        span = self.size - 2 * r
        out = np.empty((len(t), len(self.shapes), 2), np.float64)
        for i, s in enumerate(self.shapes):
            vx, vy = s.velocity(self.size)
            for axis, (p0, v) in enumerate(((s.x, vx), (s.y, vy))):
                u = np.mod(p0 - r + v * t, 2 * span)
                out[:, i, axis] = r + np.where(u <= span, u, 2 * span - u)
        return out

    def moving_at(self, frame: int) -> tuple[str, ...]:
        """Each shape's direction of travel at ``frame`` (bounces flip it)."""
        t = np.array([frame, frame + 0.5])
        p = self.positions(t)
        out = []
        for i in range(len(self.shapes)):
            d = p[1, i] - p[0, i]
            out.append(_nearest_direction(float(d[0]), float(d[1])))
        return tuple(out)

    def frames(self, n: int, start: int = 0) -> np.ndarray:
        """(n, size, size, 3) uint8, antialiased."""
        size = self.size
        t = np.arange(start, start + n, dtype=np.float64)
        pos = self.positions(t)
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
        img = np.empty((n, size, size, 3), np.float32)
        img[:] = np.asarray(COLOURS[self.background], np.float32)
        r = np.float32(self.radius)
        for i, s in enumerate(self.shapes):
            colour = np.asarray(COLOURS[s.colour], np.float32)
            cx = pos[:, i, 0].astype(np.float32)[:, None, None]
            cy = pos[:, i, 1].astype(np.float32)[:, None, None]
            alpha = np.clip(_inside(s.kind, xx[None] - cx, yy[None] - cy, r) + 0.5, 0.0, 1.0)[..., None]
            img = img * (1 - alpha) + colour * alpha
        return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _inside(kind: str, dx: np.ndarray, dy: np.ndarray, r: np.float32) -> np.ndarray:
    """Signed distance (pixels, positive inside) to the outline of a shape of radius r at the origin."""
    if kind == "disc":
        return r - np.sqrt(dx * dx + dy * dy)
    if kind == "square":
        half = r * np.float32(0.85)
        return half - np.maximum(np.abs(dx), np.abs(dy))
    # An upright equilateral triangle inscribed in a circle of radius 1.15 r (about the same area).
    R = r * np.float32(1.15)
    k = np.float32(math.sqrt(3.0) / 2.0)
    d1 = dy - R / 2  # bottom edge
    d2 = k * dx - dy / 2 - R / 2  # right edge
    d3 = -k * dx - dy / 2 - R / 2  # left edge
    return -np.maximum(np.maximum(d1, d2), d3)


def _nearest_direction(dx: float, dy: float) -> str:
    angle = math.atan2(dy, dx)
    return min(DIRECTIONS, key=lambda d: abs(_wrap(angle - math.atan2(DIRECTIONS[d][1], DIRECTIONS[d][0]))))


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


# ---------------------------------------------------------------------------------------------
# Sampling scenes


def held_out() -> tuple[tuple[str, str, str, str], ...]:
    """24 (shape, colour, direction, background) combinations training never shows alone.

    A balanced design: every shape 8 times, every direction 3 times, every colour and every
    background 4 times, colour never equal to background."""
    names = list(COLOURS)
    dirs = list(DIRECTIONS)
    out = []
    for i in range(24):
        colour = names[i % 6]
        background = names[(i % 6 + 1 + (i // 6) % 5) % 6]
        out.append((SHAPES[i % 3], colour, dirs[i % 8], background))
    return tuple(out)


HELD_OUT = frozenset(held_out())


def scene_for(kind: str, colour: str, direction: str, background: str, *, size: int = BASE_SIZE,
              frames: int = 25, rng: np.random.Generator | None = None) -> Scene:
    """One shape that travels ``frames`` frames in its direction without reaching an edge (when the
    frame allows), placed at random by ``rng`` (centred without one)."""
    shape = Shape(kind, colour, direction, size / 2, size / 2)
    scene = Scene(background, (shape,), size)
    x, y = _free_start(scene, shape, frames, rng)
    return replace(scene, shapes=(replace(shape, x=x, y=y),))


def _free_start(scene: Scene, shape: Shape, frames: int, rng: np.random.Generator | None) -> tuple[float, float]:
    r, size = scene.radius, scene.size
    vx, vy = shape.velocity(size)
    out = []
    for v in (vx, vy):
        travel = abs(v) * (frames - 1)
        lo, hi = r, size - r
        if v > 0:
            hi -= travel
        elif v < 0:
            lo += travel
        if hi < lo:  # the clip is longer than the frame allows: start from the far edge
            lo = hi = (r if v > 0 else size - r)
        out.append((lo + hi) / 2 if rng is None else float(rng.uniform(lo, hi)))
    return out[0], out[1]


def random_scene(rng: np.random.Generator, *, size: int = BASE_SIZE, two_shapes: float = 0.25,
                 free_frames: int | None = None) -> Scene:
    """A training scene: never one of the held-out single-shape combinations.

    ``free_frames``: place shapes so that they travel that many frames without a bounce (the clips
    that teach text alone); None places them anywhere (clips continued from their own frames)."""
    names = list(COLOURS)
    while True:
        background = names[rng.integers(6)]
        n = 2 if rng.random() < two_shapes else 1
        shapes = []
        for _ in range(n):
            colour = [c for c in names if c != background][rng.integers(5)]
            kind = SHAPES[rng.integers(3)]
            direction = list(DIRECTIONS)[rng.integers(8)]
            shapes.append(Shape(kind, colour, direction, 0.0, 0.0))
        if any((s.kind, s.colour, s.direction, background) in HELD_OUT for s in shapes):
            continue
        scene = Scene(background, tuple(shapes), size)
        placed = []
        for s in shapes:
            if free_frames is None:
                r = scene.radius
                x, y = rng.uniform(r, size - r, size=2)
            else:
                x, y = _free_start(scene, s, free_frames, rng)
            placed.append(replace(s, x=float(x), y=float(y)))
        return replace(scene, shapes=tuple(placed))


# ---------------------------------------------------------------------------------------------
# Reading a clip back


@dataclass
class ClipReading:
    background: str
    colour: str | None  # the shape's colour (None: no shape found)
    kind: str | None
    track: np.ndarray  # (frames, 2) centroid per frame (NaN where the shape is not seen)
    direction: str | None  # from the track's overall displacement
    displacement: float  # pixels from the first to the last seen centroid
    background_rgb: np.ndarray = field(default_factory=lambda: np.zeros(3))
    colour_rgb: np.ndarray = field(default_factory=lambda: np.zeros(3))

    def matches(self, scene: Scene) -> dict[str, bool]:
        s = scene.shapes[0]
        return {"background": self.background == scene.background, "colour": self.colour == s.colour,
                "shape": self.kind == s.kind, "direction": self.direction == s.direction}


def nearest_colour(rgb: np.ndarray) -> str:
    lab = _lab(np.asarray(rgb, np.float32).reshape(1, 3))
    return min(COLOURS, key=lambda c: float(np.linalg.norm(lab - _lab(np.asarray(COLOURS[c], np.float32)[None]))))


def _lab(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor((rgb.reshape(-1, 1, 3) / 255.0).astype(np.float32), cv2.COLOR_RGB2Lab).reshape(-1, 3)


def lab_distance(a: np.ndarray, b: np.ndarray) -> float:
    """CIE76 distance between two sRGB colours (0..255)."""
    return float(np.linalg.norm(_lab(np.asarray(a, np.float32)) - _lab(np.asarray(b, np.float32))))


def background_rgb(frame: np.ndarray) -> np.ndarray:
    """The median of the frame's outer two-pixel ring (shapes cover at most part of it)."""
    ring = np.concatenate([frame[:2].reshape(-1, 3), frame[-2:].reshape(-1, 3),
                           frame[:, :2].reshape(-1, 3), frame[:, -2:].reshape(-1, 3)])
    return np.median(ring.astype(np.float32), axis=0)


def shape_mask(frame: np.ndarray, background: np.ndarray, threshold: float = 60.0) -> np.ndarray:
    """Pixels whose colour is far (Euclidean RGB) from the background."""
    d = np.linalg.norm(frame.astype(np.float32) - background[None, None], axis=-1)
    return d > threshold


def read_clip(frames: np.ndarray, *, min_pixels: int | None = None) -> ClipReading:
    """Background, shape colour, shape kind and motion of a clip showing one shape."""
    frames = np.asarray(frames)
    size = frames.shape[1]
    min_pixels = min_pixels or max(4, int((RADIUS * size / BASE_SIZE) ** 2 * 0.5))
    bg = np.median(np.stack([background_rgb(f) for f in frames]), axis=0)
    track = np.full((len(frames), 2), np.nan)
    colours, fills = [], []
    for i, f in enumerate(frames):
        mask = shape_mask(f, bg)
        if mask.sum() < min_pixels:
            continue
        ys, xs = np.nonzero(mask)
        track[i] = xs.mean() + 0.5, ys.mean() + 0.5
        colours.append(f[mask].astype(np.float32).mean(axis=0))
        h = ys.max() - ys.min() + 1
        w = xs.max() - xs.min() + 1
        fills.append(mask.sum() / float(h * w))
    seen = ~np.isnan(track[:, 0])
    colour_rgb = np.mean(colours, axis=0) if colours else np.zeros(3)
    kind = None
    if fills:
        fill = float(np.median(fills))
        # disc π/4 ≈ 0.79, square 1.0, triangle 0.5 of their bounding boxes
        kind = min({"disc": 0.785, "square": 1.0, "triangle": 0.5}.items(), key=lambda kv: abs(kv[1] - fill))[0]
    direction, disp = None, 0.0
    if seen.sum() >= 2:
        idx = np.nonzero(seen)[0]
        d = track[idx[-1]] - track[idx[0]]
        disp = float(np.hypot(*d))
        if disp >= 0.25 * SPEED * size / BASE_SIZE * (idx[-1] - idx[0]):
            direction = _nearest_direction(float(d[0]), float(d[1]))
    return ClipReading(background=nearest_colour(bg), colour=nearest_colour(colour_rgb) if colours else None,
                       kind=kind, track=track, direction=direction, displacement=disp,
                       background_rgb=bg, colour_rgb=colour_rgb)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return 99.0 if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)
