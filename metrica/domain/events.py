"""The one event vocabulary: what the worker emits, the uplink carries and the server stores.

Events are named in the past tense. Every event carries a client-made UUID so that
retries are idempotent, and a UTC `occurred_at` stamped on the edge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Direction = Literal["in", "out"]
MAX_BATCH_EVENTS = 1000


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a timezone (UTC)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]


class LineCrossed(BaseModel):
    """A tracked person crossed a counting line of a camera."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["line_crossed"] = "line_crossed"
    event_id: UUID = Field(description="Client-made id; the server stores each id once.")
    camera_id: str = Field(min_length=1, max_length=64)
    line_id: str = Field(min_length=1, max_length=64)
    direction: Direction
    occurred_at: UtcDatetime = Field(description="When the crossing happened, UTC.")
    track_id: int = Field(ge=0, description="Tracker id, unique per worker run; never an identity.")


# The union grows as event types join (plate_read, zone_dwelled ...), discriminated by `type`.
Event = LineCrossed


class EventBatch(BaseModel):
    """What `POST /events` accepts: up to `MAX_BATCH_EVENTS` events, stored atomically."""

    model_config = ConfigDict(extra="forbid")

    events: list[Event] = Field(max_length=MAX_BATCH_EVENTS)


class Heartbeat(BaseModel):
    """Worker health, sent every ~30 s."""

    model_config = ConfigDict(extra="forbid")

    fps: float = Field(ge=0)
    frames_processed: int = Field(ge=0)
    frames_dropped: int = Field(default=0, ge=0)
    outbox_depth: int = Field(default=0, ge=0)
    uptime_s: float = Field(ge=0)
    stream_up: bool = True
    version: str = Field(max_length=64)
