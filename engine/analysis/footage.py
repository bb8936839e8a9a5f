"""Real footage cut into seams with known ground truth: the inspector's calibration and held-out sets.

The clips are the real video samples OpenCV ships (Debian package ``opencv-doc``, Apache-2.0),
re-encoded small (320x240 H.264) under ``tests/data/footage`` (see the README there):

    vtest  10 fps, 795 frames: a static camera over a square, people walking
    box    30 fps, 455 frames: a hand turning a box on a table, the camera almost still
    cup    25 fps, 217 frames: a hand moving a cup, handheld camera
    tree   15 fps,  68 frames: a tree against the sky, a hand coming in

A *region* is a frame range of one clip; a *source* is a region seen through a still camera or a
virtual camera panning over it (a crop window moving at constant speed), so the sets hold static
and moving cameras; half the calibration pans are handheld (a wobble of 0.5-2.5 px on top of the
pan: the held-out cup clip is handheld by itself, and no calibration clip is). Thresholds are tuned on the calibration regions only (vtest's first half,
box); the held-out regions (vtest's second half, cup, tree) are never looked at while tuning.

A case is a seam made the way people make them: two pieces of one recording joined exactly
(clean), with a piece removed (jump: 1 s to 10 s; dropped: 2-3 frames, or one repeated), with a defect injected
(colour jump, flash, black, frozen frames, motion reversal or turn), a cut or a transition to
another clip (clean unless a flash or black frame is added), or one shot holding two recordings
(a scene boundary inside the shot).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from engine.analysis.synthetic import Case, black_fx, flash_fx, lab_shift

FOOTAGE_DIR = Path(__file__).resolve().parents[2] / "tests" / "data" / "footage"
CLIP_RATES = {"vtest": Fraction(10), "box": Fraction(30), "cup": Fraction(25), "tree": Fraction(15)}
SIDE = 24  # frames either side of a seam
JUMP_SECONDS = (1.0, 1.25, 2.0, 4.0, 10.0)
CROP = (192, 144)  # the virtual camera's window inside a 320x240 clip

# (clip, first frame, end frame or None)
CALIBRATION = (("vtest", 0, 400), ("box", 0, None))
HELD_OUT = (("vtest", 400, None), ("cup", 0, None), ("tree", 0, None))

REAL_KINDS = ("clean", "clean_pan", "clean_cut", "clean_crossfade", "clean_dip_black", "clean_dip_white",
              "jump", "jump_pan", "dropped", "dropped_pan", "frozen", "frozen_pan", "motion", "motion_pan",
              "color", "flash", "flash_cut", "black", "scene")


def footage_path(name: str) -> Path:
    return FOOTAGE_DIR / f"{name}.mp4"


def have_footage() -> bool:
    return all(footage_path(n).is_file() for n in CLIP_RATES)


@cache
def clip_frames(name: str) -> tuple[np.ndarray, ...]:
    """Every frame of a clip, decoded once per process (read-only arrays)."""
    from engine.media import FrameReader

    path = footage_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the real test footage is missing; it ships with the repository "
                                f"(tests/data/footage)")
    with FrameReader(path) as reader:
        frames = tuple(reader.frame(i) for i in range(reader.frame_count))
    for f in frames:
        f.flags.writeable = False
    return frames


@dataclass(frozen=True)
class Source:
    """A region of a clip, through a still camera (pan None) or a panning crop window."""

    clip: str
    lo: int
    hi: int
    pan: tuple[float, float, float, float] | None = None  # (x0, y0, vx, vy) in pixels, per frame
    shake: tuple[int, float] | None = None  # (seed, px): a handheld camera's wobble on top of the pan

    @property
    def length(self) -> int:
        return self.hi - self.lo

    @property
    def rate(self) -> Fraction:
        return CLIP_RATES[self.clip]

    def position(self, t: float) -> tuple[float, float]:
        x, y = self._travel(t)
        dx, dy = self.wobble(t)
        return x + dx, y + dy

    def _travel(self, t: float) -> tuple[float, float]:
        x0, y0, vx, vy = self.pan
        w, h = clip_frames(self.clip)[0].shape[1::-1]
        span_x, span_y = w - CROP[0], h - CROP[1]
        return _triangle(x0 + vx * t, span_x), _triangle(y0 + vy * t, span_y)

    def wobble(self, t: float) -> np.ndarray:
        """The hand's offset at time t: three slow sines per axis (0.03-0.25 cycles a frame),
        ``shake`` pixels all together at most; none without ``shake``."""
        if self.shake is None:
            return np.zeros(2)
        seed, px = self.shake
        rng = np.random.default_rng(seed)
        freq, phase = rng.uniform(0.03, 0.25, (3, 2)), rng.uniform(0, 2 * np.pi, (3, 2))
        amp = rng.dirichlet(np.ones(3), 2).T * px
        return np.sum(amp * np.sin(2 * np.pi * freq * t + phase), axis=0)

    def frame(self, t: int, *, pan_t: float | None = None) -> np.ndarray:
        """Frame t of the region; ``pan_t`` places the camera at another time (a camera that turns)."""
        img = clip_frames(self.clip)[self.lo + t]
        if self.pan is None:
            return img
        x, y = self.position(t if pan_t is None else pan_t)
        m = np.array([[1, 0, -x], [0, 1, -y]], np.float32)
        return cv2.warpAffine(img, m, CROP, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def monotonic(self, t0: float, t1: float) -> bool:
        """True when the camera does not turn between times t0 and t1 (no bounce at an edge)."""
        if self.pan is None:
            return True
        ts = np.linspace(t0, t1, 16)
        pos = np.array([self._travel(t) for t in ts])
        steps = np.diff(pos, axis=0)
        return bool(np.all(steps[:, 0] * np.sign(self.pan[2]) >= -1e-6)
                    and np.all(steps[:, 1] * np.sign(self.pan[3]) >= -1e-6))


def _triangle(v: float, span: float) -> float:
    if span <= 0:
        return 0.0
    v = v % (2 * span)
    return v if v <= span else 2 * span - v


def regions(split: str) -> list[Source]:
    if split not in ("calibration", "held_out"):
        raise ValueError(f"split {split!r} must be 'calibration' or 'held_out'")
    out = []
    for clip, lo, hi in CALIBRATION if split == "calibration" else HELD_OUT:
        n = len(clip_frames(clip))
        out.append(Source(clip, lo, n if hi is None else min(hi, n)))
    return out


def _grey(img: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), (3, 3), 0).astype(np.int16)


def visible_change(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that differ by more than 25 grey levels between two frames: the ground
    truth's test that a removed or held stretch changed the picture at all."""
    return float(np.mean(np.abs(_grey(a) - _grey(b)) > 25))


