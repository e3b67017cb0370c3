"""Table-driven tests of the pure KPI maths (timezones, DST, occupancy, Little's law)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from metrica.domain.kpis import (
    HourBucket,
    change_pct,
    hour_occupancy,
    local_day_bounds,
    local_hour_start,
    local_hours,
    period_bounds,
    previous_period_day,
    running_occupancy,
    same_time_in_previous_period,
    summarise,
    validate_opening_hours,
    wall_clock_instant,
)

BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")
ALWAYS_OPEN = {d: ("00:00", "24:00") for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "tz", "start", "hours"),
    [
        (date(2025, 3, 30), BERLIN, utc(2025, 3, 29, 23), 23),
        (date(2025, 10, 26), BERLIN, utc(2025, 10, 25, 22), 25),
        (date(2025, 6, 1), BERLIN, utc(2025, 5, 31, 22), 24),
        (date(2025, 3, 30), KOLKATA, datetime(2025, 3, 29, 18, 30, tzinfo=UTC), 24),
        (date(2025, 3, 9), NEW_YORK, utc(2025, 3, 9, 5), 23),
        (date(2025, 11, 2), NEW_YORK, utc(2025, 11, 2, 4), 25),
    ],
)
def test_local_day_bounds_are_dst_correct(
    day: date, tz: ZoneInfo, start: datetime, hours: int
) -> None:
    lo, hi = local_day_bounds(day, tz)
    assert lo == start
    assert hi - lo == timedelta(hours=hours)
    assert len(local_hours(lo, hi, tz)) == hours


@pytest.mark.parametrize(
    ("at", "tz", "expected"),
    [
        (utc(2025, 6, 1, 10, 59, 59), BERLIN, utc(2025, 6, 1, 10)),
        (utc(2025, 6, 1, 10, 29), KOLKATA, utc(2025, 6, 1, 9, 30)),
        (utc(2025, 6, 1, 10, 31), KOLKATA, utc(2025, 6, 1, 10, 30)),
        # Both 02:xx hours of the October fall-back night are distinct buckets.
        (utc(2025, 10, 26, 0, 30), BERLIN, utc(2025, 10, 26, 0)),
        (utc(2025, 10, 26, 1, 30), BERLIN, utc(2025, 10, 26, 1)),
    ],
)
def test_local_hour_start(at: datetime, tz: ZoneInfo, expected: datetime) -> None:
    assert local_hour_start(at, tz) == expected


@pytest.mark.parametrize(
    ("period", "day", "start_local", "end_local"),
    [
        ("day", date(2025, 3, 30), date(2025, 3, 30), date(2025, 3, 31)),
        ("week", date(2025, 3, 30), date(2025, 3, 24), date(2025, 3, 31)),
        ("week", date(2025, 3, 24), date(2025, 3, 24), date(2025, 3, 31)),
        ("month", date(2025, 2, 14), date(2025, 2, 1), date(2025, 3, 1)),
        ("month", date(2024, 12, 31), date(2024, 12, 1), date(2025, 1, 1)),
    ],
)
def test_period_bounds(period: str, day: date, start_local: date, end_local: date) -> None:
    lo, hi = period_bounds(period, day, BERLIN)  # type: ignore[arg-type]
    assert lo.astimezone(BERLIN).date() == start_local
    assert hi.astimezone(BERLIN).date() == end_local
    assert lo.astimezone(BERLIN).hour == 0


@pytest.mark.parametrize(
    ("period", "day", "expected"),
    [
        ("day", date(2025, 3, 1), date(2025, 2, 28)),
        ("week", date(2025, 3, 5), date(2025, 3, 2)),
        ("month", date(2025, 3, 15), date(2025, 2, 28)),
    ],
)
def test_previous_period_day(period: str, day: date, expected: date) -> None:
    assert previous_period_day(period, day) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("directions", "expected"),
    [
        ([], 0),
        (["in", "in", "out"], 1),
        (["out", "out", "in"], 1),  # clamped at 0 as it goes, not max(0, total)
        (["in", "out", "out", "in", "in"], 2),
    ],
)
def test_running_occupancy_clamps(directions: list[str], expected: int) -> None:
    assert running_occupancy(directions) == expected


def test_hour_occupancy_integral_is_exact_and_clamped() -> None:
    t0 = utc(2025, 6, 2, 8)
    buckets = [
        HourBucket(t0, 2, 0, in_remaining_s=3600 + 1800),  # in at :00 and :30
        HourBucket(t0 + timedelta(hours=1), 0, 2, out_remaining_s=3600),  # outs at :30 and :30
        HourBucket(t0 + timedelta(hours=2), 0, 3, out_remaining_s=100),  # phantom outs
    ]
    assert hour_occupancy(buckets) == [(0, 2, 5400.0), (2, 0, 3600.0), (0, 0, 0.0)]


def test_summarise_little_law_on_a_hand_computed_day() -> None:
    """10 people in at 10:00 and out at 11:00; 4 in at 14:30, out at 16:00; open 09-18.

    Integral = 10 p x 1 h + 4 p x 1.5 h = 16 person-hours; IN = 14 -> W = 16/14 h.
    """
    day = date(2025, 6, 2)  # a Monday in CEST (UTC+2)
    tz = BERLIN
    b10 = utc(2025, 6, 2, 8)
    b14 = utc(2025, 6, 2, 12)
    buckets = [
        HourBucket(b10, 10, 0, in_remaining_s=10 * 3600),
        HourBucket(b10 + timedelta(hours=1), 0, 10, out_remaining_s=10 * 3600),
        HourBucket(b14, 4, 0, in_remaining_s=4 * 1800),
        HourBucket(b14 + timedelta(hours=2), 0, 4, out_remaining_s=4 * 3600),
    ]
    hours = {d: ("09:00", "18:00") for d in ("mon", "tue", "wed", "thu", "fri")}
    s = summarise(buckets, period="day", day=day, tz=tz, opening_hours=hours)
    assert s.footfall_in == 14
    assert s.footfall_out == 14
    assert s.average_dwell_s == pytest.approx(16 * 3600 / 14)
    assert s.peak_hour == (10, 10)
    assert len(s.series) == 24
    assert s.series[10].label == "10:00"
    assert s.series[10].footfall_in == 10
    assert s.heatmap[0][14] == 4
    assert sum(map(sum, s.heatmap)) == 14


def test_summarise_closed_day_has_no_dwell() -> None:
    day = date(2025, 6, 1)  # Sunday
    buckets = [HourBucket(utc(2025, 6, 1, 10), 3, 3, 100.0, 50.0)]
    s = summarise(buckets, period="day", day=day, tz=BERLIN, opening_hours={"sun": None})
    assert s.footfall_in == 3
    assert s.average_dwell_s is None


@pytest.mark.parametrize(
    ("day", "tz", "n_hours", "repeated_label"),
    [
        (date(2025, 3, 30), BERLIN, 23, None),
        (date(2025, 10, 26), BERLIN, 25, "02:00"),
        (date(2025, 3, 30), KOLKATA, 24, None),
    ],
)
def test_summarise_day_series_follows_local_hours(
    day: date, tz: ZoneInfo, n_hours: int, repeated_label: str | None
) -> None:
    start, end = local_day_bounds(day, tz)
    buckets = [HourBucket(h, 1, 0) for h in local_hours(start, end, tz)]
    # A bucket outside the day must not count.
    buckets.append(HourBucket(end, 100, 0))
    s = summarise(buckets, period="day", day=day, tz=tz, opening_hours=ALWAYS_OPEN)
    labels = [p.label for p in s.series]
    assert len(labels) == n_hours
    assert s.footfall_in == n_hours
    assert labels[0] == "00:00"
    if repeated_label:
        assert labels.count(repeated_label) == 2
        assert s.heatmap[day.weekday()][2] == 2
    else:
        assert len(set(labels)) == n_hours


def test_summarise_month_series_per_local_day() -> None:
    tz = KOLKATA
    day = date(2025, 2, 10)
    first, _ = local_day_bounds(date(2025, 2, 1), tz)
    buckets = [HourBucket(first + timedelta(days=i, hours=3), i, 0) for i in range(28)]
    s = summarise(buckets, period="month", day=day, tz=tz, opening_hours=ALWAYS_OPEN)
    assert len(s.series) == 28
    assert [p.footfall_in for p in s.series] == list(range(28))
    assert s.series[0].label == "2025-02-01"
    assert s.peak_hour == (3, sum(range(28)))


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [(10, 0, None), (15, 10, 50.0), (5, 10, -50.0), (0, 4, -100.0)],
)
def test_change_pct(current: int, previous: int, expected: float | None) -> None:
    assert change_pct(current, previous) == expected


def local(tz: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A UTC instant from local wall-clock fields (the first one if they repeat)."""
    return datetime(y, mo, d, h, mi, tzinfo=tz).astimezone(UTC)


