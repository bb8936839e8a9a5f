"""The compositor: turns a plan's frame recipe into pixels. The same code feeds preview and export."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from engine.errors import MediaError
from engine.render.plan import FrameRecipe, RenderPlan

MAX_OPEN_READERS = 16


class Compositor:
    """Composite timeline frames of one plan at the project size.

    `source_for` maps a media path to the file actually decoded (an all-intra proxy for the
    preview; the original for export). Readers stay open between frames so that forward
    playback and export decode each source once, in order.
    """

    def __init__(self, plan: RenderPlan, source_for: Callable[[Path], Path] | None = None) -> None:
        self.plan = plan
        self._source_for = source_for or (lambda p: p)
        self._readers: OrderedDict[Path, object] = OrderedDict()

    def frame(self, t: int) -> np.ndarray:
        """The timeline frame t as (h, w, 3) uint8 RGB at the project size."""
        return self.composite(self.plan.at(t))

    def decoded_frame(self, recipe: FrameRecipe):
        """The recipe's frame as the source's decoded frame (av.VideoFrame) when it is shown as it
        is (one layer, full weight, project size), else None. Export encodes such frames with no
        trip through RGB."""
        if len(recipe.layers) != 1 or recipe.fill_weight != 0 or recipe.layers[0].weight != 1.0:
            return None
        layer = recipe.layers[0]
        reader = self._reader(layer.media_path)
        if tuple(reader.size) != tuple(self.plan.size):
            return None
        return reader.decoded_frame(min(max(layer.source_frame, 0), reader.frame_count - 1))

    def composite(self, recipe: FrameRecipe) -> np.ndarray:
        w, h = self.plan.size
        if len(recipe.layers) == 1 and recipe.fill_weight == 0 and recipe.layers[0].weight == 1.0:
            layer = recipe.layers[0]
            return self._source_frame(layer.media_path, layer.source_frame)
        out = np.empty((h, w, 3), np.uint8)
        out[:] = recipe.fill
        acc_weight = recipe.fill_weight
        for layer in recipe.layers:
            src = self._source_frame(layer.media_path, layer.source_frame)
            total = acc_weight + layer.weight
            if total <= 0:
                continue
            # Running weighted mean: out = out*(acc/total) + src*(w/total), rounded by OpenCV.
            out = cv2.addWeighted(out, acc_weight / total, src, layer.weight / total, 0.0)
            acc_weight = total
        return out

    def _source_frame(self, media: Path, index: int) -> np.ndarray:
        from engine.media import conform_frame

        reader = self._reader(media)
        last = reader.frame_count - 1
        # Stills hold their single frame; rounding at a rate conform may ask one past the end.
        frame = reader.frame(min(max(index, 0), last))
        if (frame.shape[1], frame.shape[0]) != tuple(self.plan.size):
            frame = conform_frame(frame, self.plan.size, self.plan.fit)
        return frame

    def _reader(self, media: Path):
        from engine.media import FrameReader

        reader = self._readers.get(media)
        if reader is not None:
            self._readers.move_to_end(media)
            return reader
        source = self._source_for(media)
        if not Path(source).exists():
            raise MediaError(f"{media}: the media file is missing; relink or re-import it")
        reader = FrameReader(source, rate=self.plan.rate)
        self._readers[media] = reader
        if len(self._readers) > MAX_OPEN_READERS:
            _, old = self._readers.popitem(last=False)
            old.close()
        return reader

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()
        self._readers.clear()

    def __enter__(self) -> Compositor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
