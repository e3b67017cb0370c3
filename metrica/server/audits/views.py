"""Worker routes (X-Worker-Key, own camera only): the pending recording request and the
clip upload; the owner's route: the latest count check of a store."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import select

from metrica.server.audits import service
from metrica.server.audits.lifecycle import start_counting
from metrica.server.audits.models import AuditResult, Recording
from metrica.server.audits.schemas import CountCheck, CountCheckPublic, PendingRecording
from metrica.server.blobs import BlobTooLarge
from metrica.server.cameras.models import Camera
from metrica.server.db import utcnow
from metrica.server.deps import CurrentWorkerCamera, SessionDep, State, VisibleStore, own_camera

router = APIRouter(tags=["audits"])
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}}
CLIP_BODY = {
    "requestBody": {
        "required": True,
        # Any declared type: the content is sniffed (WebM or MP4, else 415).
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get("/cameras/{camera_id}/recordings/pending", operation_id="get_pending_recording")
async def pending_recording(
    camera_id: uuid.UUID, camera: CurrentWorkerCamera, session: SessionDep
) -> PendingRecording:
    """The recording an admin asked of this camera, if any (polled with the config)."""
    own_camera(camera, camera_id)
    recording = await service.pending_for(session=session, camera_id=camera_id)
    if recording is None:
        return PendingRecording(recording_id=None, seconds=0)
    return PendingRecording(recording_id=recording.id, seconds=recording.seconds)


async def store_clip(request: Request, state: State, recording: Recording) -> None:
    """Stream the body into the blob store (capped), sniffing that a browser plays it;
    the caller commits and starts the counting."""
    head, chunks = await service.sniffed(request.stream())
    content_type = service.clip_type(head)
    if content_type is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "a clip must be WebM or MP4 (by its content)"
        )
    recording.content_type = content_type
    key = service.clip_key(recording)
    cap = state.settings.recording_max_bytes
    try:
        size = await state.blobs.put_stream(key, chunks, cap)
    except BlobTooLarge:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"clip over {cap} bytes (the recording cap)"
        ) from None
    recording.blob_key, recording.size_bytes = key, size
    recording.uploaded_at, recording.status = utcnow(), "uploaded"


@router.put(
    "/cameras/{camera_id}/recordings/{recording_id}/clip",
    operation_id="put_recording_clip",
    status_code=204,
    openapi_extra=CLIP_BODY,
    responses={404: _ERROR, 409: _ERROR, 413: _ERROR, 415: _ERROR},
)
async def put_recording_clip(
    camera_id: uuid.UUID,
    recording_id: uuid.UUID,
    request: Request,
    camera: CurrentWorkerCamera,
    session: SessionDep,
    state: State,
) -> Response:
    """The clip a worker recorded for a request (WebM or MP4)."""
    own_camera(camera, camera_id)
    recording = await session.get(Recording, recording_id)
    if recording is None or recording.camera_id != camera_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "recording not found")
    if recording.status != "requested":
        raise HTTPException(status.HTTP_409_CONFLICT, "this recording already has its clip")
    await session.commit()  # no transaction (SQLite: no write lock) while the body streams
    await store_clip(request, state, recording)
    await service.log_action(session=session, recording=recording, actor="worker", action="upload")
    session.add(recording)
    await session.commit()
    start_counting(state, recording.id)
    return Response(status_code=204)


@router.get("/stores/{store_id}/count-check", operation_id="get_count_check")
async def count_check(store: VisibleStore, session: SessionDep) -> CountCheckPublic:
    """The latest accuracy audit of the store's cameras ("Count checked on …")."""
    row = (
        await session.execute(
            select(AuditResult, Camera.name)
            .join(Camera, Camera.id == AuditResult.camera_id)
            .where(AuditResult.store_id == store.id)
            .order_by(AuditResult.created_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return CountCheckPublic(check=None)
    result, name = row
    return CountCheckPublic(
        check=CountCheck(
            checked_at=result.created_at,
            count_accuracy=result.count_accuracy,
            true_crossings=result.true_crossings,
            camera_id=result.camera_id,
            camera_name=name,
        )
    )