@pytest.mark.parametrize(
    ("wall", "tz", "expected"),
    [
        (datetime(2025, 6, 2, 9, 41), BERLIN, utc(2025, 6, 2, 7, 41)),
        # Spring forward: 02:00-03:00 does not exist; everything before it ends at the jump.
        (datetime(2025, 3, 30, 2, 0), BERLIN, utc(2025, 3, 30, 1)),
        (datetime(2025, 3, 30, 2, 30), BERLIN, utc(2025, 3, 30, 1)),
        (datetime(2025, 3, 30, 3, 0), BERLIN, utc(2025, 3, 30, 1)),
        (datetime(2025, 3, 30, 1, 59), BERLIN, utc(2025, 3, 30, 0, 59)),
        (datetime(2025, 3, 9, 2, 15), NEW_YORK, utc(2025, 3, 9, 7)),
        # Fall back: 02:30 happens twice; the first one (CEST) counts.
        (datetime(2025, 10, 26, 2, 30), BERLIN, utc(2025, 10, 26, 0, 30)),
        (datetime(2025, 3, 30, 2, 30), KOLKATA, datetime(2025, 3, 29, 21, 0, tzinfo=UTC)),
    ],
)
def test_wall_clock_instant(wall: datetime, tz: ZoneInfo, expected: datetime) -> None:
    assert wall_clock_instant(wall, tz) == expected


