"""Prometheus metrics (bounded labels only: route templates, never ids)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
