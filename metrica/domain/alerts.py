"""Store alert rules and the weekly report's calendar: pure decisions, no I/O.

An alert is an *episode*: it opens when its condition starts to hold and closes
("resolved") when it stops; each edge is one notification, so a condition that holds for
hours notifies twice, not every evaluation. Definitions: docs/alerts.md.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Literal
from zoneinfo import ZoneInfo

AlertKind = Literal["capacity", "camera_down", "low_count"]
ALERT_KINDS: tuple[AlertKind, ...] = ("capacity", "camera_down", "low_count")
Edge = Literal["raised", "resolved"]

# Low count: the usual level is the median of IN over the same local time span of the
# last `USUAL_WEEKS` same weekdays; today is "far below" under `LOW_COUNT_RATIO` of it,
# judged only once the usual level reaches `LOW_COUNT_MIN_USUAL` (a quiet morning is no
# signal) and only with at least `LOW_COUNT_MIN_WEEKS` of those days having any IN.
USUAL_WEEKS = 4
LOW_COUNT_RATIO = 0.3
LOW_COUNT_MIN_USUAL = 20
LOW_COUNT_MIN_WEEKS = 3


def edge(*, open_episode: bool, condition: bool) -> Edge | None:
    """What to notify when a condition is evaluated: the start or end of an episode."""
    if condition and not open_episode:
        return "raised"
    if open_episode and not condition:
        return "resolved"
    return None


def over_capacity(occupancy: int, limit: int, *, open_episode: bool = False) -> bool:
    """An episode starts above the limit (at it the store is full, not over) and ends
    below it: at exactly the limit an open episode stays open, so a door that swings
    around the limit does not send a pair of emails per person."""
    return occupancy >= limit if open_episode else occupancy > limit


def usual_level(same_weekdays_in: Sequence[int]) -> float | None:
    """Median IN of the previous same weekdays (same local time span), or None when fewer
    than `LOW_COUNT_MIN_WEEKS` of them saw anyone (a new store has no usual level)."""
    seen = [n for n in same_weekdays_in if n > 0]
    if len(seen) < LOW_COUNT_MIN_WEEKS:
        return None
    return float(median(same_weekdays_in))


def far_below_usual(today_in: int, usual: float | None) -> bool:
    """Today's IN so far is far below the usual level (a blocked or moved camera)."""
    if usual is None or usual < LOW_COUNT_MIN_USUAL:
        return False
    return today_in < LOW_COUNT_RATIO * usual


def sign(secret: str, body: bytes) -> str:
    """The webhook signature header value: `sha256=` HMAC-SHA256 of the exact body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- weekly report -----------------------------------------------------------------------

REPORT_WEEKDAY = 0  # Monday
REPORT_LOCAL_TIME = time(8, 0)


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def report_due_at(week_start: date, tz: ZoneInfo) -> datetime:
    """When the report of the week starting Monday `week_start` is sent: the next Monday
    at 08:00 store time (an aware instant; DST moves it in UTC, not in store time)."""
    send_day = week_start + timedelta(days=7 + REPORT_WEEKDAY)
    return datetime.combine(send_day, REPORT_LOCAL_TIME, tzinfo=tz)


def due_report_week(now: datetime, tz: ZoneInfo) -> date:
    """The Monday of the latest week whose report is due at `now` (aware): the week before
    this one once Monday 08:00 store time has passed, else the week before that."""
    this_monday = week_monday(now.astimezone(tz).date())
    previous = this_monday - timedelta(days=7)
    if now >= report_due_at(previous, tz):
        return previous
    return previous - timedelta(days=7)
