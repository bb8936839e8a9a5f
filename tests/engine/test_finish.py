"""Finishing takes: optical-flow interpolation and conform, upscaling with a real Real-ESRGAN-class
network (tiny, random weights, safetensors), the queue jobs and the `upscale`/`interpolate` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import gen_fixtures
import numpy as np
import pytest

from engine.errors import Canceled, GenerationError
from engine.media import VideoWriter
from engine.media.conform import retimed_source_frames
from engine.media.retime import FlowInterpolator, retime
from engine.progress import CancelToken

tiny_models = gen_fixtures.tiny_models
tiny_models_dir = gen_fixtures.tiny_models_dir
SIZE = (96, 64)


# -- footage: a textured picture moving steadily, so the picture at any time is known --------------

def _texture(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (400, 400, 3), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 1.2)


def scene(position: float, size=SIZE, seed: int = 0) -> np.ndarray:
    """The picture when the camera has moved ``position`` pixels (right and a little down)."""
    big = _texture(seed)
    w, h = size
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32) + 60 + position,
                         np.arange(h, dtype=np.float32) + 60 + 0.5 * position)
    return cv2.remap(big, xs, ys, cv2.INTER_CUBIC)


def psnr(a: np.ndarray, b: np.ndarray, border: int = 6) -> float:
    d = a.astype(np.float64) - b.astype(np.float64)
    if border:
        d = d[border:-border, border:-border]
    return float(10 * np.log10(255.0 ** 2 / max(np.mean(d ** 2), 1e-10)))


def decode(path: Path) -> tuple[list[np.ndarray], Fraction]:
    """Every frame of ``path`` decoded by PyAV, independently of the engine's reader."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = Fraction(stream.average_rate)
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)], rate


def write_clip(path: Path, frames: list[np.ndarray], rate: Fraction) -> Path:
    with VideoWriter(path, preset="h264", rate=rate, size=frames[0].shape[1::-1], options={"crf": "4"}) as writer:
        for frame in frames:
            writer.write(frame)
    return path


# -- interpolation ------------------------------------------------------------------------------------

def test_frames_interpolated_between_two_known_frames_match_the_truth():
    a, b = scene(0), scene(8)
    flow = FlowInterpolator()
    for t in (0.25, 0.5, 0.75):
        made = flow.between(a, b, t, key=0)
        truth = scene(8 * t)
        blend = cv2.addWeighted(a, 1 - t, b, t, 0)
        nearest = a if t <= 0.5 else b
        assert psnr(made, truth) > 34, t
        assert psnr(made, truth) > psnr(blend, truth) + 8 and psnr(made, truth) > psnr(nearest, truth) + 8


def test_flow_conform_16_to_24_fps_has_no_duplicated_frames(tmp_path):
    """The generation engine's conform (model rate → project rate), written by its take writer and
    decoded by PyAV: every frame is new, and each shows the picture at its own time."""
    from engine.gen.runner import conform_time, output_frame_count, write_take_videos

    native = [scene(3 * k) for k in range(17)]  # 17 frames at 16 fps
    total = output_frame_count(17, Fraction(16), Fraction(24))
    written, _ = write_take_videos(conform_time(iter(native), Fraction(16), Fraction(24), 17), tmp_path,
                                   Fraction(24), SIZE, total)
    frames, rate = decode(tmp_path / "master.mp4")
    assert rate == 24 and len(frames) == written == total == 26
    steps = [np.abs(frames[j].astype(int) - frames[j - 1].astype(int)).mean() for j in range(1, len(frames))]
    assert min(steps) > 2.0, steps  # a repeated frame would be ~0 (encoder noise only)
    for j, frame in enumerate(frames):
        assert psnr(frame, scene(3 * j * 16 / 24)) > 28, j
    # The old conform repeated every other frame: the same check finds its duplicates.
    repeated = [native[i] for i in retimed_source_frames(Fraction(16), Fraction(24), total)]
    assert any(np.array_equal(repeated[j], repeated[j - 1]) for j in range(1, total))


def test_a_generated_take_conformed_from_16_to_24_fps_repeats_no_frame(tmp_path, tiny_models):
    """The real generation path (tiny Wan, 16 fps) into a 24 fps output: the frames between the
    model's are interpolated, none repeated, and the recipe says how the take was retimed."""
    from engine.gen.requests import parse_request
    from engine.gen.runner import run_generation

    request = parse_request({"task": "text_to_video", "model": "tiny-wan", "prompt": "waves", "frames": 9,
                             "width": 32, "height": 32, "steps": 2, "dtype": "float32", "output_rate": "24"})
    result = run_generation(request, tmp_path / "take")
    frames, rate = decode(result.master)
    assert rate == 24 and len(frames) == result.frames == 14
    repeats = [j for j in range(1, len(frames)) if np.array_equal(frames[j], frames[j - 1])]
    assert not repeats
    assert result.recipe["output"]["retime"] == "flow"


