"""KPI maths for people counting: pure functions over hourly counts, no I/O.

Every day, week, month and hour a user sees is in the store's IANA timezone, so days
last 23, 24 or 25 hours and hours may start at :30 UTC (Asia/Kolkata). The hourly
rollup is therefore bucketed by *store-local hour start*, stored as a UTC instant; for
whole-hour zones that is simply the UTC hour start. Definitions live in docs/kpis.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Period = Literal["day", "week", "month"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOUR_S = 3600.0
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

# Local (open, close) per weekday key; None = closed. close may be "24:00" (end of day).
OpeningHours = Mapping[str, tuple[str, str] | None]


@dataclass(frozen=True, slots=True)
class HourBucket:
    """Counts of one store-local hour (summed over counting lines).

    `in_remaining_s` is the sum over IN events of the seconds from the event to the end
    of the bucket (likewise `out_remaining_s`); with them the occupancy integral of the
    hour is exact without reading raw events.
    """

    start: datetime
    footfall_in: int = 0
    footfall_out: int = 0
    in_remaining_s: float = 0.0
    out_remaining_s: float = 0.0


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    start: datetime
    label: str
    footfall_in: int
    footfall_out: int


@dataclass(frozen=True, slots=True)
class PeriodSummary:
    start: datetime
    end: datetime
    footfall_in: int
    footfall_out: int
    series: list[SeriesPoint]
    peak_hour: tuple[int, int] | None
    heatmap: list[list[int]]
    average_dwell_s: float | None


def validate_opening_hours(raw: Mapping[str, Sequence[str] | None]) -> dict[str, list[str] | None]:
    """Check `{"mon": ["09:00", "18:00"] | None, ...}`; raises ValueError naming the day."""
    unknown = set(raw) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday key(s): {', '.join(sorted(unknown))}")
    result: dict[str, list[str] | None] = {}
    for day in WEEKDAYS:
        value = raw.get(day)
        if value is None:
            result[day] = None
            continue
        if len(value) != 2 or not all(_HHMM.match(v) for v in value):
            raise ValueError(f'{day}: expected ["HH:MM", "HH:MM"] or null')
        if value[0] == "24:00" or value[0] >= value[1]:
            raise ValueError(f"{day}: opening time must be before closing time")
        result[day] = [value[0], value[1]]
    return result


def local_hour_start(at: datetime, tz: ZoneInfo) -> datetime:
    """UTC instant at which the store-local hour containing `at` began."""
    local = at.astimezone(tz)
    floored = local.replace(minute=0, second=0, microsecond=0)
    return floored.astimezone(UTC)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """UTC instant of local 00:00 on `day` (DST-correct)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of local `day` as UTC instants; 23, 24 or 25 hours long."""
    return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)


def period_dates(period: Period, day: date) -> tuple[date, date]:
    """First local date and the local date after the last of the period containing `day`."""
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt


def previous_period_day(period: Period, day: date) -> date:
    """A date inside the period just before the one containing `day`."""
    first, _ = period_dates(period, day)
    return first - timedelta(days=1)


def period_bounds(period: Period, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of the period containing local `day`, as UTC instants."""
    first, after = period_dates(period, day)
    return local_midnight(first, tz), local_midnight(after, tz)


