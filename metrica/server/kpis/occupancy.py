"""Today's occupancy and counts without reading the whole day's raw events on every poll.

Occupancy is IN − OUT over the day's crossings in time order, clamped at 0 as it goes, so
per-hour IN/OUT counts are not enough (a clamp inside an hour depends on the order). Each
complete hour is summarised once from its raw events as a `kpis.OccupancyRun` (which
composes exactly) and kept in a bounded in-process cache, keyed by the store and hour and
checked against that hour's rollup rows (IN/OUT per counting camera line): events are
only ever added to a camera line's hour, and a camera deleted or switched off counting
changes the rows, so equal rows mean the same crossings. A poll then reads the rollup rows
of today's complete hours (at most 25 × lines), the raw events of the current hour, and
the raw events of an hour only when its rows changed (the hour that just ended, or late
events) — bounded whatever the time of day.

Ties in `occurred_at` are taken in `event_id` order (the primary key's order), the order
the previous day-long read returned them in on both engines.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain import kpis
from metrica.server.cameras.models import Camera
from metrica.server.events.models import EventRow, HourlyCount

Fingerprint = tuple[tuple[str, str, int, int], ...]  # (camera, line, in, out) per rollup row


class HourRuns:
    """Least-recently-used (store, hour start) -> (rollup fingerprint, its OccupancyRun).

    An entry is about 0.5 KB (two camera lines), so the default bound is about 25 MB:
    2,000 stores' days. Beyond that the oldest hours are summarised again when read."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._max = max_entries
        self._runs: OrderedDict[tuple[uuid.UUID, datetime], tuple[Fingerprint, kpis.OccupancyRun]]
        self._runs = OrderedDict()

    def get(self, store_id: uuid.UUID, hour: datetime, fp: Fingerprint) -> kpis.OccupancyRun | None:
        key = (store_id, hour)
        hit = self._runs.get(key)
        if hit is None or hit[0] != fp:
            return None
        self._runs.move_to_end(key)
        return hit[1]

    def put(
        self, store_id: uuid.UUID, hour: datetime, fp: Fingerprint, run: kpis.OccupancyRun
    ) -> None:
        self._runs[(store_id, hour)] = (fp, run)
        self._runs.move_to_end((store_id, hour))
        while len(self._runs) > self._max:
            self._runs.popitem(last=False)

    def __len__(self) -> int:
        return len(self._runs)


# One per process, like an lru_cache: a miss only costs one hour's raw events.
HOUR_RUNS = HourRuns()


def _counting_cameras(store_id: uuid.UUID) -> Select[uuid.UUID]:
    return select(Camera.id).where(Camera.store_id == store_id, Camera.is_counting_line.is_(True))


async def rollup_fingerprints(
    *, session: AsyncSession, store_id: uuid.UUID, start: datetime, end: datetime
) -> dict[datetime, Fingerprint]:
    """Rollup rows of the store's counting cameras per hour start in [start, end)."""
    rows = await session.execute(
        select(
            HourlyCount.bucket_start,
            HourlyCount.camera_id,
            HourlyCount.line_id,
            HourlyCount.in_count,
            HourlyCount.out_count,
        ).where(
            HourlyCount.store_id == store_id,
            HourlyCount.bucket_start >= start,
            HourlyCount.bucket_start < end,
            HourlyCount.camera_id.in_(_counting_cameras(store_id).scalar_subquery()),
        )
    )
    by_hour: dict[datetime, list[tuple[str, str, int, int]]] = {}
    for hour, camera_id, line_id, n_in, n_out in rows.all():
        by_hour.setdefault(hour, []).append((str(camera_id), line_id, int(n_in), int(n_out)))
    return {hour: tuple(sorted(v)) for hour, v in by_hour.items()}


async def ordered_directions(
    *, session: AsyncSession, store_id: uuid.UUID, start: datetime, end: datetime, inclusive: bool
) -> Sequence[tuple[datetime, str]]:
    """(occurred_at, direction) of the store's counting crossings from `start` to `end`."""
    upper = EventRow.occurred_at <= end if inclusive else EventRow.occurred_at < end
    rows = await session.execute(
        select(EventRow.occurred_at, EventRow.direction)
        .where(
            EventRow.store_id == store_id,
            EventRow.occurred_at >= start,
            upper,
            EventRow.type == "line_crossed",
            EventRow.camera_id.in_(_counting_cameras(store_id).scalar_subquery()),
        )
        .order_by(EventRow.occurred_at, EventRow.event_id)
    )
    return [(at, direction or "") for at, direction in rows.all()]


async def today_runs(
    *, session: AsyncSession, store_id: uuid.UUID, tz: ZoneInfo, now: datetime
) -> list[kpis.OccupancyRun]:
    """Today's crossings up to `now` (inclusive), one run per hour in time order."""
    day_start, _ = kpis.local_day_bounds(now.astimezone(tz).date(), tz)
    hour_start = max(day_start, kpis.local_hour_start(now, tz))
    fingerprints = await rollup_fingerprints(
        session=session, store_id=store_id, start=day_start, end=hour_start
    )
    runs: dict[datetime, kpis.OccupancyRun] = {}
    missing = []
    for hour, fp in fingerprints.items():
        run = HOUR_RUNS.get(store_id, hour, fp)
        if run is None:
            missing.append(hour)
        else:
            runs[hour] = run
    if missing:
        events = await ordered_directions(
            session=session, store_id=store_id, start=min(missing), end=hour_start, inclusive=False
        )
        by_hour: dict[datetime, list[str]] = {}
        for at, direction in events:
            by_hour.setdefault(kpis.local_hour_start(at, tz), []).append(direction)
        for hour in missing:
            run = kpis.occupancy_run(by_hour.get(hour, ()))
            runs[hour] = run
            fp = fingerprints[hour]
            # Cache only what agrees with the rollup read a statement earlier: a batch
            # committed in between is then simply read again next time.
            if (run.footfall_in, run.footfall_out) == (
                sum(r[2] for r in fp),
                sum(r[3] for r in fp),
            ):
                HOUR_RUNS.put(store_id, hour, fp, run)
    current = await ordered_directions(
        session=session, store_id=store_id, start=hour_start, end=now, inclusive=True
    )
    runs[hour_start] = kpis.occupancy_run(d for _, d in current)
    return [runs[h] for h in sorted(runs)]
