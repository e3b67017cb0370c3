"""The frame loop shared by `metrica count` and the worker: read → detect → track → count.

It knows nothing about where crossings go: sinks get each `FrameResult` (and the frame,
for annotation). Progress is reported through a callback at most once a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from metrica.vision.pipeline import CountingPipeline, FrameResult
from metrica.vision.sources import Frame, FrameSource

FrameSink = Callable[[Frame, FrameResult], None]


@dataclass
class RunStats:
    """What a run did, for progress lines and the summary."""

    frames: int = 0
    processed: int = 0
    media_s: float = 0.0
    wall_s: float = 0.0
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        """Frames read per wall-clock second (the whole pipeline's throughput)."""
        return self.frames / self.wall_s if self.wall_s > 0 else 0.0


def run_counting(
    source: FrameSource,
    pipeline: CountingPipeline,
    *,
    sinks: Sequence[FrameSink] = (),
    stride: int = 1,
    stop: threading.Event | None = None,
    progress: Callable[[RunStats], None] | None = None,
    progress_interval_s: float = 1.0,
) -> RunStats:
    """Count until the source ends or `stop` is set; returns the run's statistics.

    With `stride` > 1 only every n-th frame is detected; the tracker gets real media
    times, so its motion model stays right.
    """
    stats = RunStats(counts=pipeline.totals())
    started = last_report = time.perf_counter()
    for frame in source.frames():
        if stop is not None and stop.is_set():
            break
        stats.frames += 1
        stats.media_s = frame.t_s
        if frame.index % stride:
            continue
        result = pipeline.process(frame.index, frame.t_s, frame.image)
        stats.processed += 1
        for sink in sinks:
            sink(frame, result)
        now = time.perf_counter()
        if progress is not None and now - last_report >= progress_interval_s:
            stats.wall_s, stats.counts = now - started, pipeline.totals()
            progress(stats)
            last_report = now
    stats.wall_s, stats.counts = time.perf_counter() - started, pipeline.totals()
    return stats