def local_hours(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """UTC starts of the store-local hours in [start, end)."""
    return [utc for utc, _ in _local_hours(start, end, tz)]


def _local_hours(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """(UTC start, local start) of the store-local hours in [start, end)."""
    hours: list[tuple[datetime, datetime]] = []
    step = timedelta(hours=1)
    t = local_hour_start(start, tz)
    local = t.astimezone(tz)
    while t < end:
        if t >= start:
            hours.append((t, local))
        nxt = t + step
        local = nxt.astimezone(tz)
        if local.minute or local.second or local.microsecond:  # a sub-hour offset change
            snapped = local_hour_start(nxt, tz)
            nxt = snapped if snapped > t else nxt
            local = nxt.astimezone(tz)
        t = nxt
    return hours


def footfall_totals(
    buckets: Iterable[HourBucket], start: datetime, end: datetime
) -> tuple[int, int]:
    """(IN, OUT) of the buckets starting in [start, end)."""
    total_in = total_out = 0
    for b in buckets:
        if start <= b.start < end:
            total_in += b.footfall_in
            total_out += b.footfall_out
    return total_in, total_out


def running_occupancy(directions: Iterable[str]) -> int:
    """IN − OUT over time-ordered directions, clamped at 0 as it goes."""
    occupancy = 0
    for direction in directions:
        occupancy = occupancy + 1 if direction == "in" else max(0, occupancy - 1)
    return occupancy


@dataclass(frozen=True, slots=True)
class OccupancyRun:
    """What a time-ordered run of crossings does to occupancy clamped at 0, in three numbers.

    With steps +1 (IN) and −1 (anything else) and prefix sums S_0 = 0, S_1 … S_n, an
    occupancy `x` before the run ends at S_n + max(x, −min S_k) after it (the clamp at 0
    is a reflection). So runs compose: folding `apply` over the runs of consecutive hours
    gives exactly `running_occupancy` of all their crossings, clamps inside hours included.
    """

    footfall_in: int
    footfall_out: int
    lowest: int  # min S_k over k = 0..n, so ≤ 0

    def apply(self, occupancy: int) -> int:
        return self.footfall_in - self.footfall_out + max(occupancy, -self.lowest)


def occupancy_run(directions: Iterable[str]) -> OccupancyRun:
    """Summarise time-ordered directions (see `OccupancyRun`)."""
    ins = outs = lowest = 0
    for direction in directions:
        if direction == "in":
            ins += 1
        else:
            outs += 1
            lowest = min(lowest, ins - outs)
    return OccupancyRun(ins, outs, lowest)


def hour_occupancy(buckets: Sequence[HourBucket]) -> list[tuple[int, int, float]]:
    """(occupancy at start, at end, integral in person-seconds) of each hour of one day.

    `buckets` are the consecutive hours of one local day in order; occupancy starts at 0.
    The integral of an hour is exact unless the clamp at 0 is hit inside the hour.
    """
    result: list[tuple[int, int, float]] = []
    occupancy = 0
    for b in buckets:
        integral = occupancy * HOUR_S + b.in_remaining_s - b.out_remaining_s
        end = max(0, occupancy + b.footfall_in - b.footfall_out)
        result.append((occupancy, end, max(0.0, integral)))
        occupancy = end
    return result


def _open_interval(
    day: date, tz: ZoneInfo, hours: OpeningHours
) -> tuple[datetime, datetime] | None:
    spec = hours.get(WEEKDAYS[day.weekday()])
    if spec is None:
        return None

    def at(hhmm: str) -> datetime:
        if hhmm == "24:00":
            return local_midnight(day + timedelta(days=1), tz)
        h, m = (int(p) for p in hhmm.split(":"))
        return datetime.combine(day, time(h, m), tzinfo=tz).astimezone(UTC)

    return at(spec[0]), at(spec[1])


def summarise(
    buckets: Iterable[HourBucket],
    *,
    period: Period,
    day: date,
    tz: ZoneInfo,
    opening_hours: OpeningHours,
) -> PeriodSummary:
    """Footfall, series, peak hour, heatmap and Little's-law dwell of one period.

    `buckets` may be sparse and may extend outside the period; hours without a bucket
    count as zero.
    """
    start, end = period_bounds(period, day, tz)
    by_start = {b.start: b for b in buckets if start <= b.start < end}
    first, after = period_dates(period, day)
    series: list[SeriesPoint] = []
    heatmap = [[0] * 24 for _ in range(7)]
    by_hour = [0] * 24
    total_in = total_out = 0
    open_in = 0.0
    open_integral_s = 0.0
    d = first
    while d < after:
        day_start, day_end = local_day_bounds(d, tz)
        pairs = _local_hours(day_start, day_end, tz)
        hours = [by_start.get(h) or HourBucket(h) for h, _ in pairs]
        opening = _open_interval(d, tz, opening_hours)
        day_in = day_out = 0
        for b, (_, local), (_, _, integral) in zip(
            hours, pairs, hour_occupancy(hours), strict=True
        ):
            heatmap[local.weekday()][local.hour] += b.footfall_in
            by_hour[local.hour] += b.footfall_in
            day_in += b.footfall_in
            day_out += b.footfall_out
            if period == "day":
                series.append(
                    SeriesPoint(b.start, f"{local.hour:02d}:00", b.footfall_in, b.footfall_out)
                )
            if opening is not None:
                b_end = b.start + timedelta(seconds=HOUR_S)
                overlap = (min(b_end, opening[1]) - max(b.start, opening[0])).total_seconds()
                if overlap > 0:
                    fraction = overlap / HOUR_S
                    open_in += fraction * b.footfall_in
                    open_integral_s += fraction * integral
        if period != "day":
            series.append(SeriesPoint(day_start, d.isoformat(), day_in, day_out))
        total_in += day_in
        total_out += day_out
        d += timedelta(days=1)
    peak: tuple[int, int] | None = None
    if total_in > 0:
        best = max(range(24), key=lambda h: (by_hour[h], -h))
        peak = (best, by_hour[best])
    dwell = open_integral_s / open_in if open_in > 0 else None
    return PeriodSummary(start, end, total_in, total_out, series, peak, heatmap, dwell)


def wall_clock_instant(local: datetime, tz: ZoneInfo) -> datetime:
    """UTC instant at which the clock in `tz` first reads the naive `local` time.

    A time the clock repeats (autumn: 02:30 in Europe/Berlin) gives its first occurrence;
    a time the clock skips (spring: 02:30 on the last Sunday of March does not exist)
    gives the instant of the jump, i.e. everything the clock showed before `local`.
    """
    local = local.replace(tzinfo=None, fold=0)
    before = local.replace(tzinfo=tz).astimezone(UTC)  # offset in force before a jump
    if before.astimezone(tz).replace(tzinfo=None) == local:
        return before
    # Skipped: the jump lies in (after, before]; find it to the second.
    lo = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = before
    while (hi - lo) > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) <= local:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)  # offsets change on whole seconds


