"""Superadmin store routes: `/admin/stores` and their owners."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Response, status

from metrica.server.auth import service as auth
from metrica.server.auth.schemas import UserPublic, UsersPublic
from metrica.server.cameras import snapshots
from metrica.server.deps import SessionDep, State, SuperAdmin, VisibleStore, admin_router
from metrica.server.events import service as events
from metrica.server.stores import service
from metrica.server.stores.schemas import (
    OwnerAdd,
    StoreCreate,
    StorePublic,
    StoresPublic,
    StoreUpdate,
)

router = admin_router()


@router.get("/stores", operation_id="admin_list_stores", response_model=StoresPublic)
async def list_stores(session: SessionDep, admin: SuperAdmin) -> StoresPublic:
    every = await service.list_visible(session=session, user=admin)
    return StoresPublic(data=[StorePublic.model_validate(s) for s in every], count=len(every))


@router.post("/stores", operation_id="admin_create_store", status_code=201)
async def create_store(body: StoreCreate, session: SessionDep) -> StorePublic:
    store = await service.create(session=session, data=body)
    await session.commit()
    return StorePublic.model_validate(store)


@router.get("/stores/{store_id}", operation_id="admin_get_store")
async def get_store(store: VisibleStore) -> StorePublic:
    return StorePublic.model_validate(store)


@router.patch("/stores/{store_id}", operation_id="admin_update_store")
async def update_store(store: VisibleStore, body: StoreUpdate, session: SessionDep) -> StorePublic:
    if await service.update(session=session, store=store, data=body):
        await events.rebuild_rollup(session=session, store_id=store.id, tz=ZoneInfo(store.timezone))
    await session.commit()
    return StorePublic.model_validate(store)


@router.delete("/stores/{store_id}", operation_id="admin_delete_store", status_code=204)
async def delete_store(store: VisibleStore, session: SessionDep, state: State) -> Response:
    keys = await snapshots.keys_of(session=session, store_id=store.id)
    await service.delete(session=session, store=store)
    await session.commit()
    await snapshots.forget(state.blobs, keys)
    return Response(status_code=204)


@router.get("/stores/{store_id}/owners", operation_id="admin_list_owners")
async def list_owners(store: VisibleStore, session: SessionDep) -> UsersPublic:
    users = await service.owners(session=session, store_id=store.id)
    return UsersPublic(data=[UserPublic.model_validate(u) for u in users], count=len(users))


@router.post("/stores/{store_id}/owners", operation_id="admin_add_owner", status_code=201)
async def add_owner(
    store: VisibleStore, body: OwnerAdd, session: SessionDep, state: State
) -> UserPublic:
    """Add a user as owner; one without a password (new, or invited before and never
    accepted) gets a fresh invitation link by email (self-hosted sign-in only)."""
    user = await auth.by_email(session=session, email=body.email)
    if user is None:
        user = await auth.create_user(session=session, email=body.email, hasher=state.passwords)
    self_hosted = state.settings.jwks_url is None  # an external IdP does its own sign-up
    token = None
    if self_hosted and user.password_hash is None:
        token = await auth.invite(session=session, user=user)
    await service.add_owner(session=session, store_id=store.id, user_id=user.id)
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
async def remove_owner(
    store_id: uuid.UUID,  # unused: declared so the API documents store_id before user_id
    user_id: uuid.UUID,
    store: VisibleStore,
    session: SessionDep,
) -> Response:
    if not await service.remove_owner(session=session, store_id=store.id, user_id=user_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "owner not found")
    await session.commit()
    return Response(status_code=204)
