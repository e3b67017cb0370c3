"""The serving GC settings: applied once per process, however many apps it starts."""

from __future__ import annotations

import gc

from metrica.server.gc_tuning import SERVING_THRESHOLDS, tune_for_serving


def test_tuning_sets_the_serving_thresholds_once_per_process() -> None:
    before = gc.get_threshold()
    try:
        tune_for_serving()
        assert gc.get_threshold() == SERVING_THRESHOLDS
        gc.set_threshold(700, 10, 10)
        tune_for_serving()  # a second app in the same process: nothing again
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