VISIBLE = 0.004  # a change that touches at least 0.4 % of the picture is one a viewer can see


class _Builder:
    def __init__(self, split: str, seed: int) -> None:
        self.split = split
        self.rng = np.random.default_rng(seed)
        self.regions = regions(split)

    def source(self, need: int, *, pan: bool, exclude: str | None = None) -> tuple[Source, int]:
        """A source with room for ``need`` frames, and a start frame in it."""
        options = [r for r in self.regions if r.length >= need and r.clip != exclude]
        if not options:
            raise ValueError(f"no {self.split} region has {need} frames")
        return self.place(options[int(self.rng.integers(len(options)))], need, pan=pan)

    def place(self, region: Source, need: int, *, pan: bool) -> tuple[Source, int]:
        """A start frame with room for ``need`` frames; with ``pan`` a camera that moves over them
        without turning (0.8-2.2 px per frame at 320 wide, slower where the window has no room)."""
        start = int(self.rng.integers(0, region.length - need + 1))
        if not pan:
            return region, start
        w, h = clip_frames(region.clip)[0].shape[1::-1]
        span = np.array([w - CROP[0], h - CROP[1]], float)
        angle = float(self.rng.uniform(0, 2 * np.pi))
        v = np.array([np.cos(angle), np.sin(angle)]) * float(self.rng.uniform(0.8, 2.2))
        travel = np.abs(v) * need
        v *= min(1.0, float(np.min(span / np.maximum(travel, 1e-9))) * 0.95)
        travel = np.abs(v) * need
        first = np.where(v >= 0, self.rng.uniform(0, 1, 2) * (span - travel),
                         travel + self.rng.uniform(0, 1, 2) * (span - travel))
        x0, y0 = first - v * start  # the position at region frame 0 that puts the camera at `first`
        shake = None
        if self.split == "calibration" and self.rng.random() < 0.5:
            # Half the calibration pans are handheld: the sets tune on a hand's wobble too.
            shake = (int(self.rng.integers(1 << 31)), float(self.rng.uniform(0.5, 2.5)))
        return Source(region.clip, region.lo, region.hi, (float(x0), float(y0), float(v[0]), float(v[1])),
                      shake), start

    def frames(self, src: Source, times: list[int], pan_times: list[float] | None = None) -> list[np.ndarray]:
        if pan_times is None:
            return [np.array(src.frame(t)) for t in times]
        return [np.array(src.frame(t, pan_t=p)) for t, p in zip(times, pan_times)]


