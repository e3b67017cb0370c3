"""Worker ingest: `POST /events`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from metrica.domain.events import EventBatch
from metrica.server.db import utcnow
from metrica.server.deps import CurrentWorkerCamera, SessionDep, State
from metrica.server.events.ingest import IngestRefused, ingest_batch
from metrica.server.json_body import RustValidatedRoute

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
    try:
        result = await ingest_batch(
            session=session,
            camera=camera,
            batch=batch,
            now=utcnow(),
            max_future_skew_s=state.settings.max_future_skew_s,
        )
    except IngestRefused as refused:
        raise HTTPException(refused.status, refused.detail) from None
    return IngestPublic(
        accepted=result.accepted, duplicates=result.duplicates, denied=result.denied
    )
