"""Admin provisioning and worker camera endpoints: lines, config, health, snapshots."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import httpx
from PIL import Image

from metrica.server.state import AppState
from tests.server.factories import bearer, crossing, make_user


def _jpeg(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def test_provision_store_camera_lines_key_and_ingest(
    client: httpx.AsyncClient, state: AppState
) -> None:
    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    r = await client.post(
        "/admin/stores", json={"name": "X", "timezone": "Mars/Olympus"}, headers=admin
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "timezone"]
    r = await client.post(
        "/admin/stores",
        json={
            "name": "Kiosk",
            "timezone": "Europe/Berlin",
            "opening_hours": {"mon": ["18:00", "09:00"]},
        },
        headers=admin,
    )
    assert r.status_code == 422
    r = await client.post(
        "/admin/stores", json={"name": "Kiosk", "timezone": "Europe/Berlin"}, headers=admin
    )
    assert r.status_code == 201
    store = r.json()
    assert store["opening_hours"]["sun"] is None
    r = await client.post(
        "/admin/cameras", json={"store_id": store["id"], "name": "Door"}, headers=admin
    )
    assert r.status_code == 201
    camera = r.json()
    assert camera["status"] == "offline"
    assert camera["has_key"] is False
    cid = camera["id"]
    bad_line = [{"line_id": "door", "x1": 0.5, "y1": 0.5, "x2": 0.5, "y2": 0.5}]
    assert (
        await client.put(f"/admin/cameras/{cid}/lines", json=bad_line, headers=admin)
    ).status_code == 422
    out_of_range = [{"line_id": "door", "x1": 0, "y1": 0, "x2": 1.5, "y2": 1}]
    r = await client.put(f"/admin/cameras/{cid}/lines", json=out_of_range, headers=admin)
    assert r.status_code == 422
    lines = [{"line_id": "door", "name": "Front", "x1": 0.1, "y1": 0.5, "x2": 0.9, "y2": 0.5}]
    r = await client.put(f"/admin/cameras/{cid}/lines", json=lines, headers=admin)
    assert r.status_code == 200
    assert r.json()[0]["line_id"] == "door"
    key = (await client.post(f"/admin/cameras/{cid}/key", headers=admin)).json()["key"]
    worker = {"X-Worker-Key": key}
    config = (await client.get(f"/cameras/{cid}/config", headers=worker)).json()
    assert config["lines"][0]["x1"] == 0.1
    event = crossing(__import__("uuid").UUID(cid), "in", datetime.now(UTC))
    assert (
        await client.post("/events", json={"events": [event]}, headers=worker)
    ).status_code == 200
    listed = (await client.get(f"/admin/cameras?store_id={store['id']}", headers=admin)).json()
    assert listed["count"] == 1
    assert listed["data"][0]["status"] == "live"
    assert listed["data"][0]["has_key"] is True
    assert listed["data"][0]["last_event_at"] is not None
    # Lines replaced: the old id is unknown to ingest immediately.
    lines2 = [{"line_id": "gate", "x1": 0.1, "y1": 0.5, "x2": 0.9, "y2": 0.5}]
    assert (await client.put(f"/admin/cameras/{cid}/lines", json=lines2, headers=admin)).is_success
    stale = crossing(__import__("uuid").UUID(cid), "in", datetime.now(UTC))
    r = await client.post("/events", json={"events": [stale]}, headers=worker)
    assert r.status_code == 422
    r = await client.patch(f"/admin/stores/{store['id']}", json={"name": "Kiosk 2"}, headers=admin)
    assert r.json()["name"] == "Kiosk 2"
    assert (await client.delete(f"/admin/cameras/{cid}", headers=admin)).status_code == 204
    assert (await client.get(f"/admin/cameras/{cid}", headers=admin)).status_code == 404
    assert (await client.delete(f"/admin/stores/{store['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/admin/stores/{store['id']}", headers=admin)).status_code == 404


async def test_snapshot_upload_validated_and_served(
    client: httpx.AsyncClient, state: AppState
) -> None:
    from tests.server.factories import make_camera, make_store

    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    camera, key = await make_camera(state, await make_store(state))
    url = f"/cameras/{camera.id}/snapshot"
    worker = {"X-Worker-Key": key, "Content-Type": "image/jpeg"}
    assert (
        await client.get(f"/admin/cameras/{camera.id}/snapshot", headers=admin)
    ).status_code == 404
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    assert (await client.put(url, content=png.getvalue(), headers=worker)).status_code == 415
    fake = b"\xff\xd8\xff" + b"garbage" * 100
    assert (await client.put(url, content=fake, headers=worker)).status_code == 415
    huge = b"\xff\xd8\xff" + b"\0" * (state.settings.snapshot_max_bytes + 1)
    assert (await client.put(url, content=huge, headers=worker)).status_code == 413
    jpeg = _jpeg()
    assert (await client.put(url, content=jpeg, headers=worker)).status_code == 204
    r = await client.get(f"/admin/cameras/{camera.id}/snapshot", headers=admin)
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.content == jpeg
    listed = (await client.get("/admin/cameras", headers=admin)).json()
    assert listed["data"][0]["last_snapshot_at"] is not None


async def test_owner_management(client: httpx.AsyncClient, state: AppState) -> None:
    from tests.server.factories import make_store

    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    owner = await make_user(state, "owner@example.com")
    store = await make_store(state)
    r = await client.post(
        f"/admin/stores/{store.id}/owners", json={"email": "owner@example.com"}, headers=admin
    )
    assert r.status_code == 201
    assert r.json()["id"] == str(owner.id)
    assert (await client.get("/stores", headers=bearer(state, owner))).json()["count"] == 1
    owners = (await client.get(f"/admin/stores/{store.id}/owners", headers=admin)).json()
    assert [o["email"] for o in owners["data"]] == ["owner@example.com"]
    r = await client.delete(f"/admin/stores/{store.id}/owners/{owner.id}", headers=admin)
    assert r.status_code == 204
    assert (await client.get(f"/live/{store.id}", headers=bearer(state, owner))).status_code == 404
    r = await client.delete(f"/admin/stores/{store.id}/owners/{owner.id}", headers=admin)
    assert r.status_code == 404


async def test_timezone_change_rebuilds_rollup(client: httpx.AsyncClient, state: AppState) -> None:
    from sqlalchemy import select

    from metrica.server.events.models import HourlyCount
    from tests.server.factories import make_camera, make_store

    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    store = await make_store(state, timezone="Europe/Berlin")
    camera, key = await make_camera(state, store)
    at = datetime(2025, 1, 15, 9, 45, tzinfo=UTC)
    r = await client.post(
        "/events", json={"events": [crossing(camera, "in", at)]}, headers={"X-Worker-Key": key}
    )
    assert r.json()["accepted"] == 1
    r = await client.patch(
        f"/admin/stores/{store.id}", json={"timezone": "Asia/Kolkata"}, headers=admin
    )
    assert r.status_code == 200
    async with state.sessions() as session:
        rows = (await session.execute(select(HourlyCount.bucket_start, HourlyCount.in_count))).all()
    assert [(b, n) for b, n in rows] == [(datetime(2025, 1, 15, 9, 30, tzinfo=UTC), 1)]


async def test_seed_demo_gives_a_working_owner_dashboard(
    client: httpx.AsyncClient, state: AppState
) -> None:
    from metrica.server.seed import seed_demo

    # Pinned mid-month, mid-afternoon: the 3 seeded days and today all fall in March.
    now = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)
    state.clock = lambda: now
    async with state.sessions() as session:
        seed = await seed_demo(session, hasher=state.passwords, days=3, now=now)
    assert seed.events > 0
    login = await client.post(
        "/auth/login", json={"email": seed.owner_email, "password": seed.password}
    )
    assert login.status_code == 200
    stores = (await client.get("/stores")).json()
    assert [s["id"] for s in stores["data"]] == [str(seed.store_id)]
    month = (await client.get(f"/dashboard/{seed.store_id}?period=month&date=2026-03-18")).json()
    assert month["footfall_in"] + month["footfall_out"] == seed.events
    config = await client.get(
        f"/cameras/{seed.camera_id}/config", headers={"X-Worker-Key": seed.worker_key}
    )
    assert config.json()["lines"][0]["line_id"] == "door"


async def test_deleting_a_camera_removes_its_counts_from_past_dashboards(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """What the web app's delete dialogs promise: a deleted camera's visits leave every
    figure, past days included; deleting the store keeps its owners' accounts."""
    from sqlalchemy import func, select

    from metrica.server.events.models import EventRow, HourlyCount
    from tests.server.factories import make_camera, make_store

    root = await make_user(state, "root@example.com", role="superadmin")
    owner = await make_user(state, "o@example.com", password="longpass1")
    admin = bearer(state, root)
    store = await make_store(state, owner=owner)
    front, front_key = await make_camera(state, store, name="Front")
    side, side_key = await make_camera(state, store, name="Side")
    at = datetime(2025, 6, 2, 10, tzinfo=UTC)
    for camera, key, n in ((front, front_key, 3), (side, side_key, 2)):
        events = [crossing(camera, "in", at) for _ in range(n)]
        r = await client.post("/events", json={"events": events}, headers={"X-Worker-Key": key})
        assert r.status_code == 200
    day = f"/dashboard/{store.id}?period=day&date=2025-06-02"
    assert (await client.get(day, headers=admin)).json()["footfall_in"] == 5

    assert (await client.delete(f"/admin/cameras/{side.id}", headers=admin)).status_code == 204
    assert (await client.get(day, headers=admin)).json()["footfall_in"] == 3
    async with state.sessions() as session:
        for model in (EventRow, HourlyCount):
            left = await session.scalar(
                select(func.count()).select_from(model).where(model.camera_id == side.id)
            )
            assert left == 0
    r = await client.post(
        "/events", json={"events": [crossing(side, "in", at)]}, headers={"X-Worker-Key": side_key}
    )
    assert r.status_code == 401

    assert (await client.delete(f"/admin/stores/{store.id}", headers=admin)).status_code == 204
    async with state.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(EventRow)) == 0
        assert await session.scalar(select(func.count()).select_from(HourlyCount)) == 0
    login = await client.post(
        "/auth/login", json={"email": "o@example.com", "password": "longpass1"}
    )
    assert login.status_code == 200
    assert (await client.get("/stores", headers=bearer(state, owner))).json()["count"] == 0
