"""What the backend does with one MQTT message from a box: the same rules as over HTTP.

The broker authenticated the box (username = box id) and its ACL kept it on its own topics;
here the box is looked up again (unknown or revoked: dropped) and so is the camera in the
topic, which must be assigned to that box in the box's store (else dropped as
`foreign_camera`), before the batch goes through `ingest_batch`, the function behind
`POST /events` (validation, idempotency, tenancy). Every outcome but a database failure
is final: the message is acknowledged (a refused batch would be refused forever).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.events import EventBatch
from metrica.domain.fleet import BoxHeartbeat
from metrica.domain.mqtt import MAX_PAYLOAD_BYTES, parse_topic
from metrica.server.cameras import service as cameras
from metrica.server.events.ingest import IngestRefused, ingest_batch
from metrica.server.fleet import service as fleet
from metrica.server.fleet.models import Box, BoxCamera

Outcome = Literal["stored", "invalid", "foreign_camera", "unknown_box", "malformed", "too_large"]
Kind = Literal["events", "heartbeat", "other"]


async def _live_box(session: AsyncSession, box_id: uuid.UUID) -> Box | None:
    box = await session.get(Box, box_id, populate_existing=True)
    return None if box is None or box.revoked_at is not None else box


async def handle(
    *,
    session: AsyncSession,
    topic: str,
    payload: bytes,
    now: datetime,
    max_future_skew_s: float,
) -> tuple[Kind, Outcome]:
    """Store what the message carries; (topic kind, outcome). Database errors propagate."""
    ref = parse_topic(topic)
    if ref is None or ref.kind not in ("events", "heartbeat"):
        return "other", "malformed"
    kind: Kind = "events" if ref.kind == "events" else "heartbeat"
    if len(payload) > MAX_PAYLOAD_BYTES:
        return kind, "too_large"
    if ref.kind == "heartbeat":
        return kind, await _heartbeat(session, ref.box_id, payload, now)
    assert ref.camera_id is not None
    try:
        batch = EventBatch.model_validate_json(payload)
    except ValidationError:
        return kind, "malformed"
    box = await _live_box(session, ref.box_id)
    if box is None:
        return kind, "unknown_box"
    assigned = await session.scalar(
        select(BoxCamera.camera_id).where(
            BoxCamera.camera_id == ref.camera_id, BoxCamera.box_id == box.id
        )
    )
    camera = (
        None
        if assigned is None
        else await cameras.worker_camera_for_key_id(session=session, camera_id=ref.camera_id)
    )
    if camera is None or camera.store_id != box.store_id:
        return kind, "foreign_camera"
    try:
        await ingest_batch(
            session=session,
            camera=camera,
            batch=batch,
            now=now,
            max_future_skew_s=max_future_skew_s,
        )
    except IngestRefused as refused:
        await session.rollback()
        return kind, "foreign_camera" if refused.reason == "foreign_camera" else "invalid"
    return kind, "stored"


async def _heartbeat(
    session: AsyncSession, box_id: uuid.UUID, payload: bytes, now: datetime
) -> Outcome:
    try:
        beat = BoxHeartbeat.model_validate_json(payload)
    except ValidationError:
        return "malformed"
    box = await _live_box(session, box_id)
    if box is None:
        return "unknown_box"
    await fleet.record_heartbeat(session=session, box=box, beat=beat, now=now)
    await session.commit()
    return "stored"