def _mix_weights(kind: str, length: int, k: int) -> tuple[float, float, float]:
    from engine.render.plan import Mix

    return Mix(0, length, kind, None, None).weights(k)  # the compositor's own weights


def make_real_case(kind: str, split: str, seed: int) -> Case:
    """One case of ``kind`` (see REAL_KINDS) from the regions of ``split``."""
    b = _Builder(split, seed * 7919 + zlib.crc32(kind.encode()) % 10007)
    rng = b.rng
    n = SIDE
    pan = kind.endswith("_pan")
    base = kind.removesuffix("_pan")
    for _attempt in range(60):
        case = _try_case(b, rng, kind, base, pan, n, seed)
        if case is not None:
            return case
    raise ValueError(f"could not build a {kind} case from the {split} footage (seed {seed})")


def _try_case(b: _Builder, rng, kind: str, base: str, pan: bool, n: int, seed: int) -> Case | None:
    name = f"{kind}-{b.split}-{seed}"
    if base in ("clean", "color", "flash", "black"):
        src, s0 = b.source(2 * n, pan=pan or (base != "clean" and rng.random() < 0.4))
        if not src.monotonic(s0, s0 + 2 * n):
            return None
        frames = b.frames(src, list(range(s0, s0 + 2 * n)))
        kinds: set[str] = set()
        defect: list[int] = []
        if base == "color":
            direction = rng.standard_normal(3)
            direction[0] *= 0.6
            direction /= np.linalg.norm(direction)
            grade = lab_shift(tuple(direction * rng.uniform(8.0, 25.0)), float(rng.uniform(0.85, 1.15)))
            frames[n:] = [_u8(grade(f.astype(np.float32))) for f in frames[n:]]
            kinds, defect = {"color"}, [n]
        elif base == "flash":
            k = int(rng.integers(1, 4))
            start = n + int(rng.integers(-1, 1))
            colour = (255.0, 255.0, 255.0) if rng.random() < 0.5 else tuple(float(c) for c in rng.uniform(0, 255, 3))
            fx = flash_fx(colour, float(rng.uniform(0.55, 0.9)))
            for i in range(start, start + k):
                frames[i] = _u8(fx(frames[i].astype(np.float32)))
            kinds, defect = {"flash"}, list(range(start, start + k))
        elif base == "black":
            k = int(rng.integers(1, 4))
            start = n + int(rng.integers(-1, 1))
            for i in range(start, start + k):
                frames[i] = _u8(black_fx(frames[i].astype(np.float32)))
            kinds, defect = {"black"}, list(range(start, start + k))
        return Case(name, frames, n, frozenset(kinds), None, "continuous", defect_frames=tuple(defect))

    if base == "jump":
        seconds = JUMP_SECONDS[int(rng.integers(len(JUMP_SECONDS)))]
        room = [r for r in b.regions if r.length >= 2 * n + round(seconds * float(r.rate))]
        if not room:
            return None
        region = room[int(rng.integers(len(room)))]
        gap = round(seconds * float(region.rate))
        src, s0 = b.place(region, 2 * n + gap, pan=pan)
        if not (src.monotonic(s0, s0 + n) and src.monotonic(s0 + n + gap, s0 + 2 * n + gap)):
            return None
        times = list(range(s0, s0 + n)) + list(range(s0 + n + gap, s0 + 2 * n + gap))
        frames = b.frames(src, times)
        if visible_change(frames[n - 1], frames[n]) < 4 * VISIBLE:
            return None
        return Case(f"{name}-{seconds:g}s", frames, n, frozenset({"jump"}), None, "continuous",
                    defect_frames=(n,))

    if base == "dropped":
        duplicate = rng.random() < 0.3
        # 2-3 frames: vtest's own recording alternates 1- and 2-frame steps, so a 1-frame skip
        # there is no defect anyone can see (bench_analysis_real.py reports 1-frame skips apart).
        k = 0 if duplicate else int(rng.integers(2, 4))
        src, s0 = b.source(2 * n + k, pan=pan)
        if not src.monotonic(s0, s0 + 2 * n + k):
            return None
        if duplicate:
            times = list(range(s0, s0 + n)) + list(range(s0 + n - 1, s0 + 2 * n - 1))
        else:
            times = list(range(s0, s0 + n)) + list(range(s0 + n + k, s0 + 2 * n + k))
        frames = b.frames(src, times)
        # The stretch removed (or the step repeated) must move something a viewer sees.
        step = visible_change(frames[n - 2], frames[n - 1])
        if step < VISIBLE:
            return None
        label = "duplicated" if duplicate else f"skip{k}"
        return Case(f"{name}-{label}", frames, n, frozenset({"dropped"}), None, "continuous", defect_frames=(n,))

    if base == "frozen":
        hold = int(rng.integers(4, 11))
        src, s0 = b.source(2 * n, pan=pan)
        if not src.monotonic(s0, s0 + 2 * n):
            return None
        end_of_a = rng.random() < 0.5
        start = n - hold if end_of_a else n
        times = list(range(s0, s0 + 2 * n))
        held = times[start - 1] if end_of_a else times[n]
        for i in range(start, start + hold):
            times[i] = held
        for i in range(start + hold, 2 * n):  # time stalled, then goes on
            times[i] -= hold if end_of_a else hold - 1
        frames = b.frames(src, times)
        if visible_change(frames[start], b.frames(src, [held + hold])[0]) < 2 * VISIBLE:
            return None
        return Case(name, frames, n, frozenset({"frozen"}), None, "continuous",
                    defect_frames=tuple(range(start, start + hold)))

    if base == "motion":
        src, s0 = b.source(2 * n + 2, pan=pan)
        if pan:
            # The camera turns at the seam (reverses or turns by 90-180 degrees); the scene goes on.
            if not src.monotonic(s0, s0 + n):
                return None
            x0, y0, vx, vy = src.pan
            angle = float(rng.choice([1, -1]) * rng.uniform(np.pi / 2, np.pi))
            c, s = np.cos(angle), np.sin(angle)
            at = s0 + n - 0.5
            turned = np.array([c * vx - s * vy, s * vx + c * vy])
            pa = np.array(src.position(at))
            w, h = clip_frames(src.clip)[0].shape[1::-1]
            times = list(range(s0, s0 + 2 * n))
            frames = b.frames(src, times[:n])
            for t in times[n:]:
                x, y = pa + turned * (t - at) + src.wobble(t) - src.wobble(at)
                if not (0 <= x <= w - CROP[0] and 0 <= y <= h - CROP[1]):
                    return None
                m = np.array([[1, 0, -x], [0, 1, -y]], np.float32)
                frames.append(cv2.warpAffine(clip_frames(src.clip)[src.lo + t], m, CROP, flags=cv2.INTER_LINEAR,
                                             borderMode=cv2.BORDER_REFLECT))
            return Case(f"{name}-turn{abs(np.degrees(angle)):.0f}", frames, n, frozenset({"motion"}), None,
                        "continuous", defect_frames=(n,))
        # The recording plays backwards from the seam: everything that moved turns round.
        s0 += n + 2
        if s0 + n > src.length or s0 - 2 * n - 2 < 0:
            s0 = 2 * n + 2
        times = list(range(s0 - n, s0)) + [s0 - 2 - i for i in range(n)]
        if min(times) < 0 or max(times) >= src.length:
            return None
        frames = b.frames(src, times)
        if visible_change(frames[n - 1], frames[n - 5]) < 2 * VISIBLE:
            return None
        return Case(f"{name}-reverse", frames, n, frozenset({"motion"}), None, "continuous", defect_frames=(n,))

    if base in ("clean_cut", "flash_cut", "clean_crossfade", "clean_dip_black", "clean_dip_white"):
        length = int(rng.integers(4, 13)) if base.startswith(("clean_cross", "clean_dip")) else 0
        a, sa = b.source(n, pan=rng.random() < 0.3)
        other, sb = b.source(n + length, pan=rng.random() < 0.3, exclude=a.clip)
        if not (a.monotonic(sa, sa + n) and other.monotonic(sb, sb + n + length)):
            return None
        frames = b.frames(a, list(range(sa, sa + n))) + b.frames(other, list(range(sb + length, sb + length + n)))
        if b.frames(a, [sa])[0].shape != frames[-1].shape:
            return None
        kinds = set()
        defect: list[int] = []
        transition = None
        if length:
            tkind = base.removeprefix("clean_")
            transition = (tkind, length)
            handles = b.frames(other, list(range(sb, sb + length)))
            for k in range(length):
                wa, wc, wb = _mix_weights(tkind, length, k)
                fill = 255.0 if tkind == "dip_white" else 0.0
                i = n - length + k
                mixed = frames[i].astype(np.float32) * wa + handles[k].astype(np.float32) * wb + fill * wc
                frames[i] = _u8(mixed)
        if base == "flash_cut":
            k = int(rng.integers(1, 3))
            start = n + int(rng.integers(-1, 1))
            fx = flash_fx((255.0, 255.0, 255.0), float(rng.uniform(0.6, 0.9)))
            for i in range(start, start + k):
                frames[i] = _u8(fx(frames[i].astype(np.float32)))
            kinds, defect = {"flash"}, list(range(start, start + k))
        expected = "transition" if transition else "cut"
        return Case(name, frames, n, frozenset(kinds), transition, expected, defect_frames=tuple(defect))

    if base == "scene":
        # One imported clip that holds a cut: a single shot, the boundary inside it.
        a, sa = b.source(n, pan=rng.random() < 0.3)
        other, sb = b.source(n, pan=rng.random() < 0.3, exclude=a.clip)
        frames = b.frames(a, list(range(sa, sa + n))) + b.frames(other, list(range(sb, sb + n)))
        if frames[0].shape != frames[-1].shape:
            return None
        return Case(name, frames, len(frames), frozenset({"scene"}), None, None, defect_frames=(n,))
    raise ValueError(f"unknown real case kind {kind!r}")


