"""Synthetic door traffic for the demo store: a realistic daily curve inside opening hours.

The demo must look alive whatever the hour a machine first opens it, so the store keeps
long hours (a Berlin station shop: 05:00-24:00 every day) and each day's visits follow a
weekday-dependent curve (commuters on weekdays, a long midday on Saturdays, a quieter
Sunday). Every day is drawn from its own random stream, seeded by the date, and event ids
derive from the camera, the date and the visit, so drawing a day twice gives the same
events: topping up the history later is idempotent (ingest ignores ids it already holds).
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from metrica.domain.events import LineCrossed
from metrica.domain.kpis import WEEKDAYS, local_midnight

OPENS_H = 5
CLOSES_H = 24
DEMO_HOURS: dict[str, list[str] | None] = {d: [f"{OPENS_H:02d}:00", "24:00"] for d in WEEKDAYS}
MEAN_STAY_MIN = 9.0
MAX_STAY_MIN = 60.0

# (centre hour, width in hours, weight) of the bumps of each kind of day.
_WEEKDAY = ((7.75, 1.0, 0.8), (12.75, 1.3, 1.0), (17.75, 1.7, 1.4), (21.0, 1.5, 0.35))
_SATURDAY = ((11.0, 1.6, 0.9), (14.0, 2.4, 1.4), (18.5, 2.0, 0.9))
_SUNDAY = ((12.5, 2.5, 0.8), (17.0, 2.0, 0.6))


def hourly_rate(hour: float, weekday: int) -> float:
    """Expected arrivals per hour at local `hour` (0-24, fractional) of a `weekday` (Mon=0).

    Zero outside opening hours; a small floor while open so early and late hours are quiet
    but not empty.
    """
    if not OPENS_H <= hour < CLOSES_H:
        return 0.0
    bumps = _SATURDAY if weekday == 5 else _SUNDAY if weekday == 6 else _WEEKDAY
    shape = 0.2 + sum(w * math.exp(-(((hour - c) / s) ** 2)) for c, s, w in bumps)
    return 20.0 * shape * (1.15 if weekday == 4 else 1.0)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth), fine for small means."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def day_rng(seed: int, day: date) -> random.Random:
    """The random stream of one day: the same visits whenever it is drawn."""
    return random.Random(f"{seed}:{day.isoformat()}")


def synthetic_day(
    rng: random.Random,
    day: date,
    tz: ZoneInfo,
    camera_id: str,
    line_id: str,
    *,
    until: datetime,
) -> list[LineCrossed]:
    """IN/OUT crossings of one day inside opening hours, none after `until` (a demo never
    holds visits from the future; someone who came in and has not left yet is inside)."""
    events: list[LineCrossed] = []
    wall_midnight = datetime.combine(day, time(0), tzinfo=tz)  # wall-clock arithmetic
    closes = local_midnight(day + timedelta(days=1), tz) - timedelta(seconds=1)
    track = 0
    for minute in range(OPENS_H * 60, CLOSES_H * 60):
        for _ in range(_poisson(rng, hourly_rate(minute / 60, day.weekday()) / 60)):
            local = wall_midnight + timedelta(minutes=minute, seconds=rng.uniform(0, 59))
            arrived = local.astimezone(UTC)
            stay_min = min(MAX_STAY_MIN, rng.expovariate(1 / MEAN_STAY_MIN) + 1)
            left = min(arrived + timedelta(minutes=stay_min), closes)
            track += 1
            for direction, at in (("in", arrived), ("out", left)):
                events.append(
                    LineCrossed(
                        # Unique per camera, stable per day: a redraw is a duplicate.
                        event_id=uuid.uuid5(
                            uuid.UUID(camera_id), f"{day.isoformat()}:{track}:{direction}"
                        ),
                        camera_id=camera_id,
                        line_id=line_id,
                        direction=direction,
                        occurred_at=at,
                        track_id=track,
                    )
                )
    return [e for e in events if e.occurred_at <= until]
