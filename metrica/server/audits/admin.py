"""Superadmin audit routes: ask a camera for a clip or upload one, label it, score it,
export the marks, see the history and the clip log. Every look at a clip is logged."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from metrica.server.audits import service
from metrica.server.audits.lifecycle import start_counting
from metrica.server.audits.models import AuditResult, Recording, RecordingAudit
from metrica.server.audits.schemas import (
    AuditHistory,
    AuditScoreDetail,
    ClipLog,
    ClipLogEntry,
    MarksUpdate,
    RecordingDetail,
    RecordingPublic,
    RecordingRequest,
    RecordingsPublic,
)
from metrica.server.audits.views import CLIP_BODY, store_clip
from metrica.server.deps import SessionDep, State, SuperAdmin, VisibleCamera, admin_router

router = admin_router()
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}}
LIST_LIMIT = 200


async def get_recording(recording_id: uuid.UUID, session: SessionDep) -> Recording:
    recording = await session.get(Recording, recording_id)
    if recording is None or recording.camera_id is None:  # a deleted camera's, until purged
        raise HTTPException(status.HTTP_404_NOT_FOUND, "recording not found")
    return recording


RecordingDep = Annotated[Recording, Depends(get_recording)]


@router.post(
    "/cameras/{camera_id}/recordings",
    operation_id="admin_request_recording",
    status_code=201,
    responses={404: _ERROR, 409: _ERROR},
)
async def request_recording(
    camera: VisibleCamera,
    body: RecordingRequest,
    admin: SuperAdmin,
    session: SessionDep,
    state: State,
) -> RecordingPublic:
    """Ask the camera's worker to record `seconds` of its stream (it learns of it on its
    next config poll) and upload it; one open request per camera."""
    if await service.pending_for(session=session, camera_id=camera.id) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this camera already has a request open")
    recording = Recording(
        camera_id=camera.id,
        store_id=camera.store_id,
        source="worker",
        status="requested",
        seconds=body.seconds,
        requested_by=admin.email,
    )
    session.add(recording)
    await session.flush()
    await service.log_action(
        session=session, recording=recording, actor=admin.email, action="request"
    )
    await session.commit()
    return service.public(recording, state.settings)


@router.post(
    "/cameras/{camera_id}/recordings/upload",
    operation_id="admin_upload_recording",
    status_code=201,
    openapi_extra=CLIP_BODY,
    responses={404: _ERROR, 413: _ERROR, 415: _ERROR},
)
async def upload_recording(
    camera: VisibleCamera, request: Request, admin: SuperAdmin, session: SessionDep, state: State
) -> RecordingPublic:
    """A clip uploaded by hand (the body is the WebM or MP4 file)."""
    recording = Recording(
        id=uuid.uuid4(),
        camera_id=camera.id,
        store_id=camera.store_id,
        source="upload",
        status="uploaded",
        requested_by=admin.email,
    )
    email = admin.email
    await session.commit()  # no transaction (SQLite: no write lock) while the body streams
    await store_clip(request, state, recording)
    session.add(recording)
    await session.flush()
    await service.log_action(session=session, recording=recording, actor=email, action="upload")
    await session.commit()
    start_counting(state, recording.id)
    return service.public(recording, state.settings)


@router.get("/cameras/{camera_id}/recordings", operation_id="admin_list_recordings")
async def list_recordings(
    camera: VisibleCamera, session: SessionDep, state: State
) -> RecordingsPublic:
    rows = list(
        await session.scalars(
            select(Recording)
            .where(Recording.camera_id == camera.id)
            .order_by(Recording.created_at.desc())
            .limit(LIST_LIMIT)
        )
    )
    return RecordingsPublic(data=[service.public(r, state.settings) for r in rows], count=len(rows))


@router.get("/cameras/{camera_id}/audits", operation_id="admin_camera_audits")
async def camera_audits(camera: VisibleCamera, session: SessionDep) -> AuditHistory:
    """Every scored audit of the camera, newest first."""
    rows = list(
        await session.scalars(
            select(AuditResult)
            .where(AuditResult.camera_id == camera.id)
            .order_by(AuditResult.created_at.desc())
            .limit(LIST_LIMIT)
        )
    )
    return AuditHistory(data=[service.score_public(r) for r in rows], count=len(rows))


@router.get("/cameras/{camera_id}/recordings/log", operation_id="admin_recording_log")
async def recording_log(camera: VisibleCamera, session: SessionDep) -> ClipLog:
    """Who asked for, uploaded, watched, scored, exported or deleted the camera's clips."""
    rows = list(
        await session.scalars(
            select(RecordingAudit)
            .where(RecordingAudit.camera_id == camera.id)
            .order_by(RecordingAudit.at.desc(), RecordingAudit.id.desc())
            .limit(LIST_LIMIT)
        )
    )
    data = [
        ClipLogEntry(recording_id=r.recording_id, at=r.at, actor=r.actor, action=r.action)
        for r in rows
    ]
    return ClipLog(data=data, count=len(data))


