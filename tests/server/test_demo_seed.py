"""The seeded demo looks alive at any hour: history up to `now` inside opening hours, every
previous period filled, and a simulated camera that is kept fresh (never the real clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from metrica.server.demo_site import feed_once
from metrica.server.demo_traffic import CLOSES_H, OPENS_H, hourly_rate
from metrica.server.events.models import EventRow
from metrica.server.seed import DEMO_CAMERA_NAME, DemoSeed, seed_demo
from metrica.server.state import AppState

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


async def _seed(client: httpx.AsyncClient, state: AppState, now: datetime) -> DemoSeed:
    state.clock = lambda: now
    async with state.sessions() as session:
        seed = await seed_demo(session, hasher=state.passwords, now=now)
    r = await client.post(
        "/auth/login", json={"email": seed.owner_email, "password": seed.password}
    )
    assert r.status_code == 200
    return seed


@pytest.mark.parametrize(
    "now",
    [
        berlin(2026, 11, 30, 6, 0),  # Monday, just after the early opening
        berlin(2026, 3, 14, 13, 37),  # Saturday lunchtime
        berlin(2026, 11, 29, 23, 59),  # Sunday, a minute before closing
    ],
    ids=["mon-0600", "sat-1337", "sun-2359"],
)
async def test_the_first_screen_is_full_at_any_hour(
    client: httpx.AsyncClient, state: AppState, now: datetime
) -> None:
    seed = await _seed(client, state, now)
    day = (await client.get(f"/dashboard/{seed.store_id}?period=day")).json()
    assert day["footfall_in"] > 0
    local_now = now.astimezone(BERLIN)
    for point in day["series"]:
        start = datetime.fromisoformat(point["start"])
        hour = start.astimezone(BERLIN).hour
        if start > now or not OPENS_H <= hour < CLOSES_H:  # the future and closed hours
            assert point["footfall_in"] == point["footfall_out"] == 0, point
    # Quiet early hours may be empty; from the morning on, every hour so far has visits.
    busy_hours = [p for p in day["series"] if 7 <= int(p["label"][:2]) < local_now.hour]
    assert all(p["footfall_in"] > 0 for p in busy_hours)
    for period in ("day", "week", "month"):
        dash = (await client.get(f"/dashboard/{seed.store_id}?period={period}")).json()
        assert dash["previous"]["footfall_in"] > 0, period
        assert dash["change_pct"] is not None, period
    async with state.sessions() as session:
        future = await session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.occurred_at > now)
        )
        first = await session.scalar(select(func.min(EventRow.occurred_at)))
    assert future == 0
    # Back to the first of last month: last month's like-for-like figure is whole.
    assert first is not None
    assert first.astimezone(BERLIN).date() == (
        local_now.date().replace(day=1) - timedelta(days=1)
    ).replace(day=1)
    live = (await client.get(f"/live/{seed.store_id}")).json()
    assert live["in_today"] == day["footfall_in"]


async def test_the_simulated_camera_is_named_and_kept_fresh(
    client: httpx.AsyncClient, state: AppState
) -> None:
    seeded_at = berlin(2026, 11, 30, 9, 0)
    seed = await _seed(client, state, seeded_at)
    later = seeded_at + timedelta(hours=2, minutes=5)
    state.clock = lambda: later
    before = (await client.get(f"/dashboard/{seed.store_id}?period=day")).json()["footfall_in"]
    async with state.sessions() as session:
        added = await feed_once(session, store_id=seed.store_id, now=later, uptime_s=5.0)
    assert added > 0
    after = (await client.get(f"/dashboard/{seed.store_id}?period=day")).json()
    assert after["footfall_in"] > before
    # Topping up again adds nothing: the same days draw the same events.
    async with state.sessions() as session:
        assert await feed_once(session, store_id=seed.store_id, now=later, uptime_s=6.0) == 0
    # What it added is exactly the visits after the seed, up to `later`, none later.
    async with state.sessions() as session:
        new = await session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.occurred_at > seeded_at)
        )
        last = await session.scalar(select(func.max(EventRow.occurred_at)))
    assert new == added
    assert last is not None
    assert seeded_at < last <= later
    live = (await client.get(f"/live/{seed.store_id}")).json()
    (camera,) = live["cameras"]
    assert camera["name"] == DEMO_CAMERA_NAME
    assert camera["status"] == "live"  # the heartbeat the feed just recorded


def test_the_daily_curve_follows_opening_hours_and_peaks() -> None:
    for weekday in range(7):
        assert hourly_rate(OPENS_H - 0.01, weekday) == 0.0
        assert hourly_rate(3.0, weekday) == 0.0
        assert hourly_rate(OPENS_H, weekday) > 0.0
        assert hourly_rate(23.9, weekday) > 0.0
    monday = [hourly_rate(h + 0.5, 0) for h in range(24)]
    assert monday[7] > monday[10] < monday[12]
    assert monday[17] == max(monday)
    saturday = [hourly_rate(h + 0.5, 5) for h in range(24)]
    assert sum(saturday) > sum(hourly_rate(h + 0.5, 6) for h in range(24))
