"""Fleet API shapes: enrolment, boxes as the admin sees them, camera settings.

The box's own shapes (`BoxConfig`, `BoxHeartbeat`) are in `metrica.domain.fleet`, which
the box imports too.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from metrica.domain.fields import SafeStr
from metrica.domain.fleet import (
    MAX_SOURCE_CHARS,
    BoxCameraStatus,
    BoxError,
    CameraSettings,
    Drift,
)
from metrica.server.fleet.sources import check_source

SourceUrl = Annotated[SafeStr, Field(max_length=MAX_SOURCE_CHARS), AfterValidator(check_source)]


class EnrolmentTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_id: uuid.UUID
    ttl_s: int | None = Field(
        default=None, ge=60, le=7 * 86400, description="Lifetime; default 1 h (setting)."
    )


class EnrolmentTokenPublic(BaseModel):
    """The token, shown this once; only its hash is kept."""

    token: str
    store_id: uuid.UUID
    expires_at: datetime


class EnrolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)
    hostname: SafeStr = Field(min_length=1, max_length=255)
    version: SafeStr = Field(max_length=64)


class BoxCredentials(BaseModel):
    """What a box keeps (mode 0600): its id and key, shown this once."""

    box_id: uuid.UUID
    store_id: uuid.UUID
    box_key: str


class BoxPublic(BaseModel):
    id: uuid.UUID
    store_id: uuid.UUID
    hostname: str
    enrolled_at: datetime
    revoked: bool
    online: bool
    last_seen_at: datetime | None
    version: str
    drift: Drift
    release: str
    uptime_s: float | None
    cpu_percent: float | None
    memory_percent: float | None
    disk_percent: float | None
    outbox_depth: int
    camera_ids: list[uuid.UUID]
    camera_states: list[BoxCameraStatus]


class BoxesPublic(BaseModel):
    data: list[BoxPublic]
    count: int


class BoxErrorsPublic(BaseModel):
    box_id: uuid.UUID
    data: list[BoxError]


class CameraAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    box_id: uuid.UUID | None = Field(description="The box to run the camera; null = none.")


class CameraSettingsUpdate(CameraSettings):
    """New settings; `source` omitted keeps the stored one, null removes it."""

    source: SourceUrl | None = Field(default=None, description="rtsp://user:pass@host/...")


class CameraFleetPublic(BaseModel):
    """A camera's fleet settings as an admin sees them: the source's password masked."""

    camera_id: uuid.UUID
    box_id: uuid.UUID | None
    source_masked: str | None
    settings: CameraSettings
    updated_at: datetime


class CameraAuditEntryPublic(BaseModel):
    """One change of a camera's privacy setting: who, when, old -> new."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    camera_id: uuid.UUID
    changed_at: datetime
    actor_email: str
    setting: str
    old_value: str
    new_value: str


class CameraAuditPublic(BaseModel):
    entries: list[CameraAuditEntryPublic]
