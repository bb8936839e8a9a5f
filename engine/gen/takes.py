"""Generation inside a project: pending shots placed on the timeline, takes added when rendered.

A pending shot holds its generation spec in its recipe (``{"shotloom_gen": {...}}``): the request
fields plus, for extensions and bridges, the ids of the shots it reads from (resolved to media and
frame ranges only when it is generated, so trims made meanwhile are respected). An extension sits
next to its source shot (after it for forward, before it for backward), a bridge between its two
shots. Generated takes go to ``media/generated/<take-id>/`` and are added with ``AddTake``.

A shot's take id is stable across attempts (derived from the shot and its resolved request), so
running ``generate`` again after a kill or a failure resumes a long take at its first unfinished
window. Before each generation the generated folder is swept: partial folders of dead writers
(``engine.fsutil``) and the long-take work folders of shots that are gone or whose request changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from fractions import Fraction
from pathlib import Path

from pydantic import ValidationError

from engine.errors import GenerationError
from engine.fsutil import sweep_debris
from engine.gen.catalog import get_model
from engine.gen.families import family_of
from engine.gen.memory import cannot_run_here
from engine.gen.requests import ClipRange, parse_request, request_error
from engine.gen.runner import TakeResult, output_frame_count, run_generation, steps_dir
from engine.progress import CancelToken, ProgressFn

SPEC_KEY = "shotloom_gen"
_TASK_NAMES = {"text": "text_to_video", "image": "image_to_video", "extend": "extend", "bridge": "bridge",
               "long": "long_take"}


def task_name(short: str) -> str:
    return _TASK_NAMES.get(short, short)


def _expected_frames(spec: dict, project_fps: Fraction) -> int:
    """Frames the take will have at the project rate (so the pending shot has the right length)."""
    entry = get_model(spec.get("model", "ltx-video-2b"))
    fps = entry.fps
    if spec.get("frames") is not None:
        n = int(spec["frames"])
    elif spec.get("seconds") is not None:
        n = max(1, round(Fraction(str(spec["seconds"])) * fps))
    else:
        n = entry.defaults.frames
    task = spec["task"]
    rule, family = entry.frame_rule, family_of(entry)
    k = spec.get("context_frames") or family.default_context(entry, task)
    asked = n
    if task in ("text_to_video", "image_to_video"):
        n = rule.snap(n)
    elif task == "extend":
        k = family.context_frames(entry, k, k)
        n = rule.snap(k + n) - k
    elif task == "bridge":
        k = family.bridge_context(entry) or family.context_frames(entry, k, k)
        n = rule.snap(2 * k + n) - 2 * k
    if n < asked:  # the frame rule capped it: refuse rather than make a shorter shot than asked
        what = f"seconds {spec['seconds']:g}" if spec.get("seconds") is not None else f"frames {asked}"
        raise GenerationError(f"{what} is longer than {entry.id} makes in one {task.replace('_', ' ')} shot "
                              f"(at most {float(n / fps):.2f} s); ask for less, or use --task long for a long take")
    return output_frame_count(n, fps, project_fps)


def add_generated_shot(project, **kwargs) -> str:
    """Insert a pending shot for a generation (`generated_shot_edit`'s arguments); returns its id
    (nothing is generated yet)."""
    shot_id, edit = generated_shot_edit(project, **kwargs)
    project.apply(edit)
    return shot_id


def generated_shot_edit(project, *, prompt: str, task: str = "text_to_video", model: str = "ltx-video-2b",
                        seconds: float | None = None, seed: int | None = None, image: Path | None = None,
                        source_shot: str | None = None, direction: str = "forward",
                        between: tuple[str, str] | None = None, steps: int | None = None,
                        guidance: float | None = None, name: str | None = None, extra: dict | None = None):
    """(new shot id, the InsertShot edit) of a pending generated shot, checked now (GenerationError
    naming the bad value): placed after its source for a forward extension, before it for a
    backward one, between its two shots for a bridge, at the end otherwise. The editor applies the
    edit as one undo step; the command line applies and saves it."""
    from engine.project import InsertShot

    task = task_name(task)
    if not isinstance(prompt, str) or not prompt.strip():
        raise GenerationError("the prompt is empty; describe the shot in a few words")
    entry = get_model(model)
    if not entry.supports(task):
        raise GenerationError(f"model '{model}' cannot do {task.replace('_', ' ')}; it does: {entry.task_names}")
    spec: dict = {"task": task, "model": model, "prompt": prompt,
                  "seed": seed if seed is not None else uuid.uuid4().int % (2**31)}
    for key, value in (("seconds", seconds), ("steps", steps), ("guidance", guidance)):
        if value is not None:
            spec[key] = value
    if extra:
        spec.update(extra)
    shots = project.shots()
    index = len(shots)
    if task == "image_to_video":
        if image is None:
            raise GenerationError("image-to-video needs --image FILE")
        image = Path(image).resolve()
        if not image.is_file():
            raise GenerationError(f"{image} does not exist; give an image file")
        spec["image"] = str(image)
    elif task == "extend":
        if not source_shot:
            raise GenerationError("an extension needs --from SHOT (the shot to extend)")
        src = project.shot(source_shot)
        _check_source(src)
        spec["source_shot"] = source_shot
        spec["direction"] = direction
        index = src.index + 1 if direction == "forward" else src.index
    elif task == "bridge":
        if not between or len(between) != 2:
            raise GenerationError("a bridge needs --between SHOT SHOT")
        a, b = project.shot(between[0]), project.shot(between[1])
        if b.index != a.index + 1:
            raise GenerationError(f"shots {a.id} and {b.id} are not next to each other; a bridge goes between "
                                  f"two neighbouring shots")
        for s in (a, b):
            _check_source(s)
        spec["between"] = [a.id, b.id]
        index = b.index
    elif task == "long_take" and seconds is None:
        raise GenerationError("a long take needs --seconds")
    try:  # validate now, not at render time
        parse_request(request_dict(project, spec, check_sources=False))
    except ValidationError as exc:
        raise GenerationError(request_error(exc)) from None
    frames = _expected_frames(spec, project.fps)
    reason = cannot_run_here(entry)
    if reason is not None:
        raise GenerationError(reason)
    if "image" in spec:
        _check_image(Path(spec["image"]))
    shot_id = uuid.uuid4().hex
    return shot_id, InsertShot(index=index, name=name or prompt[:40], media_path=None, frames=frames,
                               recipe={SPEC_KEY: spec}, shot_id=shot_id)


def _check_source(shot) -> None:
    """A shot another is made from: it has media, or it is a pending generated shot (made first:
    `generate` and the queue order shots so that sources come before what reads them)."""
    if shot.media_path is None and not (isinstance(shot.recipe, dict) and SPEC_KEY in shot.recipe):
        raise GenerationError(f"shot {shot.id} has no media and no prompt; import media for it or give it a "
                              f"prompt first")


def loras_edit(project, shot, refs_for):
    """The SetRecipe edit that gives a generated shot the LoRAs ``refs_for(model)`` returns (request
    entries, checked against the shot's model), or None when they are what it has. A shot made
    from footage has no recipe to change (GenerationError)."""
    from engine.jobs.apply import shot_spec
    from engine.project import SetRecipe

    spec = shot_spec(shot)
    if spec is None:
        raise GenerationError(f"shot {shot.id[:8]} ({shot.name}) was not generated; LoRAs apply to generated shots")
    refs = refs_for(spec.get("model", "ltx-video-2b"))
    if (spec.get("loras") or []) == refs:
        return None
    spec = {k: v for k, v in spec.items() if k != "loras"}
    if refs:
        spec["loras"] = refs
    try:
        parse_request(request_dict(project, spec, check_sources=False))
    except ValidationError as exc:
        raise GenerationError(request_error(exc)) from None
    recipe = shot.recipe if isinstance(shot.recipe, dict) else {}
    return SetRecipe(shot.id, {**recipe, SPEC_KEY: spec})


def _check_image(image: Path) -> None:
    """A conditioning image must be one (probed in a child process, like every file a user gives)."""
    from engine.errors import MediaError
    from engine.media import probe_isolated

    try:
        info = probe_isolated(image)
    except MediaError:
        info = None
    if info is None or not info.is_image:
        kind = "a video" if info is not None and info.has_video else "not an image Shotloom can read"
        raise GenerationError(f"{image} is {kind}; give a PNG, JPEG, BMP, TIFF or WebP file as the image "
                              f"(`shotloom frame VIDEO N -o still.png` takes one from a video)")


def _clip_of(project, shot_id: str) -> ClipRange:
    shot = project.shot(shot_id)
    if shot.media_path is None:
        raise GenerationError(f"shot {shot_id} has no media; generate or import it first")
    fps = project.fps
    return ClipRange(path=shot.media_path, start=shot.source_in, frames=shot.frames,
                     rate=f"{fps.numerator}/{fps.denominator}")


def request_dict(project, spec: dict, *, check_sources: bool = True) -> dict:
    """The request (a dict for parse_request) of a shot's spec, resolved against the project now:
    conditioning shots become clip ranges at their current trims; output at the project rate/size."""
    fps = project.fps
    data = {k: v for k, v in spec.items() if k not in ("source_shot", "between")}
    data["output_rate"] = f"{fps.numerator}/{fps.denominator}"
    data["output_size"] = list(project.size)
    if spec.get("loras"):
        from engine.gen.loras import with_library_paths

        data["loras"] = with_library_paths(spec["loras"])
    placeholder = ClipRange(path=Path("."), start=0).model_dump(mode="json")
    if spec["task"] == "extend":
        data["source"] = _clip_of(project, spec["source_shot"]).model_dump(mode="json") if check_sources \
            else placeholder
    elif spec["task"] == "bridge":
        a, b = spec["between"]
        data["before"] = _clip_of(project, a).model_dump(mode="json") if check_sources else placeholder
        data["after"] = _clip_of(project, b).model_dump(mode="json") if check_sources else placeholder
    return data


_request_dict = request_dict  # the name engine.jobs imported first


def pending_shots(project) -> list[str]:
    """The pending generated shots, each after the pending shots it is made from (a backward
    extension sits before its source on the timeline, but is generated after it)."""
    from engine.jobs.apply import sources

    todo = {s.id: s for s in project.shots()
            if s.status == "pending" and isinstance(s.recipe, dict) and SPEC_KEY in s.recipe}
    ordered: list[str] = []
    while todo:
        ready = [i for i, s in todo.items() if not any(src in todo for src in sources(s.recipe[SPEC_KEY]))]
        if not ready:  # a circle cannot be made through the commands; keep timeline order then
            ready = list(todo)
        ordered += ready
        for shot_id in ready:
            del todo[shot_id]
    return ordered


def placement_edit(shot, take_id: str, master, frames: int, take_recipe: dict, made_from=None):
    """One undoable edit placing a finished take on its shot: AddTake (activated), the shot trimmed
    to show the whole take, and the take's recipe as the shot's, so the shot reads "ready" until
    its recipe is edited or a shot it was made from (`made_from`) changes ("stale")."""
    from engine.project import AddTake, Composite, SetRecipe, TrimShot

    diff = frames - (shot.source_in + shot.frames) if frames else 0
    edits = []
    if diff < 0:
        edits.append(TrimShot(shot.id, "out", diff))
    edits.append(AddTake(shot.id, take_id, master, recipe=take_recipe, kind="generated", activate=True,
                         made_from=tuple(made_from) if made_from else None))
    if diff > 0:
        edits.append(TrimShot(shot.id, "out", diff))
    edits.append(SetRecipe(shot.id, take_recipe))
    return Composite(tuple(edits))


def _generated_root(project) -> Path:
    return Path(project.path) / "media" / "generated"


def stable_take_id(project, shot_id: str, request) -> tuple[str, bool]:
    """The take id a shot's request generates into, and whether a complete take of exactly this
    request already sits there unplaced (published by an attempt killed before it saved the
    project). The id is the same on every attempt until a take with it is placed (then the next
    one), so an interrupted long take is found again; it starts with the shot's id, which tells
    whose work folder a leftover is."""
    key = json.dumps({"shot": shot_id, "request": request.model_dump(mode="json")}, sort_keys=True)
    placed = {t.id for s in project.shots() for t in s.takes}
    for n in range(10_000):
        take_id = shot_id[:12] + hashlib.sha256(f"{key}|{n}".encode()).hexdigest()[:20]
        folder = _generated_root(project) / take_id
        if not folder.exists() or not any(folder.iterdir()):
            return take_id, False
        if take_id not in placed and _finished_take(folder, request) is not None:
            return take_id, True
    return uuid.uuid4().hex, False


def _finished_take(folder: Path, request) -> TakeResult | None:
    """The complete take in ``folder`` made from ``request``, or None."""
    from engine.gen.runner import MASTER_NAME, RECIPE_NAME, SCRUB_NAME

    try:
        recipe = json.loads((folder / RECIPE_NAME).read_text(encoding="utf-8"))
        out = recipe["output"]
        if recipe["request"] != request.model_dump(mode="json") or not (folder / MASTER_NAME).is_file():
            return None
        return TakeResult(take_dir=folder, master=folder / MASTER_NAME, scrub=folder / SCRUB_NAME,
                          recipe_path=folder / RECIPE_NAME, recipe=recipe, frames=int(out["frames"]),
                          rate=Fraction(out["rate"]), size=tuple(out["size"]),
                          message=recipe.get("message", "") + "; recovered a take finished before an interruption")
    except (OSError, ValueError, KeyError, TypeError):
        return None


def sweep_generated(project, shot_id: str, keep: str) -> None:
    """Remove what dead or abandoned attempts left in ``media/generated``: partial folders of dead
    writers, and long-take work folders of shots no longer in the project or of this shot's older
    request (``keep`` is its current take id)."""
    root = _generated_root(project)
    if not root.is_dir():
        return
    sweep_debris(root)
    shots = {s.id[:12] for s in project.shots()}
    for work in root.glob(".*.steps"):
        take_id = work.name[1:-len(".steps")]
        if take_id[:12] not in shots or (take_id[:12] == shot_id[:12] and take_id != keep):
            shutil.rmtree(work, ignore_errors=True)


def generate_into_project(project, shot_id: str, *, progress: ProgressFn | None = None,
                          cancel: CancelToken | None = None, preview=None, save: bool = True) -> TakeResult:
    """Generate a take for a shot, place it with AddTake (length fixed to the take), save the project.
    Interrupted or failed, it leaves only what the next attempt resumes from (a long take's windows)."""
    shot = project.shot(shot_id)
    recipe = shot.recipe if isinstance(shot.recipe, dict) else {}
    spec = recipe.get(SPEC_KEY)
    if spec is None:
        # A shot whose active take was generated can be re-rendered from its recipe.
        spec = (recipe.get("request") or {}) if recipe else {}
        if not spec:
            raise GenerationError(f"shot {shot_id} has no generation recipe; add it with `shotloom shot add`")
    request = parse_request(request_dict(project, spec))
    take_id, finished = stable_take_id(project, shot.id, request)
    sweep_generated(project, shot.id, keep=take_id)
    out_dir = project.generated_dir(take_id)
    result = _finished_take(out_dir, request) if finished else None
    if result is None:
        try:
            result = run_generation(request, out_dir, progress, cancel, preview=preview)
        except BaseException:
            shutil.rmtree(out_dir, ignore_errors=True)  # the empty folder generated_dir made
            raise
    from engine.jobs.apply import made_from

    take_recipe = dict(result.recipe or {})
    take_recipe[SPEC_KEY] = spec
    uses = made_from(project, spec, request.model_dump(mode="json"))
    placement = placement_edit(shot, take_id, result.master, result.frames, take_recipe, uses)
    try:
        project.apply(placement)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    shutil.rmtree(steps_dir(out_dir), ignore_errors=True)
    if save:
        project.save()
    return result
