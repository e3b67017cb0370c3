"""Superadmin fleet routes: enrolment tokens, boxes, revocation, camera assignment and
settings. Camera sources are shown masked; only the owning box receives them in clear."""

from __future__ import annotations

import uuid

from fastapi import HTTPException, status

from metrica import __version__
from metrica.server.deps import (
    SessionDep,
    State,
    SuperAdmin,
    VisibleBox,
    VisibleCamera,
    admin_router,
    get_visible_box,
    get_visible_store,
)
from metrica.server.fleet import audit, service
from metrica.server.fleet.schemas import (
    BoxErrorsPublic,
    BoxesPublic,
    BoxPublic,
    CameraAssign,
    CameraAuditEntryPublic,
    CameraAuditPublic,
    CameraFleetPublic,
    CameraSettingsUpdate,
    EnrolmentTokenCreate,
    EnrolmentTokenPublic,
)
from metrica.server.fleet.views import Secrets
from metrica.server.state import AppState

router = admin_router()


def _presence(state: AppState) -> service.Presence:
    return service.Presence(
        now=state.clock(),
        offline_after_s=state.settings.fleet_offline_after_s,
        release=__version__,
    )


@router.post("/fleet/enrolment-tokens", operation_id="admin_issue_enrolment_token", status_code=201)
async def issue_enrolment_token(
    body: EnrolmentTokenCreate, admin: SuperAdmin, session: SessionDep, state: State
) -> EnrolmentTokenPublic:
    """A one-time token for a new box of the store; shown this once, stored hashed."""
    await get_visible_store(body.store_id, admin, session)
    ttl_s = body.ttl_s or state.settings.fleet_enrolment_ttl_s
    token, row = await service.issue_enrolment_token(
        session=session, store_id=body.store_id, ttl_s=ttl_s, now=state.clock()
    )
    await session.commit()
    return EnrolmentTokenPublic(token=token, store_id=row.store_id, expires_at=row.expires_at)


@router.get("/fleet/boxes", operation_id="admin_list_boxes")
async def list_boxes(
    session: SessionDep, state: State, store_id: uuid.UUID | None = None
) -> BoxesPublic:
    """Boxes (of one store, or all) with online/offline, version drift and resource use."""
    data = await service.list_boxes(session=session, store_id=store_id, presence=_presence(state))
    return BoxesPublic(data=data, count=len(data))


@router.get("/fleet/boxes/{box_id}", operation_id="admin_get_box")
async def get_box(box: VisibleBox, session: SessionDep, state: State) -> BoxPublic:
    return await service.public(session=session, box=box, presence=_presence(state))


@router.get("/fleet/boxes/{box_id}/errors", operation_id="admin_box_errors")
async def box_errors(box: VisibleBox) -> BoxErrorsPublic:
    """The box's most recent errors from its heartbeats, newest last."""
    return BoxErrorsPublic.model_validate({"box_id": box.id, "data": box.recent_errors or []})


@router.post("/fleet/boxes/{box_id}/revoke", operation_id="admin_revoke_box")
async def revoke_box(box: VisibleBox, session: SessionDep, state: State) -> BoxPublic:
    """The box's key and its cameras' worker keys stop working at once (no cache)."""
    if box.revoked_at is None:
        await service.revoke(session=session, box=box, now=state.clock())
        await session.commit()
    return await service.public(session=session, box=box, presence=_presence(state))


@router.get("/fleet/cameras/{camera_id}", operation_id="admin_get_camera_fleet")
async def get_camera_fleet(
    camera: VisibleCamera, session: SessionDep, secrets: Secrets
) -> CameraFleetPublic:
    """Which box runs the camera, and its settings (the source's password masked)."""
    return await service.camera_fleet(session=session, camera=camera, secret_box=secrets)


@router.put("/fleet/cameras/{camera_id}/box", operation_id="admin_assign_camera")
async def assign_camera(
    camera: VisibleCamera,
    body: CameraAssign,
    admin: SuperAdmin,
    session: SessionDep,
    state: State,
    secrets: Secrets,
) -> CameraFleetPublic:
    """Run the camera on a box of its store (a new worker key goes to that box), or on none."""
    box = None if body.box_id is None else await get_visible_box(body.box_id, admin, session)
    try:
        await service.assign(
            session=session, camera=camera, box=box, secret_box=secrets, now=state.clock()
        )
    except service.FleetError as exc:
        await session.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    await session.commit()
    return await service.camera_fleet(session=session, camera=camera, secret_box=secrets)


@router.put("/fleet/cameras/{camera_id}/settings", operation_id="admin_update_camera_fleet")
async def update_camera_fleet(
    camera: VisibleCamera,
    body: CameraSettingsUpdate,
    admin: SuperAdmin,
    session: SessionDep,
    state: State,
    secrets: Secrets,
) -> CameraFleetPublic:
    """Source, model, input size, stride, schedule and snapshot blurring (a change to it
    is written to the camera's audit); its box applies them within a poll."""
    await service.update_settings(
        session=session,
        camera=camera,
        data=body,
        secret_box=secrets,
        now=state.clock(),
        actor_email=admin.email,
        actor_id=admin.id,
    )
    await session.commit()
    return await service.camera_fleet(session=session, camera=camera, secret_box=secrets)


@router.get("/fleet/cameras/{camera_id}/audit", operation_id="admin_camera_audit")
async def camera_audit(
    camera: VisibleCamera, admin: SuperAdmin, session: SessionDep
) -> CameraAuditPublic:
    """Who turned the camera's snapshot blurring off or on, and when (newest first)."""
    rows = await audit.entries(session=session, camera_id=camera.id)
    return CameraAuditPublic(entries=[CameraAuditEntryPublic.model_validate(r) for r in rows])
