"""Prometheus metrics (bounded labels only: route templates, never ids)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
EVENTS_REJECTED = Counter("metrica_events_rejected_total", "Events in refused batches.", ["reason"])
RETENTION_ROWS_DELETED = Counter(
    "metrica_retention_rows_deleted_total", "Rows removed by retention.", ["table"]
)
BACKUP_LAST_SUCCESS = Gauge(
    "metrica_backup_last_success_timestamp_seconds",
    "Unix time of the newest successful backup create or verify recorded in the database "
    "(0: none).",
)
