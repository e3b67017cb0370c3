"""The demo site `metrica up` runs: seeded once, then reused, plus a live camera on request.

Re-running `metrica up` must not pile up demo stores, so the seeded store is found by name;
each run that is given a video gets a fresh worker key for the live camera (a key is only
ever shown once, so the old one cannot be recovered).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select

from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.migrate import upgrade
from metrica.server.seed import ADMIN_EMAIL, DEMO_PASSWORD, DEMO_STORE_NAME, OWNER_EMAIL, seed_demo
from metrica.server.settings import Settings
from metrica.server.stores.models import Store

LIVE_CAMERA_NAME = "Live camera"


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
    settings: Settings, *, live_lines: list[LineSpec] | None, days: int = 28
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
