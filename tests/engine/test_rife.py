"""The learned frame interpolator (RIFE 4.22's IFNet, engine.finish.rife): a safetensors file laid
out like the authors' checkpoint (tensor names and shapes written out here from the published
architecture, random weights) is found in Shotloom's model folder and loaded strictly; a file
that is not that network is refused in one line; interpolating a real clip gives the right frame
count and rate with the source frames kept; the job, the command and the default choice use it."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from test_finish import decode, project, refused, scene, shotloom, write_clip  # noqa: F401  (project: fixture)

from engine.errors import GenerationError
from engine.media.retime import FlowInterpolator, retime
from engine.progress import CancelToken

SIZE = (96, 64)


LAYOUTS = {
    # RIFE 4.22 (hzwer/Practical-RIFE, train_log/IFNet_HDv3.py of the 4.22 release): the encoder
    # 3→32→32→32→8, four blocks of widths 256/192/96/48 whose inputs are 23 channels (both frames,
    # both 8-channel features, t) then 36 (warped frames, warped features, t, mask, 8 feature
    # channels, 4 flow).
    "rife-4.22": (32, 8, ((23, 256), (36, 192), (36, 96), (36, 48))),
    # RIFE 4.26 (the same file of the 4.26 release; ComfyUI's comfy_extras/frame_interpolation_models/
    # ifnet.py): the encoder 3→16→16→16→4, five blocks 192/128/96/64/32, inputs 15 then 28.
    "rife-4.26": (16, 4, ((15, 192), (28, 128), (28, 96), (28, 64), (28, 32))),
}


def published_layout(model: str = "rife-4.22") -> dict[str, tuple[int, ...]]:
    """The network's tensors as its authors name them: the encoder, then per block two strided
    convolutions, eight residual convolutions and a transposed convolution to 4×13 channels
    before the pixel shuffle."""
    width, out, blocks = LAYOUTS[model]
    shapes: dict[str, tuple[int, ...]] = {
        "encode.cnn0.weight": (width, 3, 3, 3), "encode.cnn0.bias": (width,),
        "encode.cnn1.weight": (width, width, 3, 3), "encode.cnn1.bias": (width,),
        "encode.cnn2.weight": (width, width, 3, 3), "encode.cnn2.bias": (width,),
        "encode.cnn3.weight": (width, out, 4, 4), "encode.cnn3.bias": (out,),
    }
    for i, (cin, c) in enumerate(blocks):
        b = f"block{i}."
        shapes[b + "conv0.0.0.weight"] = (c // 2, cin, 3, 3)
        shapes[b + "conv0.0.0.bias"] = (c // 2,)
        shapes[b + "conv0.1.0.weight"] = (c, c // 2, 3, 3)
        shapes[b + "conv0.1.0.bias"] = (c,)
        for k in range(8):
            shapes[b + f"convblock.{k}.conv.weight"] = (c, c, 3, 3)
            shapes[b + f"convblock.{k}.conv.bias"] = (c,)
            shapes[b + f"convblock.{k}.beta"] = (1, c, 1, 1)
        shapes[b + "lastconv.0.weight"] = (c, 52, 4, 4)
        shapes[b + "lastconv.0.bias"] = (52,)
    return shapes


def random_weights(prefix: str = "", seed: int = 0, model: str = "rife-4.22") -> dict[str, torch.Tensor]:
    """Random weights in the published layout, scaled like a trained net's (He init), so the
    network's output is a picture, not noise of the random init's size."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in published_layout(model).items():
        if name.endswith("beta"):
            value = torch.ones(shape)
        elif name.endswith("bias"):
            value = torch.zeros(shape)
        else:
            fan_in = shape[1] * shape[2] * shape[3] if "lastconv" not in name and "cnn3" not in name else \
                shape[0] * shape[2] * shape[3]
            value = torch.randn(shape, generator=gen) * (0.5 / fan_in) ** 0.5
        out[prefix + name] = value.contiguous()
    return out


def model_file(model: str = "rife-4.22") -> Path:
    from engine.finish.weights import MODELS, local_file

    return local_file(MODELS[model])


