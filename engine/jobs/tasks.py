"""Task runners: kind → runner(params, out_dir, progress, cancel) -> result dict.

A runner is a plain function of its parameters, a work folder, a progress callback and a cancel
token (the same contract runs on a remote box later). It writes only inside `out_dir` (or, for
proxy/export, to a final path through a temp name), checks `cancel` at every step, and returns a
JSON-able result whose files are complete. Heavy libraries are imported inside the runner.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from engine.errors import GenerationError, MediaError
from engine.fsutil import atomic_output, write_json_atomic
from engine.jobs.models import (
    AnalyzeParams,
    ExportParams,
    FinishParams,
    GenerationParams,
    NoopParams,
    ProxyParams,
)
from engine.progress import CancelToken

DEFAULT_TIERS: tuple[str, ...] = ("gpu", "offload", "group_offload")


def memory_tiers() -> tuple[str, ...]:
    """Memory tiers from most to least memory-hungry (the catalog's order)."""
    try:
        from engine.gen.catalog import TIERS
    except ImportError:
        return DEFAULT_TIERS
    return tuple(TIERS)


class JobProgress(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...

    def preview(self, path: str | Path) -> None: ...


Runner = Callable[[Any, Path, JobProgress, CancelToken], dict[str, Any]]


@dataclass(frozen=True)
class TaskSpec:
    runner: Runner
    uses_out_dir: bool
    """True: the worker gives it a hidden work folder and renames it to the job's folder on success."""
    recover: Callable[[Any, Path], dict[str, Any] | None] | None = None
    """Finds a result already complete in the work folder (a worker killed before recording it)."""


class SimulatedOutOfMemory(MemoryError):
    """Raised by the diagnostics task to exercise the memory-tier walk without a GPU."""


# -- noop / diagnostics ---------------------------------------------------------------------------

_STATE = "state.json"
_NOOP_VIDEO = "noop.mp4"


def _noop_frame(index: int):
    import numpy as np

    frame = np.zeros((32, 32, 3), dtype=np.uint8)
    frame[:, :, 0] = (index * 37) % 256
    frame[:, :, 1] = (index * 11) % 256
    frame[:16, :, 2] = 255
    return frame


def _write_state(out_dir: Path, done: int) -> None:
    write_json_atomic(out_dir / _STATE, {"done": done}, indent=None)


def _encode_noop(out_dir: Path, frames: int) -> Path:
    import av

    final = out_dir / _NOOP_VIDEO
    with atomic_output(final) as tmp, av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(_noop_frame(i), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return final


def count_decodable_frames(path: Path) -> int:
    """Decodes every frame of `path` (PyAV); MediaError when the file is missing or broken."""
    import av

    try:
        with av.open(str(path)) as container:
            return sum(1 for _ in container.decode(video=0))
    except (OSError, av.FFmpegError) as exc:
        raise MediaError(f"{path} cannot be decoded ({exc}).") from None


def run_noop(params: NoopParams, out_dir: Path, progress: JobProgress, cancel: CancelToken) -> dict[str, Any]:
    """`steps` timed steps. With `output`, finished steps persist in the work folder so an
    interrupted job resumes where it stopped, and the frames become a real, decodable video."""
    tiers = memory_tiers()
    tier = params.memory_tier or tiers[0]
    start = 0
    if params.output:
        state = out_dir / _STATE
        if state.exists():
            start = int(json.loads(state.read_text())["done"])
    for step in range(start, params.steps):
        cancel.raise_if_canceled()
        if params.oom_above_tier is not None and tiers.index(tier) < params.oom_above_tier:
            raise SimulatedOutOfMemory(f"out of memory at tier {tier} (simulated)")
        if params.device_lost_at == step:
            raise RuntimeError("CUDA error: an illegal memory access was encountered (simulated)")
        if params.fail_at == step:
            raise GenerationError(f"the diagnostics task failed at step {step} as asked.")
        if params.step_seconds:
            time.sleep(params.step_seconds)
        if params.output:
            _write_state(out_dir, step + 1)
        progress(step + 1, params.steps, f"step {step + 1}/{params.steps}")
    cancel.raise_if_canceled()
    result: dict[str, Any] = {"steps": params.steps, "resumed_from": start, "memory_tier": tier}
    if params.output:
        video = _encode_noop(out_dir, params.steps)
        (out_dir / _STATE).unlink(missing_ok=True)
        result["files"] = [video.name]
        result["master"] = str(video)
    return result


def verify_noop(result: dict[str, Any], out_dir: Path) -> None:
    if "files" in result:
        frames = count_decodable_frames(out_dir / _NOOP_VIDEO)
        if frames != result["steps"]:
            raise MediaError(f"{out_dir / _NOOP_VIDEO} has {frames} frames, expected {result['steps']}.")


# -- generation -----------------------------------------------------------------------------------

def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return json.loads(json.dumps(asdict(value), default=str))
    if isinstance(value, dict):
        return json.loads(json.dumps(value, default=str))
    raise GenerationError(f"The generation runner returned {type(value).__name__}, not a take result.")


def _build_request(params: GenerationParams) -> Any:
    from engine.gen.requests import parse_request

    data = dict(params.request)
    if params.memory_tier is not None:
        data["tier"] = params.memory_tier
    try:
        return parse_request(data)
    except ValueError as exc:
        raise GenerationError(f"The stored generation request is invalid: {exc}".splitlines()[0]) from None


def run_generation_job(params: GenerationParams, out_dir: Path, progress: JobProgress,
                       cancel: CancelToken) -> dict[str, Any]:
    """GEN's run_generation writes the take (master, scrub, recipe.json) into `out_dir`, itself
    through a temp folder; a long take keeps its finished windows beside `out_dir`, which is stable
    per job, so a resumed job continues at its last finished window."""
    from engine.gen.runner import run_generation

    preview = getattr(progress, "preview_frame", None)
    take = run_generation(_build_request(params), out_dir, progress, cancel, preview=preview)
    result = _as_dict(take)
    result["take_id"] = params.take_id
    return result


def recover_take(params: GenerationParams, out_dir: Path) -> dict[str, Any] | None:
    """A take that was complete in the work folder when the worker died (before it was recorded)."""
    recipe_path = out_dir / "recipe.json"
    if not recipe_path.is_file():
        return None
    recipe = json.loads(recipe_path.read_text(encoding="utf-8"))
    output = recipe.get("output", {})
    return {"take_id": params.take_id, "take_dir": str(out_dir),
            "master": str(out_dir / output.get("master", "master.mp4")),
            "scrub": str(out_dir / output.get("scrub", "scrub.mp4")),
            "recipe_path": str(recipe_path), "recipe": recipe, "frames": output.get("frames"),
            "recovered": True}


_VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm")


def verify_take(result: dict[str, Any], out_dir: Path) -> None:
    """Every video file of the take decodes to the frame count its recipe promises."""
    videos = [p for p in out_dir.iterdir() if p.suffix.lower() in _VIDEO_SUFFIXES and p.is_file()]
    if not videos or not (out_dir / "recipe.json").is_file():
        raise GenerationError(f"The generation in {out_dir} is incomplete (no video or no recipe.json).")
    expected = result.get("frames")
    for video in videos:
        got = count_decodable_frames(video)
        if got < 1 or (isinstance(expected, int) and got != expected):
            raise MediaError(f"{video} decodes to {got} frames, expected {expected}.")


# -- proxy and export -----------------------------------------------------------------------------

def run_proxy(params: ProxyParams, out_dir: Path, progress: JobProgress, cancel: CancelToken) -> dict[str, Any]:
    from engine.media import build_proxy, probe

    dst = build_proxy(Path(params.src), Path(params.dst), height=params.height, progress=progress,
                      cancel=cancel)
    src_frames = probe(Path(params.src)).frame_count
    got = probe(Path(dst)).frame_count
    if got != src_frames:
        Path(dst).unlink(missing_ok=True)
        raise MediaError(f"The proxy {dst} has {got} frames, its source {params.src} has {src_frames}; "
                         "the proxy was removed.")
    return {"path": str(dst), "frames": got}


def run_export(params: ExportParams, out_dir: Path, progress: JobProgress, cancel: CancelToken) -> dict[str, Any]:
    from engine.project import Project
    from engine.render import export

    project = Project.open(Path(params.project))
    out = Path(params.out)
    export(project, out, preset=params.preset, progress=progress, cancel=cancel)
    result: dict[str, Any] = {"path": str(out)}
    if out.suffix.lower() != ".otio" and out.is_file():
        from engine.media import probe

        result["frames"] = probe(out).frame_count
    return result


def run_analyze(params: AnalyzeParams, out_dir: Path, progress: JobProgress, cancel: CancelToken) -> dict[str, Any]:
    from engine.analysis.jobs import run_analysis

    return run_analysis(Path(params.project), drift_window=params.drift_window, progress=progress, cancel=cancel,
                        timeline=Path(params.timeline) if params.timeline else None)


def run_finish(params: FinishParams, out_dir: Path, progress: JobProgress, cancel: CancelToken) -> dict[str, Any]:
    from engine.finish.jobs import run_finish_job

    return run_finish_job(params, out_dir, progress, cancel)


def recover_finish(params: FinishParams, out_dir: Path) -> dict[str, Any] | None:
    from engine.finish.jobs import recover_finish as recover

    return recover(params, out_dir)


def _no_verify(result: dict[str, Any], out_dir: Path) -> None:
    return None


TASKS: dict[str, TaskSpec] = {
    "noop": TaskSpec(run_noop, uses_out_dir=True),
    "generate": TaskSpec(run_generation_job, uses_out_dir=True, recover=recover_take),
    "extend": TaskSpec(run_generation_job, uses_out_dir=True, recover=recover_take),
    "bridge": TaskSpec(run_generation_job, uses_out_dir=True, recover=recover_take),
    "long_take": TaskSpec(run_generation_job, uses_out_dir=True, recover=recover_take),
    "upscale": TaskSpec(run_finish, uses_out_dir=True, recover=recover_finish),
    "interpolate": TaskSpec(run_finish, uses_out_dir=True, recover=recover_finish),
    "proxy": TaskSpec(run_proxy, uses_out_dir=False),
    "export": TaskSpec(run_export, uses_out_dir=False),
    "analyze": TaskSpec(run_analyze, uses_out_dir=False),
}

VERIFIERS: dict[str, Callable[[dict[str, Any], Path], None]] = {
    "noop": verify_noop,
    "generate": verify_take,
    "extend": verify_take,
    "bridge": verify_take,
    "long_take": verify_take,
    "upscale": verify_take,
    "interpolate": verify_take,
    "proxy": _no_verify,
    "export": _no_verify,
    "analyze": _no_verify,
}
