"""Calibration snapshots in the blob store (a local directory, or S3 by settings).

One blob per camera, `snapshots/<camera id>.jpg`, overwritten atomically by each upload;
the `camera_snapshots` row says when it was taken and its size. Rows written before
snapshots moved here hold their bytes in `jpeg` until `move_to_blobs` (run at the server's
start) moves them. Deleting a snapshot (retention, a camera or store deleted) deletes
the blob too: a snapshot is an image of people.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from metrica.server.blobs import BlobError, BlobStore
from metrica.server.cameras.models import Camera, CameraSnapshot
from metrica.server.db import dialect_insert, dialect_of

log = logging.getLogger("metrica.cameras")
MOVE_BATCH = 50
_T = TypeVar("_T")


class SnapshotStoreDown(Exception):
    """The blob store failed (a directory not writable, a bucket unreachable): the box
    sends the snapshot again later; the message names only the kind of failure."""


async def _guarded(what: str, step: Awaitable[_T]) -> _T:
    try:
        return await step
    except BlobError:
        raise
    except Exception as exc:  # any backend's failure: OSError, an object store's errors
        log.warning("snapshots: the blob store could not %s (%s)", what, type(exc).__name__)
        raise SnapshotStoreDown(what) from None


def blob_key(camera_id: uuid.UUID) -> str:
    return f"snapshots/{camera_id}.jpg"


def moved_key(camera_id: uuid.UUID) -> str:
    """Where a snapshot moved from the database goes: not `blob_key`, which an upload
    running at the same time may be writing."""
    return f"snapshots/{camera_id}-moved.jpg"


async def store(
    *,
    session: AsyncSession,
    blobs: BlobStore,
    camera_id: uuid.UUID,
    jpeg: bytes,
    width: int,
    height: int,
    now: datetime,
) -> None:
    """Write the blob, then point the camera's row at it; the caller commits."""
    key = blob_key(camera_id)
    old = await session.scalar(
        select(CameraSnapshot.blob_key).where(CameraSnapshot.camera_id == camera_id)
    )
    await _guarded("write", blobs.put(key, jpeg))
    values = {
        "camera_id": camera_id,
        "taken_at": now,
        "width": width,
        "height": height,
        "blob_key": key,
        "jpeg": None,
    }
    insert = dialect_insert(dialect_of(session))
    stmt = insert(CameraSnapshot).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CameraSnapshot.camera_id],
        set_={k: stmt.excluded[k] for k in values if k != "camera_id"},
    )
    await session.execute(stmt)
    if old is not None and old != key:
        await _guarded("delete", blobs.delete(old))  # one moved from the database


async def jpeg_of(*, session: AsyncSession, blobs: BlobStore, camera_id: uuid.UUID) -> bytes | None:
    """The camera's snapshot, or None when it has none (or its blob went missing)."""
    row = await session.get(CameraSnapshot, camera_id)
    if row is None:
        return None
    if row.blob_key is None:
        return row.jpeg  # written before the move; `move_to_blobs` will take it
    try:
        return await _guarded("read", blobs.get(row.blob_key))
    except BlobError:
        return None


async def keys_of(
    *, session: AsyncSession, store_id: uuid.UUID, camera_id: uuid.UUID | None = None
) -> list[str]:
    """The blob keys of a store's (or one camera's) snapshots, read before a delete that
    cascades to their rows."""
    query = (
        select(CameraSnapshot.blob_key)
        .join(Camera, Camera.id == CameraSnapshot.camera_id)
        .where(Camera.store_id == store_id, CameraSnapshot.blob_key.is_not(None))
    )
    if camera_id is not None:
        query = query.where(Camera.id == camera_id)
    return [k for k in (await session.scalars(query)).all() if k]


async def forget(blobs: BlobStore, keys: Iterable[str]) -> None:
    """Delete the blobs once their rows are gone (after the commit)."""
    for key in keys:
        await blobs.delete(key)


async def move_to_blobs(sessions: async_sessionmaker[AsyncSession], blobs: BlobStore) -> int:
    """Move snapshots still held in the database into the blob store; how many. Safe to run
    in several processes at once (same key, same bytes)."""
    moved = 0
    while True:
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(CameraSnapshot.camera_id, CameraSnapshot.jpeg)
                    .where(CameraSnapshot.blob_key.is_(None), CameraSnapshot.jpeg.is_not(None))
                    .limit(MOVE_BATCH)
                )
            ).all()
            if not rows:
                break
            for camera_id, jpeg in rows:
                if jpeg is None:
                    continue  # the query leaves these out
                key = moved_key(camera_id)
                await blobs.put(key, jpeg)
                await session.execute(
                    update(CameraSnapshot)
                    .where(CameraSnapshot.camera_id == camera_id, CameraSnapshot.blob_key.is_(None))
                    .values(blob_key=key, jpeg=None)
                )
            await session.commit()
            moved += len(rows)
    if moved:
        log.info("snapshots: %d moved from the database into the blob store", moved)
    return moved