@pytest.fixture
def rife_weights() -> Path:
    """The file a person downloads, put in Shotloom's model folder (the authors' training wrapper
    prefix on every name, as in their checkpoint)."""
    path = model_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(random_weights("module."), str(path))
    return path


@pytest.fixture
def offline(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


# -- loading ---------------------------------------------------------------------------------------

def test_the_weights_in_the_model_folder_are_found_and_every_tensor_is_used(rife_weights, offline):
    from engine.finish.interpolate import default_interpolator, load_interpolator
    from engine.finish.rife import RifeInterpolator

    interp = load_interpolator("rife-4.22", device="cpu")
    assert isinstance(interp, RifeInterpolator)
    loaded = interp.net.state_dict()
    written = random_weights()
    assert set(loaded) == set(written) and len(loaded) == 128
    for name, value in written.items():
        assert torch.equal(loaded[name], value), name
    assert default_interpolator() == "rife-4.22"


def test_rife_4_26_in_comfyui_block_names_is_found_and_runs(offline, shotloom_home):
    from engine.finish.interpolate import default_interpolator, load_interpolator

    with pytest.raises(GenerationError) as err:
        load_interpolator("rife-4.26")
    where = shotloom_home / "data" / "models" / "finish" / "rife-4.26" / "rife_v4.26.safetensors"
    assert str(err.value) == (
        "the interpolator 'rife-4.26' is not downloaded and offline mode is on (HF_HUB_OFFLINE); download "
        "frame_interpolation/rife_v4.26.safetensors (about 23 MB) from "
        f"https://huggingface.co/Comfy-Org/frame_interpolation and put it at {where}")
    weights = random_weights(model="rife-4.26")
    where.parent.mkdir(parents=True)
    save_file({k.replace("block", "blocks.", 1) if k.startswith("block") else k: v for k, v in weights.items()},
              str(where))
    interp = load_interpolator("rife-4.26", device="cpu")
    assert len(interp.net.blocks) == 5 and set(interp.net.state_dict()) == set(weights)
    assert default_interpolator() == "rife-4.26"  # the one whose weights are here
    frame = interp.between(scene(0, size=(70, 40)), scene(4, size=(70, 40)), 0.3, key=0)
    assert frame.shape == (40, 70, 3) and frame.std() > 5
    with pytest.raises(GenerationError, match="is not a RIFE 4.22 network"):  # a 4.26 file is not a 4.22 one
        model_file().parent.mkdir(parents=True)
        model_file().write_bytes(where.read_bytes())
        load_interpolator("rife-4.22", device="cpu")


def test_comfyui_block_names_are_read_the_same(tmp_path):
    from engine.finish.rife import load_ifnet

    weights = {k.replace("block", "blocks.", 1) if k.startswith("block") else k: v
               for k, v in random_weights().items()}
    save_file(weights, str(tmp_path / "comfy.safetensors"))
    net = load_ifnet(tmp_path / "comfy.safetensors")
    assert torch.equal(net.state_dict()["block2.convblock.3.conv.weight"], random_weights()["block2.convblock.3.conv.weight"])


@pytest.mark.parametrize("change, says", [
    ("missing", "is not a complete RIFE 4.22 network: it lacks 'block3.lastconv.0.bias'; download rife422.safetensors "
                "again, or use the optical-flow interpolator (leave out --model)"),
    ("renamed", "is not a RIFE 4.22 network: it has a tensor 'module.block3.lastconv.1.bias' that RIFE 4.22 does not "
                "have; download rife422.safetensors again, or use the optical-flow interpolator (leave out --model)"),
    ("reshaped", "is not a RIFE 4.22 network: 'module.block0.conv0.0.0.weight' is [128, 7, 3, 3] where RIFE 4.22 has "
                 "[128, 23, 3, 3]; download rife422.safetensors again, or use the optical-flow interpolator "
                 "(leave out --model)"),
])
def test_a_file_that_is_not_rife_4_22_is_refused_in_one_line_naming_it(change, says, offline):
    from engine.finish.interpolate import load_interpolator

    weights = random_weights("module.")
    if change == "missing":
        del weights["module.block3.lastconv.0.bias"]
    elif change == "renamed":
        weights["module.block3.lastconv.1.bias"] = weights.pop("module.block3.lastconv.0.bias")
    else:
        weights["module.block0.conv0.0.0.weight"] = torch.zeros(128, 7, 3, 3)  # RIFE 4.0's first block
    path = model_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(path))
    with pytest.raises(GenerationError) as err:
        load_interpolator("rife-4.22", device="cpu")
    assert str(err.value) == f"{path} {says}"
    assert "\n" not in str(err.value)


