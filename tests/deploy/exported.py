"""The metric names Metrica's code exports, read from the real registries (no scrape)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY
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
    """What the backend exports once its app is built (the process-wide registry)."""
    from metrica.server.app import create_app
    from metrica.server.settings import Settings

    create_app(Settings(database_url=f"sqlite+aiosqlite:///{directory / 'metrics.db'}"))
    return {
        name: labels
        for name, labels in series_names(REGISTRY.collect()).items()
        if name.startswith("metrica_")
    }
