"""Proxies: every imported file gets an all-intra scrub copy; the preview reads it frame-exactly."""

from fractions import Fraction

from engine.media import FrameReader
from engine.media.synthetic import decode_index, make_test_clip
from engine.project import Project
from engine.project.edits import InsertShot, SetTransition
from engine.render import Compositor, build_plan
from engine.render.proxies import ensure_proxies, proxy_path, proxy_source


def test_preview_through_proxies_is_frame_exact(tmp_path):
    clips = [make_test_clip(tmp_path / f"long{i}.mp4", frames=40, size=(192, 112), gop=40, bframes=3, seed=i)
             for i in range(2)]
    project = Project.create(tmp_path / "p.shotloom", fps=Fraction(24), size=(192, 112))
    for n, clip in enumerate(clips):
        project.apply(InsertShot(index=n, name=clip.stem, media_path=project.import_media(clip), frames=40))
    project.apply(SetTransition(project.shots()[1].id, "crossfade", 4))
    steps = []
    built = ensure_proxies(project, progress=lambda d, t, m="": steps.append((d, t)))
    assert len(built) == 2 and steps[-1][0] == steps[-1][1]
    assert ensure_proxies(project) == []  # already there: nothing rebuilt
    for clip in clips:
        proxy = proxy_path(project.path, clip)
        assert proxy.is_relative_to(project.path / "cache")
        with FrameReader(proxy) as reader:
            assert reader.frame_count == 40
            assert reader.index.keyframes == list(range(reader.frame_count))  # every frame a keyframe
    plan = build_plan(project)
    with Compositor(plan, source_for=proxy_source(project.path)) as comp:
        order = [70, 3, 39, 12, 0, 45, 20]
        for t in order:
            recipe = plan.at(t)
            if len(recipe.layers) == 1:
                assert decode_index(comp.frame(t)) == recipe.layers[0].source_frame


def test_changed_media_gets_a_new_proxy(tmp_path):
    clip = make_test_clip(tmp_path / "c.mp4", frames=10, size=(96, 64))
    before = proxy_path(tmp_path, clip)
    make_test_clip(clip, frames=12, size=(96, 64))
    assert proxy_path(tmp_path, clip) != before
