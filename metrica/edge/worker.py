"""The edge worker for one camera: count → outbox → backend, with nothing lost.

Threads: the frame loop (this one: `run_counting` with a sink that commits each frame's
crossings to the outbox), the sender (`Shipper`) and the control loop (heartbeats,
snapshots, line config, status). `run()` returns after the source ended or `stop` was
set, once the outbox was flushed or the flush deadline passed; whatever is left stays on
disk for the next start.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from metrica.domain.backoff import backoff_delay_s
from metrica.domain.mqtt import client_id as mqtt_client_id
from metrica.edge.control import ControlLoop, WorkerState
from metrica.edge.event_ids import EventMaker, file_identity
from metrica.edge.metrics import WorkerMetrics
from metrica.edge.mqtt_link import MqttEventUplink
from metrica.edge.outbox import Outbox
from metrica.edge.recorder import SUFFIX, ClipRecorder, RecorderError
from metrica.edge.settings import WorkerSettings
from metrica.edge.shipper import Shipper
from metrica.edge.uplink import KeyStatus, Uplink
from metrica.vision.counting_run import run_counting, tracking_fps, wait_for_stream
from metrica.vision.detections import Detections
from metrica.vision.detector import Detector
from metrica.vision.pipeline import CountingPipeline, FrameResult
from metrica.vision.privacy import blur_people
from metrica.vision.replay import open_replayed_camera
from metrica.vision.sources import (
    Closing,
    FileSource,
    Frame,
    FrameSource,
    LiveSource,
    is_live_source,
    open_source,
)

log = logging.getLogger(__name__)

LINES_RETRY_S = 5.0  # while the backend has no lines for the camera yet


@dataclass
class WorkerSummary:
    frames: int = 0
    loops: int = 0
    events_counted: int = 0
    events_sent: int = 0
    duplicates: int = 0
    quarantined: int = 0
    outbox_left: int = 0
    outbox_dropped: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    stopped: str = "end"
    key_refused: bool = False  # the backend's latest answer refused the worker key


class TimedDetector:
    """A detector that reports its own latency (the inference histogram); one call at a
    time (the frame loop and the snapshot blur share it)."""

    def __init__(self, inner: Detector, observe: Callable[[float], None]) -> None:
        self._inner, self._observe = inner, observe
        self._lock = threading.Lock()

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        with self._lock:
            started = time.perf_counter()
            try:
                return self._inner.detect(image_bgr)
            finally:
                self._observe(time.perf_counter() - started)


class _Feed(Closing):
    """A source seen through a per-frame hook (pacing, reconnect handling) for run_counting."""

    def __init__(
        self,
        inner: FrameSource,
        before: Callable[[Frame], None],
        record: Callable[[Frame, float], None] | None = None,
    ) -> None:
        self._inner, self._before, self._record = inner, before, record

    @property
    def fps(self) -> float:
        return self._inner.fps

    @property
    def width(self) -> int:
        return self._inner.width

    @property
    def height(self) -> int:
        return self._inner.height

    @property
    def is_live(self) -> bool:
        return self._inner.is_live

    def frames(self) -> Iterator[Frame]:
        for frame in self._inner.frames():
            self._before(frame)
            if self._record is not None:
                self._record(frame, self._inner.fps)
            yield frame

    def close(self) -> None:
        self._inner.close()


class Worker:
    """Wires source, pipeline, outbox, sender and control loop for one camera."""

    def __init__(
        self,
        settings: WorkerSettings,
        detector: Detector,
        *,
        stop: threading.Event,
        hurry: threading.Event | None = None,
    ) -> None:
        self.settings = s = settings
        self.stop = stop
        self.hurry = hurry or threading.Event()
        self.metrics = WorkerMetrics(s.camera_id)
        self.key_status = KeyStatus()
        self.metrics.watch_key(self.key_status)
        self.metrics.watch_disk(s.outbox_path.parent)
        self.detector = TimedDetector(detector, self.metrics.inference.observe)
        self.outbox = Outbox(s.outbox_path, max_events=s.outbox_max_events)
        self.state = WorkerState(local_lines=s.lines)
        self._event_uplink, self._control_uplink = (
            Uplink(
                s.api_url,
                s.camera_id,
                s.key,
                timeout_s=s.http_timeout_s,
                key_status=self.key_status,
            )
            for _ in range(2)  # one per thread: an httpx client is not shared
        )
        self._mqtt_uplink = (
            None
            if s.mqtt is None
            else MqttEventUplink(
                s.mqtt, s.camera_id, client_id=mqtt_client_id(s.mqtt.box_id, s.camera_id)
            )
        )
        self.shipper = Shipper(
            self.outbox,
            self._event_uplink.post_events
            if self._mqtt_uplink is None
            else self._mqtt_uplink.post_events,
            camera_id=s.camera_id,
            policy=s.batch,
            retry=s.retry,
            hooks=self.metrics,
        )
        self.control = ControlLoop(
            self.state,
            self._control_uplink,
            self.outbox,
            self.shipper,
            self.metrics,
            heartbeat_s=s.heartbeat_s,
            snapshot_s=s.snapshot_s,
            config_poll_s=s.config_poll_s,
            status_s=s.status_s,
            redact=self._blurred if s.snapshot_blur else None,
        )
        self.summary = WorkerSummary()
        self._pipeline: CountingPipeline | None = None
        self._maker: EventMaker | None = None
        self._loop, self._loop_offset_s = 0, 0.0
        self.metrics_port: int | None = None
        self._recorder: ClipRecorder | None = None

    def _blurred(self, image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """The snapshot with every person blurred (on the control thread)."""
        blurred, people = blur_people(image, self.detector)
        log.debug("snapshot: %d person(s) blurred", people)
        return blurred

    def run(self) -> WorkerSummary:
        """Count until the source ends or `stop` is set, then flush; see the module doc."""
        s = self.settings
        try:
            if s.metrics_port:
                self.metrics_port = self.metrics.serve(s.metrics_port, s.metrics_addr)
                log.info("metrics on http://%s:%d/metrics", s.metrics_addr, self.metrics_port)
            if s.requeue_quarantined:
                log.info("requeued %d quarantined event(s)", self.outbox.requeue_quarantined())
            if self.outbox.depth:
                log.info("outbox holds %d event(s) from a previous run", self.outbox.depth)
            self.shipper.start()
            self._initial_lines()
            self.control.start()
            if not self.stop.is_set():
                if s.as_camera or is_live_source(s.source):
                    self._run_live()
                else:
                    self._run_file(Path(s.source))
            self.summary.stopped = "signal" if self.stop.is_set() else "end"
            self._finish()
        finally:
            self.control.stop()
            self.shipper.stop()
            self._event_uplink.close()
            if self._mqtt_uplink is not None:
                self._mqtt_uplink.close()
            self._control_uplink.close()
            self.metrics.close()
            self.summary.outbox_left = self.outbox.depth
            self.summary.outbox_dropped = self.outbox.dropped_total
            self.summary.key_refused = self.key_status.refused
            self.outbox.close()
        return self.summary

    def _initial_lines(self) -> None:
        """Lines before the first frame: the backend's, else local; wait if there are none.

        While waiting, each situation is logged once, as it is: no lines drawn yet (asked
        again every few seconds), the key refused or the backend unreachable (asked again
        with backoff)."""
        failures, said = 0, ""
        while not self.stop.is_set():
            answered = self.control.refresh_lines()
            if not answered and not self.state.lines:
                self.state.lines = self.state.local_lines
            if self.state.lines:
                log.info(
                    "counting with lines %s%s",
                    ", ".join(line.line_id for line in self.state.lines),
                    "" if answered else f" (local defaults: {self._why_no_config()})",
                )
                self.state.pending_lines = None
                return
            poll_s = min(LINES_RETRY_S, self.settings.config_poll_s)
            if answered:
                failures, wait_s = 0, poll_s
                situation = (
                    "no counting lines yet: draw them in the admin app or pass --line "
                    f"(asking again every {poll_s:g} s)"
                )
            else:
                cap_s = max(poll_s, self.settings.config_poll_s)
                wait_s = backoff_delay_s(failures, u=random.random(), base_s=1.0, cap_s=cap_s)
                failures += 1
                situation = (
                    f"no counting lines: {self._why_no_config()}, and no --line to count "
                    f"with; asking again with backoff (pauses growing to {cap_s:g} s)"
                )
            if situation != said:
                log.warning("%s", situation)
                said = situation
            self.stop.wait(wait_s)

    def _why_no_config(self) -> str:
        if self.key_status.refused:
            return f"the backend refused the worker key ({self.key_status.detail})"
        return "backend not reachable yet"

    def _finish(self) -> None:
        """Flush within the deadline (a second signal cuts it short); report what is left."""
        deadline_s = self.settings.flush_deadline_s
        end_s = time.monotonic() + deadline_s
        flushed = self.outbox.depth == 0
        while not flushed and not self.hurry.is_set():
            remaining_s = end_s - time.monotonic()
            if remaining_s <= 0:
                break
            flushed = self.shipper.flush(min(remaining_s, 0.5))
        stats = self.shipper.stats
        self.summary.events_sent = stats.sent
        self.summary.duplicates = stats.duplicates
        self.summary.quarantined = stats.quarantined
        if self.outbox.depth:
            log.warning(
                "%d event(s) left in the outbox %s: they are sent at the next start",
                self.outbox.depth,
                self.outbox.path,
            )
        else:
            log.info("outbox flushed: every counted event is on the backend")

    def _new_pipeline(self, source: FrameSource) -> CountingPipeline:
        pipeline = CountingPipeline(
            self.state.lines,
            frame_size=(source.width, source.height),
            fps=tracking_fps(source),
            detector=self.detector,
            config=self.settings.pipeline,
        )
        self.state.pending_lines = None
        target_fps = tracking_fps(source) / self.settings.stride
        if self.settings.detect_fps is not None:
            target_fps = min(target_fps, self.settings.detect_fps)
        self.metrics.target_fps.set(target_fps)
        return pipeline

    def _run_file(self, path: Path) -> None:
        s = self.settings
        source_key = file_identity(path)
        loops_key = f"loops_done:{source_key}"
        self._loop = int(self.outbox.get_meta(loops_key) or 0) if s.loop else 0
        self._maker = EventMaker(s.camera_id, source_key=source_key, started_at=datetime.now(UTC))
        self.state.stream_up = lambda: not self.stop.is_set()
        first_loop = self._loop
        while not self.stop.is_set():
            with FileSource(path) as source:
                self._pipeline = self._new_pipeline(source)
                pace = self._pacer(source) if s.realtime else (lambda frame: None)
                stats = run_counting(
                    _Feed(source, pace, self._record),
                    self._pipeline,
                    sinks=[self._sink],
                    stride=s.stride,
                    max_fps=s.detect_fps,
                    stop=self.stop,
                )
            if self.stop.is_set():
                break
            self.summary.loops += 1
            if not s.loop:
                break
            self.outbox.set_meta(loops_key, str(self._loop + 1))
            self._loop += 1
            self._loop_offset_s += stats.media_s + 1.0 / source.fps
            if self._loop == first_loop + 1:
                log.info("clip done (%d frames); looping", stats.frames)

    def _pacer(self, source: FrameSource) -> Callable[[Frame], None]:
        """Hold each frame until its media time has passed on the wall clock (--realtime)."""
        started_s = time.monotonic()

        def pace(frame: Frame) -> None:
            ahead_s = started_s + frame.t_s - time.monotonic()
            if ahead_s > 0:
                self.stop.wait(ahead_s)

        return pace

    def _run_live(self) -> None:
        s = self.settings
        source = (
            open_replayed_camera(Path(s.source), stop=self.stop)
            if s.as_camera
            else open_source(s.source, stop=self.stop)
        )
        assert isinstance(source, LiveSource)
        self.state.stream_up = lambda: source.stream_up
        self.state.frames_dropped = lambda: source.frames_dropped
        self.metrics.watch_reconnects(lambda: source.reconnects)
        self._maker = EventMaker(s.camera_id, source_key=None, started_at=datetime.now(UTC))
        with source:
            if not wait_for_stream(source, self.stop):
                return
            self._pipeline = pipeline = self._new_pipeline(source)
            seen_dropped = [source.frames_dropped]

            def on_frame(frame: Frame) -> None:
                dropped = source.frames_dropped
                self.metrics.frames_dropped(dropped - seen_dropped[0])
                seen_dropped[0] = dropped

            run_counting(
                _Feed(source, on_frame, self._record),
                pipeline,
                sinks=[self._sink],
                stride=s.stride,
                max_fps=s.detect_fps,
                stop=self.stop,
            )

    def _record(self, frame: Frame, fps: float) -> None:
        """Feed an audit recording the control thread asked for (every decoded frame)."""
        state = self.state
        if state.recording_request is None or state.finished_clip is not None:
            return
        recording_id, seconds = state.recording_request
        if self._recorder is None:
            folder = self.settings.outbox_path.parent / "recordings"
            folder.mkdir(parents=True, exist_ok=True)
            height, width = frame.image.shape[:2]
            rate = fps if fps > 0 else 25.0
            try:
                self._recorder = ClipRecorder(
                    folder / f"{recording_id}{SUFFIX}", rate, (width, height), round(seconds * rate)
                )
            except RecorderError as exc:
                log.warning("audit recording not possible: %s", exc)
                state.recording_request = None
                return
        recorder = self._recorder
        try:
            if not recorder.add(frame.image):
                return
            recorder.close()
        except RecorderError as exc:  # a full disk: give the request up, keep counting
            log.warning("audit recording failed: %s", exc)
            state.recording_request, self._recorder = None, None
            recorder.abort()
            return
        state.finished_clip = (recording_id, recorder.path)
        state.recording_request = None
        log.info("audit clip recorded: %d frames", recorder.frames)
        self._recorder = None

    def _sink(self, frame: Frame, result: FrameResult) -> None:
        """Per processed frame: apply new lines, commit crossings, nudge the sender."""
        if result.final:  # counting ended: only the crossings it settled
            self._commit(frame, result)
            return
        state, pipeline = self.state, self._pipeline
        assert pipeline is not None
        state.latest_image = frame.image
        state.frames += 1
        self.summary.frames += 1
        self.metrics.frames()
        times = result.times
        if result.detected:
            self.metrics.stages(
                decode_s=frame.decode_s,
                detect_s=times.detect_s,
                track_s=times.track_s,
                count_s=times.count_s,
            )
        else:
            self.metrics.frames_skipped()
        pending = state.pending_lines
        if pending is not None:
            height, width = frame.image.shape[:2]
            pipeline.set_lines(pending, (width, height))
            state.pending_lines = None
            log.info("lines applied: %s", ", ".join(ln.line_id for ln in pending) or "none")
        self._commit(frame, result)
        self.shipper.note_frames(1)
        self.metrics.frame_lag((datetime.now(UTC) - frame.captured_at).total_seconds())

    def _commit(self, frame: Frame, result: FrameResult) -> None:
        """Append the result's crossings to the outbox as events and wake the sender."""
        assert self._maker is not None
        state = self.state
        if result.crossings:
            events = self._maker.make(
                result.crossings,
                captured_at=frame.captured_at,
                loop=self._loop,
                loop_offset_s=self._loop_offset_s,
            )
            appended = self.outbox.append([(str(e.event_id), e.model_dump_json()) for e in events])
            self.metrics.counted(len(events))
            self.metrics.outbox_dropped(appended.dropped)
            state.counted += len(events)
            self.summary.events_counted += len(events)
            for e in events:
                per_line = self.summary.counts.setdefault(e.line_id, {"in": 0, "out": 0})
                per_line[e.direction] += 1
            self.shipper.wake()
