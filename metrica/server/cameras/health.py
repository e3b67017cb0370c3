"""Camera health: live, stale or offline, from when the camera was last heard from."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.cameras.models import Camera, CameraHeartbeat, CameraSnapshot
from metrica.server.cameras.schemas import CameraPublic, HealthStatus
from metrica.server.db import utcnow


def classify(
    *,
    now: datetime,
    heartbeat_at: datetime | None,
    event_at: datetime | None,
    live_after_s: float,
    stale_after_s: float,
) -> HealthStatus:
    """live if heard from (heartbeat or event) within `live_after_s`, stale within
    `stale_after_s`, else offline."""
    seen = max((t for t in (heartbeat_at, event_at) if t is not None), default=None)
    if seen is None:
        return "offline"
    age_s = (now - seen).total_seconds()
    if age_s < live_after_s:
        return "live"
    return "stale" if age_s < stale_after_s else "offline"


async def list_with_health(
    *,
    session: AsyncSession,
    store_id: uuid.UUID | None,
    live_after_s: float,
    stale_after_s: float,
) -> list[CameraPublic]:
    """Cameras of one store (or of all, for `None`) by name, each with its health."""
    query = (
        select(Camera, CameraHeartbeat.received_at, CameraHeartbeat.fps, CameraSnapshot.taken_at)
        .outerjoin(CameraHeartbeat, CameraHeartbeat.camera_id == Camera.id)
        .outerjoin(CameraSnapshot, CameraSnapshot.camera_id == Camera.id)
        .order_by(Camera.name, Camera.id)
    )
    if store_id is not None:
        query = query.where(Camera.store_id == store_id)
    now = utcnow()
    result = []
    for camera, heartbeat_at, fps, snapshot_at in (await session.execute(query)).all():
        result.append(
            CameraPublic(
                id=camera.id,
                store_id=camera.store_id,
                name=camera.name,
                is_counting_line=camera.is_counting_line,
                status=classify(
                    now=now,
                    heartbeat_at=heartbeat_at,
                    event_at=camera.last_event_at,
                    live_after_s=live_after_s,
                    stale_after_s=stale_after_s,
                ),
                enabled=camera.status == "active",
                last_heartbeat_at=heartbeat_at,
                last_event_at=camera.last_event_at,
                fps=fps,
                last_snapshot_at=snapshot_at,
                has_key=camera.key_hash is not None,
            )
        )
    return result


async def count_by_health(
    *, session: AsyncSession, now: datetime, live_after_s: float, stale_after_s: float
) -> dict[HealthStatus, int]:
    """How many enabled cameras are live, stale and offline (every state present, maybe 0).
    Disabled cameras are left out: they are meant to be silent."""
    query = (
        select(CameraHeartbeat.received_at, Camera.last_event_at)
        .select_from(Camera)
        .outerjoin(CameraHeartbeat, CameraHeartbeat.camera_id == Camera.id)
        .where(Camera.status == "active")
    )
    counts: dict[HealthStatus, int] = {"live": 0, "stale": 0, "offline": 0}
    for heartbeat_at, event_at in (await session.execute(query)).all():
        state = classify(
            now=now,
            heartbeat_at=heartbeat_at,
            event_at=event_at,
            live_after_s=live_after_s,
            stale_after_s=stale_after_s,
        )
        counts[state] += 1
    return counts