def test_retime_keeps_source_frames_exact_and_streams():
    native = [scene(4 * k) for k in range(9)]
    out = list(retime(iter(native), Fraction(16), Fraction(48), 27))
    assert len(out) == 27
    for k in range(9):
        assert np.array_equal(out[3 * k], native[k])  # frames on the source's times are the source's
    # Slow motion ×2 of a 24 fps clip: the frames between are new pictures.
    slow = list(retime(iter(native), Fraction(24), Fraction(48), 17))
    assert all(psnr(slow[2 * k + 1], scene(4 * k + 2)) > 30 for k in range(8))


def test_a_take_conformed_by_repeating_frames_is_interpolated_from_the_model_frames(tmp_path):
    from engine.finish.interpolate import open_source, plan

    native = [scene(4 * k) for k in range(9)]
    picks = retimed_source_frames(Fraction(16), Fraction(24), 14)
    path = write_clip(tmp_path / "old_take.mp4", [native[i] for i in picks], Fraction(24))
    recipe = {"native_fps": "16/1", "output": {"frames": 14, "rate": "24/1"}}
    source = open_source(path, recipe)
    assert source.rate == 16 and source.count == 9
    frames = list(source.frames())
    assert all(psnr(f, n) > 29 for f, n in zip(frames, native, strict=True))  # h264 4:2:0 costs ~31 dB here
    assert plan(source, fps=Fraction(24)).count == 14
    # A take conformed by flow is used as it is.
    flowed = open_source(path, {**recipe, "output": {"retime": "flow"}})
    assert flowed.rate == 24 and flowed.count == 14


# -- upscaling ------------------------------------------------------------------------------------------

def _tiny_esrgan(folder: Path, name: str = "RealESRGAN_x2plus.safetensors") -> Path:
    """A Real-ESRGAN x2plus network at a tiny width, random weights: RRDB blocks on the picture
    pixel-unshuffled by 2 (12 input channels), two ×2 upsampling convolutions — the structure
    spandrel detects as Real-ESRGAN ×2 from the tensors alone."""
    import torch
    from safetensors.torch import save_file

    from engine.finish.upscale import _import_spandrel

    _import_spandrel()
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(0)
    net = ESRGAN(in_nc=12, num_filters=8, num_blocks=1, scale=4, shuffle_factor=2)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


@pytest.fixture
def tiny_upscaler(shotloom_home):
    """The tiny network where a person puts the weights of realesrgan-x2plus by hand."""
    from engine.finish.weights import MODELS, local_dir

    model = MODELS["realesrgan-x2plus"]
    return _tiny_esrgan(local_dir(model), model.filename)


def test_tiled_upscale_equals_the_whole_frame_and_x4_is_two_passes(tiny_upscaler):
    import torch

    from engine.finish.upscale import load_upscaler

    up = load_upscaler(tiny_upscaler)
    assert up.scale == 2 and type(up.model.model).__name__ == "RRDBNet"
    frame = scene(0, size=(80, 48))
    tiled = up.upscale(frame, 2, tile=32)
    assert tiled.shape == (96, 160, 3)
    with torch.inference_mode():
        whole = up.model(torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255)[0]
    whole = whole.clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1  # no seams between tiles
    x4 = up.upscale(frame, 4, tile=32)
    assert x4.shape == (192, 320, 3)
    assert np.array_equal(x4, up.upscale(tiled, 2, tile=32))


def test_upscaler_weights_offline_fail_with_the_exact_message(shotloom_home, monkeypatch, tmp_path):
    from huggingface_hub import constants

    from engine.finish.weights import MODELS, resolve_weights

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    model = MODELS["realesrgan-x2plus"]
    with pytest.raises(GenerationError) as err:
        resolve_weights(model)
    where = shotloom_home / "data" / "models" / "finish" / "realesrgan-x2plus" / "RealESRGAN_x2plus.safetensors"
    assert str(err.value) == (
        "the upscaler 'realesrgan-x2plus' is not downloaded and offline mode is on (HF_HUB_OFFLINE); download "
        "RealESRGAN_x2plus.safetensors (about 67 MB) from https://huggingface.co/Comfy-Org/Real-ESRGAN_repackaged "
        f"and put it at {where}")


