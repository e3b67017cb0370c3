"""Alerts inside the server: a round every `alerts_interval_s` unless `alerts_enabled`
is off."""

from __future__ import annotations

import logging

from metrica.server.alerts.runner import run_alerts
from metrica.server.periodic import PeriodicTasks
from metrica.server.state import AppState

log = logging.getLogger("metrica.alerts")
FIRST_RUN_DELAY_S = 30.0


def schedule_alerts(tasks: PeriodicTasks, state: AppState, *, delay_s: float | None = None) -> None:
    """First round after `delay_s` (default: 30 s, or the interval when shorter)."""
    settings = state.settings
    if not settings.alerts_enabled:
        return

    async def once() -> None:
        sent = await run_alerts(
            engine=state.engine,
            sessions=state.sessions,
            mailer=state.mailer,
            settings=settings,
            now=state.clock(),
        )
        if sent:
            log.info("alerts: %d notifications", sent)

    first = min(FIRST_RUN_DELAY_S, settings.alerts_interval_s) if delay_s is None else delay_s
    tasks.every(settings.alerts_interval_s, once, name="alerts", delay_s=first)
