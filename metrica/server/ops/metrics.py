"""Prometheus metrics (bounded labels only: route templates, never ids)."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

import metrica
from metrica.server.cameras.schemas import HealthStatus

HTTP_REQUESTS = Counter(
    "metrica_http_requests_total",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "metrica_http_request_duration_seconds",
    "HTTP request latency by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
EVENTS_INGESTED = Counter("metrica_events_ingested_total", "Events stored (new).")
EVENTS_DUPLICATE = Counter("metrica_events_duplicate_total", "Events already stored, dropped.")
EVENTS_POLICY_DENIED = Counter(
    "metrica_events_policy_denied_total", "Events the privacy policy denied at ingest (not stored)."
)
EVENTS_POLICY_REDACTED = Counter(
    "metrica_events_policy_redacted_total",
    "Events stored with fields dropped or masked by the privacy policy.",
)
PLATE_READS_POLICY_MASKED = Counter(
    "metrica_plate_reads_policy_masked_total",
    "Plate reads shown with fields masked or hidden by the privacy policy.",
)
EVENTS_REJECTED = Counter("metrica_events_rejected_total", "Events in refused batches.", ["reason"])
RETENTION_ROWS_DELETED = Counter(
    "metrica_retention_rows_deleted_total", "Rows removed by retention.", ["table"]
)
BACKUP_LAST_SUCCESS = Gauge(
    "metrica_backup_last_success_timestamp_seconds",
    "Unix time of the newest successful backup create or verify recorded in the database "
    "(0: none).",
)
MQTT_MESSAGES = Counter(
    "metrica_mqtt_messages_total",
    "MQTT messages the consumer finished, by topic kind (events, heartbeat, other) and "
    "outcome (stored, invalid, foreign_camera, unknown_box, malformed, too_large).",
    ["kind", "outcome"],
)
MQTT_RETRIES = Counter(
    "metrica_mqtt_retries_total", "MQTT messages whose storage failed and was retried."
)
MQTT_CONNECTED = Gauge("metrica_mqtt_connected", "1 while the MQTT consumer is connected.")
MQTT_CONFIGS_PUSHED = Counter(
    "metrica_mqtt_configs_pushed_total", "Retained box configs and commands published."
)
MQTT_HANDLE_SECONDS = Histogram(
    "metrica_mqtt_message_seconds",
    "Time to handle one MQTT message (validate, store, commit).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
HTTP_IN_FLIGHT = Gauge("metrica_http_requests_in_flight", "HTTP requests being answered now.")
BUILD_INFO = Gauge("metrica_build_info", "1, labelled with the running version.", ["version"])
BUILD_INFO.labels(metrica.__version__).set(1)

CAMERA_STATES: tuple[HealthStatus, ...] = ("live", "stale", "offline")


class ServerGauges(Collector):
    """What one app reports at scrape time, in its own registry (several apps may live in
    one process, as in the tests): its database pool, its cameras' states (counted by the
    /metrics route at most every `metrics_refresh_s`, a query), and its disks."""

    def __init__(self, engine: AsyncEngine, data_dir: Path) -> None:
        self.engine, self.data_dir = engine, data_dir
        self.blob_root: Path | None = None
        self.camera_counts: dict[HealthStatus, int] | None = None
        self.cameras_counted_at = -math.inf
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def cameras_due(self, *, now: float, every_s: float) -> bool:
        return self.camera_counts is None or now - self.cameras_counted_at >= every_s

    def set_cameras(self, counts: dict[HealthStatus, int], *, now: float) -> None:
        self.camera_counts, self.cameras_counted_at = counts, now

    def collect(self) -> Iterator[Metric]:
        size, in_use, waiting = pool_status(self.engine)
        yield GaugeMetricFamily(
            "metrica_db_pool_size", "Connections the pool may open (size + overflow).", size
        )
        yield GaugeMetricFamily("metrica_db_pool_in_use", "Connections checked out now.", in_use)
        yield GaugeMetricFamily(
            "metrica_db_pool_waiting", "Requests waiting for a free connection.", waiting
        )
        cameras = GaugeMetricFamily(
            "metrica_cameras", "Enabled cameras by health state.", labels=["state"]
        )
        for state in CAMERA_STATES:
            if self.camera_counts is not None:
                cameras.add_metric([state], self.camera_counts[state])
        yield cameras
        free = GaugeMetricFamily("metrica_disk_free_bytes", "Free disk space.", labels=["path"])
        total = GaugeMetricFamily("metrica_disk_total_bytes", "Disk size.", labels=["path"])
        for name, directory in (("data", self.data_dir), ("blobs", self.blob_root)):
            if directory is not None and directory.is_dir():
                usage = shutil.disk_usage(directory)
                free.add_metric([name], usage.free)
                total.add_metric([name], usage.total)
        yield free
        yield total


def pool_status(engine: AsyncEngine) -> tuple[int, int, int]:
    """(connections the pool may open, checked out, callers waiting) of a queue pool; a
    pool without a queue (NullPool, StaticPool) reports what it can (zeros)."""
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):
        return 0, 0, 0
    size = pool.size() + max(pool._max_overflow, 0)
    # SQLAlchemy keeps no count of waiters; its async queue's getters are they.
    getters = getattr(getattr(pool._pool, "_queue", None), "_getters", ())
    waiting = sum(1 for getter in getters if not getter.done())
    return size, pool.checkedout(), waiting
