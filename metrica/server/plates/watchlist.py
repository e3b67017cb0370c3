"""Watched plates: a stored read whose folded text equals a watched plate's raises one
alert per (watch, read), delivered at once by webhook and email, and kept as a row."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import uuid
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from metrica.domain.plate_text import fold_plate
from metrica.server.auth.mailer import Mailer
from metrica.server.plates.models import PlateAlert, PlateReadRow, PlateWatch

log = logging.getLogger("metrica.plates.alerts")
WEBHOOK_TRIES = 3


async def match(*, session: AsyncSession, read: PlateReadRow) -> list[uuid.UUID]:
    """Alerts for `read` (flushed, not committed); ids of the new ones."""
    watches = (
        await session.scalars(select(PlateWatch).where(PlateWatch.store_id == read.store_id))
    ).all()
    new: list[uuid.UUID] = []
    for watch in watches:
        if fold_plate(watch.plate) != read.folded:
            continue
        seen = await session.scalar(
            select(PlateAlert.id).where(
                PlateAlert.watch_id == watch.id, PlateAlert.read_id == read.id
            )
        )
        if seen is not None:
            continue
        alert = PlateAlert(
            store_id=read.store_id,
            watch_id=watch.id,
            read_id=read.id,
            plate=read.normalized,
            occurred_at=read.occurred_at,
        )
        session.add(alert)
        await session.flush()
        new.append(alert.id)
    return new


async def deliver(
    *,
    sessions: async_sessionmaker[AsyncSession],
    alert_id: uuid.UUID,
    mailer: Mailer,
    timeout_s: float,
    allow_private: bool = False,
) -> None:
    """Send the alert where its watch says; record what was delivered."""
    async with sessions() as session:
        alert = await session.get(PlateAlert, alert_id)
        watch = await session.get(PlateWatch, alert.watch_id) if alert else None
        if alert is None or watch is None:
            return
        payload = {
            "type": "plate_watch_matched",
            "alert_id": str(alert.id),
            "store_id": str(alert.store_id),
            "watch_id": str(watch.id),
            "read_id": str(alert.read_id),
            "plate": alert.plate,
            "note": watch.note,
            "occurred_at": alert.occurred_at.isoformat(),
        }
        email, webhook = watch.notify_email, watch.notify_webhook
    email_ok = webhook_ok = None
    if webhook:
        if allow_private or await _public_host(webhook):
            webhook_ok = await _post(webhook, payload, timeout_s)
        else:
            log.warning("plate alert webhook to a private address refused")
            webhook_ok = False
    if email:
        try:
            await mailer.send(
                to=email,
                subject=f"Metrica: watched plate {payload['plate']} seen",
                body=f"The watched plate {payload['plate']} was read at "
                f"{payload['occurred_at']} (note: {payload['note'] or '-'}).",
            )
            email_ok = True
        except Exception:
            log.exception("plate alert email failed")
            email_ok = False
    async with sessions() as session:
        alert = await session.get(PlateAlert, alert_id)
        if alert is not None:
            alert.email_delivered, alert.webhook_delivered = email_ok, webhook_ok
            await session.commit()


async def _public_host(url: str) -> bool:
    """Whether every address the URL's host resolves to is a public one."""
    parts = urlsplit(url)
    if parts.hostname is None:
        return False
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        )
    except OSError:
        return False
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    return bool(addresses) and all(a.is_global for a in addresses)


async def _post(url: str, payload: dict[str, str | None], timeout_s: float) -> bool:
    async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
        for attempt in range(WEBHOOK_TRIES):
            try:
                response = await client.post(url, json=payload)
                if response.status_code < 300:
                    return True
                if response.status_code < 500 and response.status_code != 429:
                    return False
            except httpx.HTTPError as exc:
                log.warning("plate alert webhook try %d failed: %s", attempt + 1, exc)
            await asyncio.sleep(0.5 * 2**attempt)
    return False
