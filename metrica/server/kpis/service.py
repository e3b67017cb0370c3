"""KPI queries: the dashboard reads the hourly rollup; live reads it and the current hour."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain import kpis
from metrica.domain.limits import RAW_EVENTS_MIN_DAYS
from metrica.server.cameras.health import list_with_health
from metrica.server.cameras.models import Camera
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.kpis import occupancy
from metrica.server.kpis.schemas import (
    CameraCounts,
    Comparison,
    DashboardPublic,
    LiveCamera,
    LivePublic,
    OccupancyPoint,
    PeakHour,
    PreviousPeriod,
    SeriesPointPublic,
    StoreOverview,
)
from metrica.server.stores.models import Store


def _local(at: datetime, tz: ZoneInfo) -> datetime:
    return at.astimezone(tz)


async def hourly_buckets(
    *, session: AsyncSession, store: Store, start: datetime, end: datetime
) -> list[kpis.HourBucket]:
    """Rollup hours of the store's counting cameras in [start, end), summed over lines."""
    query = (
        select(
            HourlyCount.bucket_start,
            func.sum(HourlyCount.in_count),
            func.sum(HourlyCount.out_count),
            func.sum(HourlyCount.in_remaining_s),
            func.sum(HourlyCount.out_remaining_s),
        )
        .join(Camera, Camera.id == HourlyCount.camera_id)
        .where(
            HourlyCount.store_id == store.id,
            Camera.is_counting_line.is_(True),
            HourlyCount.bucket_start >= start,
            HourlyCount.bucket_start < end,
        )
        .group_by(HourlyCount.bucket_start)
    )
    return [
        kpis.HourBucket(row[0], int(row[1]), int(row[2]), float(row[3]), float(row[4]))
        for row in (await session.execute(query)).all()
    ]


async def raw_footfall(
    *, session: AsyncSession, store: Store, start: datetime, end: datetime
) -> tuple[int, int]:
    """(IN, OUT) from raw events in [start, end): only for a part of one hour."""
    counting = select(Camera.id).where(
        Camera.store_id == store.id, Camera.is_counting_line.is_(True)
    )
    rows = await session.execute(
        select(EventRow.direction, func.count())
        .where(
            EventRow.store_id == store.id,
            EventRow.type == "line_crossed",
            EventRow.occurred_at >= start,
            EventRow.occurred_at < end,
            EventRow.camera_id.in_(counting.scalar_subquery()),
        )
        .group_by(EventRow.direction)
    )
    counts = {direction: int(n) for direction, n in rows.all()}
    return counts.get("in", 0), counts.get("out", 0)


async def dashboard(
    *, session: AsyncSession, store: Store, period: kpis.Period, day: date, now: datetime
) -> DashboardPublic:
    """The period containing local `day`; if it contains `now`, the previous period is cut
    at the same local time (see `kpis.same_time_in_previous_period`)."""
    tz = ZoneInfo(store.timezone)
    prev_day = kpis.previous_period_day(period, day)
    prev_start, _ = kpis.period_bounds(period, prev_day, tz)
    _, end = kpis.period_bounds(period, day, tz)
    buckets = await hourly_buckets(session=session, store=store, start=prev_start, end=end)
    hours = {k: (v[0], v[1]) if v else None for k, v in store.opening_hours.items()}
    current = kpis.summarise(buckets, period=period, day=day, tz=tz, opening_hours=hours)
    cut = kpis.same_time_in_previous_period(period, day, now, tz)
    prev_end = cut or current.start
    # Whole rollup hours up to the cut, raw events for the cut hour's first part.
    whole_hours_end = kpis.local_hour_start(prev_end, tz) if cut else prev_end
    prev_in, prev_out = kpis.footfall_totals(buckets, prev_start, whole_hours_end)
    if whole_hours_end < prev_end:
        part_in, part_out = await raw_footfall(
            session=session, store=store, start=whole_hours_end, end=prev_end
        )
        prev_in, prev_out = prev_in + part_in, prev_out + part_out
    return DashboardPublic(
        store_id=store.id,
        timezone=store.timezone,
        period=period,
        start=_local(current.start, tz),
        end=_local(current.end, tz),
        footfall_in=current.footfall_in,
        footfall_out=current.footfall_out,
        previous=PreviousPeriod(
            start=_local(prev_start, tz),
            end=_local(prev_end, tz),
            footfall_in=prev_in,
            footfall_out=prev_out,
            same_time=cut is not None,
        ),
        change_pct=kpis.change_pct(current.footfall_in, prev_in),
        series=[
            SeriesPointPublic(
                start=_local(p.start, tz),
                label=p.label,
                footfall_in=p.footfall_in,
                footfall_out=p.footfall_out,
            )
            for p in current.series
        ],
        peak_hour=PeakHour(hour=current.peak_hour[0], footfall_in=current.peak_hour[1])
        if current.peak_hour
        else None,
        heatmap=current.heatmap,
        average_dwell_s=current.average_dwell_s,
        comparisons=await comparisons(
            session=session,
            store=store,
            period=period,
            day=day,
            now=now,
            current_in=current.footfall_in,
        ),
        occupancy=await occupancy_through_the_day(session=session, store=store, day=day, now=now)
        if period == "day"
        else [],
    )


