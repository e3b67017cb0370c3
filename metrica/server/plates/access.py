"""Who may use plates where: a superadmin everywhere; an owner of a store, and a clerk
assigned to it, only where the superadmin enabled ANPR for that store. Everyone else gets
None here and 404 from the routes, so that a store's plates do not even seem to exist."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.auth.models import User
from metrica.server.stores.models import Store, StoreClerk, StoreOwner


async def plate_store(*, session: AsyncSession, user: User, store_id: uuid.UUID) -> Store | None:
    """The store if `user` may use its plate features, else None."""
    store = await session.get(Store, store_id)
    if store is None or user.role == "superadmin":
        return store
    if not store.anpr_enabled:
        return None
    if user.role == "owner":
        link: object = await session.get(StoreOwner, (store_id, user.id))
    elif user.role == "clerk":
        link = await session.get(StoreClerk, (store_id, user.id))
    else:
        return None
    return store if link is not None else None


async def plate_stores(*, session: AsyncSession, user: User) -> list[Store]:
    """Every store where `user` may use plates, by name."""
    query = select(Store).order_by(Store.name, Store.id)
    if user.role == "superadmin":
        return list((await session.scalars(query)).all())
    link: type[StoreOwner] | type[StoreClerk]
    if user.role == "owner":
        link = StoreOwner
    elif user.role == "clerk":
        link = StoreClerk
    else:
        return []
    query = (
        query.join(link, link.store_id == Store.id)
        .where(link.user_id == user.id)
        .where(Store.anpr_enabled.is_(True))
    )
    return list((await session.scalars(query)).all())


def may_read_audit(user: User) -> bool:
    """The plate audit log is for superadmins and owners (with ANPR), not for clerks."""
    return user.role in ("superadmin", "owner")
