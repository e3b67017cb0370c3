"""The worker's Prometheus metrics, in their own registry, served on a local port.

Names follow Prometheus conventions; the only label is `camera_id` (plus a bounded
`reason` on send failures), never a track id.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from metrica.edge.shipper import ShipperHooks
from metrica.edge.uplink import FAILURE_REASONS, KeyStatus

INFERENCE_BUCKETS_S = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5)
SEND_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class WorkerMetrics(ShipperHooks):
    """Every metric of one worker process; also the sender's hooks."""

    def __init__(self, camera_id: str) -> None:
        self.registry = r = CollectorRegistry()
        cam = ["camera_id"]
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
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def serve(self, port: int, addr: str = "127.0.0.1") -> int:
        """Start the /metrics endpoint; returns the bound port (0 asks the OS for one)."""
        self._server, self._thread = start_http_server(port, addr=addr, registry=self.registry)
        return int(self._server.server_address[1])

    def watch_key(self, key_status: KeyStatus) -> None:
        """`metrica_worker_auth_rejected` reads the key status at every scrape."""
        self.auth_rejected.set_function(lambda: 1.0 if key_status.refused else 0.0)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def frames(self, n: int = 1) -> None:
        self._frames.inc(n)

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
