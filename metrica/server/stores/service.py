"""Store reads and writes, always scoped to what the caller may see."""

from __future__ import annotations

import uuid

from sqlalchemy import delete as delete_rows
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.auth.models import User
from metrica.server.cameras.service import invalidate_worker_keys
from metrica.server.events import service as events
from metrica.server.stores.models import Store, StoreOwner
from metrica.server.stores.schemas import StoreCreate, StoreUpdate


async def list_visible(*, session: AsyncSession, user: User) -> list[Store]:
    """Stores the user may see, by name."""
    query = select(Store).order_by(Store.name, Store.id)
    if user.role == "clerk":
        return []  # clerks see plates only (metrica.server.plates.access), no dashboards
    if user.role != "superadmin":
        query = query.join(StoreOwner, StoreOwner.store_id == Store.id).where(
            StoreOwner.user_id == user.id
        )
    return list((await session.scalars(query)).all())


async def get_visible(*, session: AsyncSession, user: User, store_id: uuid.UUID) -> Store | None:
    """The store if the user may see it, else None (callers answer 404)."""
    if user.role == "clerk":
        return None  # clerks see plates only (metrica.server.plates.access), no dashboards
    store = await session.get(Store, store_id)
    if store is None or user.role == "superadmin":
        return store
    owner = await session.get(StoreOwner, (store_id, user.id))
    return store if owner is not None else None


async def create(*, session: AsyncSession, data: StoreCreate) -> Store:
    store = Store(name=data.name, timezone=data.timezone, opening_hours=data.opening_hours)
    session.add(store)
    await session.flush()
    return store


async def update(*, session: AsyncSession, store: Store, data: StoreUpdate) -> bool:
    """Apply a patch; returns whether the timezone changed (the rollup must be rebuilt).

    Ingest buckets events in the store's timezone, read along with the worker key.
    """
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    tz_changed = "timezone" in changes and changes["timezone"] != store.timezone
    for name, value in changes.items():
        setattr(store, name, value)
    await session.flush()
    if tz_changed:
        invalidate_worker_keys(session)
    return tz_changed


async def delete(*, session: AsyncSession, store: Store) -> None:
    """Delete the store with its events; cameras, rollup and ownerships cascade, the
    owners' accounts stay."""
    await events.delete_events(session=session, store_id=store.id)
    await session.delete(store)
    await session.flush()
    invalidate_worker_keys(session)


async def add_owner(*, session: AsyncSession, store_id: uuid.UUID, user_id: uuid.UUID) -> None:
    if await session.get(StoreOwner, (store_id, user_id)) is None:
        session.add(StoreOwner(store_id=store_id, user_id=user_id))
        await session.flush()


async def remove_owner(*, session: AsyncSession, store_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete_rows(StoreOwner).where(
            StoreOwner.store_id == store_id, StoreOwner.user_id == user_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def owners(*, session: AsyncSession, store_id: uuid.UUID) -> list[User]:
    query = (
        select(User)
        .join(StoreOwner, StoreOwner.user_id == User.id)
        .where(StoreOwner.store_id == store_id)
        .order_by(User.email)
    )
    return list((await session.scalars(query)).all())
