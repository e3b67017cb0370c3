"""What the broker's password file needs from the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.fleet.models import Box


async def box_password_hashes(*, session: AsyncSession) -> list[tuple[str, str]]:
    """(box id, its key's Mosquitto hash) of every unrevoked box enrolled with one."""
    rows = await session.execute(
        select(Box.id, Box.mqtt_password_hash)
        .where(Box.revoked_at.is_(None), Box.mqtt_password_hash.is_not(None))
        .order_by(Box.enrolled_at, Box.id)
    )
    return [(str(box_id), str(hashed)) for box_id, hashed in rows]
