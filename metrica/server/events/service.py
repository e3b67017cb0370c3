"""Ingest: validate a whole batch, store new events once, roll them up in the same transaction.

An event id is claimed in `event_ids` first (`INSERT ... ON CONFLICT (event_id) DO NOTHING
RETURNING`; on PostgreSQL after one try at claiming the whole batch at once), which tells
exactly which events are new, whatever month partition they go to; only those are stored
and added to the hourly rollup (one upsert per batch), so a batch posted twice, even
concurrently, counts once. On PostgreSQL claiming, storing and rolling up is one statement
(`_PG_STORE`), which also sets the camera's `last_event_at` (at most every 10 s). The
privacy policy in force (`session.info[POLICY_INFO]`, put there by the app's session
factory) screens every batch first: denied events are neither stored nor claimed, dropped
fields never reach the database (`policies.ingest`).

Deleting a store's or camera's events happens here too; retention
removes old ones (`events.retention`, which leaves `event_ids` alone so a replay stays a
duplicate).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.events import EventBatch, LineCrossed
from metrica.domain.kpis import HOUR_S, local_hour_start
from metrica.server.cameras.models import Camera
from metrica.server.db import dialect_insert, dialect_of
from metrica.server.events.models import EventIdRow, EventRow, HourlyCount
from metrica.server.ops.metrics import EVENTS_POLICY_DENIED, EVENTS_POLICY_REDACTED
from metrica.server.policies.ingest import screen
from metrica.server.policies.loader import NO_POLICY, ActivePolicy
from metrica.server.state import POLICY_INFO, WorkerCamera

LAST_EVENT_RESOLUTION = timedelta(seconds=10)

# Arrays travel as typed parameters (`uuid[]`, `timestamptz[]` ...): asyncpg encodes them
# in binary in C, and PostgreSQL reads them without parsing text (cheaper on both sides
# than one text literal per array; bench/ingest_steps.py, docs/operations-capacity.md).
#
# One statement, one round trip: claim the ids, store the events whose id was new, add
# those to the hourly rollup, touch the camera. The store-local hour of each event comes
# from Python (`hour_starts`: zoneinfo, DST-correct, by 15-minute UTC slot, the whole
# epoch seconds // 900 on both sides, `utc_slot`); PostgreSQL sums per (line, hour) in exact
# numeric and upserts the groups in key order (one lock order for concurrent batches).
#
# The claim: `claim_all_event_ids` (a function, migration 0006) inserts every id with a
# plain INSERT and returns true, or inserts none and returns false when one is stored
# already; only then are the ids claimed one by one (ON CONFLICT DO NOTHING RETURNING) and
# only the returned ones stored. A batch of fresh events, nearly every one, so skips the
# speculative insertion and the join of the claimed ids; same rows either way.
_PG_STORE = text(
    """
    WITH e AS (
        SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:occurred AS timestamptz[]),
                             CAST(:lines AS varchar[]), CAST(:directions AS varchar[]),
                             CAST(:tracks AS bigint[]))
             AS e(id, occurred_at, line_id, direction, track_id)
    ), all_new AS (
        SELECT claim_all_event_ids(CAST(:ids AS uuid[])) AS ok
    ), fresh AS (
        INSERT INTO event_ids (event_id) SELECT id FROM e
        WHERE NOT (SELECT ok FROM all_new)
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    ), new AS MATERIALIZED (
        SELECT e.* FROM e WHERE (SELECT ok FROM all_new)
        UNION ALL
        SELECT e.* FROM e JOIN fresh ON fresh.event_id = e.id
    ), stored AS (
        INSERT INTO events
            (store_id, occurred_at, event_id, type, camera_id, received_at, line_id,
             direction, payload)
        SELECT :store_id, occurred_at, id, 'line_crossed', :camera_id, :received_at,
               line_id, direction,
               CAST(CASE WHEN track_id IS NULL THEN '{}'
                         ELSE '{"track_id": ' || track_id || '}' END AS json)
        FROM new
    ), hours AS (
        SELECT * FROM unnest(CAST(:slots AS bigint[]), CAST(:hour_starts AS timestamptz[]))
             AS h(slot, bucket_start)
    ), rolled AS (
        INSERT INTO hourly_counts
            (camera_id, line_id, bucket_start, store_id, in_count, out_count, in_remaining_s,
             out_remaining_s)
        SELECT :camera_id, n.line_id, h.bucket_start, :store_id,
               count(*) FILTER (WHERE n.direction = 'in'),
               count(*) FILTER (WHERE n.direction <> 'in'),
               coalesce(sum(3600 - extract(epoch FROM n.occurred_at - h.bucket_start))
                        FILTER (WHERE n.direction = 'in'), 0)::float8,
               coalesce(sum(3600 - extract(epoch FROM n.occurred_at - h.bucket_start))
                        FILTER (WHERE n.direction <> 'in'), 0)::float8
        FROM new n
        JOIN hours h
          ON h.slot = CAST(floor(CAST(extract(epoch FROM n.occurred_at) AS float8)) AS bigint)
                      / 900
        GROUP BY n.line_id, h.bucket_start
        ORDER BY n.line_id, h.bucket_start
        ON CONFLICT (camera_id, line_id, bucket_start) DO UPDATE SET
            in_count = hourly_counts.in_count + excluded.in_count,
            out_count = hourly_counts.out_count + excluded.out_count,
            in_remaining_s = hourly_counts.in_remaining_s + excluded.in_remaining_s,
            out_remaining_s = hourly_counts.out_remaining_s + excluded.out_remaining_s
    ), touched AS (
        UPDATE cameras SET last_event_at = :received_at
        WHERE id = :camera_id AND (last_event_at IS NULL OR last_event_at < :stale_before)
    )
    SELECT count(*) FROM new
    """
)

SLOT_S = 900  # every UTC offset is a multiple of 15 min: a 15-min UTC slot is in one local hour


_EPOCH_ORDINAL = datetime(1970, 1, 1).toordinal()


def utc_slot(at: datetime) -> int:
    """`int(at.timestamp()) // SLOT_S`, from the fields when `at` is in UTC (as an event's
    `occurred_at` at offset zero is, `IsoInstant`): about half the CPU, once per event."""
    if at.tzinfo is UTC:
        return (at.toordinal() - _EPOCH_ORDINAL) * 96 + at.hour * 4 + at.minute // 15
    return int(at.timestamp()) // SLOT_S


def hour_starts(events: list[LineCrossed], tz: ZoneInfo) -> tuple[list[int], list[datetime]]:
    """The 15-minute UTC slots the events fall in, and the start of each one's local hour."""
    slots = sorted({utc_slot(e.occurred_at) for e in events})
    return slots, [local_hour_start(datetime.fromtimestamp(s * SLOT_S, UTC), tz) for s in slots]