def test_weights_download_through_the_hub_client_and_pickles_are_refused(tmp_path, monkeypatch, shotloom_home):
    from gen_fixtures import FakeHub
    from huggingface_hub import constants

    from engine.finish.upscale import load_upscaler
    from engine.finish.weights import FinishModel, resolve_weights

    repo = tmp_path / "repo"
    _tiny_esrgan(repo, "up.safetensors")
    hub = FakeHub("shotloom-test/up", repo)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    model = FinishModel("test-up", "upscaler", "shotloom-test/up", "up.safetensors", 2, 1, "test")
    try:
        path = resolve_weights(model, endpoint=hub.url)
    finally:
        hub.close()
    assert path.read_bytes() == (repo / "up.safetensors").read_bytes()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert resolve_weights(model) == path  # from the cache, offline
    assert load_upscaler(path).scale == 2
    evil = tmp_path / "model.pth"
    evil.write_bytes(b"not loaded")
    with pytest.raises(GenerationError, match=r"model\.pth is not a \.safetensors file"):
        load_upscaler(evil)


def test_learned_interpolator_offline_names_what_to_download_and_where(shotloom_home, monkeypatch, tmp_path):
    from huggingface_hub import constants

    from engine.finish.interpolate import load_interpolator

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(GenerationError) as err:
        load_interpolator("rife-4.22")
    where = shotloom_home / "data" / "models" / "finish" / "rife-4.22" / "rife422.safetensors"
    assert str(err.value) == (
        "the interpolator 'rife-4.22' is not downloaded and offline mode is on (HF_HUB_OFFLINE); download "
        "rife422.safetensors (about 23 MB) from https://huggingface.co/Comfy-Org/RIFE_repackaged "
        f"and put it at {where}")
    assert isinstance(load_interpolator(None), FlowInterpolator)


# -- the job runner ----------------------------------------------------------------------------------------

class _Progress:
    def __init__(self, cancel_at: int | None = None, token: CancelToken | None = None) -> None:
        self.calls: list[tuple[int, int, str]] = []
        self.previews: list[np.ndarray] = []
        self.cancel_at, self.token = cancel_at, token

    def __call__(self, done, total, message=""):
        self.calls.append((done, total, message))
        if self.cancel_at is not None and done >= self.cancel_at:
            self.token.cancel()

    def preview_frame(self, frame):
        self.previews.append(frame)


def _params(tmp_path, kind, source, **kw):
    from engine.jobs.models import FinishParams

    return FinishParams(operation=kind, source=str(source), source_take="t0", take_id="new", project_rate="24/1",
                        **kw)


def test_upscale_job_writes_a_complete_take_with_progress_and_preview(tmp_path, tiny_upscaler):
    from engine.finish.jobs import run_finish_job
    from engine.jobs.tasks import verify_take

    src = write_clip(tmp_path / "take.mp4", [scene(2 * k, size=(48, 32)) for k in range(5)], Fraction(24))
    progress = _Progress()
    out = tmp_path / "job"
    result = run_finish_job(_params(tmp_path, "upscale", src, factor=2), out, progress, CancelToken())
    verify_take(result, out)
    frames, rate = decode(out / "master.mp4")
    assert len(frames) == 5 and frames[0].shape == (64, 96, 3) and rate == 24
    assert decode(out / "scrub.mp4")[0][0].shape == (64, 96, 3)
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["task"] == "upscale" and recipe["model"]["id"] == "realesrgan-x2plus"
    assert recipe["output"]["size"] == [96, 64] and len(recipe["model"]["sha256"]) == 64
    assert progress.calls[-1][:2] == (5, 5) and "upscaling ×2: frame 5/5" in progress.calls[-1][2]
    assert progress.previews and progress.previews[-1].shape == (64, 96, 3)


def test_interpolate_job_cancel_leaves_no_take(tmp_path):
    from engine.finish.jobs import run_finish_job

    src = write_clip(tmp_path / "take.mp4", [scene(2 * k) for k in range(12)], Fraction(24))
    token = CancelToken()
    out = tmp_path / "job"
    with pytest.raises(Canceled):
        run_finish_job(_params(tmp_path, "interpolate", src, factor=4), out, _Progress(3, token), token)
    assert not (out / "master.mp4").exists() and not (out / "recipe.json").exists()


# -- the commands -----------------------------------------------------------------------------------------

def shotloom(*args, check=True, env=None) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, timeout=300)
    if check and res.returncode != 0:
        raise AssertionError(f"shotloom {' '.join(map(str, args))} failed ({res.returncode}): {res.stderr}")
    return res


def refused(res: subprocess.CompletedProcess, line: str) -> None:
    assert res.returncode == 1, (res.returncode, res.stderr)
    assert res.stderr.strip() == line, res.stderr


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "film.shotloom"
    shotloom("new", path, "--fps", "24", "--size", "64x48")
    clip = write_clip(tmp_path / "shot.mp4", [scene(3 * k, size=(64, 48)) for k in range(6)], Fraction(24))
    shotloom("import", path, clip, "--no-proxy")
    return path


