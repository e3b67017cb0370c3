"""The backup log: the only code that writes `backup_runs`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.backups.models import BackupRun


async def record_run(
    session: AsyncSession, *, kind: str, finished_at: datetime, size: int, ok: bool, detail: str
) -> BackupRun:
    """Add one finished create or verify; the caller commits."""
    run = BackupRun(kind=kind, finished_at=finished_at, bytes=size, ok=ok, detail=detail[:500])
    session.add(run)
    await session.flush()
    return run


async def last_success(session: AsyncSession) -> datetime | None:
    """When the newest successful create or verify finished."""
    at: datetime | None = await session.scalar(
        select(func.max(BackupRun.finished_at)).where(BackupRun.ok.is_(True))
    )
    return at
