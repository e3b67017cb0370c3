"""The only code that writes alert settings and episodes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.alerts import AlertKind, Edge
from metrica.server.alerts.models import AlertEpisode, AlertSettings, new_webhook_secret
from metrica.server.alerts.schemas import AlertSettingsPublic, AlertSettingsUpdate
from metrica.server.db import utcnow
from metrica.server.stores import service as stores
from metrica.server.stores.models import Store


async def get_settings(*, session: AsyncSession, store_id: uuid.UUID) -> AlertSettings | None:
    return await session.get(AlertSettings, store_id)


async def recipients(
    *, session: AsyncSession, store_id: uuid.UUID, row: AlertSettings | None
) -> list[str]:
    """Who an alert of the store is emailed to: the saved addresses, else its owners."""
    if row is not None and row.emails:
        return list(row.emails)
    return [u.email for u in await stores.owners(session=session, store_id=store_id)]


async def public_settings(*, session: AsyncSession, store: Store) -> AlertSettingsPublic:
    """The store's settings (every alert off when none were saved), with the owners."""
    row = await get_settings(session=session, store_id=store.id)
    owners = [u.email for u in await stores.owners(session=session, store_id=store.id)]
    if row is None:
        return AlertSettingsPublic(
            store_id=store.id,
            capacity_enabled=False,
            capacity_limit=None,
            camera_down_enabled=False,
            low_count_enabled=False,
            emails=[],
            webhook_url=None,
            webhook_secret="",
            owner_emails=owners,
            updated_at=None,
        )
    return AlertSettingsPublic(
        store_id=store.id,
        capacity_enabled=row.capacity_enabled,
        capacity_limit=row.capacity_limit,
        camera_down_enabled=row.camera_down_enabled,
        low_count_enabled=row.low_count_enabled,
        emails=list(row.emails),
        webhook_url=row.webhook_url,
        webhook_secret=row.webhook_secret,
        owner_emails=owners,
        updated_at=row.updated_at,
    )


async def save_settings(
    *, session: AsyncSession, store: Store, data: AlertSettingsUpdate
) -> AlertSettings:
    row = await get_settings(session=session, store_id=store.id)
    if row is None:
        row = AlertSettings(store_id=store.id, webhook_secret=new_webhook_secret())
        session.add(row)
    row.capacity_enabled = data.capacity_enabled
    row.capacity_limit = data.capacity_limit
    row.camera_down_enabled = data.camera_down_enabled
    row.low_count_enabled = data.low_count_enabled
    row.emails = list(data.emails)
    row.webhook_url = str(data.webhook_url) if data.webhook_url else None
    row.updated_at = utcnow()
    await session.flush()
    return row


async def rotate_secret(*, session: AsyncSession, store: Store) -> AlertSettings:
    """A new webhook signing secret (the old one stops verifying at once)."""
    row = await get_settings(session=session, store_id=store.id)
    if row is None:
        row = await save_settings(session=session, store=store, data=AlertSettingsUpdate())
    row.webhook_secret = new_webhook_secret()
    row.updated_at = utcnow()
    await session.flush()
    return row


async def open_episodes(*, session: AsyncSession, store_id: uuid.UUID) -> list[AlertEpisode]:
    query = select(AlertEpisode).where(
        AlertEpisode.store_id == store_id, AlertEpisode.resolved_at.is_(None)
    )
    return list((await session.scalars(query)).all())


async def log(*, session: AsyncSession, store_id: uuid.UUID, limit: int) -> list[AlertEpisode]:
    """The store's episodes, newest first."""
    query = (
        select(AlertEpisode)
        .where(AlertEpisode.store_id == store_id)
        .order_by(AlertEpisode.started_at.desc(), AlertEpisode.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


def open_episode(
    *,
    session: AsyncSession,
    store_id: uuid.UUID,
    kind: AlertKind,
    subject: str,
    message: str,
    value: int,
    threshold: int,
    now: datetime,
) -> AlertEpisode:
    episode = AlertEpisode(
        store_id=store_id,
        kind=kind,
        subject=subject,
        message=message[:500],
        value=value,
        threshold=threshold,
        started_at=now,
    )
    session.add(episode)
    return episode


def close_episode(episode: AlertEpisode, *, value: int, now: datetime) -> None:
    episode.resolved_at = now
    episode.value = value


def record_delivery(
    episode: AlertEpisode, edge: Edge, *, email_ok: bool | None, webhook_ok: bool | None
) -> None:
    if edge == "raised":
        episode.raised_email_ok, episode.raised_webhook_ok = email_ok, webhook_ok
    else:
        episode.resolved_email_ok, episode.resolved_webhook_ok = email_ok, webhook_ok
