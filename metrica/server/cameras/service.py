"""Cameras: CRUD, counting lines, worker keys, heartbeats and snapshots."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy import delete as delete_rows
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.events import Heartbeat
from metrica.server.cameras.models import (
    Camera,
    CameraHeartbeat,
    CountingLineRow,
)
from metrica.server.cameras.schemas import CameraCreate, CameraUpdate, LineSpec
from metrica.server.db import dialect_insert, dialect_of, utcnow
from metrica.server.events import service as events
from metrica.server.state import WORKER_KEY_CACHE, WorkerCamera, WorkerKeyCache
from metrica.server.stores.models import Store


def invalidate_worker_keys(session: AsyncSession) -> None:
    """Forget this process's cached worker keys once the session's transaction ends.

    Every service that changes what a key may do (the key itself, the camera's lines or
    status, the store's timezone, deleting either) calls this, so no handler can forget.
    Sessions made outside the app carry no cache and skip it.
    """
    cache = session.info.get(WORKER_KEY_CACHE)
    if isinstance(cache, WorkerKeyCache):
        cache.clear_after(session.sync_session)


async def worker_camera_for_key(*, session: AsyncSession, key_hash: str) -> WorkerCamera | None:
    """The active camera holding this key hash, with its store timezone and line ids."""
    return await _worker_camera(session, Camera.key_hash == key_hash)


async def worker_camera_for_key_id(
    *, session: AsyncSession, camera_id: uuid.UUID
) -> WorkerCamera | None:
    """Like `worker_camera_for_key`, fresh from the database (bypassing the key cache)."""
    return await _worker_camera(session, Camera.id == camera_id)


async def _worker_camera(session: AsyncSession, where: ColumnElement[bool]) -> WorkerCamera | None:
    row = (
        await session.execute(
            select(Camera.id, Camera.store_id, Store.timezone)
            .join(Store, Store.id == Camera.store_id)
            .where(where, Camera.status == "active", Camera.key_hash.is_not(None))
        )
    ).first()
    if row is None:
        return None
    line_ids = await session.scalars(
        select(CountingLineRow.line_id).where(CountingLineRow.camera_id == row.id)
    )
    return WorkerCamera(row.id, row.store_id, ZoneInfo(row.timezone), frozenset(line_ids))


async def create(*, session: AsyncSession, data: CameraCreate) -> Camera:
    """A new camera, without lines or key (so no worker can use it yet)."""
    camera = Camera(store_id=data.store_id, name=data.name, is_counting_line=data.is_counting_line)
    session.add(camera)
    await session.flush()
    return camera


async def update(*, session: AsyncSession, camera: Camera, data: CameraUpdate) -> None:
    """Apply a patch; disabling a camera shuts its key out at once."""
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(camera, name, value)
    await session.flush()
    invalidate_worker_keys(session)


async def delete(*, session: AsyncSession, camera: Camera) -> None:
    """Delete the camera with its events (rollup, lines, heartbeat, snapshot cascade)."""
    await events.delete_events(session=session, store_id=camera.store_id, camera_id=camera.id)
    await session.delete(camera)
    await session.flush()
    invalidate_worker_keys(session)


async def lines(*, session: AsyncSession, camera_id: uuid.UUID) -> list[LineSpec]:
    rows = await session.scalars(
        select(CountingLineRow)
        .where(CountingLineRow.camera_id == camera_id)
        .order_by(CountingLineRow.line_id)
    )
    return [
        LineSpec(line_id=r.line_id, name=r.name, x1=r.x1, y1=r.y1, x2=r.x2, y2=r.y2) for r in rows
    ]


async def replace_lines(*, session: AsyncSession, camera: Camera, specs: list[LineSpec]) -> None:
    await session.execute(
        delete_rows(CountingLineRow).where(CountingLineRow.camera_id == camera.id)
    )
    session.add_all(CountingLineRow(camera_id=camera.id, **spec.model_dump()) for spec in specs)
    camera.lines_updated_at = utcnow()
    await session.flush()
    invalidate_worker_keys(session)


def new_key() -> tuple[str, str]:
    """A high-entropy worker key and its sha256 hex (only the hash is stored)."""
    key = "mk_" + secrets.token_urlsafe(32)
    return key, hashlib.sha256(key.encode()).hexdigest()


async def issue_key(*, session: AsyncSession, camera: Camera) -> str:
    """Issue or rotate the camera's key; the old one stops working at once."""
    key, key_hash = new_key()
    camera.key_hash, camera.key_issued_at = key_hash, utcnow()
    await session.flush()
    invalidate_worker_keys(session)
    return key


async def revoke_key(*, session: AsyncSession, camera: Camera) -> None:
    """The camera's key stops working at once; a new one can be issued later."""
    camera.key_hash = None
    await session.flush()
    invalidate_worker_keys(session)


async def record_heartbeat(*, session: AsyncSession, camera_id: uuid.UUID, beat: Heartbeat) -> None:
    values = {"camera_id": camera_id, "received_at": utcnow(), **beat.model_dump()}
    insert = dialect_insert(dialect_of(session))
    stmt = insert(CameraHeartbeat).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CameraHeartbeat.camera_id],
        set_={k: stmt.excluded[k] for k in values if k != "camera_id"},
    )
    await session.execute(stmt)