def _u8(img: np.ndarray) -> np.ndarray:
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


REAL_MIX = {
    "clean": 4, "clean_pan": 3, "clean_cut": 3, "clean_crossfade": 1, "clean_dip_black": 1, "clean_dip_white": 1,
    "jump": 3, "jump_pan": 2, "dropped": 2, "dropped_pan": 2, "frozen": 2, "frozen_pan": 1, "motion": 2,
    "motion_pan": 2, "color": 2, "flash": 2, "flash_cut": 1, "black": 2, "scene": 2,
}


def make_real_cases(split: str, rounds: int = 4, *, seed0: int = 0) -> list[Case]:
    """``rounds`` x 38 cases from the ``split`` footage in the proportions of REAL_MIX."""
    cases = []
    for r in range(rounds):
        for kind, count in REAL_MIX.items():
            for c in range(count):
                cases.append(make_real_case(kind, split, seed0 + r * 10 + c))
    return cases


# The calibration scan: every calibration clip through a still, a panning and a handheld camera,
# each frame of it a continuous split (a clean join), so false alarms are counted over thousands of
# joins rather than a few dozen cases. (clip, pan, shake)
SCAN_CAMERAS = (
    ("vtest", None, None), ("box", None, None),
    ("vtest", (10.0, 5.0, 0.9, 0.4), None), ("box", (100.0, 80.0, -0.25, -0.2), None),
    ("vtest", (10.0, 5.0, 0.9, 0.4), (1, 1.5)), ("box", (100.0, 80.0, -0.25, -0.2), (2, 2.5)),
    ("vtest", (60.0, 40.0, 0.0, 0.0), (3, 2.5)), ("box", (60.0, 40.0, 0.0, 0.0), (4, 1.0)),
)


def scan_sources() -> list[Source]:
    """The calibration regions through the cameras of SCAN_CAMERAS."""
    by_clip = {r.clip: r for r in regions("calibration")}
    return [Source(clip, by_clip[clip].lo, by_clip[clip].hi, pan, shake) for clip, pan, shake in SCAN_CAMERAS]


def scan_joins(src: Source, step: int = 2) -> list[int]:
    """Frames of ``src`` that can be split as a clean join: SIDE frames either side, and no bounce
    of the camera at an edge near it (that is a turn)."""
    return [f for f in range(SIDE, src.length - SIDE, step) if src.monotonic(f - SIDE, f + SIDE)]
