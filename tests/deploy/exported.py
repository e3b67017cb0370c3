"""The metric names Metrica's code exports, read from the real registries (no scrape)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from prometheus_client.metrics_core import Metric as Family

_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
    "info": ("_info",),
}


def series_names(families: Iterable[Family]) -> dict[str, frozenset[str]]:
    """Series name -> its labels, for every family (a labelled family may have no sample yet,
    so the names come from the family's type, not from its samples)."""
    names: dict[str, frozenset[str]] = {}
    for family in families:
        labels = frozenset(
            label for sample in family.samples for label in sample.labels if label != "le"
        )
        for suffix in _SUFFIXES.get(family.type, ("",)):
            names[family.name + suffix] = labels
    return names


def worker_series() -> dict[str, frozenset[str]]:
    """What one edge worker's registry exports."""
    from metrica.edge.metrics import WorkerMetrics

    return series_names(WorkerMetrics("camera-1").registry.collect())


def server_series(directory: Path) -> dict[str, frozenset[str]]:
    """What the backend's `/metrics` answers once its app runs: the process-wide counters
    and the app's scrape-time gauges (pool, cameras, disks), read over the app's HTTP."""
    from fastapi.testclient import TestClient
    from prometheus_client.parser import text_string_to_metric_families

    from metrica.server.app import create_app
    from metrica.server.settings import Settings

    url = f"sqlite+aiosqlite:///{directory / 'metrics.db'}"
    app = create_app(Settings(database_url=url, var_dir=directory), migrate_on_start=True)
    with TestClient(app) as client:
        text = client.get("/metrics").raise_for_status().text
    return {
        name: labels
        for name, labels in series_names(text_string_to_metric_families(text)).items()
        if name.startswith("metrica_")
    }
