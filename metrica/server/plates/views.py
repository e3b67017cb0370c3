"""Plate routes (docs/plates-api.md): uploads and jobs, search, crops, export, erasure,
watchlist, alerts and the audit log. Every route is 404 for a caller without plate access
to the store (see `plates.access`)."""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from metrica.domain.fields import UtcDatetime
from metrica.domain.media import sniff_media
from metrica.domain.plate_text import normalize_plate
from metrica.server.blobs import BlobError, BlobTooLarge
from metrica.server.deps import (
    CurrentUser,
    PlateStore,
    SessionDep,
    State,
    VisiblePlateJob,
    VisiblePlateRead,
    VisiblePlateWatch,
)
from metrica.server.plates import access, jobs, privacy, search
from metrica.server.plates.models import PlateAlert, PlateAudit, PlateJob, PlateReadRow, PlateWatch
from metrica.server.plates.schemas import (
    AlertDelivery,
    AlertPublic,
    AlertsPublic,
    AuditEntryPublic,
    AuditPublic,
    ErasurePublic,
    JobPublic,
    JobsPublic,
    PlateReadPublic,
    PlateSearchPublic,
    PlateSite,
    PlateSites,
    WatchCreate,
    WatchlistPublic,
    WatchPublic,
)
from metrica.server.plates.uploads import MultipartFile, UploadError
from metrica.server.policies.read import plate_view
from metrica.server.stores.models import Store

log = logging.getLogger("metrica.plates")
router = APIRouter(prefix="/plates", tags=["plates"])

PlateText = Annotated[str, Query(max_length=64)]
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
ACCEPTED_TYPES = ("image/", "video/", "application/octet-stream")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "NUL characters are not allowed")
    return value


@router.get("/sites", operation_id="plates_sites")
async def sites(user: CurrentUser, session: SessionDep) -> PlateSites:
    stores = await access.plate_stores(session=session, user=user)
    return PlateSites(
        sites=[
            PlateSite(
                id=s.id, name=s.name, timezone=s.timezone, retention_days=s.anpr_retention_days
            )
            for s in stores
        ]
    )


@router.post(
    "/uploads",
    operation_id="plates_upload",
    status_code=202,
    openapi_extra=_UPLOAD_BODY,
    responses={400: _ERROR, 413: _ERROR, 415: _ERROR},
)
async def upload(
    request: Request, store: PlateStore, user: CurrentUser, session: SessionDep, state: State
) -> JobPublic:
    """Stream the `file` field to blob storage (never whole in memory) and queue a job."""
    store_id, user_id = store.id, user.id
    await session.commit()  # no transaction (SQLite: no write lock) while the body streams
    try:
        form = MultipartFile(request.stream(), request.headers.get("content-type", ""))
        await form.open()
    except UploadError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    declared = form.content_type.lower()
    kind = sniff_media(form.head)
    if kind is None or (declared and not declared.startswith(ACCEPTED_TYPES)):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "the file is not an image (JPEG, PNG, ...) or a video (MP4, MKV, ...) by its content",
        )
    job_id = uuid.uuid4()
    key = jobs.upload_key(store_id, job_id, kind)
    cap = state.settings.plates_upload_max_bytes
    try:
        size = await state.blobs.put_stream(key, form.chunks(), cap)
    except BlobTooLarge:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"upload over {cap} bytes (the plates upload cap)"
        ) from None
    except UploadError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    job = PlateJob(
        id=job_id,
        store_id=store_id,
        filename=(form.filename or "upload")[-255:],
        kind=kind,
        blob_key=key,
        size_bytes=size,
        status="queued",
        created_by=user_id,
    )
    session.add(job)
    await session.commit()
    await _enqueue(state, session, job)
    return JobPublic.model_validate(job)


async def _enqueue(state: Any, session: Any, job: PlateJob) -> None:
    try:
        await state.plate_queue.enqueue(job.id)
    except Exception as exc:
        log.exception("could not queue plate job %s", job.id)
        job.status, job.error = "failed", f"the job queue is unavailable: {type(exc).__name__}"
        await session.commit()


@router.get("/jobs", operation_id="plates_jobs")
async def list_jobs(store: PlateStore, session: SessionDep) -> JobsPublic:
    rows = await jobs.list_for_store(session=session, store_id=store.id)
    return JobsPublic(jobs=[JobPublic.model_validate(j) for j in rows])


@router.get("/jobs/{job_id}", operation_id="plates_job")
async def get_job(job: VisiblePlateJob) -> JobPublic:
    return JobPublic.model_validate(job)


@router.post("/jobs/{job_id}/cancel", operation_id="plates_cancel_job")
async def cancel_job(job: VisiblePlateJob, session: SessionDep, state: State) -> JobPublic:
    await jobs.cancel(session=session, job=job, now=state.clock())
    await session.commit()
    return JobPublic.model_validate(job)


