"""Owner KPIs: `GET /live/{store_id}`, `GET /dashboard/{store_id}`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter

from metrica.domain.fields import BoundedDate
from metrica.domain.kpis import Period
from metrica.server.deps import SessionDep, State, VisibleStore
from metrica.server.kpis import service
from metrica.server.kpis.schemas import DashboardPublic, LivePublic

router = APIRouter(tags=["owner"])


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
