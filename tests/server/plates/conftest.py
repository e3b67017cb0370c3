"""A plate world on both databases: a store with ANPR and one without, an owner of each,
a clerk of the first, a superadmin; the app runs plate jobs in-process with a scripted
reader and keeps blobs in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from metrica.server.app import create_app
from metrica.server.auth.models import User
from metrica.server.settings import Settings
from metrica.server.state import AppState
from metrica.server.stores.models import Store, StoreClerk
from tests.server.conftest import make_settings
from tests.server.factories import bearer, make_store, make_user
from tests.server.plates.scripted import ScriptedProcessor
from tests.support.db import empty_tables


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        blob_dir=tmp_path / "blobs",
        plates_retry_delay_s=0.05,
        plates_upload_max_bytes=64 * 1024,
    )


@pytest.fixture
def processor() -> ScriptedProcessor:
    return ScriptedProcessor()


@pytest.fixture
async def app(settings: Settings, processor: ScriptedProcessor) -> AsyncIterator[FastAPI]:
    application = create_app(settings, plate_processor=processor)
    await empty_tables(application.state.metrica.engine)
    yield application
    await application.state.metrica.close()


@dataclass
class PlateWorld:
    admin: User
    owner: User
    other_owner: User
    clerk: User
    store: Store  # ANPR on; owner, clerk
    dark: Store  # ANPR off; other_owner
    state: AppState

    def headers(self, user: User) -> dict[str, str]:
        return bearer(self.state, user)


async def make_plate_world(state: AppState) -> PlateWorld:
    admin = await make_user(state, "admin@example.com", role="superadmin")
    owner = await make_user(state, "owner@example.com")
    other = await make_user(state, "other@example.com")
    clerk = await make_user(state, "clerk@example.com", role="clerk")
    store = await make_store(state, name="Car park", owner=owner)
    dark = await make_store(state, name="Shop", owner=other)
    async with state.sessions() as session:
        row = await session.get(Store, store.id)
        assert row is not None
        row.anpr_enabled = True
        session.add(StoreClerk(store_id=store.id, user_id=clerk.id))
        await session.commit()
    return PlateWorld(admin, owner, other, clerk, store, dark, state)


@pytest.fixture
async def world(state: AppState) -> PlateWorld:
    return await make_plate_world(state)


def upload_files(
    data: bytes, name: str = "clip.png", kind: str = "image/png"
) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, data, kind)}


async def wait_for_job(
    client: httpx.AsyncClient, job_id: str, headers: dict[str, str], *, timeout_s: float = 20
) -> dict[str, object]:
    """Poll the job until it is done, failed or cancelled (deadline, no fixed sleeps)."""
    import asyncio
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        r = await client.get(f"/plates/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        job: dict[str, object] = r.json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {job['status']} after {timeout_s} s: {job}")
        await asyncio.sleep(0.05)