@router.post("/jobs/{job_id}/retry", operation_id="plates_retry_job", responses={409: _ERROR})
async def retry_job(job: VisiblePlateJob, session: SessionDep, state: State) -> JobPublic:
    if not await jobs.reset_for_retry(session=session, job=job):
        raise HTTPException(status.HTTP_409_CONFLICT, "only a failed or cancelled job is retried")
    await session.commit()
    await _enqueue(state, session, job)
    return JobPublic.model_validate(job)


def _query(
    store_id: uuid.UUID,
    q: str,
    fuzzy: bool,
    start: datetime | None,
    end: datetime | None,
    camera_id: uuid.UUID | None,
) -> search.PlateQuery:
    _no_nul(q)
    if start and end and end <= start:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "`to` must be after `from`")
    return search.PlateQuery(
        store_id=store_id, q=q, fuzzy=fuzzy, start=start, end=end, camera_id=camera_id
    )


def _public(read: PlateReadRow) -> PlateReadPublic:
    return PlateReadPublic(
        id=read.id,
        store_id=read.store_id,
        camera_id=read.camera_id,
        job_id=read.job_id,
        text=read.text,
        normalized=read.normalized,
        confidence=read.confidence,
        vehicle_class=read.vehicle_class,
        occurred_at=read.occurred_at,
        first_seen_s=read.first_seen_s,
        last_seen_s=read.last_seen_s,
        crop_url=f"/plates/reads/{read.id}/crop" if read.crop_key else None,
    )


def _views(state: Any, user: Any, store: Store, rows: list[PlateReadRow]) -> list[PlateReadPublic]:
    """The reads as the user's role may see them (the privacy policy's read rules)."""
    tz = ZoneInfo(store.timezone)
    views = (plate_view(state.policy, _public(r), role=user.role, tz=tz) for r in rows)
    return [v for v in views if v is not None]


FromQ = Annotated[UtcDatetime | None, Query(alias="from")]
ToQ = Annotated[UtcDatetime | None, Query(alias="to")]


@router.get("", operation_id="plates_search", responses={400: _ERROR})
async def search_plates(
    store: PlateStore,
    user: CurrentUser,
    session: SessionDep,
    state: State,
    q: PlateText = "",
    fuzzy: bool = False,
    start: FromQ = None,
    end: ToQ = None,
    camera_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> PlateSearchPublic:
    query = _query(store.id, q, fuzzy, start, end, camera_id)
    rows, total = await search.search(session=session, query=query, limit=limit, offset=offset)
    await privacy.audit(
        session=session,
        user=user,
        store_id=store.id,
        action="search",
        query=query.describe(),
        result_count=total,
    )
    await session.commit()
    return PlateSearchPublic(results=_views(state, user, store, rows), total=total)


@router.get(
    "/reads/{read_id}/crop",
    operation_id="plates_crop",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def crop(
    read: VisiblePlateRead, user: CurrentUser, session: SessionDep, state: State
) -> Response:
    store = await session.get(Store, read.store_id)
    shown = None if store is None else _views(state, user, store, [read])
    if read.crop_key is None or not shown or shown[0].crop_url is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this read has no crop")
    try:
        data = await state.blobs.get(read.crop_key)
    except BlobError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this read has no crop") from None
    await privacy.audit(
        session=session,
        user=user,
        store_id=read.store_id,
        action="view",
        query=f"read={read.id} plate={read.normalized}",
        result_count=1,
    )
    await session.commit()
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.get(
    "/export",
    operation_id="plates_export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, 400: _ERROR},
)
async def export(
    store: PlateStore,
    user: CurrentUser,
    session: SessionDep,
    state: State,
    plate: Annotated[str, Query(min_length=1, max_length=64)],
) -> Response:
    """Every read of one plate with its crops, for a data-subject access request."""
    normalized = normalize_plate(_no_nul(plate))
    if not normalized:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "a plate needs letters or digits")
    reads = await privacy.reads_of_plate(session=session, store_id=store.id, plate=normalized)
    data = await privacy.export_zip(reads=reads, blobs=state.blobs)
    await privacy.audit(
        session=session,
        user=user,
        store_id=store.id,
        action="export",
        query=f"plate={normalized}",
        result_count=len(reads),
    )
    await session.commit()
    name = f"plates-{normalized}.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/export.csv",
    operation_id="plates_export_csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, 400: _ERROR},
)
async def export_csv(
    store: PlateStore,
    user: CurrentUser,
    session: SessionDep,
    state: State,
    q: PlateText = "",
    fuzzy: bool = False,
    start: FromQ = None,
    end: ToQ = None,
    camera_id: uuid.UUID | None = None,
) -> StreamingResponse:
    query = _query(store.id, q, fuzzy, start, end, camera_id)
    rows, _ = await search.search(
        session=session, query=query, limit=search.MAX_EXPORT_ROWS, offset=0
    )
    await privacy.audit(
        session=session,
        user=user,
        store_id=store.id,
        action="export",
        query="csv " + query.describe(),
        result_count=len(rows),
    )
    await session.commit()

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "occurred_at",
                "text",
                "normalized",
                "confidence",
                "vehicle_class",
                "camera_id",
                "job_id",
                "id",
            ]
        )
        for r in _views(state, user, store, rows):
            writer.writerow(
                [
                    r.occurred_at.isoformat(),
                    r.text,
                    r.normalized,
                    f"{r.confidence:.3f}",
                    r.vehicle_class,
                    r.camera_id or "",
                    r.job_id or "",
                    r.id,
                ]
            )
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="plates.csv"'},
    )