_PG_ROLLUP = text(
    """
    INSERT INTO hourly_counts
        (camera_id, line_id, bucket_start, store_id, in_count, out_count, in_remaining_s,
         out_remaining_s)
    SELECT :camera_id, u.line_id, u.bucket_start, :store_id, u.i, u.o, u.ir, u.orr
    FROM unnest(CAST(:lines AS varchar[]), CAST(:buckets AS timestamptz[]),
                CAST(:ins AS integer[]), CAST(:outs AS integer[]),
                CAST(:in_rem AS float8[]), CAST(:out_rem AS float8[]))
         AS u(line_id, bucket_start, i, o, ir, orr)
    ON CONFLICT (camera_id, line_id, bucket_start) DO UPDATE SET
        in_count = hourly_counts.in_count + excluded.in_count,
        out_count = hourly_counts.out_count + excluded.out_count,
        in_remaining_s = hourly_counts.in_remaining_s + excluded.in_remaining_s,
        out_remaining_s = hourly_counts.out_remaining_s + excluded.out_remaining_s
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
    """`denied`: refused by the privacy policy (not stored; not to be sent again)."""

    accepted: int
    duplicates: int
    denied: int = 0


def first_of_each_id(events: list[LineCrossed]) -> list[LineCrossed]:
    """The batch without repeated ids (the first one counts), sorted by id: one lock order
    for concurrent batches, so that they cannot deadlock."""
    unique: dict[int, LineCrossed] = {}  # by the id's int: UUID hashes in Python code
    for event in events:
        unique.setdefault(event.event_id.int, event)
    return [unique[key] for key in sorted(unique)]


def active_policy(session: AsyncSession) -> ActivePolicy:
    """The policy the app's sessions carry (none for a bare session, e.g. in a script)."""
    found = session.info.get(POLICY_INFO)
    return found if isinstance(found, ActivePolicy) else NO_POLICY


async def store_batch(
    *, session: AsyncSession, camera: WorkerCamera, batch: EventBatch, now: datetime
) -> IngestResult:
    """Screen the batch with the privacy policy, insert new events and roll them up; the
    caller commits. The HTTP route and the MQTT consumer both come through here."""
    if not batch.events:
        return IngestResult(0, 0)
    screened = screen(active_policy(session), first_of_each_id(batch.events), camera)
    EVENTS_POLICY_DENIED.inc(screened.denied)
    EVENTS_POLICY_REDACTED.inc(screened.changed)
    events, tracks, denied = screened.events, screened.track_ids, screened.denied
    if not events:
        return IngestResult(0, len(batch.events) - denied, denied)
    if dialect_of(session) == "postgresql":
        accepted = await _store_pg(
            session=session, camera=camera, events=events, tracks=tracks, now=now
        )
        return IngestResult(accepted, len(batch.events) - accepted - denied, denied)
    inserted = await _store_portably(
        session=session, camera=camera, events=list(zip(events, tracks, strict=True)), now=now
    )
    await roll_up(session=session, camera=camera, inserted=inserted)
    await session.execute(
        update(Camera)
        .where(Camera.id == camera.camera_id)
        .where(
            (Camera.last_event_at.is_(None)) | (Camera.last_event_at < now - LAST_EVENT_RESOLUTION)
        )
        .values(last_event_at=now)
    )
    return IngestResult(len(inserted), len(batch.events) - len(inserted) - denied, denied)


async def _store_pg(
    *,
    session: AsyncSession,
    camera: WorkerCamera,
    events: list[LineCrossed],
    tracks: list[int | None],
    now: datetime,
) -> int:
    """Claim, store and roll up in one statement; how many events were new."""
    slots, starts = hour_starts(events, camera.timezone)
    params = {
        "store_id": camera.store_id,
        "camera_id": camera.camera_id,
        "received_at": now,
        "stale_before": now - LAST_EVENT_RESOLUTION,
        "ids": [e.event_id for e in events],
        "occurred": [e.occurred_at for e in events],
        "lines": [e.line_id for e in events],
        "directions": [e.direction for e in events],
        "tracks": tracks,
        "slots": slots,
        "hour_starts": starts,
    }
    if not session.in_transaction():
        # The statement is the whole write, and one statement is atomic on its own: run
        # it in PostgreSQL's implicit transaction (no BEGIN before it, no COMMIT after it:
        # two round trips and ~7 % of the route's CPU). A session that has read already
        # (a worker key not yet cached) stays in its transaction; the caller commits.
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    stored = await session.scalar(_PG_STORE, params)
    return int(stored or 0)


async def _store_portably(
    *,
    session: AsyncSession,
    camera: WorkerCamera,
    events: list[tuple[LineCrossed, int | None]],
    now: datetime,
) -> list[tuple[str, str, datetime]]:
    """Claim the ids, then store the events whose id was new (SQLite; two statements)."""
    insert = dialect_insert(dialect_of(session))
    claimed = (
        await session.execute(
            insert(EventIdRow)
            .values([{"event_id": e.event_id} for e, _ in events])
            .on_conflict_do_nothing(index_elements=[EventIdRow.event_id])
            .returning(EventIdRow.event_id)
        )
    ).scalars()
    fresh = set(claimed)
    new = [(e, track) for e, track in events if e.event_id in fresh]
    if new:
        await session.execute(
            insert(EventRow).values(
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
                        "payload": {} if track is None else {"track_id": track},
                    }
                    for e, track in new
                ]
            )
        )
    return [(e.line_id, e.direction, e.occurred_at) for e, _ in new]


