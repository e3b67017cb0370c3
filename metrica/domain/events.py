"""The one event vocabulary: what the worker emits, the uplink carries and the server stores.

Events are named in the past tense. Every event carries a client-made UUID so that
retries are idempotent, and a UTC `occurred_at` stamped on the edge.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from metrica.domain.fields import (
    FastSafeStr,
    FiniteFloat,
    Int32,
    Int64,
    IsoInstant,
    SafeStr,
    UtcDatetime,
)
from metrica.domain.limits import MAX_BATCH_EVENTS

__all__ = [
    "MAX_BATCH_EVENTS",
    "Event",
    "EventBatch",
    "Heartbeat",
    "LineCrossed",
    "PlateRead",
    "UtcDatetime",
]

Direction = Literal["in", "out"]


class LineCrossed(BaseModel):
    """A tracked person crossed a counting line of a camera."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["line_crossed"] = "line_crossed"
    # No Python function per field (`FastSafeStr`, `IsoInstant`): a worker sends up to 1000
    # of these a request, and those calls were a third of the CPU of validating them.
    event_id: UUID = Field(description="Client-made id; the server stores each id once.")
    camera_id: FastSafeStr = Field(min_length=1, max_length=64)
    line_id: FastSafeStr = Field(min_length=1, max_length=64)
    direction: Direction
    occurred_at: IsoInstant = Field(
        description="When the crossing happened: ISO 8601 with a UTC offset (workers send "
        "UTC), 2000-01-01 or later and before 2100."
    )
    track_id: Int64 = Field(description="Tracker id, unique per worker run; never an identity.")


class PlateRead(BaseModel):
    """A licence plate was read, from a camera or an uploaded file (one per vehicle track).

    Stored by the plate service in its own `plate_reads` table (see docs/plates.md):
    plate reads are personal data with their own access rules, retention and erasure, and
    they come from plate jobs, not from `POST /events`, so they are not part of `Event`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["plate_read"] = "plate_read"
    event_id: UUID = Field(description="uuid5(job id, track key) for an upload's reads.")
    camera_id: SafeStr | None = Field(default=None, max_length=64)
    job_id: UUID | None = None
    occurred_at: UtcDatetime
    text: SafeStr = Field(max_length=32)
    normalized: SafeStr = Field(max_length=16, pattern=r"^[A-Z0-9]*$")
    confidence: FiniteFloat = Field(ge=0, le=1)
    vehicle_class: Literal["car", "bus", "truck", "motorcycle", "unknown"]
    crop_key: SafeStr | None = Field(default=None, max_length=512)


# The union grows as event types join (zone_dwelled ...), discriminated by `type`. Workers
# send only these through `POST /events`; `PlateRead` arrives through plate jobs.
Event = LineCrossed


class EventBatch(BaseModel):
    """What `POST /events` accepts: up to `MAX_BATCH_EVENTS` events, stored atomically."""

    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(max_length=MAX_BATCH_EVENTS)


class Heartbeat(BaseModel):
    """Worker health, sent every ~30 s."""

    model_config = ConfigDict(extra="forbid")

    fps: FiniteFloat = Field(ge=0)
    frames_processed: Int64
    frames_dropped: Int64 = 0
    outbox_depth: Int32 = 0
    uptime_s: FiniteFloat = Field(ge=0)
    stream_up: bool = True
    version: SafeStr = Field(max_length=64)
