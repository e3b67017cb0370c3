"""Owner-facing KPI answers: LivePublic and DashboardPublic."""

from __future__ import annotations

import uuid
from datetime import datetime

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
