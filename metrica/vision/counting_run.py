"""The frame loop shared by `metrica count` and the worker: read → detect → track → count.

It knows nothing about where crossings go: sinks get each `FrameResult` (and the frame,
for annotation). Progress is reported through a callback at most once a second.

A live source knows its frame rate and size only once connected, and a stream that
dropped and came back must not have its tracks matched across the gap. Both commands go
through the same three steps for that: `wait_for_stream`, then a pipeline built with
`tracking_fps`, then `run_counting`, which resets the tracks when a frame comes from a
new connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from metrica.vision.pipeline import CountingPipeline, FrameResult
from metrica.vision.sources import Frame, FrameSource, LiveSource

log = logging.getLogger(__name__)

FrameSink = Callable[[Frame, FrameResult], None]
FALLBACK_FPS = 25.0  # for a stream that reports no frame rate (common with webcams)
WAIT_POLL_S = 1.0


def tracking_fps(source: FrameSource) -> float:
    """The frame rate to track at: the source's own, else `FALLBACK_FPS`."""
    return source.fps if source.fps > 0 else FALLBACK_FPS


def wait_for_stream(source: FrameSource, stop: threading.Event) -> bool:
    """Block until a live source delivered its first frame (True) or `stop` is set
    (False); a file is ready at once. Only then are its fps and size known."""
    if not isinstance(source, LiveSource):
        return True
    log.info("waiting for the camera stream")
    while not source.wait_status(lambda status: status.stream_up, WAIT_POLL_S):
        if stop.is_set():
            return False
    if source.fps <= 0:
        log.warning("stream reports no frame rate: tracking assumes %.0f fps", FALLBACK_FPS)
    return True


class DetectionPacer:
    """Which frames to detect so a stream is processed at most `max_fps` times a second.

    Slots are spaced 1/max_fps apart on the frames' own clock (media time for a file,
    arrival time for a camera) and do not drift: a 25 fps stream capped at 15 gets 15
    detections a second (frames 0, 2, 4, 5, 7, 9, 10 ...), not 12.5. A frame up to a
    quarter period early still takes its slot (timestamps jitter). A stream that fell
    more than a period behind restarts its slots at the frame it has.
    """

    def __init__(self, max_fps: float | None) -> None:
        if max_fps is not None and not max_fps > 0:
            raise ValueError(f"max_fps {max_fps}: must be positive")
        self.period_s = 1.0 / max_fps if max_fps else 0.0
        self._due_s: float | None = None

    def due(self, t_s: float) -> bool:
        """True when the frame at `t_s` should be detected (and takes its slot)."""
        if self._due_s is None or self.period_s == 0.0:
            self._due_s = t_s + self.period_s
            return True
        if t_s < self._due_s - self.period_s / 4:
            return False
        late = t_s - self._due_s >= self.period_s
        self._due_s = (t_s if late else self._due_s) + self.period_s
        return True


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
    max_fps: float | None = None,
    stop: threading.Event | None = None,
    max_frames: int | None = None,
    progress: Callable[[RunStats], None] | None = None,
    progress_interval_s: float = 1.0,
) -> RunStats:
    """Count until the source ends, `stop` is set or `max_frames` were read; returns the
    run's statistics. Then the sinks get one last result (`FrameResult.final`, with the
    last frame) holding the crossings of people last seen past a line, if any.

    With `stride` > 1 only every n-th frame is detected, and with `max_fps` at most that
    many frames a second (`DetectionPacer`); the tracker gets real media times, so its
    motion model stays right. A frame from a new connection of a live
    source starts the tracks afresh (totals kept).
    """
    stats = RunStats(counts=pipeline.totals())
    started = last_report = time.perf_counter()
    connection: int | None = None
    pacer = DetectionPacer(max_fps)
    last: Frame | None = None
    for frame in source.frames():
        if stop is not None and stop.is_set():
            break
        if connection is not None and frame.connection != connection:
            height, width = frame.image.shape[:2]
            pipeline.reset_tracks(tracking_fps(source), (width, height))
            log.info("stream reconnected: tracks reset, totals kept")
        connection = frame.connection
        last = frame
        stats.frames += 1
        stats.media_s = frame.t_s
        if frame.index % stride == 0 and pacer.due(frame.t_s):
            result = pipeline.process(frame.index, frame.t_s, frame.image)
            stats.processed += 1
            for sink in sinks:
                sink(frame, result)
            now = time.perf_counter()
            if progress is not None and now - last_report >= progress_interval_s:
                stats.wall_s, stats.counts = now - started, pipeline.totals()
                progress(stats)
                last_report = now
        if max_frames is not None and stats.frames >= max_frames:
            break
    if last is not None:
        final = pipeline.finish(last.index, last.t_s)
        if final.crossings:
            for sink in sinks:
                sink(last, final)
    stats.wall_s, stats.counts = time.perf_counter() - started, pipeline.totals()
    return stats
