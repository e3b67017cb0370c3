"""Owner KPIs over HTTP: tenancy, DST days, Little's-law dwell, live occupancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from metrica.server.state import AppState
from tests.server.factories import bearer, crossing, make_camera, make_store, make_user


async def _post(client: httpx.AsyncClient, key: str, events: list[dict[str, object]]) -> None:
    r = await client.post("/events", json={"events": events}, headers={"X-Worker-Key": key})
    assert r.status_code == 200, r.text


async def test_tenancy_other_stores_are_404(client: httpx.AsyncClient, state: AppState) -> None:
    alice = await make_user(state, "alice@example.com")
    bob = await make_user(state, "bob@example.com")
    admin = await make_user(state, "root@example.com", role="superadmin")
    store_a = await make_store(state, name="A", owner=alice)
    store_b = await make_store(state, name="B", owner=bob)
    ha, hb = bearer(state, alice), bearer(state, bob)
    listed = (await client.get("/stores", headers=ha)).json()
    assert listed["count"] == 1
    assert listed["data"][0]["id"] == str(store_a.id)
    for path in (f"/live/{store_b.id}", f"/dashboard/{store_b.id}?period=week"):
        assert (await client.get(path, headers=ha)).status_code == 404
    for path in (f"/live/{store_a.id}", f"/dashboard/{store_a.id}?period=month"):
        assert (await client.get(path, headers=ha)).status_code == 200
        assert (await client.get(path, headers=hb)).status_code == 404
        assert (await client.get(path, headers=bearer(state, admin))).status_code == 200
    missing = uuid.uuid4()
    assert (await client.get(f"/live/{missing}", headers=ha)).status_code == 404
    assert (await client.get("/live/not-a-uuid", headers=ha)).status_code == 422
    assert (await client.get(f"/live/{store_a.id}")).status_code == 401
    admin_list = (await client.get("/stores", headers=bearer(state, admin))).json()
    assert admin_list["count"] == 2


@pytest.mark.parametrize(
    ("timezone", "day", "hours", "start"),
    [
        ("Europe/Berlin", "2025-03-30", 23, "2025-03-30T00:00:00+01:00"),
        ("Europe/Berlin", "2025-10-26", 25, "2025-10-26T00:00:00+02:00"),
        ("Asia/Kolkata", "2025-03-30", 24, "2025-03-30T00:00:00+05:30"),
    ],
)
async def test_dashboard_day_follows_dst(
    timezone: str, day: str, hours: int, start: str, client: httpx.AsyncClient, state: AppState
) -> None:
    owner = await make_user(state, "o@example.com")
    store = await make_store(state, timezone=timezone, owner=owner)
    camera, key = await make_camera(state, store)
    begin = datetime.fromisoformat(start).astimezone(UTC)
    events = [crossing(camera, "in", begin + timedelta(hours=h, minutes=10)) for h in range(hours)]
    events.append(crossing(camera, "in", begin - timedelta(minutes=1)))  # previous day
    await _post(client, key, events)
    r = await client.get(
        f"/dashboard/{store.id}?period=day&date={day}", headers=bearer(state, owner)
    )
    assert r.status_code == 200
    body = r.json()
    assert body["start"] == start
    end = datetime.fromisoformat(body["end"])
    assert end - datetime.fromisoformat(body["start"]) == timedelta(hours=hours)
    assert len(body["series"]) == hours
    assert [p["footfall_in"] for p in body["series"]] == [1] * hours
    assert body["footfall_in"] == hours
    assert body["previous"]["footfall_in"] == 1
    assert body["change_pct"] == pytest.approx((hours - 1) * 100)
    assert sum(map(sum, body["heatmap"])) == hours


async def test_little_law_dwell_on_a_hand_computed_day(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """Open 09-18. 10 in at 10:00, out at 11:00; 4 in at 14:30, out at 16:00 (Berlin, CEST).

    ∫occupancy = 10 x 1 h + 4 x 1.5 h = 16 person-hours, IN = 14, W = 16/14 h ≈ 4114 s.
    A non-counting camera's crossings are ignored.
    """
    owner = await make_user(state, "o@example.com")
    hours = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    hours |= {"sat": None, "sun": None}
    store = await make_store(state, owner=owner, opening_hours=hours)
    camera, key = await make_camera(state, store)
    other, other_key = await make_camera(state, store, name="Aisle", counting=False)
    local = datetime(2025, 6, 2, tzinfo=UTC) - timedelta(hours=2)  # 2025-06-02 00:00 CEST
    events = []
    for _ in range(10):
        events += [
            crossing(camera, "in", local + timedelta(hours=10)),
            crossing(camera, "out", local + timedelta(hours=11)),
        ]
    for _ in range(4):
        events += [
            crossing(camera, "in", local + timedelta(hours=14, minutes=30)),
            crossing(camera, "out", local + timedelta(hours=16)),
        ]
    await _post(client, key, events)
    await _post(client, other_key, [crossing(other, "in", local + timedelta(hours=12))] * 1)
    h = bearer(state, owner)
    body = (await client.get(f"/dashboard/{store.id}?period=day&date=2025-06-02", headers=h)).json()
    assert body["footfall_in"] == 14
    assert body["footfall_out"] == 14
    assert body["average_dwell_s"] == pytest.approx(16 * 3600 / 14)
    assert body["peak_hour"] == {"hour": 10, "footfall_in": 10}
    assert body["series"][10]["label"] == "10:00"
    week = (
        await client.get(f"/dashboard/{store.id}?period=week&date=2025-06-04", headers=h)
    ).json()
    assert week["start"] == "2025-06-02T00:00:00+02:00"
    assert len(week["series"]) == 7
    assert week["series"][0]["footfall_in"] == 14
    assert week["average_dwell_s"] == pytest.approx(16 * 3600 / 14)
    month = (
        await client.get(f"/dashboard/{store.id}?period=month&date=2025-06-30", headers=h)
    ).json()
    assert len(month["series"]) == 30
    assert month["heatmap"][0][10] == 10
    closed = (
        await client.get(f"/dashboard/{store.id}?period=day&date=2025-06-01", headers=h)
    ).json()
    assert closed["average_dwell_s"] is None
    assert closed["peak_hour"] is None
    bad = await client.get(f"/dashboard/{store.id}?period=year", headers=h)
    assert bad.status_code == 422


async def test_live_occupancy_clamps_and_resets_at_local_midnight(
    client: httpx.AsyncClient, state: AppState
) -> None:
    owner = await make_user(state, "o@example.com")
    store = await make_store(state, timezone="Pacific/Kiritimati", owner=owner)  # UTC+14
    camera, key = await make_camera(state, store)
    now = datetime.now(UTC)
    from zoneinfo import ZoneInfo

    midnight = now.astimezone(ZoneInfo("Pacific/Kiritimati")).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    since = (now - midnight).total_seconds()
    step = timedelta(seconds=min(since, 3600) / 10)
    t0 = now - step * 9
    events = [
        crossing(camera, "in", midnight - timedelta(minutes=5)),  # yesterday: ignored
        crossing(camera, "out", t0),  # phantom out clamps at 0
        crossing(camera, "out", t0 + step),
        crossing(camera, "in", t0 + step * 2),
        crossing(camera, "in", t0 + step * 3),
        crossing(camera, "in", t0 + step * 4),
        crossing(camera, "out", t0 + step * 5),
    ]
    await _post(client, key, events)
    beat = {"fps": 12.5, "frames_processed": 100, "uptime_s": 5, "version": "t"}
    r = await client.post(
        f"/cameras/{camera.id}/heartbeat", json=beat, headers={"X-Worker-Key": key}
    )
    assert r.status_code == 204
    body = (await client.get(f"/live/{store.id}", headers=bearer(state, owner))).json()
    assert body["occupancy"] == 2
    assert body["in_today"] == 3
    assert body["out_today"] == 3
    assert body["timezone"] == "Pacific/Kiritimati"
    (cam,) = body["cameras"]
    assert cam["status"] == "live"
    assert cam["fps"] == 12.5


async def test_today_is_compared_with_yesterday_up_to_the_same_local_time(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """Now = 10:30 on the 23-hour DST day in Berlin (CEST): yesterday (CET) counts up to
    10:30 CET, partly from the rollup (whole hours) and partly from raw events (10:00-10:30)."""
    owner = await make_user(state, "o@example.com")
    store = await make_store(state, owner=owner)
    camera, key = await make_camera(state, store)
    aisle, aisle_key = await make_camera(state, store, name="Aisle", counting=False)
    now = datetime(2025, 3, 30, 8, 30, tzinfo=UTC)  # 10:30 CEST
    state.clock = lambda: now
    cet = timedelta(hours=1)  # 2025-03-29 local = UTC + 1
    yesterday = datetime(2025, 3, 29, tzinfo=UTC) - cet  # 00:00 CET in UTC
    today = datetime(2025, 3, 29, 23, tzinfo=UTC)  # 2025-03-30 00:00 CET
    await _post(
        client,
        key,
        [
            crossing(camera, "in", yesterday + timedelta(hours=8)),
            crossing(camera, "in", yesterday + timedelta(hours=9, minutes=15)),
            crossing(camera, "in", yesterday + timedelta(hours=10, minutes=10)),  # raw part
            crossing(camera, "out", yesterday + timedelta(hours=10, minutes=29)),  # raw part
            crossing(camera, "in", yesterday + timedelta(hours=10, minutes=30)),  # at the cut
            crossing(camera, "in", yesterday + timedelta(hours=15)),
            crossing(camera, "in", today + timedelta(minutes=30)),
            crossing(camera, "in", now - timedelta(hours=2)),
            crossing(camera, "in", now - timedelta(minutes=5)),
            crossing(camera, "in", now - timedelta(minutes=1)),
        ],
    )
    await _post(client, aisle_key, [crossing(aisle, "in", yesterday + timedelta(hours=10))])
    h = bearer(state, owner)

    body = (await client.get(f"/dashboard/{store.id}?period=day", headers=h)).json()
    assert body["start"] == "2025-03-30T00:00:00+01:00"
    assert body["footfall_in"] == 4
    prev = body["previous"]
    assert prev["same_time"] is True
    assert prev["start"] == "2025-03-29T00:00:00+01:00"
    assert prev["end"] == "2025-03-29T10:30:00+01:00"
    assert (prev["footfall_in"], prev["footfall_out"]) == (3, 1)
    assert body["change_pct"] == pytest.approx((4 - 3) / 3 * 100)

    # A finished day compares with the whole day before it.
    past = (await client.get(f"/dashboard/{store.id}?period=day&date=2025-03-29", headers=h)).json()
    assert past["footfall_in"] == 5
    assert past["previous"]["same_time"] is False
    assert past["previous"]["end"] == "2025-03-29T00:00:00+01:00"

    # This week (Mon 24 - Sun 30 March) vs last week up to Sunday 23 March, 10:30 CET.
    week = (await client.get(f"/dashboard/{store.id}?period=week", headers=h)).json()
    assert week["footfall_in"] == 9
    assert week["previous"]["same_time"] is True
    assert week["previous"]["end"] == "2025-03-23T10:30:00+01:00"
    assert week["previous"]["footfall_in"] == 0
    assert week["change_pct"] is None