@router.get(
    "/recordings/{recording_id}", operation_id="admin_get_recording", responses={404: _ERROR}
)
async def get_recording_detail(recording: RecordingDep, state: State) -> RecordingDetail:
    return service.detail(recording, state.settings)


@router.get(
    "/recordings/{recording_id}/clip",
    operation_id="admin_recording_clip",
    response_class=StreamingResponse,
    responses={200: {"content": {"video/webm": {}, "video/mp4": {}}}, 404: _ERROR},
)
async def recording_clip(
    recording: RecordingDep, admin: SuperAdmin, session: SessionDep, state: State
) -> StreamingResponse:
    """The clip's bytes; each fetch is logged as a watch."""
    if recording.blob_key is None or not await state.blobs.exists(recording.blob_key):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this recording has no clip")
    await service.log_action(
        session=session, recording=recording, actor=admin.email, action="watch"
    )
    await session.commit()
    headers = {
        "Cache-Control": "private, no-store",
        "Content-Length": str(recording.size_bytes),
    }
    return StreamingResponse(
        state.blobs.open_stream(recording.blob_key),
        media_type=recording.content_type,
        headers=headers,
    )


@router.put(
    "/recordings/{recording_id}/marks",
    operation_id="admin_put_marks",
    responses={400: _ERROR, 404: _ERROR, 409: _ERROR},
)
async def put_marks(
    recording: RecordingDep, body: MarksUpdate, session: SessionDep, state: State
) -> RecordingDetail:
    """Replace the clip's marks (the labelling page saves as it goes)."""
    if recording.status != "ready":
        raise HTTPException(status.HTTP_409_CONFLICT, "the clip is not counted yet")
    line_ids = {line["line_id"] for line in recording.lines}
    unknown = sorted({m.line for m in body.marks} - line_ids)
    if unknown:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"unknown line {unknown[0][:64]!r}")
    beyond = [m.frame for m in body.marks if m.frame >= recording.frames]
    if beyond:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"frame {beyond[0]} is past the clip's end ({recording.frames} frames)",
        )
    recording.marks = [m.model_dump() for m in sorted(body.marks, key=lambda m: m.frame)]
    await session.commit()
    return service.detail(recording, state.settings)


@router.post(
    "/recordings/{recording_id}/score",
    operation_id="admin_score_recording",
    status_code=201,
    responses={404: _ERROR, 409: _ERROR},
)
async def score_recording(
    recording: RecordingDep, admin: SuperAdmin, session: SessionDep
) -> AuditScoreDetail:
    """Score the counter against the marks (same rule as `metrica eval`) and keep it."""
    if recording.status != "ready":
        raise HTTPException(status.HTTP_409_CONFLICT, "the clip is not counted yet")
    if not recording.marks:
        raise HTTPException(status.HTTP_409_CONFLICT, "mark the crossings first")
    result = await service.score(session=session, recording=recording, actor=admin.email)
    await session.commit()
    return result


@router.get(
    "/recordings/{recording_id}/truth",
    operation_id="admin_recording_truth",
    responses={404: _ERROR, 409: _ERROR},
)
async def recording_truth(
    recording: RecordingDep, admin: SuperAdmin, session: SessionDep
) -> dict[str, Any]:
    """The marks in the shared truth format, to turn real footage into test data."""
    if recording.status != "ready":
        raise HTTPException(status.HTTP_409_CONFLICT, "the clip is not counted yet")
    await service.log_action(
        session=session, recording=recording, actor=admin.email, action="export"
    )
    await session.commit()
    return service.truth_export(recording)


@router.delete(
    "/recordings/{recording_id}",
    operation_id="admin_delete_recording",
    status_code=204,
    responses={404: _ERROR},
)
async def delete_recording(
    recording: RecordingDep, admin: SuperAdmin, session: SessionDep, state: State
) -> Response:
    """Delete the clip now (its scores stay, without the clip)."""
    if recording.blob_key is not None:
        await state.blobs.delete(recording.blob_key)  # a missing blob is no error
    await service.log_action(
        session=session, recording=recording, actor=admin.email, action="delete"
    )
    await session.delete(recording)
    await session.commit()
    return Response(status_code=204)
