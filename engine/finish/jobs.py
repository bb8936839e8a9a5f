"""Upscale and interpolate as queue jobs: planning one from a shot, running it, and the one edit
its finished take becomes.

The runner follows the queue's contract (engine.jobs.tasks): a plain function of its parameters,
a work folder, a progress callback and a cancel token. It streams the source take frame by frame
through the upscaler or the interpolator into a new take folder (master, all-intra scrub copy and
recipe.json, written by the generation engine's take writer), with progress, ETA and a preview of
the newest frame; cancel is checked at every frame. The finished take is added to the same shot
and made active (undo brings the previous take back); the shot keeps its trim.
"""

from __future__ import annotations

import shutil
import time
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

from engine.errors import GenerationError, ProjectError
from engine.jobs.models import FinishParams
from engine.progress import CancelToken, eta_text

FACTORS = (2, 4)
KINDS = ("upscale", "interpolate")


def _rate_str(rate: Fraction) -> str:
    rate = Fraction(rate)
    return f"{rate.numerator}/{rate.denominator}"


def check_factor(value: str | int, what: str) -> int:
    try:
        factor = int(str(value))
    except ValueError:
        factor = 0
    if factor not in FACTORS:
        raise GenerationError(f"--factor {value} is not 2 or 4; {what} ×2, or ×4 (two passes of ×2)")
    return factor


def plan_finish_job(project: Any, shot: Any, kind: str, *, factor: int | None = None,
                    fps: Fraction | None = None, model: str | None = None) -> tuple[FinishParams, Path]:
    """The job that makes a finished take of ``shot``'s active take, and the take's final folder."""
    take = next((t for t in shot.takes if t.active), None)
    if take is None or take.path is None or not Path(take.path).is_file():
        raise ProjectError(f"shot {shot.id[:8]} ({shot.name}) has no take to {kind}; generate or import it first")
    if kind == "upscale":
        factor = check_factor(factor if factor is not None else 2, "upscale")
    elif kind == "interpolate":
        if (fps is None) == (factor is None):
            raise GenerationError("interpolate needs either --fps N or --factor 2|4")
        if factor is not None:
            factor = check_factor(factor, "slow motion")
        if model is None:
            from engine.finish.interpolate import default_interpolator

            model = default_interpolator()
    else:
        raise GenerationError(f"unknown finishing kind {kind!r}")
    take_id = uuid.uuid4().hex
    params = FinishParams(operation=kind, source=str(Path(take.path).resolve()), source_take=take.id,
                          take_id=take_id, factor=factor, fps=_rate_str(fps) if fps is not None else None,
                          model=model, project_rate=_rate_str(project.fps),
                          source_recipe=take.recipe if isinstance(take.recipe, dict) else None)
    return params, Path(project.path) / "media" / "generated" / take_id


def _carried(recipe: dict | None) -> dict[str, Any]:
    """What the new take keeps of its source's recipe: the shot's generation spec (so the shot can
    still be generated again), and the prompt, model and seed it shows."""
    from engine.gen.takes import SPEC_KEY

    if not isinstance(recipe, dict):
        return {}
    keep = {k: recipe[k] for k in (SPEC_KEY, "prompt", "seed") if k in recipe}
    if isinstance(recipe.get("model"), dict):
        keep["source_model"] = recipe["model"]
    return keep


class _Reporter:
    """progress(done, total, message with ETA) and a preview of the newest frame (the worker
    saves at most two previews a second)."""

    def __init__(self, progress: Any, total: int, verb: str) -> None:
        self.progress, self.total, self.verb = progress, total, verb
        self.preview = getattr(progress, "preview_frame", None)
        self.start = time.perf_counter()
        self.last = 0.0

    def __call__(self, done: int, frame: Any) -> None:
        now = time.perf_counter()
        if done < self.total and now - self.last < 0.1:
            return
        self.last = now
        eta = eta_text(done, self.total, now - self.start)
        self.progress(done, self.total, f"{self.verb} frame {done}/{self.total}" + (f", {eta} left" if eta else ""))
        if self.preview is not None:
            self.preview(frame)


def latent_source(params: FinishParams):
    """The catalog entry whose latent upsampler upscales this take: the LTX model that made it (or the
    take it was finished from), when that model has one and no upscaler was named; else None."""
    from engine.gen.catalog import get_model
    from engine.gen.families import family_of

    if params.model:
        return None
    recipe = params.source_recipe or {}
    for key in ("model", "source_model"):
        made = recipe.get(key)
        if isinstance(made, dict) and made.get("family") in ("ltx", "ltx2"):
            try:
                entry = get_model(str(made.get("id")))
            except GenerationError:
                return None  # a model this Shotloom no longer lists: the general upscaler
            return entry if family_of(entry).two_stage(entry) else None
    return None