def test_a_file_that_is_not_safetensors_inside_is_refused(offline):
    from engine.finish.interpolate import load_interpolator

    path = model_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04 a zip, not safetensors")
    with pytest.raises(GenerationError) as err:
        load_interpolator("rife-4.22", device="cpu")
    assert str(err.value).startswith(f"{path} cannot be read as safetensors (")


def test_without_the_file_the_message_stays_exact_and_the_default_is_flow(offline, shotloom_home):
    from engine.finish.interpolate import FLOW, default_interpolator, load_interpolator

    with pytest.raises(GenerationError) as err:
        load_interpolator("rife-4.22")
    assert str(err.value) == (
        "the interpolator 'rife-4.22' is not downloaded and offline mode is on (HF_HUB_OFFLINE); download "
        "rife422.safetensors (about 23 MB) from https://huggingface.co/Comfy-Org/RIFE_repackaged "
        f"and put it at {shotloom_home / 'data' / 'models' / 'finish' / 'rife-4.22' / 'rife422.safetensors'}")
    assert default_interpolator() == FLOW


# -- the network -----------------------------------------------------------------------------------

def test_any_size_is_padded_and_any_moment_gives_its_own_frame(rife_weights, offline):
    from engine.finish.interpolate import load_interpolator

    interp = load_interpolator("rife-4.22", device="cpu")
    a, b = scene(0, size=(90, 50)), scene(6, size=(90, 50))  # neither side a multiple of 64
    made = {t: interp.between(a, b, t, key=0) for t in (0.25, 0.5, 0.75)}
    for t, frame in made.items():
        assert frame.shape == (50, 90, 3) and frame.dtype == np.uint8
        assert frame.std() > 5, t  # a picture, not a flat field
    assert not np.array_equal(made[0.25], made[0.75])
    # The pair's features are kept: the same moment asked again is the same picture; the next
    # interval reuses its first frame's features and gives what a fresh interpolator gives.
    assert np.array_equal(interp.between(a, b, 0.5, key=0), made[0.5])
    c = scene(12, size=(90, 50))
    assert np.array_equal(interp.between(b, c, 0.5, key=1),
                          load_interpolator("rife-4.22", device="cpu").between(b, c, 0.5, key=1))


def test_tiles_cover_the_frame_and_one_tile_is_the_whole_frame(rife_weights, offline):
    from engine.finish.rife import RifeInterpolator, load_ifnet

    net = load_ifnet(rife_weights)
    a, b = scene(0, size=(200, 136)), scene(5, size=(200, 136))
    whole = RifeInterpolator(net).between(a, b, 0.5)
    one_tile = RifeInterpolator(net, tile_pixels=0, tile=256).between(a, b, 0.5)
    assert np.array_equal(whole, one_tile)
    tiled_interp = RifeInterpolator(net, tile_pixels=0, tile=128)
    assert tiled_interp._windows(136, 200) == [(y, y + 128, x, x + 128) for y in (0, 8) for x in (0, 36, 72)]
    tiled = tiled_interp.between(a, b, 0.5)
    assert tiled.shape == whole.shape
    # Away from the seams the tiles see what the whole frame sees, up to the flow's context.
    assert np.abs(tiled.astype(int) - whole.astype(int)).mean() < 20


