"""Plate job metrics (names from the metrics contract, docs: METRICS.md)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

QUEUE = "plates"

JOBS_QUEUE_DEPTH = Gauge(
    "metrica_jobs_queue_depth", "Jobs waiting to run (status queued in the database).", ["queue"]
)
JOB_DURATION = Histogram(
    "metrica_job_duration_seconds",
    "Job run time from its last start to its end, by outcome.",
    ["queue", "outcome"],
    buckets=(0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600),
)
JOBS_FAILED = Counter("metrica_jobs_failed_total", "Jobs that ended failed.", ["queue"])
