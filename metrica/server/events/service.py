"""Ingest: validate a whole batch, store new events once, roll them up in the same transaction.

One multi-row `INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING` tells exactly which
events are new; only those are added to the hourly rollup (one upsert per batch), so a batch
posted twice, even concurrently, counts once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.events import EventBatch
from metrica.domain.kpis import HOUR_S, local_hour_start
from metrica.server.cameras.models import Camera
from metrica.server.db import dialect_insert, dialect_of
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.state import WorkerCamera

LAST_EVENT_RESOLUTION = timedelta(seconds=10)

_PG_INSERT = text(
    """
    INSERT INTO events
        (event_id, type, store_id, camera_id, occurred_at, received_at, line_id, direction,
         payload)
    SELECT e.id, e.type, :store_id, :camera_id, e.occurred_at, :received_at, e.line_id,
           e.direction, CAST(e.payload AS json)
    FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS varchar[]),
                CAST(:occurred AS timestamptz[]), CAST(:lines AS varchar[]),
                CAST(:directions AS varchar[]), CAST(:payloads AS text[]))
         AS e(id, type, occurred_at, line_id, direction, payload)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING line_id, direction, occurred_at
    """
)


@dataclass
class BatchProblems:
    """Why a batch is refused: FastAPI-shaped 422 items, or a 403 for a foreign camera."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    foreign_camera: str | None = None

    def add(self, index: int, name: str, msg: str, kind: str) -> None:
        self.errors.append({"loc": ["body", "events", index, name], "msg": msg, "type": kind})


def check_batch(
    batch: EventBatch, *, camera: WorkerCamera, now: datetime, max_future_s: float
) -> BatchProblems:
    """Everything that makes the whole batch unacceptable (nothing is stored then)."""
    problems = BatchProblems()
    latest = now + timedelta(seconds=max_future_s)
    own = str(camera.camera_id)
    for i, event in enumerate(batch.events):
        if event.camera_id.lower() != own:
            problems.foreign_camera = f"events[{i}].camera_id is not this key's camera"
            return problems
        if event.occurred_at > latest:
            problems.add(i, "occurred_at", "timestamp is in the future", "value_error.future")
        if event.line_id not in camera.line_ids:
            problems.add(
                i, "line_id", f"unknown line {event.line_id!r} for this camera", "value_error.line"
            )
    return problems


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    duplicates: int


async def store_batch(
    *, session: AsyncSession, camera: WorkerCamera, batch: EventBatch, now: datetime
) -> IngestResult:
    """Insert new events and roll them up; the caller commits."""
    events = sorted(batch.events, key=lambda e: e.event_id)  # one lock order: no deadlocks
    if not events:
        return IngestResult(0, 0)
    dialect = dialect_of(session)
    if dialect == "postgresql":
        rows = (
            await session.execute(
                _PG_INSERT,
                {
                    "store_id": camera.store_id,
                    "camera_id": camera.camera_id,
                    "received_at": now,
                    "ids": [e.event_id for e in events],
                    "types": [e.type for e in events],
                    "occurred": [e.occurred_at for e in events],
                    "lines": [e.line_id for e in events],
                    "directions": [e.direction for e in events],
                    "payloads": [json.dumps({"track_id": e.track_id}) for e in events],
                },
            )
        ).all()
    else:
        insert = dialect_insert(dialect)
        stmt = (
            insert(EventRow)
            .values(
                [
                    {
                        "event_id": e.event_id,
                        "type": e.type,
                        "store_id": camera.store_id,
                        "camera_id": camera.camera_id,
                        "occurred_at": e.occurred_at,
                        "received_at": now,
                        "line_id": e.line_id,
                        "direction": e.direction,
                        "payload": {"track_id": e.track_id},
                    }
                    for e in events
                ]
            )
            .on_conflict_do_nothing(index_elements=[EventRow.event_id])
            .returning(EventRow.line_id, EventRow.direction, EventRow.occurred_at)
        )
        rows = (await session.execute(stmt)).all()
    await roll_up(
        session=session,
        camera=camera,
        inserted=[(r[0], r[1], r[2]) for r in rows],
    )
    await session.execute(
        update(Camera)
        .where(Camera.id == camera.camera_id)
        .where(
            (Camera.last_event_at.is_(None)) | (Camera.last_event_at < now - LAST_EVENT_RESOLUTION)
        )
        .values(last_event_at=now)
    )
    return IngestResult(accepted=len(rows), duplicates=len(events) - len(rows))


async def roll_up(
    *,
    session: AsyncSession,
    camera: WorkerCamera,
    inserted: list[tuple[str, str, datetime]],
) -> None:
    """Add newly stored (line_id, direction, occurred_at) to the hourly rollup, one upsert."""
    if not inserted:
        return
    buckets: dict[tuple[str, datetime], list[float]] = {}
    for line_id, direction, occurred_at in inserted:
        start = local_hour_start(occurred_at, camera.timezone)
        acc = buckets.setdefault((line_id, start), [0, 0, 0.0, 0.0])
        remaining_s = HOUR_S - (occurred_at - start).total_seconds()
        if direction == "in":
            acc[0] += 1
            acc[2] += remaining_s
        else:
            acc[1] += 1
            acc[3] += remaining_s
    values = [
        {
            "camera_id": camera.camera_id,
            "line_id": line_id,
            "bucket_start": start,
            "store_id": camera.store_id,
            "in_count": int(acc[0]),
            "out_count": int(acc[1]),
            "in_remaining_s": acc[2],
            "out_remaining_s": acc[3],
        }
        for (line_id, start), acc in sorted(buckets.items())
    ]
    insert = dialect_insert(dialect_of(session))
    stmt = insert(HourlyCount).values(values)
    table = HourlyCount.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=[HourlyCount.camera_id, HourlyCount.line_id, HourlyCount.bucket_start],
        set_={
            name: table.c[name] + stmt.excluded[name]
            for name in ("in_count", "out_count", "in_remaining_s", "out_remaining_s")
        },
    )
    await session.execute(stmt)


async def rebuild_rollup(*, session: AsyncSession, store_id: uuid.UUID, tz: ZoneInfo) -> None:
    """Recompute a store's rollup from its raw events (after a timezone change)."""
    await session.execute(delete(HourlyCount).where(HourlyCount.store_id == store_id))
    query = (
        select(EventRow.camera_id, EventRow.line_id, EventRow.direction, EventRow.occurred_at)
        .where(EventRow.store_id == store_id, EventRow.type == "line_crossed")
        .order_by(EventRow.camera_id)
    )
    result = await session.stream(query.execution_options(yield_per=10_000))
    async for rows in result.partitions():
        by_camera: dict[uuid.UUID, list[tuple[str, str, datetime]]] = {}
        for camera_id, line_id, direction, occurred_at in rows:
            by_camera.setdefault(camera_id, []).append(
                (line_id or "", direction or "", occurred_at)
            )
        for camera_id, inserted in by_camera.items():
            camera = WorkerCamera(camera_id, store_id, tz, frozenset())
            await roll_up(session=session, camera=camera, inserted=inserted)
