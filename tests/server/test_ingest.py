"""Worker ingest: atomic, idempotent (also concurrently), scoped to the key's camera."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from metrica.domain.events import LineCrossed
from metrica.server.events import service
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.state import AppState
from tests.server.factories import crossing, make_camera, make_store


async def _count_events(state: AppState) -> int:
    async with state.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(EventRow)) or 0)


async def _rollup_in(state: AppState) -> int:
    async with state.sessions() as session:
        return int(await session.scalar(select(func.sum(HourlyCount.in_count))) or 0)


async def test_batch_is_stored_and_rolled_up(client: httpx.AsyncClient, state: AppState) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    now = datetime.now(UTC)
    events = [crossing(camera, "in", now - timedelta(minutes=i)) for i in range(5)]
    events.append(crossing(camera, "out", now))
    r = await client.post("/events", json={"events": events}, headers={"X-Worker-Key": key})
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 6, "duplicates": 0, "denied": 0}
    assert await _count_events(state) == 6
    assert await _rollup_in(state) == 5


async def test_same_batch_twice_counts_once(client: httpx.AsyncClient, state: AppState) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    now = datetime.now(UTC)
    batch = {"events": [crossing(camera, "in", now - timedelta(seconds=i)) for i in range(20)]}
    headers = {"X-Worker-Key": key}
    first = await client.post("/events", json=batch, headers=headers)
    second = await client.post("/events", json=batch, headers=headers)
    assert first.json() == {"accepted": 20, "duplicates": 0, "denied": 0}
    assert second.json() == {"accepted": 0, "duplicates": 20, "denied": 0}
    assert await _rollup_in(state) == 20


async def test_batch_with_some_ids_stored_keeps_only_the_new(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """Part stored already (on PostgreSQL: the all-new claim fails, the per-id claim runs)."""
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    now = datetime.now(UTC)
    old = [crossing(camera, "in", now - timedelta(seconds=i)) for i in range(6)]
    new = [crossing(camera, "out", now - timedelta(seconds=i)) for i in range(4)]
    headers = {"X-Worker-Key": key}
    first = await client.post("/events", json={"events": old}, headers=headers)
    second = await client.post("/events", json={"events": new + old[:3]}, headers=headers)
    assert first.json() == {"accepted": 6, "duplicates": 0, "denied": 0}
    assert second.json() == {"accepted": 4, "duplicates": 3, "denied": 0}
    assert await _count_events(state) == 10
    async with state.sessions() as session:
        rows = (await session.execute(select(EventRow.payload))).scalars().all()
        ins, outs = (
            await session.execute(
                select(func.sum(HourlyCount.in_count), func.sum(HourlyCount.out_count))
            )
        ).one()
    assert rows == [{"track_id": 1}] * 10
    assert (ins, outs) == (6, 4)


async def test_concurrent_identical_batches_count_once(
    client: httpx.AsyncClient, state: AppState
) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    now = datetime.now(UTC)
    batch = {"events": [crossing(camera, "in", now - timedelta(seconds=i)) for i in range(200)]}
    headers = {"X-Worker-Key": key}
    responses = await asyncio.gather(
        *(client.post("/events", json=batch, headers=headers) for _ in range(4))
    )
    assert [r.status_code for r in responses] == [200] * 4
    assert sum(r.json()["accepted"] for r in responses) == 200
    assert sum(r.json()["duplicates"] for r in responses) == 600
    assert await _count_events(state) == 200
    assert await _rollup_in(state) == 200


async def test_one_bad_event_rejects_whole_batch(
    client: httpx.AsyncClient, state: AppState
) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    now = datetime.now(UTC)
    events = [crossing(camera, "in", now) for _ in range(5)]
    events[3]["direction"] = "sideways"
    r = await client.post("/events", json={"events": events}, headers={"X-Worker-Key": key})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "events", 3, "direction"]
    assert await _count_events(state) == 0


async def test_unknown_line_and_future_time_name_index_and_field(
    client: httpx.AsyncClient, state: AppState
) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    now = datetime.now(UTC)
    events = [
        crossing(camera, "in", now),
        crossing(camera, "in", now, line="window"),
        crossing(camera, "in", now + timedelta(minutes=10)),
    ]
    r = await client.post("/events", json={"events": events}, headers={"X-Worker-Key": key})
    assert r.status_code == 422
    locs = [e["loc"] for e in r.json()["detail"]]
    assert ["body", "events", 1, "line_id"] in locs
    assert ["body", "events", 2, "occurred_at"] in locs
    assert await _count_events(state) == 0


async def test_bad_inputs_are_422(client: httpx.AsyncClient, state: AppState) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    headers = {"X-Worker-Key": key}
    now = datetime.now(UTC)
    oversized = {"events": [crossing(camera, "in", now) for _ in range(1001)]}
    r = await client.post("/events", json=oversized, headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "events"]
    bad_uuid = crossing(camera, "in", now)
    bad_uuid["event_id"] = "not-a-uuid"
    r = await client.post("/events", json={"events": [bad_uuid]}, headers=headers)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "events", 0, "event_id"]
    naive = crossing(camera, "in", now)
    naive["occurred_at"] = "2025-01-01T10:00:00"
    r = await client.post("/events", json={"events": [naive]}, headers=headers)
    assert r.status_code == 422
    assert await _count_events(state) == 0


async def test_key_writes_only_its_own_camera(client: httpx.AsyncClient, state: AppState) -> None:
    store = await make_store(state)
    camera_a, key_a = await make_camera(state, store, name="A")
    camera_b, _ = await make_camera(state, store, name="B")
    now = datetime.now(UTC)
    r = await client.post(
        "/events",
        json={"events": [crossing(camera_a, "in", now), crossing(camera_b, "in", now)]},
        headers={"X-Worker-Key": key_a},
    )
    assert r.status_code == 403
    assert "events[1]" in r.json()["detail"]
    beat = {"fps": 10, "frames_processed": 1, "uptime_s": 1, "version": "t"}
    r = await client.post(
        f"/cameras/{camera_b.id}/heartbeat", json=beat, headers={"X-Worker-Key": key_a}
    )
    assert r.status_code == 403
    r = await client.get(f"/cameras/{camera_b.id}/config", headers={"X-Worker-Key": key_a})
    assert r.status_code == 403
    assert await _count_events(state) == 0


async def test_missing_rotated_and_revoked_keys(client: httpx.AsyncClient, state: AppState) -> None:
    from tests.server.factories import bearer, make_user

    admin = await make_user(state, "root@example.com", role="superadmin")
    store = await make_store(state)
    camera, old_key = await make_camera(state, store)
    batch = {"events": [crossing(camera, "in", datetime.now(UTC))]}
    assert (await client.post("/events", json=batch)).status_code == 401
    bad = await client.post("/events", json=batch, headers={"X-Worker-Key": "mk_nope"})
    assert bad.status_code == 401
    assert (await client.post("/events", json=batch, headers={"X-Worker-Key": old_key})).is_success
    rotated = await client.post(f"/admin/cameras/{camera.id}/key", headers=bearer(state, admin))
    assert rotated.status_code == 201
    new_key = rotated.json()["key"]
    assert new_key != old_key
    r = await client.post("/events", json=batch, headers={"X-Worker-Key": old_key})
    assert r.status_code == 401
    r = await client.post("/events", json=batch, headers={"X-Worker-Key": new_key})
    assert r.json() == {"accepted": 0, "duplicates": 1, "denied": 0}
    revoked = await client.delete(f"/admin/cameras/{camera.id}/key", headers=bearer(state, admin))
    assert revoked.status_code == 204
    r = await client.post("/events", json=batch, headers={"X-Worker-Key": new_key})
    assert r.status_code == 401


async def test_late_event_lands_in_its_local_hour(
    client: httpx.AsyncClient, state: AppState
) -> None:
    store = await make_store(state, timezone="Asia/Kolkata")
    camera, key = await make_camera(state, store)
    late = datetime(2025, 1, 15, 4, 45, tzinfo=UTC)  # 10:15 IST -> bucket starts 04:30 UTC
    r = await client.post(
        "/events",
        json={"events": [crossing(camera, "in", late, event_id=uuid.uuid4())]},
        headers={"X-Worker-Key": key},
    )
    assert r.json()["accepted"] == 1
    async with state.sessions() as session:
        bucket = await session.scalar(select(HourlyCount.bucket_start))
        remaining = await session.scalar(select(HourlyCount.in_remaining_s))
    assert bucket == datetime(2025, 1, 15, 4, 30, tzinfo=UTC)
    assert remaining == 45 * 60


async def test_an_event_sent_with_another_offset_lands_at_its_instant(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """Events keep the offset they were sent with (validated in Rust, not converted):
    the stored instant, the rollup's local hour and the remaining seconds are the UTC ones."""
    store = await make_store(state, timezone="Asia/Kolkata")
    camera, key = await make_camera(state, store)
    at_utc = datetime(2025, 1, 15, 4, 45, tzinfo=UTC)  # 10:15 IST
    sent = [
        crossing(camera, "in", at_utc.astimezone(timezone(timedelta(hours=5, minutes=30)))),
        crossing(camera, "in", at_utc.astimezone(timezone(-timedelta(hours=9, minutes=59)))),
        crossing(camera, "in", at_utc),
    ]
    assert {e["occurred_at"][-6:] for e in sent} == {"+05:30", "-09:59", "+00:00"}
    r = await client.post("/events", json={"events": sent}, headers={"X-Worker-Key": key})
    assert r.json() == {"accepted": 3, "duplicates": 0, "denied": 0}
    async with state.sessions() as session:
        stored = set((await session.scalars(select(EventRow.occurred_at))).all())
        rows = (await session.scalars(select(HourlyCount))).all()
    assert stored == {at_utc}
    assert [(r.bucket_start, r.in_count, r.in_remaining_s) for r in rows] == [
        (datetime(2025, 1, 15, 4, 30, tzinfo=UTC), 3, 3 * 45 * 60)
    ]