def same_time_in_previous_period(
    period: Period, day: date, now: datetime, tz: ZoneInfo
) -> datetime | None:
    """Where to cut the previous period for a like-for-like comparison, or None.

    When the period containing local `day` also contains `now` (it is in progress), the
    answer is the UTC instant in the previous period at the same local day offset and
    wall-clock time as `now`: today 09:41 → yesterday 09:41; Wednesday 09:41 → last
    week's Wednesday 09:41; the 15th at 09:41 → the 15th of last month at 09:41. When
    the previous period is too short for that day (31 March vs February), the whole
    previous period. None when the period is over (or not started): compare whole periods.
    """
    start, end = period_bounds(period, day, tz)
    if not start <= now < end:
        return None
    local_now = now.astimezone(tz)
    first, _ = period_dates(period, day)
    prev_first, prev_after = period_dates(period, previous_period_day(period, day))
    target = prev_first + (local_now.date() - first)
    if target >= prev_after:
        return local_midnight(prev_after, tz)
    return wall_clock_instant(datetime.combine(target, local_now.time()), tz)


def change_pct(current: int, previous: int) -> float | None:
    """Relative change of IN versus the previous period, in percent; None if previous is 0."""
    if previous == 0:
        return None
    return (current - previous) / previous * 100.0


def occupancy_curve(
    events: Iterable[tuple[datetime, str]], start: datetime, end: datetime, step: timedelta
) -> list[tuple[datetime, int]]:
    """People inside at `start`, `start + step`, … and at `end` itself, from time-ordered
    (instant, direction) crossings since `start` (occupancy 0 then), clamped at 0 as it
    goes like `running_occupancy`."""
    points: list[tuple[datetime, int]] = []
    occupancy = 0
    pending = iter(events)
    upcoming = next(pending, None)
    times = [start + i * step for i in range(int((end - start) / step) + 1)]
    if not times or times[-1] < end:
        times.append(end)
    for t in times:
        while upcoming is not None and upcoming[0] <= t:
            occupancy = occupancy + 1 if upcoming[1] == "in" else max(0, occupancy - 1)
            upcoming = next(pending, None)
        points.append((t, occupancy))
    return points


def shift_local(at: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The instant `days` earlier (negative) or later at the same local wall-clock time."""
    local = at.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return wall_clock_instant(local, tz)
