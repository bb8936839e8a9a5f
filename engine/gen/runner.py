"""run_generation: one request → one complete take folder (master, all-intra scrub copy, recipe.json).

A plain function of (request, out folder, progress callback, cancel token), so the same code runs
in the worker, the CLI and later on a remote box. The take is written into a partial folder beside
``out_dir`` (``engine.fsutil``: a kill leaves debris that ``sweep_debris`` recognises) and renamed
into place only when both files decode to the expected frame count; cancel or failure leaves no
partial. A long take keeps its finished windows in ``.<name>.steps`` beside ``out_dir`` so the same
request into the same folder resumes where it stopped; the folder is removed once the take is
published (and, by the callers, when the user cancels or the shot's spec changes).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import platform
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from engine.errors import Canceled, GenerationError, ShotloomError
from engine.fsutil import make_partial_dir, publish_dir, write_json_atomic
from engine.gen.catalog import ModelEntry, get_model
from engine.gen.requests import parse_request
from engine.progress import CancelToken, ProgressFn

GenProgress = ProgressFn  # progress(done, total, message); the message carries the ETA
MASTER_NAME = "master.mp4"
SCRUB_NAME = "scrub.mp4"
RECIPE_NAME = "recipe.json"
MASTER_OPTIONS = {"crf": "12", "preset": "medium"}
SCRUB_OPTIONS = {"crf": "20", "preset": "veryfast"}


@dataclass(frozen=True)
class TakeResult:
    take_dir: Path
    master: Path
    scrub: Path
    recipe_path: Path
    recipe: dict
    frames: int
    rate: Fraction
    size: tuple[int, int]
    message: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def steps_dir(out_dir: Path) -> Path:
    """Where a long take into ``out_dir`` keeps its finished windows between attempts."""
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.steps"


def seconds_to_frames(entry: ModelEntry, request) -> tuple[int, str]:
    fps = entry.fps
    if request.frames is not None:
        return request.frames, f"{request.frames} frames at {fps} fps"
    if request.seconds is not None:
        n = max(1, round(Fraction(str(request.seconds)) * fps))
        return n, f"{request.seconds:g} s = {n} frames at the model's {fps} fps"
    n = entry.defaults.frames
    return n, f"default {n} frames at {fps} fps"


def output_frame_count(native: int, native_fps: Fraction, out_rate: Fraction) -> int:
    return max(1, round(Fraction(native) * out_rate / native_fps))


def scrub_copy(media: Path) -> Path | None:
    """The all-intra copy written beside a take's master (for random access in the viewer), or None
    when ``media`` is not a take's master or its copy is missing."""
    media = Path(media)
    if media.name != MASTER_NAME:
        return None
    scrub = media.with_name(SCRUB_NAME)
    return scrub if scrub.is_file() and media.with_name(RECIPE_NAME).is_file() else None


RETIME = "flow"
"""How a take made at the model's rate reaches the project's (engine.media.retime): frames between
the model's are interpolated along the optical flow, never repeated (16 → 24 fps would judder)."""


def conform_time(frames: Iterable[np.ndarray], native_fps: Fraction, out_rate: Fraction,
                 native_count: int) -> Iterator[np.ndarray]:
    """Resample a stream to ``out_rate``: output frame j shows the picture at j/out_rate."""
    from engine.media.retime import retime

    total = output_frame_count(native_count, native_fps, out_rate)
    return retime(frames, native_fps, out_rate, total, method=RETIME)


def _sound_block(wave: np.ndarray, a: int, b: int) -> np.ndarray:
    """Samples [a, b) of a waveform, silence where it has none."""
    part = wave[:, a:b]
    if part.shape[1] < b - a:
        part = np.concatenate([part, np.zeros((wave.shape[0], b - a - part.shape[1]), np.float32)], axis=1)
    return part


