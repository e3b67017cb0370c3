"""Small factories: rows made through the services, tokens made by the server's signer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from metrica.server.auth import service as auth
from metrica.server.auth.models import User
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.fleet import service as fleet
from metrica.server.state import AppState
from metrica.server.stores import service as stores
from metrica.server.stores.models import Store
from metrica.server.stores.schemas import StoreCreate

ALWAYS_OPEN = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def make_user(
    state: AppState, email: str, *, role: str = "owner", password: str | None = None
) -> User:
    async with state.sessions() as session:
        user = await auth.create_user(
            session=session, email=email, role=role, password=password, hasher=state.passwords
        )
        await session.commit()
        return user


async def make_store(
    state: AppState,
    *,
    name: str = "Shop",
    timezone: str = "Europe/Berlin",
    owner: User | None = None,
    opening_hours: dict[str, list[str] | None] | None = None,
) -> Store:
    async with state.sessions() as session:
        data = StoreCreate(
            name=name, timezone=timezone, opening_hours=opening_hours or dict(ALWAYS_OPEN)
        )
        store = await stores.create(session=session, data=data)
        if owner is not None:
            await stores.add_owner(session=session, store_id=store.id, user_id=owner.id)
        await session.commit()
        return store


async def make_camera(
    state: AppState,
    store: Store,
    *,
    name: str = "Entrance",
    lines: tuple[str, ...] = ("door",),
    counting: bool = True,
) -> tuple[Camera, str]:
    """A camera with lines and a worker key; returns (camera, key)."""
    async with state.sessions() as session:
        camera = Camera(store_id=store.id, name=name, is_counting_line=counting)
        session.add(camera)
        await session.flush()
        specs = [LineSpec(line_id=lid, x1=0.1, y1=0.5, x2=0.9, y2=0.5) for lid in lines]
        await cameras.replace_lines(session=session, camera=camera, specs=specs)
        key = await cameras.issue_key(session=session, camera=camera)
        await session.commit()
        return camera, key


async def make_box(state: AppState, store: Store, *, hostname: str = "box-1") -> tuple[str, str]:
    """An enrolled box of the store, through a one-time token; returns (box id, box key)."""
    async with state.sessions() as session:
        now = state.clock()
        token, _ = await fleet.issue_enrolment_token(
            session=session, store_id=store.id, ttl_s=3600, now=now
        )
        enrolled = await fleet.enrol(
            session=session, token=token, hostname=hostname, version="0.1.0", now=now
        )
        assert enrolled is not None
        await session.commit()
        return str(enrolled[0].id), enrolled[1]


def bearer(state: AppState, user: User) -> dict[str, str]:
    token = state.signer.issue(
        subject=str(user.id), email=user.email, role=user.role, version=user.token_version
    )
    return {"Authorization": f"Bearer {token}"}


def crossing(
    camera: Camera | uuid.UUID,
    direction: str,
    at: datetime,
    *,
    line: str = "door",
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    camera_id = camera if isinstance(camera, uuid.UUID) else camera.id
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "camera_id": str(camera_id),
        "line_id": line,
        "direction": direction,
        "occurred_at": at.isoformat(),
        "track_id": 1,
    }