def test_a_real_clip_16_to_24_fps_and_slow_motion_keep_the_source_frames(rife_weights, offline, tmp_path):
    from engine.finish.interpolate import load_interpolator, open_source, plan

    native = [scene(3 * k, size=SIZE) for k in range(9)]
    path = write_clip(tmp_path / "take.mp4", native, Fraction(16))
    source = open_source(path, None)
    decoded = list(source.frames())
    interp = load_interpolator("rife-4.22", device="cpu")
    for fps, factor, count, step in ((Fraction(24), None, 14, Fraction(3, 2)), (None, 4, 36, Fraction(4))):
        the_plan = plan(source, fps=fps, factor=factor)
        out = list(retime(source.frames(), source.rate, the_plan.sample_rate, the_plan.count, interpolator=interp))
        assert the_plan.count == len(out) == count
        for j, frame in enumerate(out):
            p = j / step
            if p.denominator == 1 and p < len(decoded):
                assert np.array_equal(frame, decoded[int(p)]), (fps, factor, j)  # the source frame, bit for bit
            elif p < len(decoded) - 1:
                assert not any(np.array_equal(frame, d) for d in decoded), (fps, factor, j)  # a new picture
    assert plan(source, factor=4).write_rate == 16 and plan(source, fps=Fraction(24)).write_rate == 24


# -- the job and the command -----------------------------------------------------------------------

def test_the_job_uses_rife_by_default_when_its_weights_are_here(rife_weights, offline, tmp_path, shotloom_home):
    from test_finish import _params, _Progress

    from engine.finish.jobs import plan_finish_job, run_finish_job
    from engine.jobs.tasks import verify_take

    src = write_clip(tmp_path / "take.mp4", [scene(3 * k) for k in range(9)], Fraction(16))

    class _Take:
        id, active, path, recipe = "t0", True, src, None

    class _Shot:
        id, name, takes = "s" * 32, "waves", [_Take()]

    class _Project:
        fps, path = Fraction(24), tmp_path / "film.shotloom"

    params, _ = plan_finish_job(_Project(), _Shot(), "interpolate", fps=Fraction(24))
    assert params.model == "rife-4.22"
    progress = _Progress()
    out = tmp_path / "job"
    result = run_finish_job(_params(tmp_path, "interpolate", src, fps="24/1", model=params.model), out, progress,
                            CancelToken())
    verify_take(result, out)
    frames, rate = decode(out / "master.mp4")
    assert rate == 24 and len(frames) == result["frames"] == 14
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["model"]["id"] == "rife-4.22" and recipe["model"]["architecture"] == "RIFE 4.22"
    assert recipe["model"]["file"] == "rife422.safetensors" and len(recipe["model"]["sha256"]) == 64
    assert recipe["message"] == "interpolated to 24 fps from 16 fps by rife-4.22: 14 frames"
    assert progress.calls[-1][:2] == (14, 14)


def test_cli_interpolate_with_rife_adds_a_take_at_24_fps(project, rife_weights):  # noqa: F811
    res = shotloom("interpolate", project, "1", "--fps", "48", "--model", "rife-4.22")
    assert res.returncode == 0 and len(res.stdout.strip()) == 32
    assert res.stderr.strip().splitlines()[-1] == "interpolated to 48 fps from 24 fps by rife-4.22: 12 frames"
    info = json.loads(shotloom("info", project, "--json").stdout)
    take = next(t for t in info["shots"][0]["takes"] if t["active"])
    frames, rate = decode(Path(take["path"]))
    assert rate == 48 and len(frames) == 12


def test_cli_refuses_a_broken_rife_file_in_one_line(project):  # noqa: F811
    path = model_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = random_weights("module.")
    del weights["module.encode.cnn0.bias"]
    save_file(weights, str(path))
    refused(shotloom("interpolate", project, "1", "--fps", "48", "--model", "rife-4.22", check=False),
            f"shotloom: {path} is not a complete RIFE 4.22 network: it lacks 'encode.cnn0.bias'; download "
            "rife422.safetensors again, or use the optical-flow interpolator (leave out --model)")


def test_flow_stays_the_interpolator_that_needs_nothing():
    from engine.finish.interpolate import load_interpolator

    assert isinstance(load_interpolator("flow"), FlowInterpolator)
