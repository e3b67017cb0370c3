"""The metric-name contract of issue #12: every series the alert rules and dashboards may read.

Transcribed from the team's contract (METRICS.md of issue #12). The exporters (the
server's and the worker's registries) are checked against it in tests/deploy; the rules
in deploy/prometheus and the dashboards in deploy/grafana may name nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["counter", "gauge", "histogram"]
Side = Literal["worker", "server", "external"]


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric as scraped: counters carry their `_total`, histograms their base name."""

    name: str
    kind: Kind
    side: Side
    labels: tuple[str, ...] = ()

    def series_names(self) -> frozenset[str]:
        """The names a PromQL query can select for this metric."""
        if self.kind == "histogram":
            return frozenset(f"{self.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
        return frozenset({self.name})


def _w(name: str, kind: Kind, *labels: str) -> Metric:
    return Metric(name, kind, "worker", ("camera", *labels))


def _s(name: str, kind: Kind, *labels: str) -> Metric:
    return Metric(name, kind, "server", labels)


CONTRACT: tuple[Metric, ...] = (
    _w("metrica_worker_frames_total", "counter"),
    _w("metrica_worker_frames_dropped_total", "counter"),
    _w("metrica_worker_frames_skipped_total", "counter"),
    _w("metrica_worker_fps", "gauge"),
    _w("metrica_worker_target_fps", "gauge"),
    _w("metrica_worker_inference_seconds", "histogram"),
    _w("metrica_worker_stage_seconds", "histogram", "stage"),
    _w("metrica_worker_frame_lag_seconds", "histogram"),
    _w("metrica_worker_stream_up", "gauge"),
    _w("metrica_worker_stream_reconnects_total", "counter"),
    _w("metrica_worker_backend_up", "gauge"),
    _w("metrica_worker_auth_rejected", "gauge"),
    _w("metrica_worker_events_counted_total", "counter"),
    _w("metrica_worker_events_sent_total", "counter"),
    _w("metrica_worker_events_quarantined_total", "counter"),
    _w("metrica_worker_send_failures_total", "counter", "reason"),
    _w("metrica_worker_send_seconds", "histogram"),
    _w("metrica_worker_outbox_depth", "gauge"),
    _w("metrica_worker_outbox_dropped_total", "counter"),
    _w("metrica_worker_disk_free_bytes", "gauge"),
    _w("metrica_worker_disk_total_bytes", "gauge"),
    _s("metrica_http_requests_total", "counter", "method", "route", "status"),
    _s("metrica_http_request_duration_seconds", "histogram", "method", "route"),
    _s("metrica_http_requests_in_flight", "gauge"),
    _s("metrica_events_ingested_total", "counter"),
    _s("metrica_events_duplicate_total", "counter"),
    _s("metrica_events_rejected_total", "counter", "reason"),
    _s("metrica_events_policy_denied_total", "counter"),
    _s("metrica_events_policy_redacted_total", "counter"),
    _s("metrica_plate_reads_policy_masked_total", "counter"),
    _s("metrica_db_pool_size", "gauge"),
    _s("metrica_db_pool_in_use", "gauge"),
    _s("metrica_db_pool_waiting", "gauge"),
    _s("metrica_cameras", "gauge", "state"),
    _s("metrica_disk_free_bytes", "gauge", "path"),
    _s("metrica_disk_total_bytes", "gauge", "path"),
    _s("metrica_jobs_queue_depth", "gauge", "queue"),
    _s("metrica_job_duration_seconds", "histogram", "queue", "outcome"),
    _s("metrica_jobs_failed_total", "counter", "queue"),
    _s("metrica_backup_last_success_timestamp_seconds", "gauge"),
    _s("metrica_retention_rows_deleted_total", "counter", "table"),
    _s("metrica_build_info", "gauge", "version"),
    _s("metrica_mqtt_messages_total", "counter", "kind", "outcome"),
    _s("metrica_mqtt_retries_total", "counter"),
    _s("metrica_mqtt_connected", "gauge"),
    _s("metrica_mqtt_configs_pushed_total", "counter"),
    _s("metrica_mqtt_message_seconds", "histogram"),
    Metric("probe_ssl_earliest_cert_expiry", "gauge", "external", ("instance",)),
    Metric("up", "gauge", "external", ("job", "instance")),
)


def allowed_series() -> frozenset[str]:
    """Every series name a rule or a dashboard may select."""
    return frozenset().union(*(m.series_names() for m in CONTRACT))


def ours() -> tuple[Metric, ...]:
    """The contract's metrics that Metrica's own code must export."""
    return tuple(m for m in CONTRACT if m.side != "external")
