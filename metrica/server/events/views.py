"""Worker ingest: `POST /events`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from metrica.domain.events import EventBatch
from metrica.server.cameras import service as cameras
from metrica.server.db import utcnow
from metrica.server.deps import CurrentWorkerCamera, SessionDep, State
from metrica.server.errors import public_issues
from metrica.server.events import service
from metrica.server.json_body import RustValidatedRoute
from metrica.server.ops.metrics import EVENTS_DUPLICATE, EVENTS_INGESTED, EVENTS_REJECTED

# 500 events a request: parsed and validated in one pass in Rust (see `json_body`).
router = APIRouter(tags=["worker"], route_class=RustValidatedRoute)


class IngestPublic(BaseModel):
    """`denied`: events the privacy policy refused; not stored, and not to be sent again."""

    accepted: int
    duplicates: int
    denied: int = 0


@router.post("/events", operation_id="ingest_events", response_model=IngestPublic)
async def ingest_events(
    batch: EventBatch, camera: CurrentWorkerCamera, session: SessionDep, state: State
) -> IngestPublic:
    """Store a batch atomically and idempotently (an event id already stored is a duplicate);
    events the privacy policy denies are counted in `denied` and not stored."""
    now = utcnow()
    skew = state.settings.max_future_skew_s
    problems = service.check_batch(batch, camera=camera, now=now, max_future_s=skew)
    if any(e["loc"][-1] == "line_id" for e in problems.errors):
        fresh = await cameras.worker_camera_for_key_id(session=session, camera_id=camera.camera_id)
        if fresh is not None and fresh.line_ids != camera.line_ids:
            camera = fresh
            cameras.invalidate_worker_keys(session)  # another process changed the lines
            problems = service.check_batch(batch, camera=camera, now=now, max_future_s=skew)
    if problems.foreign_camera:
        EVENTS_REJECTED.labels(reason="foreign_camera").inc(len(batch.events))
        raise HTTPException(status.HTTP_403_FORBIDDEN, problems.foreign_camera)
    if problems.errors:
        EVENTS_REJECTED.labels(reason="invalid").inc(len(batch.events))
        raise HTTPException(422, public_issues(problems.errors))
    result = await service.store_batch(session=session, camera=camera, batch=batch, now=now)
    await session.commit()
    EVENTS_INGESTED.inc(result.accepted)
    EVENTS_DUPLICATE.inc(result.duplicates)
    return IngestPublic(
        accepted=result.accepted, duplicates=result.duplicates, denied=result.denied
    )
