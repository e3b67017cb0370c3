"""Crossings → `LineCrossed` events: the id scheme that makes replays idempotent.

A *file* is re-read from its start when a worker restarts, and the pipeline is
deterministic for the same frames, so a file event's id is a uuid5 of everything that
identifies that crossing: camera, source (resolved path + size), loop iteration, frame,
line, direction and track. A replay after `kill -9` then produces the very same ids and
the backend stores each crossing once. A *live* frame is never seen twice, so a live
event gets a random id (it is in the outbox before it is sent, so retries reuse it): a
UUIDv7 (RFC 9562), whose first 48 bits are the capture time in milliseconds, so the
backend's one index on every event id (`event_ids`) grows at its right edge instead of
taking each insert on a random page of an index that outgrows memory.

Times are UTC: live events use the frame's capture time; file events use the worker's
start time plus media time (plus the loop offset), never later than now (processing
faster than real time must not make events from the future).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from metrica.domain.counting import Crossing
from metrica.domain.events import LineCrossed

EVENT_ID_NAMESPACE = uuid.UUID("8c5f1f2e-6a43-5d0e-9a39-6f1f0c7b1e52")


def file_identity(path: Path) -> str:
    """What identifies a video file across restarts: its resolved path and size."""
    resolved = path.resolve()
    return f"{resolved}:{resolved.stat().st_size}"


def file_event_id(
    *,
    camera_id: str,
    source_key: str,
    loop: int,
    frame: int,
    line_id: str,
    direction: str,
    track_id: int,
) -> uuid.UUID:
    """The deterministic id of one crossing in one pass over a file."""
    name = f"{camera_id.lower()}|{source_key}|{loop}|{frame}|{line_id}|{direction}|{track_id}"
    return uuid.uuid5(EVENT_ID_NAMESPACE, name)


def time_ordered_id(at: datetime) -> uuid.UUID:
    """A UUIDv7: `at` in Unix milliseconds (48 bits), the version, 74 random bits."""
    millis = max(0, int(at.timestamp() * 1000)) & ((1 << 48) - 1)
    rand_a, rand_b = secrets.randbits(12), secrets.randbits(62)
    return uuid.UUID(int=millis << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EventMaker:
    """Makes the events of one camera; `source_key` is set for files, None for live."""

    def __init__(
        self,
        camera_id: str,
        *,
        source_key: str | None,
        started_at: datetime,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.camera_id = camera_id
        self.source_key = source_key
        self.started_at = started_at
        self._clock = clock

    def make(
        self,
        crossings: Sequence[Crossing],
        *,
        captured_at: datetime,
        loop: int = 0,
        loop_offset_s: float = 0.0,
    ) -> list[LineCrossed]:
        """Events for the crossings counted in one frame."""
        return [self._one(c, captured_at, loop, loop_offset_s) for c in crossings]

    def _one(
        self, c: Crossing, captured_at: datetime, loop: int, loop_offset_s: float
    ) -> LineCrossed:
        if self.source_key is None:
            event_id, occurred_at = time_ordered_id(captured_at), captured_at
        else:
            event_id = file_event_id(
                camera_id=self.camera_id,
                source_key=self.source_key,
                loop=loop,
                frame=c.frame,
                line_id=c.line_id,
                direction=c.direction,
                track_id=c.track_id,
            )
            media_at = self.started_at + timedelta(seconds=loop_offset_s + c.t_s)
            occurred_at = min(media_at, self._clock())
        return LineCrossed(
            event_id=event_id,
            camera_id=self.camera_id,
            line_id=c.line_id,
            direction=c.direction,
            occurred_at=occurred_at,
            track_id=c.track_id,
        )
