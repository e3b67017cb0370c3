"""Camera schemas: CameraCreate, CameraUpdate, CameraPublic, lines, keys, worker config."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from metrica.domain.fields import FiniteFloat, SafeStr
from metrica.domain.geometry import CountingLine, LineSpecError

HealthStatus = Literal["live", "stale", "offline"]


class CameraCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: uuid.UUID
    name: SafeStr = Field(min_length=1, max_length=200)
    is_counting_line: bool = True


class CameraUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SafeStr | None = Field(default=None, min_length=1, max_length=200)
    is_counting_line: bool | None = None
    status: Literal["active", "disabled"] | None = None


class CameraPublic(BaseModel):
    """A camera with its health, as the admin list shows it."""

    id: uuid.UUID
    store_id: uuid.UUID
    name: str
    is_counting_line: bool
    status: HealthStatus
    enabled: bool
    last_heartbeat_at: datetime | None
    last_event_at: datetime | None
    fps: float | None
    last_snapshot_at: datetime | None
    has_key: bool


class CamerasPublic(BaseModel):
    data: list[CameraPublic]
    count: int


class LineSpec(BaseModel):
    """A counting line; IN = from the left-hand to the right-hand side of P1→P2."""

    model_config = ConfigDict(extra="forbid")

    line_id: SafeStr = Field(min_length=1, max_length=64)
    name: SafeStr = Field(default="", max_length=200)
    x1: FiniteFloat
    y1: FiniteFloat
    x2: FiniteFloat
    y2: FiniteFloat

    @model_validator(mode="after")
    def _geometry(self) -> LineSpec:
        try:
            CountingLine(self.line_id, self.x1, self.y1, self.x2, self.y2)
        except LineSpecError as exc:
            raise ValueError(str(exc)) from None
        return self


class CameraConfig(BaseModel):
    camera_id: uuid.UUID
    lines: list[LineSpec]
    updated_at: datetime


class WorkerKey(BaseModel):
    camera_id: uuid.UUID
    key: str
