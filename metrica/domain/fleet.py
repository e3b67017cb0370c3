"""The fleet vocabulary both ends share: a box's config, its heartbeat, and the pure rules
about them (version drift, schedules, presence). No I/O.

The backend serves `BoxConfig` at `GET /fleet/box/config` and reads `BoxHeartbeat` at
`POST /fleet/box/heartbeat`; the box (`metrica edge run`) does the opposite. Every list is
capped so that neither end reads an unbounded body. Source URLs are checked and masked by
the backend (`server.fleet.sources`); the box only opens them.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from metrica.domain.fields import FiniteFloat, Int32, Int64, SafeStr, UtcDatetime

MAX_CAMERAS_PER_BOX = 64
MAX_BOX_ERRORS = 20
MAX_ERROR_CHARS = 500
MAX_SOURCE_CHARS = 2048
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

CameraState = Literal["starting", "running", "restarting", "finished", "stopped", "off_schedule"]
Drift = Literal["current", "behind", "ahead", "unknown"]


def _version_numbers(version: str) -> tuple[int, ...] | None:
    found = re.match(r"^v?(\d+(?:\.\d+){0,3})", version.strip())
    return tuple(int(p) for p in found.group(1).split(".")) if found else None


def version_drift(box_version: str | None, release: str) -> Drift:
    """Where a box's version stands against the current release (dotted numbers)."""
    if not box_version:
        return "unknown"
    mine, current = _version_numbers(box_version), _version_numbers(release)
    if mine is None or current is None:
        return "unknown"
    width = max(len(mine), len(current))
    mine, current = mine + (0,) * (width - len(mine)), current + (0,) * (width - len(current))
    return "current" if mine == current else ("behind" if mine < current else "ahead")


class Schedule(BaseModel):
    """Daily active hours in the box's local time; `start > end` spans midnight."""

    model_config = ConfigDict(extra="forbid")

    start: str = Field(max_length=5, pattern=_HHMM.pattern, examples=["07:00"])
    end: str = Field(max_length=5, pattern=_HHMM.pattern, examples=["22:00"])

    @model_validator(mode="after")
    def _not_empty(self) -> Schedule:
        if self.start == self.end:
            raise ValueError("start and end must differ (omit the schedule to run always)")
        return self

    def active_at(self, local: time) -> bool:
        """Whether a camera with this schedule runs at local time `local`."""
        start, end = time.fromisoformat(self.start), time.fromisoformat(self.end)
        now = local.replace(second=0, microsecond=0, tzinfo=None)
        return start <= now < end if start < end else (now >= start or now < end)


class CameraSettings(BaseModel):
    """How a box runs one camera's worker (everything but the source and the lines)."""

    model_config = ConfigDict(extra="forbid")

    model: SafeStr | None = Field(default=None, max_length=200, description="Model name.")
    input_size: int | None = Field(default=None, ge=32, le=4096, multiple_of=32)
    stride: int = Field(default=1, ge=1, le=100, description="Detect every n-th frame.")
    schedule: Schedule | None = None
    blur_people: bool = Field(
        default=True, description="Blur people in calibration snapshots on the box."
    )

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_.\-]+", value):
            raise ValueError("a model name is letters, digits, '_', '.' and '-'")
        return value


class LineConfig(BaseModel):
    line_id: str
    name: str
    x1: float
    y1: float
    x2: float
    y2: float


class BoxCameraConfig(BaseModel):
    """One camera as its box runs it; `version` changes whenever anything below does."""

    camera_id: uuid.UUID
    name: str
    source: str | None = Field(description="Decrypted source URL; only ever sent to the box.")
    worker_key: str = Field(description="The camera's worker key for POST /events.")
    settings: CameraSettings
    lines: list[LineConfig]
    version: str


class BoxConfig(BaseModel):
    box_id: uuid.UUID
    store_id: uuid.UUID
    cameras: list[BoxCameraConfig] = Field(max_length=MAX_CAMERAS_PER_BOX)
    version: str


class BoxCameraStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    camera_id: uuid.UUID
    state: CameraState
    restarts: Int32 = 0
    config_version: SafeStr = Field(default="", max_length=64)


class BoxError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: UtcDatetime
    message: SafeStr = Field(max_length=MAX_ERROR_CHARS)


Percent = Annotated[FiniteFloat, Field(ge=0, le=100)]


class BoxHeartbeat(BaseModel):
    """What a box says about itself every heartbeat period."""

    model_config = ConfigDict(extra="forbid")

    version: SafeStr = Field(max_length=64)
    hostname: SafeStr = Field(default="", max_length=255)
    uptime_s: FiniteFloat = Field(ge=0, le=10 * 365 * 86400)
    cpu_percent: Percent | None = None
    memory_percent: Percent | None = None
    disk_percent: Percent | None = None
    outbox_depth: Int64 = 0
    cameras: list[BoxCameraStatus] = Field(default_factory=list, max_length=MAX_CAMERAS_PER_BOX)
    errors: list[BoxError] = Field(default_factory=list, max_length=MAX_BOX_ERRORS)


def box_is_online(last_seen_at: datetime | None, now: datetime, *, offline_after_s: float) -> bool:
    """A box is online while its last heartbeat is younger than `offline_after_s`."""
    return last_seen_at is not None and (now - last_seen_at).total_seconds() < offline_after_s
