"""One round of alerts over every store, and their delivery.

Episodes are committed before anything is sent: a crash between the two loses a
notification rather than sending it twice (at most once per edge), and the log still
shows the episode, with its delivery unknown (null)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from metrica.domain.alerts import Edge
from metrica.server.alerts import messages, service
from metrica.server.alerts.evaluate import evaluate_store
from metrica.server.alerts.models import AlertEpisode, AlertSettings
from metrica.server.alerts.webhook import Sleep, alert_headers, post_json, public_host
from metrica.server.auth.mailer import Mailer
from metrica.server.db import advisory_lock
from metrica.server.settings import Settings
from metrica.server.stores.models import Store

log = logging.getLogger("metrica.alerts")
ADVISORY_LOCK_KEY = 0x4D45_5452_4141  # "METRAA": one process evaluates at a time


@dataclass(frozen=True, slots=True)
class Outbound:
    """A committed episode change and where it goes."""

    episode_id: uuid.UUID
    edge: Edge
    webhook: bytes
    webhook_url: str | None
    webhook_secret: str
    emails: list[str]
    store_name: str
    timezone: str


async def evaluate_all(
    *, sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> list[Outbound]:
    """Evaluate every store with alert settings; commit the episodes; what to send."""
    outbound: list[Outbound] = []
    async with sessions() as session:
        rows = (
            await session.execute(
                select(AlertSettings, Store).join(Store, Store.id == AlertSettings.store_id)
            )
        ).all()
        for row, store in rows:
            changes = await evaluate_store(
                session=session,
                store=store,
                row=row,
                now=now,
                live_after_s=settings.live_after_s,
                stale_after_s=settings.stale_after_s,
            )
            if not changes:
                continue
            emails = await service.recipients(session=session, store_id=store.id, row=row)
            for change in changes:
                data = messages.payload(change.episode, change.edge, store_name=store.name, at=now)
                outbound.append(
                    Outbound(
                        episode_id=change.episode.id,
                        edge=change.edge,
                        webhook=messages.body_bytes(data),
                        webhook_url=row.webhook_url,
                        webhook_secret=row.webhook_secret,
                        emails=emails,
                        store_name=store.name,
                        timezone=store.timezone,
                    )
                )
        await session.commit()
    return outbound


async def deliver(
    *,
    sessions: async_sessionmaker[AsyncSession],
    mailer: Mailer,
    settings: Settings,
    item: Outbound,
    sleep: Sleep | None = None,
) -> None:
    """Send one notification by webhook and email; record whether each arrived."""
    webhook_ok: bool | None = None
    if item.webhook_url:
        if settings.alerts_webhook_allow_private or await public_host(item.webhook_url):
            extra = {} if sleep is None else {"sleep": sleep}
            failure = await post_json(
                item.webhook_url,
                item.webhook,
                headers=alert_headers(item.webhook_secret, item.webhook, f"alert.{item.edge}"),
                timeout_s=settings.alerts_webhook_timeout_s,
                tries=settings.alerts_webhook_tries,
                backoff_s=settings.alerts_webhook_backoff_s,
                **extra,
            )
            webhook_ok = failure is None
        else:
            log.warning("alert webhook to a private address refused")
            webhook_ok = False
    async with sessions() as session:
        episode = await session.get(AlertEpisode, item.episode_id)
        if episode is None:
            return
        link = f"{settings.web_app_url}/stores/{episode.store_id}/alerts"
        email_ok: bool | None = None
        for to in item.emails:
            message = messages.email(
                episode,
                item.edge,
                store_name=item.store_name,
                timezone=item.timezone,
                sender=mailer.sender,
                to=to,
                link=link,
            )
            try:
                sent = await mailer.send_message(message)
                email_ok = sent if email_ok is None else email_ok and sent
            except Exception as exc:  # an SMTP or network error: recorded, logged by type
                log.warning("alert email failed: %s", type(exc).__name__)
                email_ok = False
        service.record_delivery(episode, item.edge, email_ok=email_ok, webhook_ok=webhook_ok)
        await session.commit()


async def run_alerts(
    *,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    mailer: Mailer,
    settings: Settings,
    now: datetime,
    sleep: Sleep | None = None,
) -> int | None:
    """One round: evaluate, then deliver; how many notifications went out (None when
    another process holds the round)."""
    async with advisory_lock(engine, ADVISORY_LOCK_KEY) as held:
        if not held:
            return None
        outbound = await evaluate_all(sessions=sessions, settings=settings, now=now)
        for item in outbound:
            await deliver(
                sessions=sessions, mailer=mailer, settings=settings, item=item, sleep=sleep
            )
        return len(outbound)
