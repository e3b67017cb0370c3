"""The demo site `metrica up` runs: seeded once, then reused, plus a live camera on request.

Re-running `metrica up` must not pile up demo stores, so the seeded store is found by name;
each run that is given a video gets a fresh worker key for the live camera (a key is only
ever shown once, so the old one cannot be recovered). The seeded camera's history is
topped up to the present on every start, and `run_demo_feed` keeps it current (events and
a heartbeat) while `metrica up` runs: its camera is named as simulated, so the owner sees
a fresh simulated feed rather than a real camera that looks stale.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.events import Heartbeat
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.migrate import upgrade
from metrica.server.seed import (
    ADMIN_EMAIL,
    DEMO_CAMERA_NAME,
    DEMO_PASSWORD,
    DEMO_STORE_NAME,
    OWNER_EMAIL,
    seed_demo,
    top_up_demo,
)
from metrica.server.settings import Settings
from metrica.server.stores.models import Store

LIVE_CAMERA_NAME = "Live camera"
FEED_INTERVAL_S = 30.0  # well inside the backend's live_after_s (120 s)
_OLD_DEMO_CAMERA_NAMES = (DEMO_CAMERA_NAME, "Entrance")  # sites seeded before the rename


@dataclass(frozen=True, slots=True)
class LiveCamera:
    camera_id: uuid.UUID
    worker_key: str


@dataclass(frozen=True, slots=True)
class DemoSite:
    store_id: uuid.UUID
    admin_email: str
    owner_email: str
    password: str
    seeded_now: bool
    live: LiveCamera | None


async def prepare_demo_site(
    settings: Settings, *, live_lines: list[LineSpec] | None, days: int | None = None
) -> DemoSite:
    """Migrate, seed the demo store if absent, and provision the live camera if asked."""
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine)() as session:
            store_id = await session.scalar(
                select(Store.id).where(Store.name == DEMO_STORE_NAME).order_by(Store.created_at)
            )
            seeded_now = store_id is None
            if store_id is None:
                seed = await seed_demo(session, hasher=PasswordHasher(), days=days)
                store_id = seed.store_id
            else:
                await feed_once(session, store_id=store_id, now=datetime.now(UTC), uptime_s=0.0)
            live = None
            if live_lines is not None:
                camera = await session.scalar(
                    select(Camera).where(
                        Camera.store_id == store_id, Camera.name == LIVE_CAMERA_NAME
                    )
                )
                if camera is None:
                    camera = Camera(store_id=store_id, name=LIVE_CAMERA_NAME, is_counting_line=True)
                    session.add(camera)
                    await session.flush()
                camera.status = "active"
                await cameras.replace_lines(session=session, camera=camera, specs=live_lines)
                key = await cameras.issue_key(session=session, camera=camera)
                live = LiveCamera(camera.id, key)
            await session.commit()
    finally:
        await engine.dispose()
    return DemoSite(store_id, ADMIN_EMAIL, OWNER_EMAIL, DEMO_PASSWORD, seeded_now, live)


async def demo_camera(session: AsyncSession, *, store_id: uuid.UUID) -> Camera | None:
    """The seeded (simulated) camera of the demo store, if it is still there."""
    return await session.scalar(
        select(Camera)
        .where(Camera.store_id == store_id, Camera.name.in_(_OLD_DEMO_CAMERA_NAMES))
        .order_by(Camera.created_at)
    )


async def feed_once(
    session: AsyncSession, *, store_id: uuid.UUID, now: datetime, uptime_s: float
) -> int:
    """Top the simulated camera's history up to `now` and record its heartbeat (it is
    running: this process is producing its events); returns the events added."""
    camera = await demo_camera(session, store_id=store_id)
    if camera is None:
        return 0
    added = await top_up_demo(session, camera=camera, now=now)
    beat = Heartbeat(fps=0.0, frames_processed=0, uptime_s=uptime_s, version="demo-feed")
    await cameras.record_heartbeat(session=session, camera_id=camera.id, beat=beat)
    await session.commit()
    return added


async def run_demo_feed(settings: Settings, *, store_id: uuid.UUID, stop: threading.Event) -> None:
    """Keep the simulated camera current every `FEED_INTERVAL_S` until `stop` is set."""
    engine = create_engine(settings.database_url)
    started = time.monotonic()
    try:
        while not await asyncio.to_thread(stop.wait, FEED_INTERVAL_S):
            try:
                async with session_factory(engine)() as session:
                    await feed_once(
                        session,
                        store_id=store_id,
                        now=datetime.now(UTC),
                        uptime_s=time.monotonic() - started,
                    )
            except SQLAlchemyError as exc:  # a busy database: try again next time
                print(f"== demo feed: {type(exc).__name__}; retrying", flush=True)
    finally:
        await engine.dispose()
