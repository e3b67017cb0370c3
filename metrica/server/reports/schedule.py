"""Weekly reports inside the server: look for due ones every `reports_interval_s`."""

from __future__ import annotations

import logging

from metrica.server.periodic import PeriodicTasks
from metrica.server.reports.runner import run_reports
from metrica.server.state import AppState

log = logging.getLogger("metrica.reports")
FIRST_RUN_DELAY_S = 90.0


def schedule_reports(
    tasks: PeriodicTasks, state: AppState, *, delay_s: float = FIRST_RUN_DELAY_S
) -> None:
    settings = state.settings
    if not settings.reports_enabled:
        return

    async def once() -> None:
        sent = await run_reports(
            sessions=state.sessions, mailer=state.mailer, settings=settings, now=state.clock()
        )
        if sent:
            log.info("weekly reports: %d sent", sent)

    tasks.every(settings.reports_interval_s, once, name="reports", delay_s=delay_s)
