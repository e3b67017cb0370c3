"""Owner KPIs: `GET /stores/overview`, `GET /live/{store_id}`, `GET /dashboard/{store_id}`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter

from metrica.domain.fields import BoundedDate
from metrica.domain.kpis import Period
from metrica.server.deps import CurrentUser, SessionDep, State, VisibleStore
from metrica.server.kpis import service
from metrica.server.kpis.schemas import DashboardPublic, LivePublic, StoresOverview
from metrica.server.stores import service as stores

router = APIRouter(tags=["owner"])


@router.get("/stores/overview", operation_id="get_stores_overview", response_model=StoresOverview)
async def get_stores_overview(
    user: CurrentUser, session: SessionDep, state: State
) -> StoresOverview:
    """Every store the caller may see: today's IN, occupancy now, the change against the
    same weekday last week (at this time), 14 days of IN and camera health."""
    now, s = state.clock(), state.settings
    rows = [
        await service.store_overview(
            session=session,
            store=store,
            now=now,
            live_after_s=s.live_after_s,
            stale_after_s=s.stale_after_s,
        )
        for store in await stores.list_visible(session=session, user=user)
    ]
    return StoresOverview(as_of=now, data=rows, count=len(rows))


@router.get("/live/{store_id}", operation_id="get_live", response_model=LivePublic)
async def get_live(store: VisibleStore, session: SessionDep, state: State) -> LivePublic:
    """Occupancy and today's counts now, with camera health."""
    s = state.settings
    return await service.live(
        session=session,
        store=store,
        now=state.clock(),
        live_after_s=s.live_after_s,
        stale_after_s=s.stale_after_s,
    )


@router.get("/dashboard/{store_id}", operation_id="get_dashboard", response_model=DashboardPublic)
async def get_dashboard(
    store: VisibleStore,
    session: SessionDep,
    state: State,
    period: Period = "day",
    date: BoundedDate | None = None,
) -> DashboardPublic:
    """Footfall, series, peak hour, heatmap and dwell of a day, week or month (store time)."""
    now = state.clock()
    day = date or now.astimezone(ZoneInfo(store.timezone)).date()
    return await service.dashboard(session=session, store=store, period=period, day=day, now=now)
