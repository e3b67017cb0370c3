"""Runs the counter (and the supervision baseline) over every truth clip and scores both.

Detection runs once per frame and feeds both systems, so they see identical boxes; the
comparison isolates tracking and counting. Detections can be cached on disk so that
re-runs while tuning the tracker or counter take seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from metrica.evaluation import detection_cache
from metrica.evaluation.baseline import SupervisionBaseline
from metrica.evaluation.scoring import (
    EMPTY_SCORE,
    FrameCrossing,
    Score,
    frame_crossings,
    score_line,
)
from metrica.evaluation.truth import TruthFile
from metrica.vision.counting_run import DetectionPacer
from metrica.vision.detections import Detections
from metrica.vision.detector import DetectorConfig, OnnxDetector
from metrica.vision.pipeline import CountingPipeline, PipelineConfig
from metrica.vision.sources import open_source

OURS = "metrica"
BASELINE = "baseline"
Progress = Callable[[str, int, int], None]


@dataclass
class ClipEvaluation:
    """Per-line scores of each system on one clip."""

    name: str
    lines: dict[str, dict[str, Score]] = field(default_factory=dict)  # system -> line -> score
    predictions: dict[str, list[FrameCrossing]] = field(default_factory=dict)
    frames: int = 0

    def total(self, system: str) -> Score:
        return sum(self.lines[system].values(), EMPTY_SCORE)


def clip_detections(
    truth: TruthFile,
    detector: OnnxDetector,
    *,
    model_path: Path,
    cache_dir: Path | None,
    progress: Progress | None = None,
) -> list[Detections]:
    """All frames' detections of a truth clip, from the cache when it has them."""
    settings = repr(detector.config)
    cached = (
        cache_dir / detection_cache.cache_key(model_path, truth.clip, settings)
        if cache_dir
        else None
    )
    if cached is not None and cached.exists():
        return detection_cache.load(cached)
    per_frame = []
    with open_source(str(truth.clip)) as source:
        for frame in source.frames():
            per_frame.append(detector.detect(frame.image))
            if progress is not None and frame.index % 50 == 0:
                progress(truth.name, frame.index, truth.frames)
    if cached is not None:
        detection_cache.save(cached, per_frame)
    return per_frame


def evaluate_clip(
    truth: TruthFile,
    per_frame: list[Detections],
    frame_size: tuple[int, int],
    config: PipelineConfig,
    *,
    tolerance_s: float = 0.5,
    with_baseline: bool = True,
    max_fps: float | None = None,
    images: Iterator[npt.NDArray[np.uint8]] | None = None,
) -> ClipEvaluation:
    """Track, count and score one clip from its detections; with `max_fps`, only the
    frames a live worker capped at that rate would detect are used (both systems). With
    the clip's `images` (in step with the detections), frames the motion gate finds quiet
    are skipped by Metrica as a live worker skips them (the baseline sees every frame)."""
    ours = CountingPipeline(
        truth.lines, frame_size=frame_size, fps=truth.fps, detector=None, config=config
    )
    baseline = SupervisionBaseline(truth.lines, frame_size=frame_size, fps=truth.fps)
    predicted: dict[str, list[FrameCrossing]] = {OURS: [], BASELINE: []}
    pacer = DetectionPacer(max_fps)
    for index, detections in enumerate(per_frame):
        image = next(images) if images is not None else None
        if not pacer.due(index / truth.fps):
            continue
        if image is None or not ours.quiet(image, index / truth.fps):
            result = ours.process_detections(index, index / truth.fps, detections)
            predicted[OURS] += frame_crossings(result.crossings)
        if with_baseline:
            predicted[BASELINE] += baseline.process_detections(index, detections)
    last = len(per_frame) - 1
    predicted[OURS] += frame_crossings(ours.finish(last, last / truth.fps).crossings)
    tolerance = round(tolerance_s * truth.fps)
    evaluation = ClipEvaluation(truth.name, frames=len(per_frame), predictions=predicted)
    for system in predicted if with_baseline else [OURS]:
        evaluation.lines[system] = {
            line.line_id: score_line(line.line_id, truth.crossings, predicted[system], tolerance)
            for line in truth.lines
        }
    return evaluation


def clip_images(clip: Path) -> Iterator[npt.NDArray[np.uint8]]:
    """The clip's frames, decoded again (the motion gate needs pixels; detections are cached)."""
    with open_source(str(clip)) as source:
        for frame in source.frames():
            yield frame.image


def frame_size_of(clip: Path) -> tuple[int, int]:
    with open_source(str(clip)) as source:
        return source.width, source.height


def evaluate_all(
    truths: list[TruthFile],
    model_path: Path,
    detector_config: DetectorConfig,
    config: PipelineConfig,
    *,
    cache_dir: Path | None = None,
    with_baseline: bool = True,
    max_fps: float | None = None,
    progress: Progress | None = None,
) -> tuple[list[ClipEvaluation], float]:
    """Evaluate every clip; returns the evaluations and the wall time in seconds. Truth
    files on the same clip (other lines) share one detection pass."""
    detector = OnnxDetector(model_path, detector_config)
    started = time.perf_counter()
    results = []
    detected: dict[Path, list[Detections]] = {}
    for truth in truths:
        per_frame = detected.get(truth.clip.resolve())
        if per_frame is None:
            per_frame = clip_detections(
                truth, detector, model_path=model_path, cache_dir=cache_dir, progress=progress
            )
            detected[truth.clip.resolve()] = per_frame
        results.append(
            evaluate_clip(
                truth,
                per_frame,
                frame_size_of(truth.clip),
                config,
                with_baseline=with_baseline,
                max_fps=max_fps,
                images=clip_images(truth.clip) if config.motion_gate is not None else None,
            )
        )
    return results, time.perf_counter() - started