B, K = BERLIN, KOLKATA


@pytest.mark.parametrize(
    ("period", "day", "tz", "now", "expected"),
    [
        # Today at 09:41 vs yesterday up to 09:41.
        ("day", date(2025, 6, 3), B, local(B, 2025, 6, 3, 9, 41), local(B, 2025, 6, 2, 9, 41)),
        # Today is the 23-hour DST day: yesterday (CET) up to the same wall-clock time.
        ("day", date(2025, 3, 30), B, local(B, 2025, 3, 30, 10, 30), utc(2025, 3, 29, 9, 30)),
        # The day after the DST day at 02:30: yesterday's 02:30 never happened -> the jump.
        ("day", date(2025, 3, 31), B, local(B, 2025, 3, 31, 2, 30), utc(2025, 3, 30, 1)),
        ("day", date(2025, 3, 31), B, local(B, 2025, 3, 31, 3, 15), utc(2025, 3, 30, 1, 15)),
        # The day after the 25-hour day: up to the first 02:30 of that night.
        ("day", date(2025, 10, 27), B, local(B, 2025, 10, 27, 2, 30), utc(2025, 10, 26, 0, 30)),
        ("day", date(2025, 10, 27), B, local(B, 2025, 10, 27, 4), utc(2025, 10, 26, 3)),
        # Wednesday 09:41 vs last week's Wednesday 09:41 (across the DST switch).
        ("week", date(2025, 4, 2), B, local(B, 2025, 4, 2, 9, 41), local(B, 2025, 3, 26, 9, 41)),
        ("month", date(2025, 6, 15), B, local(B, 2025, 6, 15, 12), local(B, 2025, 5, 15, 12)),
        # 31 March vs February (28 days): the whole of February.
        ("month", date(2025, 3, 31), B, local(B, 2025, 3, 31, 8), local(B, 2025, 3, 1)),
        # Half-hour zone.
        ("day", date(2025, 6, 3), K, local(K, 2025, 6, 3, 0, 10), local(K, 2025, 6, 2, 0, 10)),
        # Periods that do not contain now compare whole periods.
        ("day", date(2025, 6, 2), B, local(B, 2025, 6, 3, 9, 41), None),
        ("week", date(2025, 5, 26), B, local(B, 2025, 6, 3, 9, 41), None),
        ("day", date(2025, 6, 4), B, local(B, 2025, 6, 3, 9, 41), None),
        # The first instant of the period is inside it; its end is not.
        ("day", date(2025, 6, 3), B, local(B, 2025, 6, 3), local(B, 2025, 6, 2)),
        ("day", date(2025, 6, 2), B, local(B, 2025, 6, 3), None),
    ],
)
def test_same_time_in_previous_period(
    period: str, day: date, tz: ZoneInfo, now: datetime, expected: datetime | None
) -> None:
    assert same_time_in_previous_period(period, day, now, tz) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"mon": ["09:00", "18:00"]}, None),
        ({"mon": ["00:00", "24:00"]}, None),
        ({"funday": None}, "unknown weekday"),
        ({"mon": ["18:00", "09:00"]}, "before closing"),
        ({"mon": ["9:00", "18:00"]}, "HH:MM"),
    ],
)
def test_validate_opening_hours(raw: dict[str, list[str] | None], error: str | None) -> None:
    if error is None:
        result = validate_opening_hours(raw)
        assert set(result) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
        assert result["tue"] is None
    else:
        with pytest.raises(ValueError, match=error):
            validate_opening_hours(raw)