def _frames_latent_upscaled(entry: Any, params: FinishParams, progress: Any, cancel: CancelToken,
                            meta: dict[str, Any]):
    from engine.finish.upscale import LatentUpscaler
    from engine.finish.weights import file_sha256
    from engine.gen.families import family_of
    from engine.gen.memory import pick_device, pick_dtype
    from engine.media import FrameReader, probe

    info = probe(Path(params.source))
    device = pick_device("auto")
    family = family_of(entry)
    pipe, weights = family.latent_upscale_pipeline(entry, device, pick_dtype(device))
    upscaler = LatentUpscaler(pipe=pipe, device=device, name=f"{entry.id} latent upsampler",
                              args=family.upscale_args)
    factor = int(params.factor or 2)
    w, h = info.width, info.height
    meta.update(rate=Fraction(info.fps), size=(w * factor, h * factor), total=int(info.frame_count),
                model={"id": f"{entry.id}-latent-upsampler", "repo": family.upsampler_repo(entry),
                       "file": weights.name, "sha256": file_sha256(weights), "architecture": family.upsampler_class,
                       "scale": upscaler.scale, "vae": entry.id},
                device=device, passes=factor // upscaler.scale, by=f"the latent upsampler of {entry.name}")
    report = _Reporter(progress, meta["total"], f"upscaling ×{factor} in {entry.name}'s latent space:")

    def frames():
        with FrameReader(Path(params.source)) as reader:
            source = (reader.frame(i) for i in range(meta["total"]))
            for i, out in enumerate(upscaler.frames(source, factor, cancel)):
                cancel.raise_if_canceled()
                report(i + 1, out)
                yield out

    return frames()


def _frames_upscaled(params: FinishParams, progress: Any, cancel: CancelToken, meta: dict[str, Any]):
    entry = latent_source(params)
    if entry is not None:
        return _frames_latent_upscaled(entry, params, progress, cancel, meta)
    from engine.finish.upscale import load_upscaler
    from engine.finish.weights import DEFAULT_UPSCALER, file_sha256, get_finish_model, resolve_weights
    from engine.gen.memory import pick_device
    from engine.media import FrameReader, probe

    info = probe(Path(params.source))
    model = get_finish_model(params.model or DEFAULT_UPSCALER, "upscaler")
    weights = resolve_weights(model)
    device = pick_device("auto")
    upscaler = load_upscaler(weights, device=device, name=model.id)
    factor = int(params.factor or 2)
    w, h = info.width, info.height
    meta.update(rate=Fraction(info.fps), size=(w * factor, h * factor), total=int(info.frame_count),
                model={"id": model.id, "repo": model.repo, "file": model.filename, "sha256": file_sha256(weights),
                       "architecture": type(upscaler.model.model).__name__, "scale": upscaler.scale},
                device=device, passes=factor // upscaler.scale if upscaler.scale < factor else 1)
    report = _Reporter(progress, meta["total"], f"upscaling ×{factor}:")

    def frames():
        with FrameReader(Path(params.source)) as reader:
            for i in range(meta["total"]):
                cancel.raise_if_canceled()
                out = upscaler.upscale(reader.frame(i), factor)
                report(i + 1, out)
                yield out

    return frames()


def _frames_interpolated(params: FinishParams, progress: Any, cancel: CancelToken, meta: dict[str, Any]):
    from engine.finish.interpolate import FLOW, load_interpolator, open_source, plan
    from engine.media import probe
    from engine.media.retime import retime

    source = open_source(Path(params.source), params.source_recipe)
    the_plan = plan(source, fps=Fraction(params.fps) if params.fps else None, factor=params.factor)
    interpolator = load_interpolator(params.model)
    info = probe(Path(params.source))
    model: dict[str, Any] = {"id": params.model or FLOW}
    if model["id"] != FLOW:
        from engine.finish.weights import file_sha256, get_finish_model, resolve_weights

        entry = get_finish_model(model["id"], "interpolator")
        weights = resolve_weights(entry, download=False)  # load_interpolator just had them
        model.update(repo=entry.repo, file=entry.filename, sha256=file_sha256(weights),
                     architecture=interpolator.net.config.name, device=interpolator.device)
    meta.update(rate=the_plan.write_rate, size=(info.width, info.height), total=the_plan.count,
                model=model, source_rate=_rate_str(source.rate), sample_rate=_rate_str(the_plan.sample_rate))
    what = f"×{params.factor} slow motion:" if params.factor else f"interpolating to {Fraction(params.fps)} fps:"
    report = _Reporter(progress, the_plan.count, what)

    def frames():
        for k, frame in enumerate(retime(source.frames(), source.rate, the_plan.sample_rate, the_plan.count,
                                         interpolator=interpolator)):
            cancel.raise_if_canceled()
            report(k + 1, frame)
            yield frame

    return frames()


def _sound_of(source: Path) -> tuple[Any, int] | None:
    """A take's own sound at its own rate (float32 (channels, samples)), or None when it has none."""
    from engine.media import probe, read_audio

    info = probe(source)
    if not info.has_audio or not info.audio_rate:
        return None
    samples = read_audio(source, sample_rate=info.audio_rate, channels=2 if (info.audio_channels or 2) >= 2 else 1)
    return (samples, info.audio_rate) if samples is not None else None


def run_finish_job(params: FinishParams, out_dir: Path, progress: Any, cancel: CancelToken) -> dict[str, Any]:
    """Writes the finished take into ``out_dir`` (the worker's work folder) and returns its result."""
    from engine.fsutil import write_json_atomic
    from engine.gen.runner import MASTER_NAME, RECIPE_NAME, SCRUB_NAME, library_versions, write_take_videos

    source = Path(params.source)
    if not source.is_file():
        raise GenerationError(f"the take to {params.operation}, {source}, is missing; "
                              "put it back or choose another take")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for leftover in out_dir.iterdir():  # an earlier attempt that did not finish
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    t0 = time.perf_counter()
    meta: dict[str, Any] = {}
    make = _frames_upscaled if params.operation == "upscale" else _frames_interpolated
    frames = make(params, progress, cancel, meta)
    # A take that keeps its seconds keeps its sound (an LTX-2 take's own); slow motion has none.
    keeps_time = params.operation == "upscale" or not params.factor
    written, sha = write_take_videos(frames, out_dir, meta["rate"], meta["size"], meta["total"], None, cancel,
                                     sound=_sound_of(source) if keeps_time else None)
    rate = Fraction(meta["rate"])
    project_rate = Fraction(params.project_rate)
    project_frames = max(1, round(written * project_rate / rate))
    output: dict[str, Any] = {"frames": written, "rate": _rate_str(rate), "size": list(meta["size"]),
                              "frames_sha256": sha, "master": MASTER_NAME, "scrub": SCRUB_NAME,
                              "project_frames": project_frames}
    recipe: dict[str, Any] = {"schema_version": 1, "task": params.operation, **_carried(params.source_recipe)}
    source_recipe = params.source_recipe or {}
    if params.operation == "interpolate":
        output["retime"] = "flow"
        recipe.update(fps=params.fps, factor=params.factor, source_rate=meta["source_rate"],
                      sample_rate=meta["sample_rate"])
        message = (f"×{params.factor} slow motion" if params.factor else f"interpolated to {Fraction(params.fps)} fps") \
            + f" from {Fraction(meta['source_rate'])} fps by " \
            + ("optical flow" if meta["model"]["id"] == "flow" else meta["model"]["id"]) + f": {written} frames"
    else:
        recipe.update(factor=params.factor, device=meta["device"])
        if "native_fps" in source_recipe:  # its frames keep the source's timing
            recipe["native_fps"] = source_recipe["native_fps"]
            if (source_recipe.get("output") or {}).get("retime"):
                output["retime"] = source_recipe["output"]["retime"]
        message = f"upscaled ×{params.factor} to {meta['size'][0]}x{meta['size'][1]} with " \
                  + meta.get("by", meta["model"]["id"])
    recipe.update(model=meta["model"], source={"take": params.source_take, "path": str(source)}, output=output,
                  message=message, library_versions=library_versions(),
                  timings={"total_s": round(time.perf_counter() - t0, 3)})
    write_json_atomic(out_dir / RECIPE_NAME, recipe, indent=2)
    return {"take_id": params.take_id, "take_dir": str(out_dir), "master": str(out_dir / MASTER_NAME),
            "scrub": str(out_dir / SCRUB_NAME), "recipe_path": str(out_dir / RECIPE_NAME), "recipe": recipe,
            "frames": written, "project_frames": project_frames, "message": message}


def recover_finish(params: FinishParams, out_dir: Path) -> dict[str, Any] | None:
    """A finished take left complete in the work folder by a worker killed before recording it."""
    from engine.jobs.tasks import recover_take

    result = recover_take(params, out_dir)  # type: ignore[arg-type]  (reads take_id only)
    if result is not None:
        result["project_frames"] = (result["recipe"].get("output") or {}).get("project_frames")
    return result


def finish_edit(shot: Any, take_id: str, master: Path, project_frames: int, recipe: dict) -> Any:
    """The new take added to its shot and made active; the shot keeps its in and out points,
    shortened only where the new take ends sooner."""
    from engine.project import AddTake, Composite, TrimShot

    edits: list[Any] = [AddTake(shot.id, take_id, master, recipe=recipe, kind="generated", activate=True)]
    over = shot.source_in + shot.frames - int(project_frames)
    if project_frames and over > 0:
        edits.insert(0, TrimShot(shot.id, "out", -min(over, shot.frames - 1)))
    return Composite(tuple(edits))