def write_take_videos(frames: Iterable[np.ndarray], folder: Path, rate: Fraction, size: tuple[int, int],
                      total: int, progress: GenProgress | None = None, cancel: CancelToken | None = None, *,
                      fit: str = "fit", sound: tuple[np.ndarray, int] | None = None) -> tuple[int, str]:
    """A take's two video files in ``folder``: the master and its all-intra scrub copy, both at
    ``rate`` and ``size`` (frames of another size are conformed with ``fit``), each checked to decode
    to every frame written. ``sound`` (float32 (channels, samples), sample rate), the take's own
    sound, goes into both beside the frames, exactly as long as the frames written (the export mixes
    it like any clip's sound). Returns (frames written, sha256 of the frames' pixels)."""
    from engine.media import VideoWriter, conform_frame, probe
    from engine.render.audio import sample_at

    cancel = cancel or CancelToken()
    master = folder / MASTER_NAME
    scrub = folder / SCRUB_NAME
    digest = hashlib.sha256()
    audio = {"audio_rate": sound[1], "audio_channels": sound[0].shape[0]} if sound is not None else {}
    writers = [VideoWriter(master, preset="h264", rate=rate, size=size, options=MASTER_OPTIONS, **audio),
               VideoWriter(scrub, preset="h264", rate=rate, size=size, options=SCRUB_OPTIONS, all_intra=True, **audio)]
    written = 0
    heard = 0  # samples of the sound written so far (up to the start of the next frame)
    try:
        for frame in frames:
            if (frame.shape[1], frame.shape[0]) != tuple(size):
                frame = conform_frame(frame, size, fit)
            digest.update(np.ascontiguousarray(frame).tobytes())
            for writer in writers:
                writer.write(frame)
            written += 1
            if sound is not None:
                until = sample_at(written, rate, sound[1])
                block = _sound_block(sound[0], heard, until)
                for writer in writers:
                    writer.write_audio(block)
                heard = until
            if written % 16 == 0:
                cancel.raise_if_canceled()
                if progress is not None:
                    progress(written, total, f"writing the take: frame {written}/{total}")
        for writer in writers:
            writer.close()
    except BaseException:
        for writer in writers:
            writer.abort()
        raise
    for path in (master, scrub):
        info = probe(path)
        if info.frame_count != written:
            raise GenerationError(f"{path} decodes to {info.frame_count} frames instead of {written}; "
                                  f"the take was not saved, try again")
    return written, digest.hexdigest()


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("torch", "diffusers", "transformers", "accelerate", "safetensors", "numpy", "av", "shotloom"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return out


def _rate_str(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def _prepare(request, entry: ModelEntry):
    """Size and frame decisions with the sentence that explains them."""
    notes = []
    if entry.fixed_size is not None:
        sw, sh = entry.fixed_size
        if (request.width, request.height) not in ((None, None), (sw, sh)) or request.output_size:
            notes.append(f"generated at {sw}x{sh}, the only size {entry.name} makes (its positional "
                         f"embeddings are learned for it)")
    else:
        w = request.width or entry.defaults.width
        h = request.height or entry.defaults.height
        if request.width is None and request.height is None and request.output_size:
            # Keep the model's native pixel count but take the project's shape (less to crop later).
            ow, oh = request.output_size
            scale = math.sqrt(entry.defaults.width * entry.defaults.height / (ow * oh))
            sw, sh = entry.snap_size(round(ow * scale), round(oh * scale))
            notes.append(f"generated at {sw}x{sh} (the model's native pixel count in the project's shape)")
            w, h = sw, sh
        sw, sh = entry.snap_size(w, h)
        if (sw, sh) != (w, h):
            notes.append(f"size {w}x{h} snapped to {sw}x{sh} ({entry.name} needs multiples of {entry.size_multiple})")
    n, how = seconds_to_frames(entry, request)
    return sw, sh, n, how, notes


@contextlib.contextmanager
def _torch_threads(entry):
    """The family's torch thread count for one take, restored after (the worker keeps running)."""
    from engine.gen.families import family_of

    wanted = family_of(entry).torch_threads
    if wanted is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_generation(request, out_dir: Path, progress: GenProgress | None = None,
                   cancel: CancelToken | None = None, *, preview: Callable[[np.ndarray], None] | None = None,
                   cache=None) -> TakeResult:
    """Generate one take into ``out_dir`` (which must not hold a take yet); see the module docstring."""
    from engine.gen.loading import CACHE

    cache = cache or CACHE
    if isinstance(request, (dict, str)):
        try:
            request = parse_request(request)
        except ValueError as exc:
            raise GenerationError(f"the generation request is invalid: {exc}".splitlines()[0]) from exc
    cancel = cancel or CancelToken()
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise GenerationError(f"{out_dir} already holds a take; choose a new take folder")
    entry = get_model(request.model)
    if not entry.supports(request.task):
        raise GenerationError(f"model '{entry.id}' cannot do {request.task.replace('_', ' ')}; it does: "
                              f"{entry.task_names}")
    t_start = time.perf_counter()
    width, height, native, how, notes = _prepare(request, entry)
    out_rate = Fraction(request.output_rate) if request.output_rate else entry.fps
    out_size = tuple(request.output_size) if request.output_size else (width, height)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_partial_dir(out_dir)  # the project's partial name scheme: swept when this process dies
    try:
        with _torch_threads(entry):
            return _run(request, entry, out_dir, tmp, steps_dir(out_dir), width, height, native, how, notes,
                        out_rate, out_size, progress, cancel, preview, cache, t_start)
    except Canceled:
        from engine.gen.loading import free_memory

        free_memory()
        raise
    except (ShotloomError, OSError) as exc:
        from engine.fsutil import is_disk_full

        if is_disk_full(exc):  # name the folder the user knows and say what to do, not the partial file
            raise GenerationError(f"the disk holding {out_dir.parent} is full; the take was not saved — free some "
                                  "space and generate the shot again") from None
        if isinstance(exc, ShotloomError):
            raise
        raise GenerationError(f"generation with model '{entry.id}' failed: {type(exc).__name__}: {exc}"
                              .splitlines()[0]) from exc
    except ImportError as exc:
        if exc.name and exc.name.split(".")[0] in ("torch", "diffusers", "transformers", "accelerate"):
            raise GenerationError(
                f"generation needs {exc.name.split('.')[0]}, which this light install lacks; "
                "run bash installer/install.sh (without --light) to add the engine's ML stack"
            ) from None
        raise GenerationError(f"generation with model '{entry.id}' failed: ImportError: {exc}") from exc
    except Exception as exc:
        raise GenerationError(f"generation with model '{entry.id}' failed: {type(exc).__name__}: {exc}"
                              .splitlines()[0]) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already when the take was published


def _plan(request, entry, width, height, native, tier, dtype, guidance, device):
    from engine.gen import memory, planner
    from engine.gen.families import family_of
    from engine.gen.tasks import long_take

    if request.task == "long_take":
        frames = long_take.call_frames(entry, request, native)
    else:
        frames = family_of(entry).plan_frames(entry, entry.frame_rule.snap(min(native, entry.frame_rule.max_frames)))
    if tier == "auto":
        tier = planner.choose_tier(entry, width=width, height=height, frames=frames, guidance=guidance,
                                   free_bytes=memory.free_memory_bytes(device), dtype=dtype)
    plan = planner.predict_peak(entry, width=width, height=height, frames=frames, tier=tier, dtype=dtype,
                                guidance=guidance, device=device)
    bound = tier != "gpu"
    if device == "cpu" and tier == "gpu" and plan.ram_bytes > 0.9 * memory.available_ram_bytes():
        # Everything is in system memory: decode in tiles (slower) only when a whole decode would not fit.
        bound = True
        plan = planner.predict_peak(entry, width=width, height=height, frames=frames, tier=tier, dtype=dtype,
                                    guidance=guidance, device=device, vae_tiling=True)
    return tier, plan, bound


def _check_ram(entry, plan, notes: list[str]) -> None:
    """System memory: refuse what cannot fit at all, warn when it will crowd other programs."""
    import psutil

    from engine.gen.planner import GIB

    vm = psutil.virtual_memory()
    if plan.ram_bytes > vm.total:
        raise GenerationError(
            f"model '{entry.id}' needs about {plan.ram_gib:.0f} GiB of system memory at this size and tier, "
            f"more than this computer has ({vm.total / GIB:.0f} GiB); choose a smaller size or fewer seconds, "
            f"a lower memory tier, or a smaller model")
    if plan.ram_bytes > vm.available:
        notes.append(f"needs about {plan.ram_gib:.1f} GiB of system memory, {vm.available / GIB:.1f} GiB was free: "
                     f"expect swapping")


def _run(request, entry, out_dir, tmp, work_dir, width, height, native, how, notes, out_rate, out_size,
         progress, cancel, preview, cache, t_start) -> TakeResult:
    import torch

    from engine.gen import memory
    from engine.gen.families import family_of
    from engine.gen.loras import apply_loras
    from engine.gen.steps import StepMonitor
    from engine.gen.tasks import TASKS
    from engine.gen.tasks import long_take as long_take_mod
    from engine.gen.tasks.common import GenContext
    from engine.render.audio import sample_at

    family = family_of(entry)
    device = memory.pick_device(request.device)
    dtype = family.auto_dtype if family.auto_dtype and request.dtype == "auto" else \
        memory.pick_dtype(device, request.dtype)
    steps = request.steps or (entry.defaults.draft_steps if request.draft else entry.defaults.steps)
    guidance = entry.defaults.guidance if request.guidance is None else request.guidance
    tier, prediction, bound = _plan(request, entry, width, height, native, request.tier, dtype, guidance, device)
    _check_ram(entry, prediction, notes)
    attempts: list[dict] = []
    task = TASKS[request.task]
    cancel.raise_if_canceled()
    while True:
        t_load = time.perf_counter()
        oom = None
        try:
            pipe, warm = cache.pipeline(entry, request.task, tier=tier, dtype=dtype, device=device)
            speed = memory.apply_speed(pipe, family, draft=request.draft, steps=steps,
                                       attention_backend=request.attention_backend, device=device,
                                       compile_blocks=request.compile, cache=request.cache, entry=entry)
            if warm.tier == "gpu":  # the lower tiers always bound the decode
                speed += memory.bound_vae(pipe, bound)
            t_lora = time.perf_counter()
            loras = apply_loras(pipe, warm, request.loras, entry)
            lora_s = time.perf_counter() - t_lora
            load_s = time.perf_counter() - t_load
            monitor = StepMonitor(total_steps=steps, progress=progress, cancel=cancel, preview=preview)
            ctx = GenContext(entry=entry, request=request, pipe=pipe, width=width, height=height, frames=native,
                             steps=steps, guidance=guidance, seed=request.seed, device=device, dtype=dtype,
                             monitor=monitor, tier=tier, model_info=warm.info)
            monitor.grand_total = family.call_steps(entry, native, steps)
            t_gen = time.perf_counter()
            long_info = None
            with memory.mag_calibration(pipe, family, entry, steps):
                if request.task == "long_take":
                    long_info = task.generate(ctx, work_dir)
                else:
                    frames = task.generate(ctx)
            if request.task == "long_take":
                frames_iter: Iterable[np.ndarray] = long_take_mod.iter_frames(work_dir)
                native_count = long_info["frames"]
            else:
                native_count = int(frames.shape[0])
                frames_iter = frames
            if warm.tier == "offload" and pipe is not warm.base:
                warm.base.maybe_free_model_hooks()  # the derived pipeline's call left its last model on the GPU
            gen_s = time.perf_counter() - t_gen
            break
        except torch.OutOfMemoryError as exc:
            oom = f"out of memory: {str(exc).splitlines()[0][:200]}"
        # Out of the except block the exception and its traceback (whose frames hold the failed
        # pipeline's tensors) are gone; drop our own references too, so the evicted pipeline is
        # freed before the next tier loads (never two copies in memory).
        pipe = warm = ctx = monitor = None
        attempts.append({"tier": tier, "error": oom})
        cache.evict_model(entry, request.task, tier, dtype, device)
        following = memory.next_tier(tier)
        if following is None:
            raise GenerationError(
                f"model '{entry.id}' ran out of memory at {width}x{height}, {native} frames even with "
                f"group offload; choose a smaller size or fewer seconds")
        notes.append(f"out of memory on tier {tier}; retried on {following}")
        tier = following

    # -- write the take -----------------------------------------------------------------------
    cancel.raise_if_canceled()
    t_enc = time.perf_counter()
    total_out = output_frame_count(native_count, entry.fps, out_rate)
    written, frames_sha256 = write_take_videos(conform_time(frames_iter, entry.fps, out_rate, native_count), tmp,
                                               out_rate, out_size, total_out, progress, cancel, fit=request.fit,
                                               sound=ctx.sound)
    enc_s = time.perf_counter() - t_enc
    if native_count != native and request.task in ("text_to_video", "image_to_video"):
        rule = entry.frame_rule
        notes.insert(0, f"{how}, snapped to {native_count} ({entry.name} makes {rule.multiple}k+{rule.offset}"
                        + (f", at least {rule.min_frames}" if rule.min_frames else "") + ")")
    else:
        notes.insert(0, how)
    if out_rate != entry.fps or out_size != (width, height):
        notes.append(f"generated {native_count} frames at {entry.fps} fps, {width}x{height}; conformed to "
                     f"{written} frames at {out_rate} fps, {out_size[0]}x{out_size[1]}")
    notes.extend(ctx.notes)
    if entry.test_model:
        notes.append(f"{entry.id} is a test model: its output is noise")
    elif entry.micro:
        notes.append(f"{entry.id} is a small model trained on the shapes world: it draws coloured discs, "
                     f"squares and triangles on plain backgrounds")
    message = "; ".join(notes)
    resolved = warm.resolved
    recipe = {
        "schema_version": 1,
        "task": request.task,
        "request": request.model_dump(mode="json"),
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt,
        "model": {"id": entry.id, "repo": entry.repo, "revision": resolved.revision, "files": resolved.files,
                  "family": entry.family, "test_model": entry.test_model, "micro": entry.micro, "variant": entry.variant,
                  "pipeline": type(pipe).__name__, **({"timesteps": warm.info["timesteps"]}
                                                       if warm.info.get("timesteps") else {})},
        **({"loras": [{k: v for k, v in lora.items() if k != "loaded"} for lora in loras]} if loras else {}),
        "seed": request.seed,
        "size": [width, height],
        "frames": native_count,
        "native_fps": _rate_str(entry.fps),
        "output": {"frames": written, "rate": _rate_str(out_rate), "size": list(out_size),
                   "frames_sha256": frames_sha256, "master": MASTER_NAME, "scrub": SCRUB_NAME,
                   **({"retime": RETIME} if out_rate != entry.fps else {}),
                   **({"sound": {"rate": ctx.sound[1], "channels": int(ctx.sound[0].shape[0]),
                                 "samples": sample_at(written, out_rate, ctx.sound[1])}} if ctx.sound else {})},
        "steps": steps,
        "guidance": guidance,
        "draft": request.draft,
        "cache": memory.cache_kind(request.cache, request.draft),
        "tier": tier,
        "tier_applied": warm.applied + speed,
        "oom_attempts": attempts,
        "device": device,
        "dtype": dtype,
        "planner": {"predicted_peak_bytes": prediction.peak_bytes, "predicted_ram_bytes": prediction.ram_bytes,
                    "tier": prediction.tier},
        "long_take": long_info,
        "message": message,
        "library_versions": library_versions(),
        "timings": {"load_s": round(load_s, 4), "generate_s": round(gen_s, 4), "encode_s": round(enc_s, 4),
                    "total_s": round(time.perf_counter() - t_start, 4), "lora_s": round(lora_s, 4),
                    **({"loras_loaded": loras[0]["loaded"]} if loras else {})},
    }
    write_json_atomic(tmp / RECIPE_NAME, recipe, indent=2)
    cancel.raise_if_canceled()
    publish_dir(tmp, out_dir)
    if request.task == "long_take":
        shutil.rmtree(work_dir, ignore_errors=True)
    return TakeResult(take_dir=out_dir, master=out_dir / MASTER_NAME, scrub=out_dir / SCRUB_NAME,
                      recipe_path=out_dir / RECIPE_NAME, recipe=recipe, frames=written, rate=out_rate,
                      size=out_size, message=message, notes=tuple(notes))
