"""Superadmin plate routes: ANPR per store (on/off, retention) and its clerks."""

from __future__ import annotations

import uuid

from fastapi import HTTPException, Response, status
from sqlalchemy import delete, select

from metrica.server.auth import service as auth
from metrica.server.auth.models import User
from metrica.server.deps import SessionDep, State, VisibleStore, admin_router
from metrica.server.plates.schemas import AnprSettings, ClerkAdd, ClerkPublic, ClerksPublic
from metrica.server.stores.models import StoreClerk

router = admin_router()


@router.get("/stores/{store_id}/anpr", operation_id="admin_get_anpr")
async def get_anpr(store: VisibleStore) -> AnprSettings:
    """The store's ANPR settings, for the admin page to show before changing them."""
    return AnprSettings(enabled=store.anpr_enabled, retention_days=store.anpr_retention_days)


@router.put("/stores/{store_id}/anpr", operation_id="admin_set_anpr")
async def set_anpr(store: VisibleStore, body: AnprSettings, session: SessionDep) -> AnprSettings:
    store.anpr_enabled = body.enabled
    store.anpr_retention_days = body.retention_days
    await session.commit()
    return AnprSettings(enabled=store.anpr_enabled, retention_days=store.anpr_retention_days)


@router.get("/stores/{store_id}/clerks", operation_id="admin_list_clerks")
async def list_clerks(store: VisibleStore, session: SessionDep) -> ClerksPublic:
    rows = await session.execute(
        select(User.id, User.email)
        .join(StoreClerk, StoreClerk.user_id == User.id)
        .where(StoreClerk.store_id == store.id)
        .order_by(User.email)
    )
    return ClerksPublic(clerks=[ClerkPublic(user_id=i, email=e) for i, e in rows.all()])


@router.post("/stores/{store_id}/clerks", operation_id="admin_add_clerk", status_code=201)
async def add_clerk(
    store: VisibleStore, body: ClerkAdd, session: SessionDep, state: State
) -> ClerkPublic:
    """Assign a clerk; a new address becomes a clerk account with an invitation by email.
    An owner or superadmin account cannot be a clerk (409): clerks see plates only."""
    user = await auth.by_email(session=session, email=body.email)
    if user is None:
        user = await auth.create_user(
            session=session, email=body.email, role="clerk", hasher=state.passwords
        )
    elif user.role != "clerk":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "this account is not a clerk account (owners see plates where ANPR is enabled)",
        )
    token = None
    if state.settings.jwks_url is None and user.password_hash is None:
        token = await auth.invite(session=session, user=user)
    if await session.get(StoreClerk, (store.id, user.id)) is None:
        session.add(StoreClerk(store_id=store.id, user_id=user.id))
    await session.commit()
    if token is not None:
        link = f"{state.settings.web_app_url}/invite?token={token}"
        await state.mailer.send(
            to=user.email,
            subject="You are invited to Metrica",
            body=f"Set your password and sign in: {link}\nThe link works once, for 7 days.",
        )
    return ClerkPublic(user_id=user.id, email=user.email)


@router.delete(
    "/stores/{store_id}/clerks/{user_id}", operation_id="admin_remove_clerk", status_code=204
)
async def remove_clerk(
    store_id: uuid.UUID,  # declared so the API documents store_id before user_id
    user_id: uuid.UUID,
    store: VisibleStore,
    session: SessionDep,
) -> Response:
    result = await session.execute(
        delete(StoreClerk).where(StoreClerk.store_id == store.id, StoreClerk.user_id == user_id)
    )
    if not getattr(result, "rowcount", 0):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "clerk not found")
    await session.commit()
    return Response(status_code=204)