def _info(project):
    return json.loads(shotloom("info", project, "--json").stdout)


def test_cli_interpolate_slow_motion_adds_an_undoable_take(project):
    before = _info(project)["shots"][0]
    res = shotloom("interpolate", project, "1", "--factor", "2")
    take_id = res.stdout.strip()
    shot = _info(project)["shots"][0]
    active = next(t for t in shot["takes"] if t["active"])
    assert len(shot["takes"]) == 2 and active["id"] == take_id
    assert shot["frames"] == before["frames"] == 6  # the shot keeps its trim
    frames, rate = decode(Path(active["path"]))
    assert rate == 24 and len(frames) == 12  # twice as long
    assert psnr(frames[1], scene(1.5, size=(64, 48))) > 28  # a new picture between the first two
    shotloom("undo", project)
    shot = _info(project)["shots"][0]
    assert [t["id"] for t in shot["takes"] if t["active"]] == [before["takes"][0]["id"]]


def test_cli_upscale_adds_a_take_twice_the_size(project, tiny_upscaler, shotloom_home):
    res = shotloom("upscale", project, "1", env={"SHOTLOOM_HOME": str(shotloom_home)})
    shot = _info(project)["shots"][0]
    active = next(t for t in shot["takes"] if t["active"])
    assert active["id"] == res.stdout.strip()
    frames, _ = decode(Path(active["path"]))
    assert len(frames) == 6 and frames[0].shape == (96, 128, 3)


def test_cli_finishing_refuses_bad_values_in_one_line(project, shotloom_home):
    refused(shotloom("upscale", project, "1", "--factor", "3", check=False),
            "shotloom: --factor 3 is not 2 or 4; upscale ×2, or ×4 (two passes of ×2)")
    refused(shotloom("interpolate", project, "1", "--factor", "x", check=False),
            "shotloom: --factor x is not 2 or 4; slow motion ×2, or ×4 (two passes of ×2)")
    bad_fps = shotloom("interpolate", project, "1", "--fps", "0", check=False)
    assert bad_fps.returncode == 1 and len(bad_fps.stderr.strip().splitlines()) == 1 and "'0'" in bad_fps.stderr
    refused(shotloom("interpolate", project, "9", "--fps", "48", check=False),
            "shotloom: no shot '9' in film.shotloom; use an id, a number 1..1 or a name (see shotloom info)")
    assert shotloom("interpolate", project, "1", check=False).returncode == 2  # neither --fps nor --factor
    where = shotloom_home / "data" / "models" / "finish" / "rife-4.22" / "rife422.safetensors"
    refused(shotloom("interpolate", project, "1", "--fps", "48", "--model", "rife-4.22", check=False),
            "shotloom: the interpolator 'rife-4.22' is not downloaded and offline mode is on (HF_HUB_OFFLINE); "
            "download rife422.safetensors (about 23 MB) from https://huggingface.co/Comfy-Org/RIFE_repackaged "
            f"and put it at {where}")
    assert len(_info(project)["shots"][0]["takes"]) == 1  # nothing added


def test_a_finishing_job_in_the_queue_reports_progress_and_previews_and_cancels(tmp_path):
    """The real worker process runs an interpolate job: progress with an ETA, a preview of the
    newest frame, and a cancel that stops it within a frame and leaves no take behind."""
    from engine.jobs.client import EngineClient
    from engine.jobs.queue import JobQueue

    src = write_clip(tmp_path / "take.mp4", [scene(2 * k, size=(320, 240)) for k in range(40)], Fraction(24))
    params = _params(tmp_path, "interpolate", src, factor=4)
    db = tmp_path / "jobs.sqlite"
    with JobQueue(db) as q, EngineClient(db, poll=0.05) as client:
        job = client.submit("interpolate", params, out_dir=tmp_path / "generated" / "new")
        progress, previews = [], []
        for event in client.events(timeout=60):
            if getattr(event, "job", None) != job.id:
                continue
            if event.type == "progress" and event.total:
                progress.append(event)
            elif event.type == "preview":
                previews.append(event.path)
            if len(progress) >= 3 and previews:
                break
        assert progress[-1].total == 160 and "×4 slow motion: frame" in progress[-1].message
        assert Path(previews[-1]).suffix == ".png"
        client.cancel(job.id)
        for event in client.events(timeout=60):
            if getattr(event, "job", None) == job.id and event.type in ("canceled", "succeeded", "failed"):
                break
        assert event.type == "canceled"
        done = q.get(job.id)
        assert done.status == "canceled" and not job.work_dir.exists() and not job.final_dir.exists()