def test_occupancy_curve_samples_each_step_and_the_end() -> None:
    from metrica.domain.kpis import occupancy_curve

    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    at = [t0 + timedelta(minutes=m) for m in (1, 2, 20, 21, 22)]
    events = list(zip(at, ["in", "in", "out", "out", "out"], strict=True))
    curve = occupancy_curve(events, t0, t0 + timedelta(minutes=40), timedelta(minutes=15))
    assert [(int((t - t0).total_seconds() // 60), n) for t, n in curve] == [
        (0, 0),
        (15, 2),
        (30, 0),  # clamped at 0: an extra OUT does not go negative
        (40, 0),
    ]


def test_shift_local_keeps_the_wall_clock_across_dst() -> None:
    from zoneinfo import ZoneInfo

    from metrica.domain.kpis import shift_local

    berlin = ZoneInfo("Europe/Berlin")
    after = datetime(2026, 4, 1, 10, tzinfo=berlin)  # summer time
    before = shift_local(after, -7, berlin)  # 25 March: winter time
    assert before.astimezone(berlin).replace(tzinfo=None) == datetime(2026, 3, 25, 10)
    assert (after - before) == timedelta(days=7, hours=-1)


def test_occupancy_runs_compose_to_the_running_occupancy() -> None:
    """Folding per-chunk summaries equals the clamped walk over all steps, whatever the
    chunking (clamps inside chunks included)."""
    import random

    from metrica.domain.kpis import occupancy_run

    rng = random.Random(7)
    dips_inside = 0
    for _ in range(500):
        directions = [rng.choice(("in", "out", "out", "in", "in", "")) for _ in range(60)]
        cuts = sorted(rng.sample(range(61), rng.randint(0, 6)))
        chunks = [directions[a:b] for a, b in zip([0, *cuts], [*cuts, 60], strict=True)]
        occupancy = 0
        for chunk in chunks:
            run = occupancy_run(chunk)
            occupancy = run.apply(occupancy)
            dips_inside += run.lowest < 0
        assert occupancy == running_occupancy(directions)
        assert sum(occupancy_run(c).footfall_in for c in chunks) == directions.count("in")
    assert dips_inside > 100