# Offsets (days) of the same weekday a week and a year (52 weeks) back, per period; the
# day before and the week before are `previous` already. Months do not align to weeks.
_COMPARISONS: dict[kpis.Period, tuple[tuple[Literal["last_week", "last_year"], int], ...]] = {
    "day": (("last_week", 7), ("last_year", 364)),
    "week": (("last_year", 364),),
    "month": (),
}
OCCUPANCY_STEP = timedelta(minutes=15)


async def footfall_in_between(
    *, session: AsyncSession, store: Store, start: datetime, end: datetime
) -> int:
    """IN in [start, end): rollup hours, plus raw events for a last part of an hour."""
    tz = ZoneInfo(store.timezone)
    whole_end = max(start, kpis.local_hour_start(end, tz))
    buckets = await hourly_buckets(session=session, store=store, start=start, end=whole_end)
    total = sum(b.footfall_in for b in buckets)
    if whole_end < end:
        total += (await raw_footfall(session=session, store=store, start=whole_end, end=end))[0]
    return total


async def comparisons(
    *,
    session: AsyncSession,
    store: Store,
    period: kpis.Period,
    day: date,
    now: datetime,
    current_in: int,
) -> list[Comparison]:
    """The period against the same weekday(s) a week and a year back, like for like."""
    tz = ZoneInfo(store.timezone)
    start, end = kpis.period_bounds(period, day, tz)
    in_progress = start <= now < end
    cut = now if in_progress else end
    result = []
    for kind, days in _COMPARISONS[period]:
        s, e = kpis.shift_local(start, -days, tz), kpis.shift_local(cut, -days, tz)
        if kind == "last_year":  # cut at the hour: raw events that old may be gone
            e = max(s, kpis.local_hour_start(e, tz))
        footfall = await footfall_in_between(session=session, store=store, start=s, end=e)
        if kind == "last_year" and footfall == 0:
            continue  # no data that far back: say nothing rather than "no visits"
        result.append(
            Comparison(
                kind=kind,
                start=_local(s, tz),
                end=_local(e, tz),
                footfall_in=footfall,
                change_pct=kpis.change_pct(current_in, footfall),
                same_time=in_progress,
            )
        )
    return result


