"""Incremental measurement of a timeline: each shot's frames are measured once and kept.

A shot span's measurements depend only on what it shows: its media's content, the range shown,
the mix at its tail (the next shot's transition and handle frames), the project's rate and size,
and the analysis settings. Their hash names a file in the bundle's ``cache/analysis/`` holding
the span's numbers plus its first and last frame at flow size, so the step across each join is
measured from those two frames without decoding anything. A check after an edit measures only
the spans whose key changed; every join is then scored again from numbers (milliseconds).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.analysis.features import AnalysisConfig, FrameAnalyzer, FrameSeries, _scaled_size, _shrink
from engine.progress import CancelToken, ProgressFn

if TYPE_CHECKING:
    from engine.project import Project
    from engine.render.plan import RenderPlan, Span

CACHE_VERSION = 5  # bump when the measurements change
EDGE = 3  # frames kept at each end of a span: the steps across a join, and the trajectories after it
FOLDER = "analysis"
_HASH_WHOLE = 64 << 20  # files up to this size are hashed whole; larger ones by size, head and tail


@dataclass
class MeasureStats:
    measured: int = 0  # spans measured in this run
    cached: int = 0  # spans read back from the cache


def file_digest(path: Path) -> str:
    """A digest of a media file's content (whole, or size + first and last 4 MiB when large)."""
    h = hashlib.sha256()
    size = path.stat().st_size
    h.update(str(size).encode())
    with open(path, "rb") as fh:
        if size <= _HASH_WHOLE:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        else:
            h.update(fh.read(4 << 20))
            fh.seek(size - (4 << 20))
            h.update(fh.read())
    return h.hexdigest()


def span_key(plan: RenderPlan, index: int, digests: dict[Path, str], config: AnalysisConfig) -> str:
    """The cache key of span ``index``: everything its composited frames depend on."""
    span = plan.spans[index]

    def media(s: Span) -> str | None:
        return digests.get(Path(s.media_path)) if s.media_path is not None else None

    tail = next((m for m in plan.mixes if m.a.shot_id == span.shot_id and m.a.start == span.start), None)
    data = {
        "v": CACHE_VERSION, "rate": str(plan.rate), "size": list(plan.size), "media": media(span),
        "in": span.source_in, "frames": span.frames,
        "mix": None if tail is None else [tail.kind, tail.frames, media(tail.b), tail.b.source_in],
        "config": [config.flow_width, config.stats_width, config.flow_preset, sorted(config.extra.items())],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _edge(frame: np.ndarray, config: AnalysisConfig) -> np.ndarray:
    """A frame at flow size: what the analyzer would measure from it."""
    w, h = frame.shape[1], frame.shape[0]
    size = _scaled_size(w, h, config.flow_width)
    return frame if size == (w, h) else _shrink(frame, size)


def _save(path: Path, series: FrameSeries, first: np.ndarray, last: np.ndarray) -> None:
    from engine.fsutil import write_bytes_atomic

    buf = io.BytesIO()
    np.savez(buf, _first=first, _last=last, **series.arrays())
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, buf.getvalue())


def _load(path: Path) -> tuple[FrameSeries, np.ndarray, np.ndarray] | None:
    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        first, last = arrays.pop("_first"), arrays.pop("_last")
        return FrameSeries(**arrays), first, last
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, damaged or from another version: measure again


def measure_plan(project: Project, plan: RenderPlan, *, config: AnalysisConfig | None = None,
                 progress: ProgressFn | None = None, cancel: CancelToken | None = None,
                 use_cache: bool = True) -> tuple[FrameSeries, MeasureStats]:
    """The measurements of every timeline frame, reusing the cached spans."""
    from engine.render import Compositor

    config = config or AnalysisConfig()
    if cancel is not None:
        cancel.raise_if_canceled()
    folder = project.cache_dir / FOLDER
    digests: dict[Path, str] = {}
    for span in plan.spans:
        if span.media_path is not None and Path(span.media_path) not in digests and Path(span.media_path).is_file():
            digests[Path(span.media_path)] = file_digest(Path(span.media_path))
    keys = [span_key(plan, i, digests, config) for i in range(len(plan.spans))]
    parts: list[tuple[FrameSeries, np.ndarray, np.ndarray] | None] = [
        _load(folder / f"{k}.npz") if use_cache else None for k in keys]
    todo = [i for i, p in enumerate(parts) if p is None]
    stats = MeasureStats(measured=len(todo), cached=len(parts) - len(todo))
    total = sum(plan.spans[i].frames for i in todo)
    done = 0
    if todo:
        with Compositor(plan) as comp:
            for i in todo:
                span = plan.spans[i]
                analyzer = FrameAnalyzer(config)
                first: list[np.ndarray] = []
                last: deque[np.ndarray] = deque(maxlen=EDGE)
                for t in range(span.start, span.end):
                    if cancel is not None:
                        cancel.raise_if_canceled()
                    frame = comp.frame(t)
                    analyzer.push(frame)
                    if len(first) < EDGE:
                        first.append(_edge(frame, config))
                    last.append(frame)
                    done += 1
                    if progress is not None and (done % 24 == 0 or done == total):
                        progress(done, total, f"measuring shot {i + 1} of {len(plan.spans)}")
                part = (analyzer.series(), np.stack(first), np.stack([_edge(f, config) for f in last]))
                parts[i] = part
                if use_cache:
                    try:
                        _save(folder / f"{keys[i]}.npz", *part)
                    except OSError:
                        pass  # a read-only bundle is still analysed; the cache is disposable
    elif progress is not None:
        progress(0, 0, "every shot measured before (cache)")
    series = FrameSeries.concat([p[0] for p in parts])
    # The step across each join, from the last frames of one span and the first of the next; and
    # the trajectories of the first steps after it, which follow the motion from before the join.
    for i in range(1, len(parts)):
        analyzer = FrameAnalyzer(config)
        before, after = parts[i - 1][2], parts[i][1]
        for frame in (*before, *after):
            analyzer.push(frame)
        edge = analyzer.series()
        start = plan.spans[i].start
        for k in range(len(after)):
            series.set_step(start + k, edge, len(before) + k, pair=k == 0)
    return series, stats
