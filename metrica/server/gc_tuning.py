"""Garbage collector settings for a serving process.

Ingest builds thousands of short-lived objects per request (a model per event), so
CPython's cycle collector runs its young generation every 700 allocations and its old
generation often, each old pass walking every long-lived object (modules, the app, the
SQLAlchemy metadata). Once the app has started: everything alive then is frozen (never
scanned again: it lives as long as the process) and the young generation is collected
every 7,000 allocations. Reference counting still frees almost everything at once; only
cycles wait a little longer. Measured on `POST /events` (500 events a request) with
`bench/ingest.py`: server CPU per 1000 events 18.7 -> 13.1 ms (docs/operations-capacity.md).
"""

from __future__ import annotations

import gc

SERVING_THRESHOLDS = (7_000, 50, 100)
_tuned = False


def tune_for_serving() -> None:
    """Freeze what exists now and collect less often: once per process (a process that
    starts many apps, as the tests do, pays the full collection once)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
