"""Alerts inside the server: a round every `alerts_interval_s` unless `alerts_enabled`
is off."""

from __future__ import annotations

import logging

from metrica.server.alerts.runner import run_alerts
from metrica.server.periodic import PeriodicTasks
from metrica.server.state import AppState

log = logging.getLogger("metrica.alerts")
FIRST_RUN_DELAY_S = 30.0


def schedule_alerts(
    tasks: PeriodicTasks, state: AppState, *, delay_s: float = FIRST_RUN_DELAY_S
) -> None:
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

    tasks.every(settings.alerts_interval_s, once, name="alerts", delay_s=delay_s)
