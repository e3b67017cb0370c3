"""One way into the events table, whatever carried the batch (`POST /events`, MQTT).

Validation against the camera (lines, clock skew, the camera id of every event), the
re-read of the camera's lines when one looks unknown, idempotent storage, the commit and
the ingest metrics: the HTTP route and the MQTT consumer both call `ingest_batch`, so a
rule added here holds for both transports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.events import EventBatch
from metrica.server.cameras import service as cameras
from metrica.server.errors import public_issues
from metrica.server.events import service
from metrica.server.ops.metrics import EVENTS_DUPLICATE, EVENTS_INGESTED, EVENTS_REJECTED
from metrica.server.state import WorkerCamera


@dataclass(frozen=True)
class IngestRefused(Exception):
    """The batch is refused whole: 403 (another camera's events) or 422 (invalid)."""

    status: int
    reason: str  # a bounded metric label: foreign_camera | invalid
    detail: Any


async def ingest_batch(
    *,
    session: AsyncSession,
    camera: WorkerCamera,
    batch: EventBatch,
    now: datetime,
    max_future_skew_s: float,
) -> service.IngestResult:
    """Check, store (once per event id) and commit the batch; `IngestRefused` when refused."""
    problems = service.check_batch(batch, camera=camera, now=now, max_future_s=max_future_skew_s)
    if any(e["loc"][-1] == "line_id" for e in problems.errors):
        fresh = await cameras.worker_camera_for_key_id(session=session, camera_id=camera.camera_id)
        if fresh is not None and fresh.line_ids != camera.line_ids:
            camera = fresh
            cameras.invalidate_worker_keys(session)  # another process changed the lines
            problems = service.check_batch(
                batch, camera=camera, now=now, max_future_s=max_future_skew_s
            )
    if problems.foreign_camera:
        EVENTS_REJECTED.labels(reason="foreign_camera").inc(len(batch.events))
        raise IngestRefused(403, "foreign_camera", problems.foreign_camera)
    if problems.errors:
        EVENTS_REJECTED.labels(reason="invalid").inc(len(batch.events))
        raise IngestRefused(422, "invalid", public_issues(problems.errors))
    result = await service.store_batch(session=session, camera=camera, batch=batch, now=now)
    await session.commit()
    EVENTS_INGESTED.inc(result.accepted)
    EVENTS_DUPLICATE.inc(result.duplicates)
    return result