async def occupancy_through_the_day(
    *, session: AsyncSession, store: Store, day: date, now: datetime
) -> list[OccupancyPoint]:
    """People inside every `OCCUPANCY_STEP` of local `day`, up to `now`: empty ahead, and
    for days older than `RAW_EVENTS_MIN_DAYS` (drawn from raw events, which retention may
    remove after that; the hourly views keep the history)."""
    tz = ZoneInfo(store.timezone)
    start, end = kpis.local_day_bounds(day, tz)
    until = min(end, now)
    if until <= start or start < now - timedelta(days=RAW_EVENTS_MIN_DAYS):
        return []
    rows = await session.execute(
        select(EventRow.occurred_at, EventRow.direction)
        .where(
            EventRow.store_id == store.id,
            EventRow.type == "line_crossed",
            EventRow.occurred_at >= start,
            EventRow.occurred_at <= until,
            EventRow.camera_id.in_(_counting_cameras(store).scalar_subquery()),
        )
        .order_by(EventRow.occurred_at)
    )
    events = [(at, direction or "") for at, direction in rows.all()]
    curve = kpis.occupancy_curve(events, start, until, OCCUPANCY_STEP)
    return [OccupancyPoint(at=_local(t, tz), occupancy=n) for t, n in curve]


def _counting_cameras(store: Store) -> Select[uuid.UUID]:
    return select(Camera.id).where(Camera.store_id == store.id, Camera.is_counting_line.is_(True))


async def live(
    *,
    session: AsyncSession,
    store: Store,
    now: datetime,
    live_after_s: float,
    stale_after_s: float,
) -> LivePublic:
    """Occupancy since local midnight from today's events (clamped at 0 as it goes),
    from one summary per complete hour and the current hour's events (`kpis.occupancy`)."""
    tz = ZoneInfo(store.timezone)
    runs = await occupancy.today_runs(session=session, store_id=store.id, tz=tz, now=now)
    occupancy_now = 0
    for run in runs:
        occupancy_now = run.apply(occupancy_now)
    cams = await list_with_health(
        session=session, store_id=store.id, live_after_s=live_after_s, stale_after_s=stale_after_s
    )
    return LivePublic(
        store_id=store.id,
        timezone=store.timezone,
        as_of=now,
        occupancy=occupancy_now,
        in_today=sum(r.footfall_in for r in runs),
        out_today=sum(r.footfall_out for r in runs),
        cameras=[
            LiveCamera(
                id=c.id,
                name=c.name,
                status=c.status,
                last_heartbeat_at=c.last_heartbeat_at,
                last_event_at=c.last_event_at,
                fps=c.fps,
            )
            for c in cams
        ],
    )


SPARKLINE_DAYS = 14


async def store_overview(
    *,
    session: AsyncSession,
    store: Store,
    now: datetime,
    live_after_s: float,
    stale_after_s: float,
) -> StoreOverview:
    """One overview row: today so far against the same weekday last week, like for like."""
    tz = ZoneInfo(store.timezone)
    today = now.astimezone(tz).date()
    now_live = await live(
        session=session,
        store=store,
        now=now,
        live_after_s=live_after_s,
        stale_after_s=stale_after_s,
    )
    day_start, _ = kpis.local_day_bounds(today, tz)
    last_week_in = await footfall_in_between(
        session=session,
        store=store,
        start=kpis.shift_local(day_start, -7, tz),
        end=kpis.shift_local(now, -7, tz),
    )
    first = today - timedelta(days=SPARKLINE_DAYS - 1)
    buckets = await hourly_buckets(
        session=session, store=store, start=kpis.local_midnight(first, tz), end=now
    )
    daily = [0] * SPARKLINE_DAYS
    for b in buckets:
        daily[(b.start.astimezone(tz).date() - first).days] += b.footfall_in
    daily[-1] = now_live.in_today  # the hour in progress is in the rollup too, but be exact
    statuses = [c.status for c in now_live.cameras]
    return StoreOverview(
        id=store.id,
        name=store.name,
        timezone=store.timezone,
        in_today=now_live.in_today,
        occupancy=now_live.occupancy,
        last_week_in=last_week_in,
        change_pct=kpis.change_pct(now_live.in_today, last_week_in),
        daily_in=daily,
        cameras=CameraCounts(
            live=statuses.count("live"),
            stale=statuses.count("stale"),
            offline=statuses.count("offline"),
        ),
    )
