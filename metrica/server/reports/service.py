"""The only code that writes report preferences and sends; which reports are due."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.alerts import due_report_week
from metrica.server.auth.models import User
from metrica.server.db import utcnow
from metrica.server.reports.models import ReportPreference, ReportSend
from metrica.server.stores.models import Store, StoreOwner


async def weekly_enabled(*, session: AsyncSession, user_id: uuid.UUID) -> bool:
    row = await session.get(ReportPreference, user_id)
    return True if row is None else row.weekly_enabled


async def set_weekly(*, session: AsyncSession, user_id: uuid.UUID, enabled: bool) -> None:
    row = await session.get(ReportPreference, user_id)
    if row is None:
        row = ReportPreference(user_id=user_id)
        session.add(row)
    row.weekly_enabled = enabled
    row.updated_at = utcnow()
    await session.flush()


@dataclass(frozen=True, slots=True)
class DueReport:
    user_id: uuid.UUID
    email: str
    store_id: uuid.UUID
    week_start: date


async def due(*, session: AsyncSession, now: datetime) -> list[DueReport]:
    """Per store, its latest week whose Monday 08:00 (store time) has passed, for every
    owner who wants the report and has not had it; never a week that ended before the
    store existed, never an older week (no backlog after an outage)."""
    rows = (
        await session.execute(
            select(Store, User)
            .join(StoreOwner, StoreOwner.store_id == Store.id)
            .join(User, User.id == StoreOwner.user_id)
            .outerjoin(ReportPreference, ReportPreference.user_id == User.id)
            .where(User.role == "owner")
            .where(ReportPreference.weekly_enabled.is_(None) | ReportPreference.weekly_enabled)
            .order_by(Store.id, User.id)
        )
    ).all()
    found = []
    for store, user in rows:
        tz = ZoneInfo(store.timezone)
        week = due_report_week(now, tz)
        if week + timedelta(days=7) <= store.created_at.astimezone(tz).date():
            continue
        sent = await session.get(ReportSend, (user.id, store.id, week))
        if sent is None:
            found.append(DueReport(user.id, user.email, store.id, week))
    return found


async def claim(*, session: AsyncSession, report: DueReport, now: datetime) -> ReportSend:
    """Mark the report as sent before sending it (committed by the caller): at most once."""
    row = ReportSend(
        user_id=report.user_id, store_id=report.store_id, week_start=report.week_start, sent_at=now
    )
    session.add(row)
    await session.flush()
    return row
