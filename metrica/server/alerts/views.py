"""Owner alert routes: settings (read, save, new webhook secret), a test notice and the
log of a store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status

from metrica.server.alerts import probe, service
from metrica.server.alerts.schemas import (
    MAX_LOG_ENTRIES,
    AlertEpisodePublic,
    AlertLog,
    AlertSettingsPublic,
    AlertSettingsUpdate,
    AlertTestResult,
)
from metrica.server.auth.rate_limits import Action, RateLimited
from metrica.server.deps import CurrentUser, SessionDep, State, VisibleStore
from metrica.server.stores.models import StoreOwner

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


@router.post(
    "/stores/{store_id}/alerts/test",
    operation_id="send_test_alert",
    response_model=AlertTestResult,
)
async def send_test_alert(
    store: VisibleStore, user: CurrentUser, session: SessionDep, state: State, request: Request
) -> AlertTestResult:
    """Send a test notice through the saved email and webhook now; what happened to each.
    The store's owners only, once a minute per store (429 with Retry-After)."""
    if await session.get(StoreOwner, (store.id, user.id)) is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the store's owners can send a test")
    try:
        await state.rate_limits.hit(
            Action.TEST_ALERT,
            email=f"store:{store.id}",
            address=request.client.host if request.client else None,
        )
    except RateLimited as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "a test alert was sent a moment ago; try again later",
            headers={"Retry-After": str(exc.retry_after_s)},
        ) from None
    return await probe.send_test(
        session=session,
        store=store,
        mailer=state.mailer,
        settings=state.settings,
        actor=user.email,
        now=state.clock(),
    )


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
