"""A demo project of synthetic footage, for `shotloom-gui --demo` (and the README's first command)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

NAMES = ("opening", "street", "market", "harbour", "night")


def make_demo_project(folder: Path, *, size: tuple[int, int] = (768, 512), frames: int = 72) -> Path:
    """Create (or reuse) `folder/Demo.shotloom` with five shots and a crossfade; returns its path."""
    from engine.media.synthetic import make_test_clip
    from engine.project import InsertShot, Project, SetTransition

    bundle = folder / "Demo.shotloom"
    if (bundle / "project.otio").exists():
        return bundle
    project = Project.create(bundle, fps=Fraction(24), size=size)
    media = bundle / "media" / "imported"
    media.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(NAMES):
        clip = make_test_clip(media / f"{name}.mp4", frames=frames, rate=Fraction(24), size=size, seed=i, gop=24)
        project.apply(InsertShot(i, name, media_path=clip, kind="imported"))
    project.apply(SetTransition(project.shots()[2].id, "crossfade", min(12, frames // 2)))
    project.save()
    return bundle
