"""The worker-key cache: every service change to a key, camera or store clears it on commit.

The TTL here is an hour, so a key that still works after a change was served from a stale
cache entry, not from a lucky expiry.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera, CountingLineRow
from metrica.server.cameras.schemas import CameraUpdate, LineSpec
from metrica.server.events.models import HourlyCount
from metrica.server.settings import Settings
from metrica.server.state import AppState
from metrica.server.stores import service as stores
from metrica.server.stores.models import Store
from metrica.server.stores.schemas import StoreUpdate
from tests.server.conftest import make_settings
from tests.server.factories import crossing, make_camera, make_store


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, worker_key_cache_s=3600.0)


def _cached(state: AppState, key: str) -> bool:
    found, _ = state.worker_keys.get(hashlib.sha256(key.encode()).hexdigest())
    return found


async def _post(
    client: httpx.AsyncClient, camera_id: uuid.UUID, key: str, *, line: str = "door"
) -> int:
    batch = {"events": [crossing(camera_id, "in", datetime.now(UTC), line=line)]}
    r = await client.post("/events", json=batch, headers={"X-Worker-Key": key})
    return r.status_code


async def _change(name: str, session: AsyncSession, camera_id: uuid.UUID) -> None:
    camera = await session.get(Camera, camera_id)
    assert camera is not None
    if name == "rotate":
        await cameras.issue_key(session=session, camera=camera)
    elif name == "revoke":
        await cameras.revoke_key(session=session, camera=camera)
    elif name == "disable":
        await cameras.update(session=session, camera=camera, data=CameraUpdate(status="disabled"))
    elif name == "delete_camera":
        await cameras.delete(session=session, camera=camera)
    else:
        store = await session.get(Store, camera.store_id)
        assert store is not None
        await stores.delete(session=session, store=store)


@pytest.mark.parametrize("change", ["rotate", "revoke", "disable", "delete_camera", "delete_store"])
async def test_a_change_shuts_a_cached_key_out_once_committed(
    client: httpx.AsyncClient, state: AppState, change: str
) -> None:
    camera, key = await make_camera(state, await make_store(state))
    assert await _post(client, camera.id, key) == 200
    assert _cached(state, key)
    async with state.sessions() as session:
        await _change(change, session, camera.id)
        assert _cached(state, key)  # until the commit, the old answer is still the truth
        await session.commit()
    assert not _cached(state, key)
    assert await _post(client, camera.id, key) == 401


async def test_a_change_that_bypasses_the_services_stays_cached(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """What the tests above would see if a service forgot to invalidate."""
    camera, key = await make_camera(state, await make_store(state))
    assert await _post(client, camera.id, key) == 200
    async with state.sessions() as session:
        await session.execute(update(Camera).values(key_hash=None))
        await session.commit()
    assert await _post(client, camera.id, key) == 200


async def test_new_lines_and_timezone_reach_ingest_at_once(
    client: httpx.AsyncClient, state: AppState
) -> None:
    store = await make_store(state, timezone="Europe/Berlin")
    camera, key = await make_camera(state, store)
    assert await _post(client, camera.id, key) == 200
    async with state.sessions() as session:
        row = await session.get(Camera, camera.id)
        assert row is not None
        gate = LineSpec(line_id="gate", x1=0.1, y1=0.5, x2=0.9, y2=0.5)
        await cameras.replace_lines(session=session, camera=row, specs=[gate])
        await session.commit()
    assert not _cached(state, key)
    assert await _post(client, camera.id, key, line="gate") == 200  # cached again

    async with state.sessions() as session:
        changed = await session.get(Store, store.id)
        assert changed is not None
        patch = StoreUpdate(timezone="Asia/Kolkata")
        assert await stores.update(session=session, store=changed, data=patch)
        await session.commit()
    at = datetime(2025, 1, 15, 9, 45, tzinfo=UTC)
    r = await client.post(
        "/events",
        json={"events": [crossing(camera, "in", at, line="gate")]},
        headers={"X-Worker-Key": key},
    )
    assert r.json()["accepted"] == 1
    async with state.sessions() as session:
        bucket = await session.scalar(
            select(HourlyCount.bucket_start).where(HourlyCount.bucket_start < at)
        )
    assert bucket == datetime(2025, 1, 15, 9, 30, tzinfo=UTC)  # Kolkata's hour, not Berlin's


async def test_lines_changed_by_another_process_refresh_the_cache(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """Ingest rechecks an unknown line against the database and then drops the stale entry."""
    camera, key = await make_camera(state, await make_store(state))
    assert await _post(client, camera.id, key) == 200
    async with state.sessions() as session:  # as another backend process would
        session.add(CountingLineRow(camera_id=camera.id, line_id="gate", x1=0, y1=0, x2=1, y2=1))
        await session.commit()
    assert _cached(state, key)
    assert await _post(client, camera.id, key, line="gate") == 200
    assert not _cached(state, key)
