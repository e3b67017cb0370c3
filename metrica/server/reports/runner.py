"""Send the weekly reports that are due, one email per owner and store."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from metrica.server.auth.mailer import Mailer
from metrica.server.reports import render, service, tokens
from metrica.server.reports.figures import week_figures
from metrica.server.reports.models import ReportSend
from metrica.server.settings import Settings
from metrica.server.stores.models import Store

log = logging.getLogger("metrica.reports")


def unsubscribe_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/reports/unsubscribe?token={token}"


def app_url(settings: Settings, store_id: object) -> str:
    return f"{settings.web_app_url}/stores/{store_id}"


async def run_reports(
    *,
    sessions: async_sessionmaker[AsyncSession],
    mailer: Mailer,
    settings: Settings,
    now: datetime,
) -> int:
    """Send every due report; how many were handed to the mail server. Each is claimed
    (committed) first, so two processes or a crash never send one twice."""
    secret = settings.secret_key.get_secret_value()
    async with sessions() as session:
        due = await service.due(session=session, now=now)
    sent = 0
    for report in due:
        async with sessions() as session:
            try:
                await service.claim(session=session, report=report, now=now)
                await session.commit()
            except IntegrityError:  # another process claimed it first (primary key)
                await session.rollback()
                continue
            store = await session.get(Store, report.store_id)
            if store is None:
                continue
            figures = await week_figures(session=session, store=store, week_start=report.week_start)
        message = render.message(
            figures,
            sender=mailer.sender,
            to=report.email,
            unsubscribe_url=unsubscribe_url(settings, tokens.make(secret, report.user_id)),
            app_url=app_url(settings, report.store_id),
        )
        try:
            delivered = await mailer.send_message(message)
        except Exception as exc:
            log.warning("weekly report email failed: %s", type(exc).__name__)
            delivered = False
        async with sessions() as session:
            row = await session.get(
                ReportSend, (report.user_id, report.store_id, report.week_start)
            )
            if row is not None:
                row.delivered = delivered
                await session.commit()
        sent += int(delivered)
    return sent
