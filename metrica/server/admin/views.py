"""Superadmin provisioning: stores, owners, cameras, lines, keys, snapshots."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel

from metrica.server.auth import service as auth
from metrica.server.auth.schemas import EmailStr, UserPublic
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import (
    CameraCreate,
    CameraPublic,
    CamerasPublic,
    CameraUpdate,
    LineSpec,
    WorkerKey,
)
from metrica.server.deps import SessionDep, State, SuperAdmin, get_superadmin
from metrica.server.events import service as events
from metrica.server.stores import service as stores
from metrica.server.stores.models import Store
from metrica.server.stores.schemas import StoreCreate, StorePublic, StoresPublic, StoreUpdate

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(get_superadmin)])


class OwnerAdd(BaseModel):
    email: EmailStr


class UsersPublic(BaseModel):
    data: list[UserPublic]
    count: int


async def _store(session: SessionDep, store_id: uuid.UUID) -> Store:
    store = await session.get(Store, store_id)
    if store is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "store not found")
    return store


async def _camera(session: SessionDep, camera_id: uuid.UUID) -> Camera:
    camera = await session.get(Camera, camera_id)
    if camera is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "camera not found")
    return camera


async def _camera_public(session: SessionDep, state: State, camera: Camera) -> CameraPublic:
    s = state.settings
    listed = await cameras.list_with_health(
        session=session,
        store_id=camera.store_id,
        live_after_s=s.live_after_s,
        stale_after_s=s.stale_after_s,
    )
    return next(c for c in listed if c.id == camera.id)


@router.get("/stores", operation_id="admin_list_stores", response_model=StoresPublic)
async def list_stores(session: SessionDep, admin: SuperAdmin) -> StoresPublic:
    every = await stores.list_visible(session=session, user=admin)
    return StoresPublic(data=[StorePublic.model_validate(s) for s in every], count=len(every))


@router.post("/stores", operation_id="admin_create_store", status_code=201)
async def create_store(body: StoreCreate, session: SessionDep) -> StorePublic:
    store = await stores.create(session=session, data=body)
    await session.commit()
    return StorePublic.model_validate(store)


@router.get("/stores/{store_id}", operation_id="admin_get_store")
async def get_store(store_id: uuid.UUID, session: SessionDep) -> StorePublic:
    return StorePublic.model_validate(await _store(session, store_id))


@router.patch("/stores/{store_id}", operation_id="admin_update_store")
async def update_store(store_id: uuid.UUID, body: StoreUpdate, session: SessionDep) -> StorePublic:
    store = await _store(session, store_id)
    if await stores.update(session=session, store=store, data=body):
        await events.rebuild_rollup(session=session, store_id=store.id, tz=ZoneInfo(store.timezone))
    await session.commit()
    return StorePublic.model_validate(store)


@router.delete("/stores/{store_id}", operation_id="admin_delete_store", status_code=204)
async def delete_store(store_id: uuid.UUID, session: SessionDep) -> Response:
    store = await _store(session, store_id)
    await stores.delete(session=session, store=store)
    await session.commit()
    return Response(status_code=204)


@router.get("/stores/{store_id}/owners", operation_id="admin_list_owners")
async def list_owners(store_id: uuid.UUID, session: SessionDep) -> UsersPublic:
    await _store(session, store_id)
    users = await stores.owners(session=session, store_id=store_id)
    return UsersPublic(data=[UserPublic.model_validate(u) for u in users], count=len(users))


@router.post("/stores/{store_id}/owners", operation_id="admin_add_owner", status_code=201)
async def add_owner(
    store_id: uuid.UUID, body: OwnerAdd, session: SessionDep, state: State
) -> UserPublic:
    """Add a user as owner; one without a password (new, or invited before and never
    accepted) gets a fresh invitation link by email (self-hosted sign-in only)."""
    await _store(session, store_id)
    user = await auth.by_email(session=session, email=body.email)
    if user is None:
        user = await auth.create_user(session=session, email=body.email, hasher=state.passwords)
    self_hosted = state.settings.jwks_url is None  # an external IdP does its own sign-up
    token = None
    if self_hosted and user.password_hash is None:
        token = await auth.invite(session=session, user=user)
    await stores.add_owner(session=session, store_id=store_id, user_id=user.id)
    await session.commit()
    if token is not None:
        link = f"{state.settings.web_app_url}/invite?token={token}"
        await state.mailer.send(
            to=user.email,
            subject="You are invited to Metrica",
            body=f"Set your password and sign in: {link}\nThe link works once, for 7 days.",
        )
    return UserPublic.model_validate(user)


@router.delete(
    "/stores/{store_id}/owners/{user_id}", operation_id="admin_remove_owner", status_code=204
)
async def remove_owner(store_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep) -> Response:
    if not await stores.remove_owner(session=session, store_id=store_id, user_id=user_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "owner not found")
    await session.commit()
    return Response(status_code=204)


@router.get("/cameras", operation_id="admin_list_cameras")
async def list_cameras(
    session: SessionDep, state: State, store_id: uuid.UUID | None = None
) -> CamerasPublic:
    """Cameras with health: live < 2 min since last heard from, stale < 15 min, else offline."""
    s = state.settings
    data = await cameras.list_with_health(
        session=session,
        store_id=store_id,
        live_after_s=s.live_after_s,
        stale_after_s=s.stale_after_s,
    )
    return CamerasPublic(data=data, count=len(data))


@router.post("/cameras", operation_id="admin_create_camera", status_code=201)
async def create_camera(body: CameraCreate, session: SessionDep, state: State) -> CameraPublic:
    await _store(session, body.store_id)
    camera = await cameras.create(session=session, data=body)
    await session.commit()
    return await _camera_public(session, state, camera)


@router.get("/cameras/{camera_id}", operation_id="admin_get_camera")
async def get_camera(camera_id: uuid.UUID, session: SessionDep, state: State) -> CameraPublic:
    return await _camera_public(session, state, await _camera(session, camera_id))


@router.patch("/cameras/{camera_id}", operation_id="admin_update_camera")
async def update_camera(
    camera_id: uuid.UUID, body: CameraUpdate, session: SessionDep, state: State
) -> CameraPublic:
    camera = await _camera(session, camera_id)
    await cameras.update(session=session, camera=camera, data=body)
    await session.commit()
    return await _camera_public(session, state, camera)


@router.delete("/cameras/{camera_id}", operation_id="admin_delete_camera", status_code=204)
async def delete_camera(camera_id: uuid.UUID, session: SessionDep) -> Response:
    await cameras.delete(session=session, camera=await _camera(session, camera_id))
    await session.commit()
    return Response(status_code=204)


@router.get("/cameras/{camera_id}/lines", operation_id="admin_list_lines")
async def list_lines(camera_id: uuid.UUID, session: SessionDep) -> list[LineSpec]:
    await _camera(session, camera_id)
    return await cameras.lines(session=session, camera_id=camera_id)


@router.put("/cameras/{camera_id}/lines", operation_id="admin_replace_lines")
async def replace_lines(
    camera_id: uuid.UUID, body: list[LineSpec], session: SessionDep
) -> list[LineSpec]:
    """Replace all counting lines of the camera (line ids must be unique)."""
    camera = await _camera(session, camera_id)
    ids = [spec.line_id for spec in body]
    if len(set(ids)) != len(ids):
        raise HTTPException(422, "line_id values must be unique")
    await cameras.replace_lines(session=session, camera=camera, specs=body)
    await session.commit()
    return await cameras.lines(session=session, camera_id=camera_id)


@router.post("/cameras/{camera_id}/key", operation_id="admin_issue_key", status_code=201)
async def issue_key(camera_id: uuid.UUID, session: SessionDep) -> WorkerKey:
    """Issue or rotate the worker key; this is the only time it is shown."""
    camera = await _camera(session, camera_id)
    key = await cameras.issue_key(session=session, camera=camera)
    await session.commit()
    return WorkerKey(camera_id=camera.id, key=key)


@router.delete("/cameras/{camera_id}/key", operation_id="admin_revoke_key", status_code=204)
async def revoke_key(camera_id: uuid.UUID, session: SessionDep) -> Response:
    await cameras.revoke_key(session=session, camera=await _camera(session, camera_id))
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/cameras/{camera_id}/snapshot",
    operation_id="admin_get_snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def get_snapshot(camera_id: uuid.UUID, session: SessionDep) -> Response:
    snapshot = await cameras.snapshot(session=session, camera_id=camera_id)
    if snapshot is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no snapshot yet")
    return Response(snapshot.jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
