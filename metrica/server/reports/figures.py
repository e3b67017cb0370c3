"""A store's week in figures: per day and per hour, from the same rollup and the same
`kpis.summarise` the dashboard uses (so the report and the app never disagree)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain import kpis
from metrica.server.kpis.service import hourly_buckets
from metrica.server.stores.models import Store


@dataclass(frozen=True, slots=True)
class Row:
    day: date
    hour: str  # "HH:00" store time; "" for a whole day
    footfall_in: int
    footfall_out: int


@dataclass(frozen=True, slots=True)
class WeekFigures:
    store_name: str
    timezone: str
    week_start: date  # a Monday
    days: list[Row]
    hours: list[Row]
    footfall_in: int
    footfall_out: int
    previous_in: int  # the week before, for the change
    peak_hour: tuple[int, int] | None
    average_dwell_s: float | None

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def change_pct(self) -> float | None:
        return kpis.change_pct(self.footfall_in, self.previous_in)


async def week_figures(*, session: AsyncSession, store: Store, week_start: date) -> WeekFigures:
    tz = ZoneInfo(store.timezone)
    prev_start, _ = kpis.period_bounds("week", week_start - timedelta(days=7), tz)
    start, end = kpis.period_bounds("week", week_start, tz)
    buckets = await hourly_buckets(session=session, store=store, start=prev_start, end=end)
    hours_open = {k: (v[0], v[1]) if v else None for k, v in store.opening_hours.items()}
    week = kpis.summarise(buckets, period="week", day=week_start, tz=tz, opening_hours=hours_open)
    days = [Row(_local_date(p.start, tz), "", p.footfall_in, p.footfall_out) for p in week.series]
    hours: list[Row] = []
    for d in range(7):
        day = week_start + timedelta(days=d)
        summary = kpis.summarise(buckets, period="day", day=day, tz=tz, opening_hours=hours_open)
        hours += [Row(day, p.label, p.footfall_in, p.footfall_out) for p in summary.series]
    previous_in, _ = kpis.footfall_totals(buckets, prev_start, start)
    return WeekFigures(
        store_name=store.name,
        timezone=store.timezone,
        week_start=week_start,
        days=days,
        hours=hours,
        footfall_in=week.footfall_in,
        footfall_out=week.footfall_out,
        previous_in=previous_in,
        peak_hour=week.peak_hour,
        average_dwell_s=week.average_dwell_s,
    )


def _local_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def to_csv(figures: WeekFigures) -> str:
    """Daily rows (hour empty) then hourly rows, store time; numbers only, so no cell can
    be read as a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["date", "hour", "footfall_in", "footfall_out"])
    for row in [*figures.days, *figures.hours]:
        writer.writerow([row.day.isoformat(), row.hour, row.footfall_in, row.footfall_out])
    return out.getvalue()
