"""Retention inside the server: a periodic run unless `retention_enabled` is off."""

from __future__ import annotations

import logging

from metrica.server.periodic import PeriodicTasks
from metrica.server.retention.service import run_retention
from metrica.server.state import AppState

log = logging.getLogger("metrica.retention")

FIRST_RUN_DELAY_S = 60.0  # let the server settle (and migrations finish) first


def schedule_retention(
    tasks: PeriodicTasks, state: AppState, *, delay_s: float = FIRST_RUN_DELAY_S
) -> None:
    settings = state.settings
    if not settings.retention_enabled:
        return

    async def once() -> None:
        report = await run_retention(state.engine, settings, now=state.clock(), blobs=state.blobs)
        if report is None:
            log.info("retention: another process is running it")
            return
        removed = ", ".join(f"{t.table} {t.rows}" for t in report.tables if t.rows)
        log.info("retention: %d rows removed (%s)", report.total, removed or "nothing was due")

    tasks.every(settings.retention_interval_s, once, name="retention", delay_s=delay_s)
