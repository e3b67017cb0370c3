"""Owner-facing KPI answers: LivePublic, DashboardPublic and the stores overview."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from metrica.domain.kpis import Period
from metrica.server.cameras.schemas import HealthStatus


class LiveCamera(BaseModel):
    id: uuid.UUID
    name: str
    status: HealthStatus
    last_heartbeat_at: datetime | None
    last_event_at: datetime | None
    fps: float | None


class LivePublic(BaseModel):
    store_id: uuid.UUID
    timezone: str
    as_of: datetime
    occupancy: int
    in_today: int
    out_today: int
    cameras: list[LiveCamera]


class PreviousPeriod(BaseModel):
    """The period just before; `same_time` = it is cut at the current period's elapsed
    local time (the current period is in progress), and `end` is that instant."""

    start: datetime
    end: datetime
    footfall_in: int
    footfall_out: int
    same_time: bool


class SeriesPointPublic(BaseModel):
    start: datetime
    label: str
    footfall_in: int
    footfall_out: int


class PeakHour(BaseModel):
    hour: int
    footfall_in: int


class Comparison(BaseModel):
    """IN against the same weekday (day), or the same week, a week or a year (52 weeks)
    earlier; cut at the same local time while the period is in progress. `last_year` is
    only given when that window has data."""

    kind: Literal["last_week", "last_year"]
    start: datetime
    end: datetime
    footfall_in: int
    change_pct: float | None
    same_time: bool


class OccupancyPoint(BaseModel):
    at: datetime
    occupancy: int


class DashboardPublic(BaseModel):
    store_id: uuid.UUID
    timezone: str
    period: Period
    start: datetime
    end: datetime
    footfall_in: int
    footfall_out: int
    previous: PreviousPeriod
    change_pct: float | None
    series: list[SeriesPointPublic]
    peak_hour: PeakHour | None
    heatmap: list[list[int]]
    average_dwell_s: float | None
    comparisons: list[Comparison]
    # People inside every 15 minutes of the day, from events, up to now (day period only).
    occupancy: list[OccupancyPoint]


class CameraCounts(BaseModel):
    live: int
    stale: int
    offline: int


class StoreOverview(BaseModel):
    """One row of the owner's overview; `daily_in` is IN per local day, oldest first,
    ending today (the sparkline)."""

    id: uuid.UUID
    name: str
    timezone: str
    in_today: int
    occupancy: int
    last_week_in: int
    change_pct: float | None
    daily_in: list[int]
    cameras: CameraCounts


class StoresOverview(BaseModel):
    as_of: datetime
    data: list[StoreOverview]
    count: int
