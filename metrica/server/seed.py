"""Demo data: an admin, an owner, a Berlin store with a counting camera and weeks of history.

Used by `metrica demo`, the web tests and `metrica up`. Credentials are deterministic.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.events import EventBatch, LineCrossed
from metrica.domain.kpis import local_midnight
from metrica.server.auth import service as auth
from metrica.server.auth.passwords import Passwords
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.events.service import store_batch
from metrica.server.state import WorkerCamera
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate

ADMIN_EMAIL = "admin@metrica.local"
OWNER_EMAIL = "owner@metrica.local"
DEMO_PASSWORD = "metrica-demo"
DEMO_TZ = "Europe/Berlin"
DEMO_STORE_NAME = "Demo Store Berlin"


@dataclass(frozen=True, slots=True)
class DemoSeed:
    admin_email: str
    owner_email: str
    password: str
    store_id: uuid.UUID
    camera_id: uuid.UUID
    worker_key: str
    events: int


def _hourly_rate(hour: float, weekday: int) -> float:
    """Expected arrivals per hour: lunch and after-work peaks, busier Saturdays."""
    lunch = math.exp(-(((hour - 12.5) / 1.5) ** 2))
    evening = 1.3 * math.exp(-(((hour - 17.5) / 1.8) ** 2))
    base = 0.35
    return 40.0 * (base + lunch + evening) * (1.4 if weekday == 5 else 1.0)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth), fine for small means."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def synthetic_day(
    rng: random.Random,
    day: date,
    tz: ZoneInfo,
    camera_id: str,
    line_id: str,
    *,
    until: datetime,
) -> list[LineCrossed]:
    """IN/OUT crossings of one open day (09:00-20:00 local, closed on Sunday), none after
    `until` (a demo never holds visits from the future)."""
    if day.weekday() == 6:
        return []
    events: list[LineCrossed] = []
    opens = local_midnight(day, tz) + timedelta(hours=9)
    track = 0
    for minute in range(11 * 60):
        for _ in range(_poisson(rng, _hourly_rate(9 + minute / 60, day.weekday()) / 60)):
            arrived = opens + timedelta(minutes=minute, seconds=rng.uniform(0, 59))
            stay = timedelta(minutes=min(90.0, rng.expovariate(1 / 18) + 2))
            left = min(arrived + stay, opens + timedelta(hours=11, minutes=30))
            for direction, at in (("in", arrived), ("out", left)):
                track += 1
                events.append(
                    LineCrossed(
                        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        camera_id=camera_id,
                        line_id=line_id,
                        direction=direction,
                        occurred_at=at,
                        track_id=track,
                    )
                )
    return [e for e in events if e.occurred_at <= until]


async def seed_demo(
    session: AsyncSession,
    *,
    hasher: PasswordHasher | Passwords,
    admin_email: str = ADMIN_EMAIL,
    owner_email: str = OWNER_EMAIL,
    password: str = DEMO_PASSWORD,
    days: int = 28,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoSeed:
    """Create (or reuse) the demo users and add a fresh demo store with `days` of history
    up to `now` (default: the wall clock; tests pin it). The demo password skips the
    password policy: it is printed and documented, so it protects nothing anyway."""
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
        session=session, data=StoreCreate(name=DEMO_STORE_NAME, timezone=DEMO_TZ)
    )
    await stores.add_owner(session=session, store_id=store.id, user_id=owner.id)
    camera = Camera(store_id=store.id, name="Entrance", is_counting_line=True)
    session.add(camera)
    await session.flush()
    line = LineSpec(line_id="door", name="Front door", x1=0.1, y1=0.6, x2=0.9, y2=0.6)
    await cameras.replace_lines(session=session, camera=camera, specs=[line])
    key = await cameras.issue_key(session=session, camera=camera)
    tz = ZoneInfo(DEMO_TZ)
    worker = WorkerCamera(camera.id, store.id, tz, frozenset({"door"}))
    rng = random.Random(seed)
    today = now.astimezone(tz).date()
    total = 0
    for offset in range(days, -1, -1):
        day = today - timedelta(days=offset)
        events = synthetic_day(rng, day, tz, str(camera.id), "door", until=now)
        for i in range(0, len(events), 1000):
            batch = EventBatch(events=events[i : i + 1000])
            result = await store_batch(session=session, camera=worker, batch=batch, now=now)
            total += result.accepted
    await session.commit()
    return DemoSeed(admin_email, owner_email, password, store.id, camera.id, key, total)
