"""Audit clips are images of people: deleted `retention_recordings_days` after recording."""

from __future__ import annotations

import logging

from metrica.server.audits.service import purge_expired
from metrica.server.periodic import PeriodicTasks
from metrica.server.state import AppState

log = logging.getLogger("metrica.audits")


def schedule_recording_purge(
    tasks: PeriodicTasks, state: AppState, *, delay_s: float = 60.0
) -> None:
    settings = state.settings

    async def once() -> None:
        removed = await purge_expired(
            sessions=state.sessions,
            blobs=state.blobs,
            now=state.clock(),
            days=settings.retention_recordings_days,
        )
        if removed:
            log.info("audit clips: %d expired clip(s) deleted", removed)

    tasks.every(settings.recordings_retention_interval_s, once, name="recordings", delay_s=delay_s)
