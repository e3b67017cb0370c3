"""What the plate routes take and answer (docs/plates-api.md is the contract)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from metrica.domain.fields import SafeStr
from metrica.domain.plate_text import normalize_plate
from metrica.server.auth.schemas import EmailStr

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class PlateSite(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str
    retention_days: int


class PlateSites(BaseModel):
    sites: list[PlateSite]


class JobPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    store_id: uuid.UUID
    filename: str
    kind: Literal["video", "image"]
    status: JobStatus
    progress_done: int
    progress_total: int
    plates_found: int
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobsPublic(BaseModel):
    jobs: list[JobPublic]


class PlateReadPublic(BaseModel):
    id: uuid.UUID
    store_id: uuid.UUID
    camera_id: uuid.UUID | None
    job_id: uuid.UUID | None
    text: str
    normalized: str
    confidence: float
    vehicle_class: str
    occurred_at: datetime
    first_seen_s: float
    last_seen_s: float
    crop_url: str | None


class PlateSearchPublic(BaseModel):
    results: list[PlateReadPublic]
    total: int


class ErasurePublic(BaseModel):
    deleted_reads: int
    deleted_crops: int


class WatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: uuid.UUID
    plate: SafeStr = Field(min_length=1, max_length=32)
    note: SafeStr | None = Field(default=None, max_length=500)
    notify_email: EmailStr | None = None
    notify_webhook: HttpUrl | None = Field(default=None, max_length=2000)

    @field_validator("plate")
    @classmethod
    def _normalize(cls, value: str) -> str:
        plate = normalize_plate(value)
        if not plate:
            raise ValueError("a plate needs at least one letter or digit")
        return plate


class WatchPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    store_id: uuid.UUID
    plate: str
    note: str | None
    notify_email: str | None
    notify_webhook: str | None
    created_at: datetime


class WatchlistPublic(BaseModel):
    entries: list[WatchPublic]


class AlertDelivery(BaseModel):
    email: bool | None
    webhook: bool | None


class AlertPublic(BaseModel):
    id: uuid.UUID
    watch_id: uuid.UUID
    read_id: uuid.UUID
    plate: str
    occurred_at: datetime
    delivered: AlertDelivery


class AlertsPublic(BaseModel):
    alerts: list[AlertPublic]


class AuditEntryPublic(BaseModel):
    at: datetime
    user_email: str
    action: str
    query: str
    result_count: int


class AuditPublic(BaseModel):
    entries: list[AuditEntryPublic]
    total: int  # entries matching the filters (the page holds at most `limit`)


class AnprSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    retention_days: int = Field(default=30, ge=1, le=3650)


class ClerkAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr


class ClerkPublic(BaseModel):
    user_id: uuid.UUID
    email: str


class ClerksPublic(BaseModel):
    clerks: list[ClerkPublic]
