"""The `ClipCounter` the server's accuracy audits are handed: a camera's lines counted on a
recorded clip exactly as `metrica eval` counts a truth clip (same detector defaults, same
pipeline, every frame), so an audit and `metrica eval` give the same figures."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from metrica.domain.audits import MAX_CLIP_FRAMES, ClipCount
from metrica.domain.crossing_match import FrameCrossing
from metrica.domain.geometry import CountingLine
from metrica.vision.detector import DetectorConfig, OnnxDetector
from metrica.vision.models import resolve_model
from metrica.vision.pipeline import CountingPipeline, PipelineConfig
from metrica.vision.sources import FileSource


class OnnxClipCounter:
    """Loads the model on the first clip (a server without one still starts; the audit
    then fails naming the missing file)."""

    def __init__(self, model: str | None = None, config: DetectorConfig | None = None) -> None:
        self._model, self._config = model, config or DetectorConfig()
        self._detector: OnnxDetector | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> OnnxDetector:
        with self._lock:
            if self._detector is None:
                self._detector = OnnxDetector(resolve_model(self._model), self._config)
            return self._detector

    def count(self, path: Path, lines: Sequence[CountingLine]) -> ClipCount:
        detector = self._loaded()
        crossings: list[FrameCrossing] = []
        with FileSource(path) as source:
            fps, size = source.fps, (source.width, source.height)
            pipeline = CountingPipeline(
                list(lines), frame_size=size, fps=fps, detector=None, config=PipelineConfig()
            )
            frames = 0
            for index, frame in enumerate(source.frames()):
                if index >= MAX_CLIP_FRAMES:
                    break
                result = pipeline.process_detections(
                    index, index / fps, detector.detect(frame.image)
                )
                crossings += [
                    FrameCrossing(c.line_id, c.direction, c.frame) for c in result.crossings
                ]
                frames = index + 1
        return ClipCount(fps=fps, frames=frames, width=size[0], height=size[1], crossings=crossings)
