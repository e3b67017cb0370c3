"""Demo data: an admin, an owner, a Berlin store with a counting camera and weeks of history.

Used by `metrica demo`, the web tests and `metrica up`. Credentials are deterministic. The
history runs up to the moment of seeding and `top_up_demo` extends it later (the same
events, drawn per day, so it is idempotent); see `metrica.server.demo_traffic`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.events import EventBatch
from metrica.server.auth import service as auth
from metrica.server.auth.passwords import Passwords
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.demo_traffic import DEMO_HOURS, day_rng, synthetic_day
from metrica.server.events.service import store_batch
from metrica.server.state import WorkerCamera
from metrica.server.stores import service as stores
from metrica.server.stores.models import Store
from metrica.server.stores.schemas import StoreCreate

ADMIN_EMAIL = "admin@metrica.local"
OWNER_EMAIL = "owner@metrica.local"
DEMO_PASSWORD = "metrica-demo"
DEMO_TZ = "Europe/Berlin"
DEMO_STORE_NAME = "Demo Store Berlin"
# Its events are simulated (demo_traffic), and its name says so next to a real camera's.
DEMO_CAMERA_NAME = "Entrance (simulated)"
DEMO_LINE_ID = "door"
DEMO_SEED = 7


@dataclass(frozen=True, slots=True)
class DemoSeed:
    admin_email: str
    owner_email: str
    password: str
    store_id: uuid.UUID
    camera_id: uuid.UUID
    worker_key: str
    events: int


async def seed_demo(
    session: AsyncSession,
    *,
    hasher: PasswordHasher | Passwords,
    admin_email: str = ADMIN_EMAIL,
    owner_email: str = OWNER_EMAIL,
    password: str = DEMO_PASSWORD,
    days: int | None = None,
    seed: int = DEMO_SEED,
    now: datetime | None = None,
) -> DemoSeed:
    """Create (or reuse) the demo users and add a fresh demo store with history up to `now`
    (default: the wall clock; tests pin it), `days` long or see `history_start`. The demo
    password skips the password policy: it is printed and documented, so it protects
    nothing anyway."""
    now = now or datetime.now(UTC)
    passwords = hasher if isinstance(hasher, Passwords) else Passwords(hasher)
    admin = await auth.by_email(session=session, email=admin_email) or await auth.create_user(
        session=session, email=admin_email, role="superadmin", password=password, hasher=passwords
    )
    owner = await auth.by_email(session=session, email=owner_email) or await auth.create_user(
        session=session, email=owner_email, role="owner", password=password, hasher=passwords
    )
    del admin
    store = await stores.create(
        session=session,
        data=StoreCreate(name=DEMO_STORE_NAME, timezone=DEMO_TZ, opening_hours=DEMO_HOURS),
    )
    await stores.add_owner(session=session, store_id=store.id, user_id=owner.id)
    camera = Camera(store_id=store.id, name=DEMO_CAMERA_NAME, is_counting_line=True)
    session.add(camera)
    await session.flush()
    line = LineSpec(line_id=DEMO_LINE_ID, name="Front door", x1=0.1, y1=0.6, x2=0.9, y2=0.6)
    await cameras.replace_lines(session=session, camera=camera, specs=[line])
    key = await cameras.issue_key(session=session, camera=camera)
    tz = ZoneInfo(DEMO_TZ)
    start = history_start(now.astimezone(tz).date(), days)
    total = await _store_days(session, camera, tz, start=start, now=now, seed=seed)
    await session.commit()
    return DemoSeed(admin_email, owner_email, password, store.id, camera.id, key, total)


def history_start(today: date, days: int | None) -> date:
    """First seeded day: `days` back, or by default the first of last month, so every
    "previous period" a dashboard compares with (last month's included) is complete."""
    if days is not None:
        return today - timedelta(days=days)
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


async def top_up_demo(
    session: AsyncSession, *, camera: Camera, now: datetime, seed: int = DEMO_SEED
) -> int:
    """Extend the simulated camera's history from its last event's day up to `now`; returns
    the events added (0 when already current). The caller commits."""
    store = await session.get(Store, camera.store_id)
    if store is None:
        return 0
    tz = ZoneInfo(store.timezone)
    last = camera.last_event_at or now - timedelta(days=1)
    return await _store_days(
        session, camera, tz, start=last.astimezone(tz).date(), now=now, seed=seed
    )


async def _store_days(
    session: AsyncSession, camera: Camera, tz: ZoneInfo, *, start: date, now: datetime, seed: int
) -> int:
    """Draw and ingest the simulated days [start, today] up to `now`; returns events added."""
    worker = WorkerCamera(camera.id, camera.store_id, tz, frozenset({DEMO_LINE_ID}))
    today = now.astimezone(tz).date()
    total = 0
    day = start
    while day <= today:
        rng = day_rng(seed, day)
        events = synthetic_day(rng, day, tz, str(camera.id), DEMO_LINE_ID, until=now)
        for i in range(0, len(events), 1000):
            batch = EventBatch(events=events[i : i + 1000])
            result = await store_batch(session=session, camera=worker, batch=batch, now=now)
            total += result.accepted
        day += timedelta(days=1)
    return total
