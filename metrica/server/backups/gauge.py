"""`metrica_backup_last_success_timestamp_seconds`, refreshed from the backup log.

The CLI records backups in the database, not in the server's memory, so the server reads
the newest successful run: once a minute, whatever the scrape rate."""

from __future__ import annotations

from metrica.server.backups.service import last_success
from metrica.server.ops.metrics import BACKUP_LAST_SUCCESS
from metrica.server.periodic import PeriodicTasks
from metrica.server.state import AppState

REFRESH_S = 60.0


async def refresh_backup_gauge(state: AppState) -> None:
    async with state.sessions() as session:
        at = await last_success(session)
    BACKUP_LAST_SUCCESS.set(at.timestamp() if at else 0.0)


def schedule_backup_gauge(
    tasks: PeriodicTasks, state: AppState, *, interval_s: float = REFRESH_S
) -> None:
    async def once() -> None:
        await refresh_backup_gauge(state)

    tasks.every(interval_s, once, name="backup_gauge")
