"""Superadmin camera routes: `/admin/cameras`, their lines, worker keys and snapshots."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Body, HTTPException, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.limits import MAX_LINES_PER_CAMERA
from metrica.server.cameras import service, snapshots
from metrica.server.cameras.health import list_with_health
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import (
    CameraCreate,
    CameraPublic,
    CamerasPublic,
    CameraUpdate,
    LineSpec,
    WorkerKey,
)
from metrica.server.deps import (
    SessionDep,
    State,
    SuperAdmin,
    VisibleCamera,
    admin_router,
    get_visible_store,
)
from metrica.server.settings import Settings

router = admin_router()


async def _with_health(session: AsyncSession, settings: Settings, camera: Camera) -> CameraPublic:
    listed = await list_with_health(
        session=session,
        store_id=camera.store_id,
        live_after_s=settings.live_after_s,
        stale_after_s=settings.stale_after_s,
    )
    return next(c for c in listed if c.id == camera.id)


@router.get("/cameras", operation_id="admin_list_cameras")
async def list_cameras(
    session: SessionDep, state: State, store_id: uuid.UUID | None = None
) -> CamerasPublic:
    """Cameras with health: live < 2 min since last heard from, stale < 15 min, else offline."""
    s = state.settings
    data = await list_with_health(
        session=session,
        store_id=store_id,
        live_after_s=s.live_after_s,
        stale_after_s=s.stale_after_s,
    )
    return CamerasPublic(data=data, count=len(data))


@router.post("/cameras", operation_id="admin_create_camera", status_code=201)
async def create_camera(
    body: CameraCreate, admin: SuperAdmin, session: SessionDep, state: State
) -> CameraPublic:
    await get_visible_store(body.store_id, admin, session)
    camera = await service.create(session=session, data=body)
    await session.commit()
    return await _with_health(session, state.settings, camera)


@router.get("/cameras/{camera_id}", operation_id="admin_get_camera")
async def get_camera(camera: VisibleCamera, session: SessionDep, state: State) -> CameraPublic:
    return await _with_health(session, state.settings, camera)


@router.patch("/cameras/{camera_id}", operation_id="admin_update_camera")
async def update_camera(
    camera: VisibleCamera, body: CameraUpdate, session: SessionDep, state: State
) -> CameraPublic:
    await service.update(session=session, camera=camera, data=body)
    await session.commit()
    return await _with_health(session, state.settings, camera)


@router.delete("/cameras/{camera_id}", operation_id="admin_delete_camera", status_code=204)
async def delete_camera(camera: VisibleCamera, session: SessionDep, state: State) -> Response:
    keys = await snapshots.keys_of(session=session, store_id=camera.store_id, camera_id=camera.id)
    await service.delete(session=session, camera=camera)
    await session.commit()
    await snapshots.forget(state.blobs, keys)
    return Response(status_code=204)


@router.get("/cameras/{camera_id}/lines", operation_id="admin_list_lines")
async def list_lines(camera: VisibleCamera, session: SessionDep) -> list[LineSpec]:
    return await service.lines(session=session, camera_id=camera.id)


@router.put("/cameras/{camera_id}/lines", operation_id="admin_replace_lines")
async def replace_lines(
    camera: VisibleCamera,
    body: Annotated[list[LineSpec], Body(max_length=MAX_LINES_PER_CAMERA)],
    session: SessionDep,
) -> list[LineSpec]:
    """Replace all counting lines of the camera (line ids must be unique)."""
    seen: set[str] = set()
    for i, spec in enumerate(body):
        if spec.line_id in seen:
            raise HTTPException(
                422,
                [
                    {
                        "loc": ["body", i, "line_id"],
                        "msg": "line_id values must be unique",
                        "type": "value_error.duplicate",
                    }
                ],
            )
        seen.add(spec.line_id)
    await service.replace_lines(session=session, camera=camera, specs=body)
    await session.commit()
    return await service.lines(session=session, camera_id=camera.id)


@router.post("/cameras/{camera_id}/key", operation_id="admin_issue_key", status_code=201)
async def issue_key(camera: VisibleCamera, session: SessionDep) -> WorkerKey:
    """Issue or rotate the worker key; this is the only time it is shown."""
    key = await service.issue_key(session=session, camera=camera)
    await session.commit()
    return WorkerKey(camera_id=camera.id, key=key)


@router.delete("/cameras/{camera_id}/key", operation_id="admin_revoke_key", status_code=204)
async def revoke_key(camera: VisibleCamera, session: SessionDep) -> Response:
    await service.revoke_key(session=session, camera=camera)
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/cameras/{camera_id}/snapshot",
    operation_id="admin_get_snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def get_snapshot(camera: VisibleCamera, session: SessionDep, state: State) -> Response:
    try:
        jpeg = await snapshots.jpeg_of(session=session, blobs=state.blobs, camera_id=camera.id)
    except snapshots.SnapshotStoreDown:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "snapshot storage is unavailable"
        ) from None
    if jpeg is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no snapshot yet")
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
