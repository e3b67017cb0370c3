"""Evaluate a store's alert conditions at `now` and turn their changes into episodes.

Reads the same sources as the dashboard (live occupancy, camera health, the hourly
rollup), so an alert never disagrees with what the owner sees."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain import alerts, kpis
from metrica.domain.alerts import AlertKind, Edge
from metrica.server.alerts import service
from metrica.server.alerts.models import AlertEpisode, AlertSettings
from metrica.server.cameras.health import classify
from metrica.server.cameras.models import Camera, CameraHeartbeat
from metrica.server.kpis import occupancy
from metrica.server.kpis.service import footfall_in_between
from metrica.server.stores.models import Store


@dataclass(frozen=True, slots=True)
class Condition:
    kind: AlertKind
    subject: str
    holds: bool
    value: int
    threshold: int
    message: str


@dataclass(frozen=True, slots=True)
class Change:
    """An episode that opened or closed in this evaluation: one notification."""

    episode: AlertEpisode
    edge: Edge


async def capacity(
    *, session: AsyncSession, store: Store, limit: int, now: datetime, open_episode: bool
) -> Condition:
    tz = ZoneInfo(store.timezone)
    people = 0
    for run in await occupancy.today_runs(session=session, store_id=store.id, tz=tz, now=now):
        people = run.apply(people)
    return Condition(
        kind="capacity",
        subject="",
        holds=alerts.over_capacity(people, limit, open_episode=open_episode),
        value=people,
        threshold=limit,
        message=f"{people} people inside, above the limit of {limit}.",
    )


async def cameras_down(
    *, session: AsyncSession, store: Store, now: datetime, stale_after_s: float, live_after_s: float
) -> list[Condition]:
    """One condition per enabled camera: down = offline (silent for `stale_after_s`)."""
    query = (
        select(Camera, CameraHeartbeat.received_at)
        .outerjoin(CameraHeartbeat, CameraHeartbeat.camera_id == Camera.id)
        .where(Camera.store_id == store.id, Camera.status == "active")
        .order_by(Camera.name, Camera.id)
    )
    result = []
    for camera, heartbeat_at in (await session.execute(query)).all():
        state = classify(
            now=now,
            heartbeat_at=heartbeat_at,
            event_at=camera.last_event_at,
            live_after_s=live_after_s,
            stale_after_s=stale_after_s,
        )
        minutes = int(stale_after_s // 60)
        result.append(
            Condition(
                kind="camera_down",
                subject=str(camera.id),
                holds=state == "offline",
                value=0 if state == "offline" else 1,
                threshold=minutes,
                message=f"Camera {camera.name!r} has not been heard from for over "
                f"{minutes} minutes.",
            )
        )
    return result


async def low_count(*, session: AsyncSession, store: Store, now: datetime) -> Condition:
    """Today's IN so far against the median of the same span on the last
    `alerts.USUAL_WEEKS` same weekdays (see `alerts.usual_level`)."""
    tz = ZoneInfo(store.timezone)
    day_start, _ = kpis.local_day_bounds(now.astimezone(tz).date(), tz)
    today = await footfall_in_between(session=session, store=store, start=day_start, end=now)
    samples = [
        await footfall_in_between(
            session=session,
            store=store,
            start=kpis.shift_local(day_start, -7 * k, tz),
            end=kpis.shift_local(now, -7 * k, tz),
        )
        for k in range(1, alerts.USUAL_WEEKS + 1)
    ]
    usual = alerts.usual_level(samples)
    threshold = math.ceil(alerts.LOW_COUNT_RATIO * usual) if usual is not None else 0
    usual_text = f"{usual:g}" if usual is not None else "unknown"
    return Condition(
        kind="low_count",
        subject="",
        holds=alerts.far_below_usual(today, usual),
        value=today,
        threshold=threshold,
        message=f"{today} visitors so far today; usually {usual_text} by this time "
        "(median of the last 4 same weekdays). Is a camera blocked or moved?",
    )


async def conditions(
    *,
    session: AsyncSession,
    store: Store,
    row: AlertSettings,
    now: datetime,
    live_after_s: float,
    stale_after_s: float,
    capacity_open: bool = False,
) -> list[Condition]:
    """The conditions of the alerts the store has turned on."""
    found: list[Condition] = []
    if row.capacity_enabled and row.capacity_limit is not None:
        found.append(
            await capacity(
                session=session,
                store=store,
                limit=row.capacity_limit,
                now=now,
                open_episode=capacity_open,
            )
        )
    if row.camera_down_enabled:
        found += await cameras_down(
            session=session,
            store=store,
            now=now,
            live_after_s=live_after_s,
            stale_after_s=stale_after_s,
        )
    if row.low_count_enabled:
        found.append(await low_count(session=session, store=store, now=now))
    return found


async def evaluate_store(
    *,
    session: AsyncSession,
    store: Store,
    row: AlertSettings,
    now: datetime,
    live_after_s: float,
    stale_after_s: float,
) -> list[Change]:
    """Open and close episodes (flushed, not committed); the changes to notify. An open
    episode whose alert was turned off (or whose camera is gone) closes silently."""
    episodes = await service.open_episodes(session=session, store_id=store.id)
    open_now = {(e.kind, e.subject): e for e in episodes}
    found = await conditions(
        session=session,
        store=store,
        row=row,
        now=now,
        live_after_s=live_after_s,
        stale_after_s=stale_after_s,
        capacity_open=("capacity", "") in open_now,
    )
    changes: list[Change] = []
    for c in found:
        episode = open_now.pop((c.kind, c.subject), None)
        match alerts.edge(open_episode=episode is not None, condition=c.holds):
            case "raised":
                opened = service.open_episode(
                    session=session,
                    store_id=store.id,
                    kind=c.kind,
                    subject=c.subject,
                    message=c.message,
                    value=c.value,
                    threshold=c.threshold,
                    now=now,
                )
                changes.append(Change(opened, "raised"))
            case "resolved":
                assert episode is not None
                service.close_episode(episode, value=c.value, now=now)
                changes.append(Change(episode, "resolved"))
            case None:
                pass
    for episode in open_now.values():
        service.close_episode(episode, value=episode.value, now=now)
    await session.flush()
    return changes