def hourly_sums(
    inserted: list[tuple[str, str, datetime]], tz: ZoneInfo
) -> dict[tuple[str, datetime], list[float]]:
    """(line_id, local hour start) -> [in, out, in remaining s, out remaining s]."""
    buckets: dict[tuple[str, datetime], list[float]] = {}
    # Every UTC offset is a multiple of 15 min, so a 15-min UTC slot lies in one local hour.
    starts: dict[int, datetime] = {}
    for line_id, direction, occurred_at in inserted:
        slot = int(occurred_at.timestamp()) // 900
        start = starts.get(slot)
        if start is None:
            start = starts[slot] = local_hour_start(occurred_at, tz)
        acc = buckets.setdefault((line_id, start), [0, 0, 0.0, 0.0])
        remaining_s = HOUR_S - (occurred_at - start).total_seconds()
        if direction == "in":
            acc[0] += 1
            acc[2] += remaining_s
        else:
            acc[1] += 1
            acc[3] += remaining_s
    return buckets


async def roll_up(
    *,
    session: AsyncSession,
    camera: WorkerCamera,
    inserted: list[tuple[str, str, datetime]],
) -> None:
    """Add newly stored (line_id, direction, occurred_at) to the hourly rollup, one upsert."""
    if not inserted:
        return
    buckets = hourly_sums(inserted, camera.timezone)
    keys = sorted(buckets)  # one lock order across concurrent batches
    if dialect_of(session) == "postgresql":
        await session.execute(
            _PG_ROLLUP,
            {
                "camera_id": camera.camera_id,
                "store_id": camera.store_id,
                "lines": [k[0] for k in keys],
                "buckets": [k[1] for k in keys],
                "ins": [int(buckets[k][0]) for k in keys],
                "outs": [int(buckets[k][1]) for k in keys],
                "in_rem": [buckets[k][2] for k in keys],
                "out_rem": [buckets[k][3] for k in keys],
            },
        )
        return
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
        for (line_id, start), acc in ((k, buckets[k]) for k in keys)
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
    """Recompute a store's rollup from its raw events (after a timezone change).

    Retention removes raw events a whole rollup hour at a time (`events.retention`), so
    the buckets that end at or before the oldest raw event still standing hold history
    that exists nowhere else: they are kept as they are (in the old timezone's hours)."""
    oldest = await session.scalar(
        select(func.min(EventRow.occurred_at)).where(
            EventRow.store_id == store_id, EventRow.type == "line_crossed"
        )
    )
    if oldest is None:
        return  # nothing to recompute from: the rollup is all there is
    await session.execute(
        delete(HourlyCount).where(
            HourlyCount.store_id == store_id,
            HourlyCount.bucket_start > oldest - timedelta(seconds=HOUR_S),
        )
    )
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


async def delete_events(
    *, session: AsyncSession, store_id: uuid.UUID, camera_id: uuid.UUID | None = None
) -> None:
    """Delete a store's raw events, or only one camera's, and forget their ids (posted
    again, they are stored again); the caller commits.

    Events carry no foreign keys (ingest is the hot path), so nothing cascades to them:
    deleting a camera or a store must come through here. The rollup cascades by itself.
    """
    condition = EventRow.store_id == store_id
    if camera_id is not None:
        condition = condition & (EventRow.camera_id == camera_id)
    await session.execute(
        delete(EventIdRow).where(
            EventIdRow.event_id.in_(select(EventRow.event_id).where(condition))
        )
    )
    await session.execute(delete(EventRow).where(condition))
