"""The `ClipCounter` the server's accuracy audits are handed: a camera's lines counted on a
recorded clip as the camera's worker counts them (its model, input size and stride, from
the `CountingSettings` the server passes; `metrica eval`'s detector defaults otherwise),
with the same pipeline as `metrica eval`, so an audit scores what the camera reports."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from metrica.domain.audits import (
    DEFAULT_COUNTING,
    MAX_CLIP_FRAMES,
    ClipCount,
    CountingSettings,
    every_nth,
)
from metrica.domain.crossing_match import FrameCrossing, frame_crossings
from metrica.domain.geometry import CountingLine
from metrica.vision.detector import DetectorConfig, OnnxDetector
from metrica.vision.models import DEFAULT_MODEL, ModelError, file_name_for, resolve_model
from metrica.vision.pipeline import CountingPipeline, PipelineConfig
from metrica.vision.sources import FileSource

MAX_DETECTORS = 4  # loaded (model, input size) pairs kept; a fleet uses one or two


class OnnxClipCounter:
    """Loads a detector on the first clip that needs it and keeps it for the next ones (a
    server without the model still starts; the audit then fails naming the model).

    `model` and `config` are the defaults for a camera whose settings name none."""

    def __init__(self, model: str | None = None, config: DetectorConfig | None = None) -> None:
        self._model, self._config = model, config or DetectorConfig()
        self._detectors: OrderedDict[tuple[str, int | None], OnnxDetector] = OrderedDict()
        self._lock = threading.Lock()

    def detector_for(self, settings: CountingSettings) -> OnnxDetector:
        """The detector for these settings: loaded once per (model, input size)."""
        model = settings.model or self._model or DEFAULT_MODEL
        size = settings.input_size if settings.input_size is not None else self._config.input_size
        key = (model, size)
        with self._lock:
            detector = self._detectors.get(key)
            if detector is None:
                try:
                    path = resolve_model(model)
                except ModelError:
                    raise ValueError(
                        f"the camera counts with model {model!r}, which this server does not "
                        f"have: put {file_name_for(model)} in its METRICA_MODEL_DIR "
                        "(or run `metrica models pull` for a known model)"
                    ) from None
                config = dataclasses.replace(self._config, input_size=size)
                detector = OnnxDetector(path, config)
                self._detectors[key] = detector
                while len(self._detectors) > MAX_DETECTORS:
                    self._detectors.popitem(last=False)
            self._detectors.move_to_end(key)
            return detector

    def count(
        self,
        path: Path,
        lines: Sequence[CountingLine],
        settings: CountingSettings = DEFAULT_COUNTING,
    ) -> ClipCount:
        """Every `settings.stride`-th frame detected, as the worker's frame loop does (the
        tracker gets real media times, so its motion model stays right)."""
        detector = self.detector_for(settings)
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
                frames = index + 1
                if index % settings.stride:
                    continue
                result = pipeline.process_detections(
                    index, index / fps, detector.detect(frame.image)
                )
                crossings += frame_crossings(result.crossings)
            final = pipeline.finish(frames - 1, (frames - 1) / fps)
            crossings += frame_crossings(final.crossings)
        model = settings.model or self._model or DEFAULT_MODEL
        counted_with = f"{Path(model).name} @ {detector.long_side}, {every_nth(settings.stride)}"
        return ClipCount(
            fps=fps,
            frames=frames,
            width=size[0],
            height=size[1],
            crossings=crossings,
            counted_with=counted_with,
        )
