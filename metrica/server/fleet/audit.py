"""The persistent audit of camera settings that touch privacy: turning snapshot blurring
off (or back on) is written to the database with who and when, in the same transaction
as the change, and admins can list it (`GET /admin/fleet/cameras/{id}/audit`)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.cameras.models import Camera
from metrica.server.fleet.models import CameraSettingAudit

log = logging.getLogger("metrica.fleet")
MAX_ENTRIES = 500


async def record(
    *,
    session: AsyncSession,
    camera: Camera,
    setting: str,
    old: object,
    new: object,
    actor_id: uuid.UUID | None,
    actor_email: str,
    now: datetime,
) -> None:
    """Add an entry when the value changes; the caller commits with the change itself."""
    if old == new:
        return
    session.add(
        CameraSettingAudit(
            camera_id=camera.id,
            store_id=camera.store_id,
            changed_at=now,
            actor_id=actor_id,
            actor_email=actor_email,
            setting=setting,
            old_value=_text(old),
            new_value=_text(new),
        )
    )
    log.warning(
        "audit: %s changed %s of camera %s: %s -> %s",
        actor_email,
        setting,
        camera.id,
        _text(old),
        _text(new),
    )


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)[:200]


async def entries(*, session: AsyncSession, camera_id: uuid.UUID) -> list[CameraSettingAudit]:
    """The camera's entries, newest first (at most `MAX_ENTRIES`)."""
    query = (
        select(CameraSettingAudit)
        .where(CameraSettingAudit.camera_id == camera_id)
        .order_by(CameraSettingAudit.changed_at.desc(), CameraSettingAudit.id)
        .limit(MAX_ENTRIES)
    )
    return list((await session.scalars(query)).all())
