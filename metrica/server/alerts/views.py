"""Owner alert routes: settings (read, save, new webhook secret) and the log of a store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from metrica.server.alerts import service
from metrica.server.alerts.schemas import (
    MAX_LOG_ENTRIES,
    AlertEpisodePublic,
    AlertLog,
    AlertSettingsPublic,
    AlertSettingsUpdate,
)
from metrica.server.deps import SessionDep, VisibleStore

router = APIRouter(tags=["owner"])


@router.get(
    "/stores/{store_id}/alerts/settings",
    operation_id="get_alert_settings",
    response_model=AlertSettingsPublic,
)
async def get_alert_settings(store: VisibleStore, session: SessionDep) -> AlertSettingsPublic:
    """The store's alert settings (every alert off until saved once)."""
    return await service.public_settings(session=session, store=store)


@router.put(
    "/stores/{store_id}/alerts/settings",
    operation_id="put_alert_settings",
    response_model=AlertSettingsPublic,
)
async def put_alert_settings(
    store: VisibleStore, session: SessionDep, body: AlertSettingsUpdate
) -> AlertSettingsPublic:
    """Save the store's alert settings; the next evaluation applies them."""
    await service.save_settings(session=session, store=store, data=body)
    await session.commit()
    return await service.public_settings(session=session, store=store)


@router.post(
    "/stores/{store_id}/alerts/settings/secret",
    operation_id="rotate_alert_secret",
    response_model=AlertSettingsPublic,
)
async def rotate_alert_secret(store: VisibleStore, session: SessionDep) -> AlertSettingsPublic:
    """A new webhook signing secret; the old one stops at once."""
    await service.rotate_secret(session=session, store=store)
    await session.commit()
    return await service.public_settings(session=session, store=store)


@router.get("/stores/{store_id}/alerts/log", operation_id="get_alert_log", response_model=AlertLog)
async def get_alert_log(
    store: VisibleStore,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LOG_ENTRIES)] = 50,
) -> AlertLog:
    """The store's alert episodes, newest first (open ones have no `resolved_at`)."""
    rows = await service.log(session=session, store_id=store.id, limit=limit)
    data = [AlertEpisodePublic.model_validate(r) for r in rows]
    return AlertLog(data=data, count=len(data))
