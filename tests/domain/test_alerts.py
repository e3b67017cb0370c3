"""Alert rules and the weekly report's calendar, table-tested (pure)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from metrica.domain import alerts

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("open_episode", "condition", "expected"),
    [(False, False, None), (False, True, "raised"), (True, True, None), (True, False, "resolved")],
)
def test_an_episode_notifies_on_its_edges_only(
    open_episode: bool, condition: bool, expected: str | None
) -> None:
    assert alerts.edge(open_episode=open_episode, condition=condition) == expected


@pytest.mark.parametrize(
    ("people", "open_episode", "over"),
    [
        (49, False, False),
        (50, False, False),  # full is not over
        (51, False, True),
        (51, True, True),
        (50, True, True),  # an open episode ends below the limit, not at it
        (49, True, False),
    ],
)
def test_capacity_starts_above_the_limit_and_ends_below_it(
    people: int, open_episode: bool, over: bool
) -> None:
    assert alerts.over_capacity(people, 50, open_episode=open_episode) is over


@pytest.mark.parametrize(
    ("samples", "usual"),
    [
        ([100, 120, 80, 300], 110.0),  # the median shrugs off one busy day
        ([100, 0, 80, 90], 85.0),  # a closed day counts in the median once 3 days saw visits
        ([100, 0, 0, 90], None),  # two days with visits: no usual level yet
        ([0, 0, 0, 0], None),
    ],
)
def test_the_usual_level_is_the_median_of_the_last_same_weekdays(
    samples: list[int], usual: float | None
) -> None:
    assert alerts.usual_level(samples) == usual


@pytest.mark.parametrize(
    ("today", "usual", "low"),
    [
        (29, 100.0, True),
        (30, 100.0, False),  # exactly 30 % is not "far below"
        (0, 19.0, False),  # too quiet a time of day to tell
        (5, 20.0, True),
        (0, None, False),
    ],
)
def test_far_below_usual(today: int, usual: float | None, low: bool) -> None:
    assert alerts.far_below_usual(today, usual) is low


def test_the_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert alerts.sign("s3cret", body) == f"sha256={expected}"
    assert alerts.sign("s3cret", body + b" ") != alerts.sign("s3cret", body)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("now", "tz", "week"),
    [
        # Berlin, spring forward on Sun 30 Mar 2025: Mon 31 Mar 08:00 CEST is 06:00 UTC.
        (_utc(2025, 3, 31, 5, 59), BERLIN, date(2025, 3, 17)),
        (_utc(2025, 3, 31, 6, 0), BERLIN, date(2025, 3, 24)),
        # The Monday before, still winter time: 08:00 CET is 07:00 UTC.
        (_utc(2025, 3, 24, 6, 59), BERLIN, date(2025, 3, 10)),
        (_utc(2025, 3, 24, 7, 0), BERLIN, date(2025, 3, 17)),
        # Fall back on Sun 26 Oct 2025: Mon 27 Oct 08:00 CET is 07:00 UTC.
        (_utc(2025, 10, 27, 6, 59), BERLIN, date(2025, 10, 13)),
        (_utc(2025, 10, 27, 7, 0), BERLIN, date(2025, 10, 20)),
        # New York moves on 2 Nov 2025: Mon 3 Nov 08:00 EST is 13:00 UTC (EDT before: 12:00).
        (_utc(2025, 11, 3, 12, 30), NEW_YORK, date(2025, 10, 20)),
        (_utc(2025, 11, 3, 13, 0), NEW_YORK, date(2025, 10, 27)),
        # A Sunday evening in New York is Monday in UTC: still the week before.
        (_utc(2025, 11, 10, 3, 0), NEW_YORK, date(2025, 10, 27)),
    ],
)
def test_the_report_week_is_due_on_monday_0800_store_time(
    now: datetime, tz: ZoneInfo, week: date
) -> None:
    assert alerts.due_report_week(now, tz) == week


def test_report_due_at_keeps_0800_local_across_dst() -> None:
    spring = alerts.report_due_at(date(2025, 3, 24), BERLIN)
    winter = alerts.report_due_at(date(2025, 3, 17), BERLIN)
    assert spring.astimezone(UTC) == _utc(2025, 3, 31, 6, 0)
    assert winter.astimezone(UTC) == _utc(2025, 3, 24, 7, 0)
    assert spring.astimezone(BERLIN).hour == winter.astimezone(BERLIN).hour == 8
