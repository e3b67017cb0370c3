"""Owner views over HTTP: occupancy through the day, same-weekday comparisons, and the
overview of many stores (pinned clocks, store time)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from metrica.server.state import AppState
from tests.server.factories import bearer, crossing, make_camera, make_store, make_user

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


async def _post(client: httpx.AsyncClient, key: str, events: list[dict[str, object]]) -> None:
    r = await client.post("/events", json={"events": events}, headers={"X-Worker-Key": key})
    assert r.status_code == 200, r.text


async def test_day_view_has_occupancy_and_same_weekday_comparisons(
    client: httpx.AsyncClient, state: AppState
) -> None:
    owner = await make_user(state, "o@example.com")
    store = await make_store(state, owner=owner)
    camera, key = await make_camera(state, store)
    now = berlin(2025, 3, 17, 11, 20)  # a Monday
    state.clock = lambda: now
    events = [
        crossing(camera, "in", berlin(2025, 3, 17, 9, 5)),
        crossing(camera, "in", berlin(2025, 3, 17, 9, 10)),
        crossing(camera, "out", berlin(2025, 3, 17, 9, 40)),
        crossing(camera, "in", berlin(2025, 3, 17, 11, 10)),
        # Monday last week: 4 in by 11:20 and one after (not like for like).
        *[crossing(camera, "in", berlin(2025, 3, 10, 10, m)) for m in range(4)],
        crossing(camera, "in", berlin(2025, 3, 10, 11, 30)),
        # Yesterday (Sunday) does not count as "last week".
        crossing(camera, "in", berlin(2025, 3, 16, 10, 0)),
        # 52 weeks back is Monday 18 March 2024: 2 in.
        *[crossing(camera, "in", berlin(2024, 3, 18, 10, m)) for m in range(2)],
    ]
    await _post(client, key, events)
    headers = bearer(state, owner)
    dash = (await client.get(f"/dashboard/{store.id}?period=day", headers=headers)).json()
    assert dash["footfall_in"] == 3
    kinds = {c["kind"]: c for c in dash["comparisons"]}
    assert kinds["last_week"]["footfall_in"] == 4
    assert kinds["last_week"]["change_pct"] == -25.0
    assert kinds["last_week"]["same_time"] is True
    assert datetime.fromisoformat(kinds["last_week"]["end"]) == berlin(2025, 3, 10, 11, 20)
    assert kinds["last_year"]["footfall_in"] == 2
    occupancy = {
        datetime.fromisoformat(p["at"]).astimezone(BERLIN).strftime("%H:%M"): p["occupancy"]
        for p in dash["occupancy"]
    }
    assert occupancy["09:00"] == 0
    assert occupancy["09:15"] == 2
    assert occupancy["09:45"] == 1
    assert occupancy["11:15"] == 2
    assert occupancy["11:20"] == 2  # the last point is now; nothing in the future
    assert max(occupancy) == "11:20"

    # A past day with no data a year back: no "last year" comparison, a whole-day one.
    past = (
        await client.get(f"/dashboard/{store.id}?period=day&date=2025-03-16", headers=headers)
    ).json()
    assert [c["kind"] for c in past["comparisons"]] == ["last_week"]
    assert past["comparisons"][0]["same_time"] is False
    assert len(past["occupancy"]) == 24 * 4 + 1
    week = (await client.get(f"/dashboard/{store.id}?period=week", headers=headers)).json()
    assert week["occupancy"] == []
    assert [c["kind"] for c in week["comparisons"]] == ["last_year"]


async def test_overview_has_a_row_per_visible_store(
    client: httpx.AsyncClient, state: AppState
) -> None:
    owner = await make_user(state, "o@example.com")
    other = await make_user(state, "x@example.com")
    berlin_store = await make_store(state, name="Berlin", owner=owner)
    paris = await make_store(state, name="Paris", timezone="Europe/Paris", owner=owner)
    hidden = await make_store(state, name="Hidden", owner=other)
    now = berlin(2025, 3, 17, 15, 0)
    state.clock = lambda: now
    cam, key = await make_camera(state, berlin_store)
    await make_camera(state, paris, name="Door")
    hidden_cam, hidden_key = await make_camera(state, hidden)
    await _post(
        client,
        key,
        [
            crossing(cam, "in", now - timedelta(hours=1)),
            crossing(cam, "in", now - timedelta(minutes=30)),
            crossing(cam, "out", now - timedelta(minutes=10)),
            crossing(cam, "in", now - timedelta(days=7, hours=2)),
            crossing(cam, "in", now - timedelta(days=3)),
        ],
    )
    await _post(client, hidden_key, [crossing(hidden_cam, "in", now - timedelta(hours=1))])
    r = await client.get("/stores/overview", headers=bearer(state, owner))
    assert r.status_code == 200
    rows = {row["name"]: row for row in r.json()["data"]}
    assert set(rows) == {"Berlin", "Paris"}
    b = rows["Berlin"]
    assert (b["in_today"], b["occupancy"], b["last_week_in"]) == (2, 1, 1)
    assert b["change_pct"] == 100.0
    assert len(b["daily_in"]) == 14
    assert b["daily_in"][-1] == 2
    assert b["daily_in"][-4] == 1
    assert b["daily_in"][-8] == 1
    assert b["cameras"]["live"] + b["cameras"]["stale"] + b["cameras"]["offline"] == 1
    p = rows["Paris"]
    assert (p["in_today"], p["change_pct"], p["cameras"]["offline"]) == (0, None, 1)
    assert (await client.get("/stores/overview")).status_code == 401