@router.delete("", operation_id="plates_erase", responses={400: _ERROR})
async def erase(
    store: PlateStore,
    user: CurrentUser,
    session: SessionDep,
    state: State,
    plate: Annotated[str, Query(min_length=1, max_length=64)],
) -> ErasurePublic:
    """Erase every read and crop of a plate at the store; the audit keeps its HMAC only."""
    normalized = normalize_plate(_no_nul(plate))
    if not normalized:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "a plate needs letters or digits")
    secret = state.settings.secret_key.get_secret_value()
    removed = await privacy.erase_plate(
        session=session, store_id=store.id, plate=normalized, blobs=state.blobs, secret=secret
    )
    await privacy.audit(
        session=session,
        user=user,
        store_id=store.id,
        action="erase",
        query=f"plate={privacy.plate_hash(secret, normalized)}",
        result_count=removed.reads,
    )
    await session.commit()
    return ErasurePublic(deleted_reads=removed.reads, deleted_crops=removed.crops)


@router.get("/watchlist", operation_id="plates_watchlist")
async def watchlist(store: PlateStore, session: SessionDep) -> WatchlistPublic:
    rows = await session.scalars(
        select(PlateWatch).where(PlateWatch.store_id == store.id).order_by(PlateWatch.plate)
    )
    return WatchlistPublic(entries=[WatchPublic.model_validate(w) for w in rows])


@router.post("/watchlist", operation_id="plates_watch", status_code=201, responses={404: _ERROR})
async def watch(body: WatchCreate, user: CurrentUser, session: SessionDep) -> WatchPublic:
    if await access.plate_store(session=session, user=user, store_id=body.store_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "store not found")
    entry = PlateWatch(
        store_id=body.store_id,
        plate=body.plate,
        note=body.note,
        notify_email=body.notify_email,
        notify_webhook=str(body.notify_webhook) if body.notify_webhook else None,
    )
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, "this plate is watched already") from None
    await privacy.audit(
        session=session,
        user=user,
        store_id=body.store_id,
        action="watch",
        query=f"add plate={body.plate}",
        result_count=1,
    )
    await session.commit()
    return WatchPublic.model_validate(entry)


@router.delete("/watchlist/{watch_id}", operation_id="plates_unwatch", status_code=204)
async def unwatch(entry: VisiblePlateWatch, user: CurrentUser, session: SessionDep) -> Response:
    await privacy.audit(
        session=session,
        user=user,
        store_id=entry.store_id,
        action="watch",
        query=f"remove plate={entry.plate}",
        result_count=1,
    )
    await session.delete(entry)
    await session.commit()
    return Response(status_code=204)


@router.get("/alerts", operation_id="plates_alerts")
async def alerts(store: PlateStore, session: SessionDep) -> AlertsPublic:
    rows = await session.scalars(
        select(PlateAlert)
        .where(PlateAlert.store_id == store.id)
        .order_by(PlateAlert.created_at.desc(), PlateAlert.id)
        .limit(200)
    )
    return AlertsPublic(
        alerts=[
            AlertPublic(
                id=a.id,
                watch_id=a.watch_id,
                read_id=a.read_id,
                plate=a.plate,
                occurred_at=a.occurred_at,
                delivered=AlertDelivery(email=a.email_delivered, webhook=a.webhook_delivered),
            )
            for a in rows
        ]
    )


AuditAction = Literal["search", "view", "export", "erase", "watch"]


@router.get("/audit", operation_id="plates_audit", responses={400: _ERROR})
async def audit_log(
    store: PlateStore,
    user: CurrentUser,
    session: SessionDep,
    action: AuditAction | None = None,
    who: Annotated[str, Query(max_length=320, description="part of the user's email")] = "",
    start: FromQ = None,
    end: ToQ = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> AuditPublic:
    """Who looked at which plates, newest first; `total` counts every matching entry."""
    if not access.may_read_audit(user):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "store not found")
    where = [PlateAudit.store_id == store.id]
    if action is not None:
        where.append(PlateAudit.action == action)
    if who.strip():
        pattern = _no_nul(who.strip()).lower().replace("\\", "\\\\")
        pattern = pattern.replace("%", "\\%").replace("_", "\\_")
        where.append(func.lower(PlateAudit.user_email).like(f"%{pattern}%", escape="\\"))
    if start is not None:
        where.append(PlateAudit.at >= start)
    if end is not None:
        where.append(PlateAudit.at < end)
    total = await session.scalar(select(func.count()).select_from(PlateAudit).where(*where))
    rows = await session.scalars(
        select(PlateAudit)
        .where(*where)
        .order_by(PlateAudit.at.desc(), PlateAudit.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return AuditPublic(
        entries=[AuditEntryPublic.model_validate(e, from_attributes=True) for e in rows],
        total=int(total or 0),
    )
