"""All-intra scrub copies (proxies) of a project's media, kept in the bundle's disposable cache/."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.progress import CancelToken, ProgressFn, no_progress

if TYPE_CHECKING:
    from engine.project import Project

PROXY_DIR = "cache/proxies"


def proxy_path(project_path: Path, media: Path) -> Path:
    """Where the proxy of `media` lives; the name changes when the file does (size, mtime)."""
    media = Path(media)
    st = media.stat()
    key = f"{media.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()
    return Path(project_path) / PROXY_DIR / f"{hashlib.sha1(key).hexdigest()[:16]}.mp4"


def project_media(project: Project) -> list[Path]:
    """Every distinct media file the timeline shows (active takes), in timeline order."""
    seen: dict[Path, None] = {}
    for shot in project.shots():
        if shot.media_path is not None and Path(shot.media_path).exists():
            seen.setdefault(Path(shot.media_path), None)
    return list(seen)


def ensure_proxies(project: Project, *, progress: ProgressFn = no_progress,
                   cancel: CancelToken | None = None) -> list[Path]:
    """Build the missing proxies of the project's media (skipping stills and existing ones)."""
    from engine.gen.runner import scrub_copy
    from engine.media import build_proxy, probe

    built = []
    todo = []
    for media in project_media(project):
        target = proxy_path(project.path, media)
        if target.exists() or scrub_copy(media) is not None:  # a take brings its own all-intra copy
            continue
        info = probe(media)
        if info.is_image:
            continue
        todo.append((media, target, info.frame_count))
    total = sum(n for _, _, n in todo) or 1
    done = 0
    if todo:
        from engine.project.project import bundle_folder

        bundle_folder(project.path, PROXY_DIR)  # real folders inside the bundle: never through a link
    for media, target, frames in todo:

        def step(d: int, t: int, message: str = "", base=done, name=media.name) -> None:
            progress(base + d, total, name)

        build_proxy(media, target, height=min(project.size[1], 1080), progress=step, cancel=cancel)
        done += frames
        built.append(target)
    progress(total, total, "proxies ready")
    return built


def proxy_source(project_path: Path) -> Callable[[Path], Path]:
    """A Compositor `source_for` mapping for previews: a generated take's own all-intra scrub copy,
    else the media file's proxy when it exists, else the file itself."""
    from engine.gen.runner import scrub_copy

    def source_for(media: Path) -> Path:
        scrub = scrub_copy(media)
        if scrub is not None:
            return scrub
        try:
            proxy = proxy_path(project_path, media)
        except OSError:
            return media
        return proxy if proxy.exists() else media

    return source_for