async def test_rollup_matches_the_python_sums_across_a_dst_night(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """On PostgreSQL the rollup is summed inside the insert statement: it must give what
    `hourly_sums` gives (both local 02:00 hours of the fall-back night apart, a slot edge
    one microsecond away), counting only the events that were new."""
    from metrica.server.events.service import hourly_sums

    store = await make_store(state, timezone="Europe/Berlin")
    camera, key = await make_camera(state, store, lines=("door", "side"))
    night = datetime(2025, 10, 26, 0, 0, tzinfo=UTC)  # 02:00 CEST, then 02:00 CET at 01:00
    offsets = [
        timedelta(minutes=7, microseconds=123_457),
        timedelta(minutes=44, seconds=59, microseconds=999_999),
        timedelta(minutes=45),
        timedelta(hours=1, minutes=14, seconds=59, microseconds=999_999),
        timedelta(hours=1, minutes=30, microseconds=1),
        timedelta(hours=2, minutes=59, seconds=59, microseconds=999_999),
        timedelta(hours=27, seconds=3),
    ]
    events = [
        crossing(camera, direction, night + offset, line=line)
        for offset in offsets
        for direction in ("in", "out")
        for line in ("door", "side")
    ]
    headers = {"X-Worker-Key": key}
    first, second = events[: len(events) // 2 + 3], events[len(events) // 2 :]
    r1 = await client.post("/events", json={"events": first}, headers=headers)
    r2 = await client.post("/events", json={"events": second}, headers=headers)
    assert r1.json() == {"accepted": len(first), "duplicates": 0, "denied": 0}
    assert r2.json() == {"accepted": len(events) - len(first), "duplicates": 3, "denied": 0}
    expected = hourly_sums(
        [(e["line_id"], e["direction"], datetime.fromisoformat(e["occurred_at"])) for e in events],
        ZoneInfo("Europe/Berlin"),
    )
    assert {start for _, start in expected} >= {night, night + timedelta(hours=1)}
    async with state.sessions() as session:
        rows = (await session.execute(select(HourlyCount))).scalars().all()
    got = {(r.line_id, r.bucket_start): r for r in rows}
    assert set(got) == set(expected)
    for key_, (ins, outs, in_rem, out_rem) in expected.items():
        row = got[key_]
        assert (row.in_count, row.out_count) == (ins, outs), key_
        assert row.in_remaining_s == pytest.approx(in_rem, abs=1e-6), key_
        assert row.out_remaining_s == pytest.approx(out_rem, abs=1e-6), key_


@pytest.mark.parametrize(
    "at",
    [
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 44, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 0, 45, tzinfo=UTC),
        datetime(2026, 11, 1, 5, 14, 59, 500000, tzinfo=ZoneInfo("America/New_York")),
    ],
)
def test_utc_slot_is_the_timestamp_arithmetic(at: datetime) -> None:
    """The slot from the fields (UTC) or from the timestamp (any other zone) is the same."""
    assert service.utc_slot(at) == int(at.timestamp()) // service.SLOT_S
    assert service.utc_slot(at.astimezone(UTC)) == int(at.timestamp()) // service.SLOT_S


@pytest.mark.parametrize(
    "sent",
    [
        "2026-03-29T00:44:59.999999Z",
        "2026-03-29T00:45:00+00:00",
        "2026-03-29T00:45:00-00:00",
        "2026-03-29T02:14:59+01:30",
        "2026-03-28T23:59:00-00:46",
        "2000-01-01T23:59:59+23:59",
    ],
)
def test_utc_slot_of_an_offset_as_the_event_model_parses_it(sent: str) -> None:
    """An event's instant at offset zero is `datetime.UTC` itself (the slot's fast path,
    and cheap comparisons); any other offset is kept, and the slot is the timestamp's."""
    at = LineCrossed.model_validate(
        {
            "event_id": str(uuid.uuid4()),
            "camera_id": "c",
            "line_id": "door",
            "direction": "in",
            "occurred_at": sent,
            "track_id": 1,
        }
    ).occurred_at
    assert (at.tzinfo is UTC) == (at.utcoffset() == timedelta(0))
    assert service.utc_slot(at) == int(at.timestamp()) // service.SLOT_S
