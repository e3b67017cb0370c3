"""Removing raw events the rollup already holds: whole monthly partitions, then rows.

Each store's cutoff falls on a local hour boundary of the store, so an hourly rollup bucket
has either all of its raw events or none: `service.rebuild_rollup` then keeps the buckets
that lie wholly before a store's oldest raw event, and the history survives a timezone
change. On PostgreSQL with `events` partitioned by month, a partition that lies wholly
before every store's cutoff is detached and dropped (no row-by-row delete, no bloat);
the boundary month and SQLite are deleted in chunks of `batch_size` rows, one
transaction each, so ingest never waits behind one long delete.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from metrica.domain.kpis import local_hour_start
from metrica.server.events.models import EventRow
from metrica.server.stores.models import Store

Progress = Callable[[str, int], None]
"""(what, rows so far): called after every chunk."""

_BOUND = re.compile(r"FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True, slots=True)
class Partition:
    name: str
    start: datetime
    end: datetime


def store_cutoff(cutoff: datetime, tz: ZoneInfo) -> datetime:
    """The store's local hour start at or before `cutoff` (never splits a rollup bucket)."""
    return local_hour_start(cutoff, tz)


async def is_partitioned(engine: AsyncEngine) -> bool:
    """Whether `events` is a PostgreSQL partitioned table."""
    if engine.dialect.name != "postgresql":
        return False
    async with engine.connect() as conn:
        found = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_partitioned_table p "
                "WHERE p.partrelid = to_regclass('events')"
            )
        )
    return bool(found)


async def partitions(engine: AsyncEngine) -> list[Partition]:
    """The range partitions of `events` with their bounds (a DEFAULT partition is left out:
    it has no upper bound to compare)."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = to_regclass('events') ORDER BY c.relname"
                )
            )
        ).all()
        found = []
        for name, bound in rows:
            match = _BOUND.search(bound or "")
            if match is None:
                continue
            start, end = (
                await conn.execute(
                    text(
                        "SELECT CAST(CAST(:a AS text) AS timestamptz), "
                        "CAST(CAST(:b AS text) AS timestamptz)"
                    ),
                    {"a": match.group(1), "b": match.group(2)},
                )
            ).one()
            found.append(Partition(name, start, end))
    return found


async def drop_partitions_before(
    engine: AsyncEngine, before: datetime, *, dry_run: bool, progress: Progress
) -> tuple[int, list[str]]:
    """Detach and drop every partition whose range ends at or before `before`; returns
    (rows they held, their names)."""
    rows = 0
    dropped = []
    for part in await partitions(engine):
        if part.end > before:
            continue
        quoted = '"' + part.name.replace('"', '""') + '"'
        async with engine.begin() as conn:
            held = int(await conn.scalar(text(f"SELECT count(*) FROM {quoted}")) or 0)
            if not dry_run:
                # Short lock wait: never queue ingest behind a long-held lock for long.
                await conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                await conn.execute(text(f"ALTER TABLE events DETACH PARTITION {quoted}"))
                await conn.execute(text(f"DROP TABLE {quoted}"))
        rows += held
        dropped.append(part.name)
        progress(f"events (partition {part.name})", rows)
    return rows, dropped


async def _chunked(
    engine: AsyncEngine,
    *,
    where: list[ColumnElement[bool]],
    batch_size: int,
    dry_run: bool,
    progress: Progress,
    done: int,
) -> int:
    """Delete `events` rows matching `where` in chunks; returns how many (or would)."""
    if dry_run:
        async with engine.connect() as conn:
            n = int(
                await conn.scalar(select(func.count()).select_from(EventRow).where(*where)) or 0
            )
        return n
    removed = 0
    oldest_first = select(EventRow.occurred_at).where(*where).order_by(EventRow.occurred_at)
    while True:
        # A chunk is a time range: the rows before the (batch_size + 1)-th oldest. Both
        # lookups and the delete are range scans of the (store, time) index, whatever the
        # primary key; no `IN (...)` list of ids to match row by row.
        async with engine.begin() as conn:
            edge = await conn.scalar(oldest_first.offset(batch_size).limit(1))
            chunk = list(where)
            if edge is not None:
                first = await conn.scalar(oldest_first.limit(1))
                # More than a chunk at one instant: take them all rather than none.
                chunk.append(
                    EventRow.occurred_at <= edge if edge == first else EventRow.occurred_at < edge
                )
            count = (await conn.execute(delete(EventRow).where(*chunk))).rowcount
        removed += count
        if count:
            progress("events", done + removed)
        if edge is None:
            return removed


async def delete_raw_events_before(
    engine: AsyncEngine,
    cutoff: datetime,
    *,
    batch_size: int,
    dry_run: bool,
    progress: Progress,
) -> tuple[int, list[str]]:
    """Remove raw events older than each store's local hour at `cutoff`; returns (rows,
    partitions dropped). Deleting a store deletes its events (`service.delete_events`), so
    every event has a store; a pass for strays would scan the whole table each run."""
    async with engine.connect() as conn:
        stores = [
            (sid, ZoneInfo(tz))
            for sid, tz in (await conn.execute(select(Store.id, Store.timezone))).all()
        ]
    rows, dropped = 0, list[str]()
    if await is_partitioned(engine):
        # Every store's cutoff lies within the hour before `cutoff`.
        rows, dropped = await drop_partitions_before(
            engine, cutoff - timedelta(hours=1), dry_run=dry_run, progress=progress
        )
        if dry_run:
            # The dropped partitions' rows are counted already; count the rest after them.
            floor = max(
                (p.end for p in await partitions(engine) if p.name in dropped), default=None
            )
        else:
            floor = None
    else:
        floor = None
    for store_id, tz in stores:
        where: list[ColumnElement[bool]] = [
            EventRow.store_id == store_id,
            EventRow.occurred_at < store_cutoff(cutoff, tz),
        ]
        if floor is not None:
            where.append(EventRow.occurred_at >= floor)
        rows += await _chunked(
            engine,
            where=where,
            batch_size=batch_size,
            dry_run=dry_run,
            progress=progress,
            done=rows,
        )
    return rows, dropped
