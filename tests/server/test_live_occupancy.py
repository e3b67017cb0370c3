"""`/live` from hour summaries equals the day-long raw read it replaced, on both engines."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, update

from metrica.domain import kpis
from metrica.server.cameras.models import Camera
from metrica.server.events.models import EventRow
from metrica.server.kpis import occupancy, service
from metrica.server.state import AppState
from metrica.server.stores.models import Store
from tests.server.factories import crossing, make_camera, make_store

BERLIN = ZoneInfo("Europe/Berlin")
DAY_START = datetime(2025, 10, 26, tzinfo=BERLIN).astimezone(UTC)  # 25-hour DST day


async def reference_live(state: AppState, store: Store, now: datetime) -> tuple[int, int, int]:
    """(occupancy, in, out) as `kpis.service.live` computed them before: every crossing of
    the local day up to `now`, in time order."""
    tz = ZoneInfo(store.timezone)
    day_start, _ = kpis.local_day_bounds(now.astimezone(tz).date(), tz)
    counting = select(Camera.id).where(
        Camera.store_id == store.id, Camera.is_counting_line.is_(True)
    )
    async with state.sessions() as session:
        directions = list(
            await session.scalars(
                select(EventRow.direction)
                .where(
                    EventRow.store_id == store.id,
                    EventRow.occurred_at >= day_start,
                    EventRow.occurred_at <= now,
                    EventRow.type == "line_crossed",
                    EventRow.camera_id.in_(counting.scalar_subquery()),
                )
                .order_by(EventRow.occurred_at)
            )
        )
    in_today = sum(1 for d in directions if d == "in")
    occupancy_now = kpis.running_occupancy(d or "" for d in directions)
    return occupancy_now, in_today, len(directions) - in_today


async def new_live(state: AppState, store: Store, now: datetime) -> tuple[int, int, int]:
    async with state.sessions() as session:
        body = await service.live(
            session=session, store=store, now=now, live_after_s=60, stale_after_s=300
        )
    return body.occupancy, body.in_today, body.out_today


async def post(client: httpx.AsyncClient, key: str, events: list[dict[str, object]]) -> None:
    for i in range(0, len(events), 100):
        r = await client.post(
            "/events", json={"events": events[i : i + 100]}, headers={"X-Worker-Key": key}
        )
        assert r.status_code == 200, r.text


def day_of_crossings(rng: random.Random, camera: Camera, lines: tuple[str, ...], n: int):  # type: ignore[no-untyped-def]
    """`n` crossings over the day (and a few the day before/after), outs heavy in the
    morning so the clamp at 0 bites inside hours; distinct microseconds, no ties."""
    events = []
    for _ in range(n):
        offset_s = rng.uniform(-1800, 25 * 3600 + 1800)
        morning = offset_s < 6 * 3600
        direction = "out" if rng.random() < (0.7 if morning else 0.45) else "in"
        at = DAY_START + timedelta(seconds=offset_s, microseconds=rng.randint(0, 999_999))
        events.append(crossing(camera, direction, at, line=rng.choice(lines)))
    rng.shuffle(events)  # posted out of order, like several cameras with outboxes
    return events


async def test_live_from_hour_summaries_equals_the_day_long_read(
    client: httpx.AsyncClient, state: AppState
) -> None:
    rng = random.Random(20251026)
    store = await make_store(state, timezone="Europe/Berlin")
    door, door_key = await make_camera(state, store, name="door", lines=("a", "b"))
    side, side_key = await make_camera(state, store, name="side")
    shelf, shelf_key = await make_camera(state, store, name="shelf", counting=False)
    late = day_of_crossings(rng, side, ("door",), 120)
    await post(client, door_key, day_of_crossings(rng, door, ("a", "b"), 500))
    await post(client, side_key, late[:60])
    await post(client, shelf_key, day_of_crossings(rng, shelf, ("door",), 100))

    fold = DAY_START + timedelta(hours=2, minutes=30)  # 02:30 CEST, before the fall back
    pinned = [
        DAY_START,  # midnight exactly
        DAY_START + timedelta(hours=1, minutes=59, seconds=59, microseconds=999_999),
        fold,
        fold + timedelta(hours=1),  # 02:30 CET, the repeated hour
        DAY_START + timedelta(hours=9, minutes=17),
        DAY_START + timedelta(hours=13),  # an hour boundary
        DAY_START + timedelta(hours=24, minutes=59),
        DAY_START + timedelta(hours=25, minutes=10),  # the next day
    ]
    event_times = sorted(datetime.fromisoformat(str(e["occurred_at"])) for e in late[:60])
    pinned.append(event_times[30])  # `now` equal to an event's instant: it counts
    clamps = 0
    for now in pinned:
        expected = await reference_live(state, store, now)
        assert await new_live(state, store, now) == expected, now
        assert await new_live(state, store, now) == expected, now  # from the cache
        clamps += expected[0] != max(0, expected[1] - expected[2])
    assert clamps >= 3  # the clamp at 0 really happened inside the day

    # Late crossings into hours already summarised, then a camera stops counting.
    await post(client, side_key, late[60:])
    for now in pinned:
        assert await new_live(state, store, now) == await reference_live(state, store, now)
    async with state.sessions() as session:
        await session.execute(
            update(Camera).where(Camera.id == side.id).values(is_counting_line=False)
        )
        await session.commit()
    for now in pinned:
        assert await new_live(state, store, now) == await reference_live(state, store, now)
    assert len(occupancy.HOUR_RUNS) > 0


def test_hour_runs_cache_is_bounded_and_checks_the_fingerprint() -> None:
    cache = occupancy.HourRuns(max_entries=2)
    store = uuid.uuid4()
    hours = [DAY_START + timedelta(hours=h) for h in range(3)]
    fp = (("c", "door", 1, 0),)
    run = kpis.occupancy_run(["in"])
    for hour in hours:
        cache.put(store, hour, fp, run)
    assert len(cache) == 2
    assert cache.get(store, hours[0], fp) is None  # evicted
    assert cache.get(store, hours[2], fp) == run
    assert cache.get(store, hours[2], (("c", "door", 2, 0),)) is None
