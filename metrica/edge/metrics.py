"""The worker's Prometheus metrics, in their own registry, served on a local port.

Names follow Prometheus conventions and the metric-name contract (docs/health.md); the
only label is `camera` (plus a bounded `reason` on send failures and `stage` on the stage
latencies), never a track id.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from metrica.edge.shipper import ShipperHooks
from metrica.edge.uplink import FAILURE_REASONS, KeyStatus

INFERENCE_BUCKETS_S = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5)
STAGE_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.25, 0.5, 1.0)
STAGES = ("decode", "detect", "track", "count")
LAG_BUCKETS_S = (0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
SEND_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class WorkerMetrics(ShipperHooks):
    """Every metric of one worker process; also the sender's hooks."""

    def __init__(self, camera_id: str) -> None:
        self.registry = r = CollectorRegistry()
        cam = ["camera"]
        self.camera_id = camera_id
        self._frames = Counter(
            "metrica_worker_frames", "Frames run through the pipeline.", cam, registry=r
        ).labels(camera_id)
        self._dropped = Counter(
            "metrica_worker_frames_dropped",
            "Live frames replaced by a newer one before the pipeline took them.",
            cam,
            registry=r,
        ).labels(camera_id)
        self._skipped = Counter(
            "metrica_worker_frames_skipped",
            "Frames the detector skipped because nothing moved near a line (motion gate).",
            cam,
            registry=r,
        ).labels(camera_id)
        self.fps = Gauge(
            "metrica_worker_fps", "Frames per second over the last interval.", cam, registry=r
        ).labels(camera_id)
        self.inference = Histogram(
            "metrica_worker_inference_seconds",
            "Detector latency per frame.",
            cam,
            buckets=INFERENCE_BUCKETS_S,
            registry=r,
        ).labels(camera_id)
        self._counted = Counter(
            "metrica_worker_events_counted", "Crossings counted (written to the outbox).", cam,
            registry=r,
        ).labels(camera_id)  # fmt: skip
        self._sent = Counter(
            "metrica_worker_events_sent", "Events acknowledged by the backend.", cam, registry=r
        ).labels(camera_id)
        self._quarantined = Counter(
            "metrica_worker_events_quarantined",
            "Events the backend refused as malformed (kept in the outbox's quarantine).",
            cam,
            registry=r,
        ).labels(camera_id)
        self._send_failures = Counter(
            "metrica_worker_send_failures",
            "Event batches not delivered, by reason (timeout, connect, http_5xx, auth ...).",
            [*cam, "reason"],
            registry=r,
        )
        for reason in FAILURE_REASONS:  # every series exists from the start, at 0
            self._send_failures.labels(camera_id, reason)
        self._send_latency = Histogram(
            "metrica_worker_send_seconds",
            "Duration of one POST /events.",
            cam,
            buckets=SEND_BUCKETS_S,
            registry=r,
        ).labels(camera_id)
        self.outbox_depth = Gauge(
            "metrica_worker_outbox_depth", "Events waiting in the outbox.", cam, registry=r
        ).labels(camera_id)
        self._outbox_dropped = Counter(
            "metrica_worker_outbox_dropped",
            "Oldest events dropped because the outbox reached its cap.",
            cam,
            registry=r,
        ).labels(camera_id)
        self.stream_up = Gauge(
            "metrica_worker_stream_up", "1 while the video source delivers frames.", cam,
            registry=r,
        ).labels(camera_id)  # fmt: skip
        self.backend_up = Gauge(
            "metrica_worker_backend_up", "1 while the backend accepts events.", cam, registry=r
        ).labels(camera_id)
        self.auth_rejected = Gauge(
            "metrica_worker_auth_rejected",
            "1 while the backend refuses this worker's key (HTTP 401/403 at its latest answer).",
            cam,
            registry=r,
        ).labels(camera_id)
        self.target_fps = Gauge(
            "metrica_worker_target_fps",
            "Frames per second the pipeline should process: the source's rate over the stride.",
            cam,
            registry=r,
        ).labels(camera_id)
        stage_seconds = Histogram(
            "metrica_worker_stage_seconds",
            "Latency per frame of each pipeline stage (decode, detect, track, count).",
            [*cam, "stage"],
            buckets=STAGE_BUCKETS_S,
            registry=r,
        )
        self._stages = {stage: stage_seconds.labels(camera_id, stage) for stage in STAGES}
        self._frame_lag = Histogram(
            "metrica_worker_frame_lag_seconds",
            "From a frame's arrival to its crossings committed to the outbox (a camera "
            "that keeps up stays well under a second).",
            cam,
            buckets=LAG_BUCKETS_S,
            registry=r,
        ).labels(camera_id)
        self._reconnects = _Reconnects(camera_id)
        r.register(self._reconnects)
        self._disk_free = Gauge(
            "metrica_worker_disk_free_bytes", "Free space where the outbox lives.", registry=r
        )
        self._disk_total = Gauge(
            "metrica_worker_disk_total_bytes", "Size of the disk the outbox lives on.", registry=r
        )
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def serve(self, port: int, addr: str = "127.0.0.1") -> int:
        """Start the /metrics endpoint; returns the bound port (0 asks the OS for one)."""
        self._server, self._thread = start_http_server(port, addr=addr, registry=self.registry)
        return int(self._server.server_address[1])

    def watch_key(self, key_status: KeyStatus) -> None:
        """`metrica_worker_auth_rejected` reads the key status at every scrape."""
        self.auth_rejected.set_function(lambda: 1.0 if key_status.refused else 0.0)

    def watch_reconnects(self, reconnects: Callable[[], int]) -> None:
        """`metrica_worker_stream_reconnects_total` reads the live source's count at scrape."""
        self._reconnects.read = reconnects

    def watch_disk(self, directory: Path) -> None:
        """The disk gauges read the outbox folder's disk at every scrape."""
        self._disk_free.set_function(lambda: _disk(directory, "free"))
        self._disk_total.set_function(lambda: _disk(directory, "total"))

    def stages(self, *, decode_s: float, detect_s: float, track_s: float, count_s: float) -> None:
        """One processed frame's time in each stage."""
        for stage, seconds in zip(STAGES, (decode_s, detect_s, track_s, count_s), strict=True):
            self._stages[stage].observe(seconds)

    def frame_lag(self, seconds: float) -> None:
        """One processed frame's delay from its arrival to its events in the outbox."""
        self._frame_lag.observe(max(0.0, seconds))

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def frames(self, n: int = 1) -> None:
        self._frames.inc(n)

    def frames_skipped(self, n: int = 1) -> None:
        self._skipped.inc(n)

    def frames_dropped(self, n: int) -> None:
        if n > 0:
            self._dropped.inc(n)

    def counted(self, n: int) -> None:
        self._counted.inc(n)

    def outbox_dropped(self, n: int) -> None:
        if n > 0:
            self._outbox_dropped.inc(n)

    def sent(self, n: int) -> None:
        self._sent.inc(n)

    def failed(self, reason: str) -> None:
        self._send_failures.labels(self.camera_id, reason).inc()

    def quarantined(self, n: int) -> None:
        self._quarantined.inc(n)

    def latency(self, seconds: float) -> None:
        self._send_latency.observe(seconds)


def _disk(directory: Path, which: str) -> float:
    """Bytes free or in total on `directory`'s disk; NaN when it cannot be read."""
    try:
        usage = shutil.disk_usage(directory)
    except OSError:
        return float("nan")
    return float(usage.free if which == "free" else usage.total)


class _Reconnects(Collector):
    """A counter whose value the live source keeps (it reconnects in its own thread)."""

    def __init__(self, camera_id: str) -> None:
        self.camera_id = camera_id
        self.read: Callable[[], int] = lambda: 0

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "metrica_worker_stream_reconnects",
            "Attempts to open the video stream again after it failed or was lost.",
            labels=["camera"],
        )
        family.add_metric([self.camera_id], float(self.read()))
        yield family
