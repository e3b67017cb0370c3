"""API shapes of the accuracy audits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from metrica.domain.audits import MAX_CLIP_FRAMES, MAX_MARKS, RECORDING_MAX_S, RECORDING_MIN_S
from metrica.domain.events import Direction

RecordingStatus = Literal["requested", "uploaded", "counting", "ready", "failed"]


class RecordingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: int = Field(ge=RECORDING_MIN_S, le=RECORDING_MAX_S)


class Mark(BaseModel):
    """A crossing at a frame of the clip (0-based decoded frame, as `metrica count`)."""

    model_config = ConfigDict(extra="forbid")

    line: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    direction: Direction
    frame: int = Field(ge=0, le=MAX_CLIP_FRAMES)


class MarksUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marks: list[Mark] = Field(max_length=MAX_MARKS)


class ClipLine(BaseModel):
    line_id: str
    name: str
    x1: float
    y1: float
    x2: float
    y2: float


class RecordingPublic(BaseModel):
    id: uuid.UUID
    camera_id: uuid.UUID
    source: Literal["worker", "upload"]
    status: RecordingStatus
    seconds: int
    requested_by: str
    created_at: datetime
    uploaded_at: datetime | None
    expires_at: datetime
    size_bytes: int
    content_type: str
    fps: float
    frames: int
    width: int
    height: int
    error: str
    counted_with: str = Field(
        description="The counting configuration the clip was counted with "
        "(model @ input size, stride); empty until counted."
    )
    marks_count: int


class RecordingDetail(RecordingPublic):
    lines: list[ClipLine]
    marks: list[Mark]


class RecordingsPublic(BaseModel):
    data: list[RecordingPublic]
    count: int


class Moment(BaseModel):
    """A crossing the counter missed (a mark) or added (an extra), with its time."""

    line: str
    direction: Direction
    frame: int
    t_s: float


class AuditScore(BaseModel):
    id: uuid.UUID
    recording_id: uuid.UUID | None
    camera_id: uuid.UUID
    created_at: datetime
    created_by: str
    true_crossings: int
    predicted_crossings: int
    matched: int
    precision: float
    recall: float
    count_accuracy: float


class AuditScoreDetail(AuditScore):
    misses: list[Moment]
    extras: list[Moment]
    per_line: dict[str, dict[str, float | int]]


class AuditHistory(BaseModel):
    data: list[AuditScore]
    count: int


class ClipLogEntry(BaseModel):
    recording_id: uuid.UUID
    at: datetime
    actor: str
    action: str


class ClipLog(BaseModel):
    data: list[ClipLogEntry]
    count: int


class PendingRecording(BaseModel):
    """What a worker should record now (None: nothing)."""

    recording_id: uuid.UUID | None
    seconds: int


class CountCheck(BaseModel):
    """The latest audit of any camera of a store, for the owner's dashboard."""

    checked_at: datetime
    count_accuracy: float
    true_crossings: int
    camera_id: uuid.UUID
    camera_name: str


class CountCheckPublic(BaseModel):
    check: CountCheck | None
