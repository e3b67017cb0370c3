"""Monthly partitions of `events` on PostgreSQL: names, creating them ahead, dropping one.

`events` is partitioned by RANGE (occurred_at) in UTC months named `events_pYYYYMM`, plus
`events_default` for any instant whose month has no partition yet, so ingest never fails
for want of a partition. The server keeps the current month and the next `MONTHS_AHEAD`
created (at start and twice a day); a month that gets its partition after rows landed in
the default partition has them moved over in the same transaction. SQLite keeps one
plain table; every function here is a no-op there.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from metrica.server.db import utcnow

log = logging.getLogger("metrica.events.partitions")

MONTHS_AHEAD = 3
DEFAULT_PARTITION = "events_default"
KEEP_AHEAD_INTERVAL_S = 12 * 3600
_NAME = re.compile(r"events_p(\d{4})(\d{2})")
# One creator at a time across server processes (any constant both sides agree on).
_LOCK_KEY = 0x6D657472_01


def month_of(at: datetime | date) -> date:
    """First day of the (UTC) month containing `at`."""
    if isinstance(at, datetime):
        at = at.astimezone(UTC).date()
    return at.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    """`events_pYYYYMM`: the name retention drops a month by."""
    return f"events_p{month.year:04d}{month.month:02d}"


def month_of_partition(name: str) -> date | None:
    """The month a partition name stands for, or None for other names (the default one)."""
    found = _NAME.fullmatch(name)
    return date(int(found[1]), int(found[2]), 1) if found else None


def is_partition(name: str) -> bool:
    return name == DEFAULT_PARTITION or month_of_partition(name) is not None


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's `include_name`: partitions are made by migrations and the server, not by
    the models, so comparing models with the database leaves them out."""
    return not (type_ == "table" and name is not None and is_partition(name))


def _bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    nxt = add_months(month, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=UTC)


async def is_partitioned(conn: AsyncConnection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    found = await conn.scalar(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = 'events' AND c.relnamespace = current_schema()::regnamespace"
        )
    )
    return found is not None


async def partitions(conn: AsyncConnection) -> list[str]:
    """Names of the partitions of `events`, sorted (empty on SQLite)."""
    if not await is_partitioned(conn):
        return []
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'events'::regclass ORDER BY c.relname"
        )
    )
    return [r[0] for r in rows]


async def ensure_month(conn: AsyncConnection, month: date) -> bool:
    """Create the partition for `month` unless it exists; True when it was created.

    Rows of that month already in the default partition move into the new one (a new
    partition cannot be attached while the default holds rows of its range).
    """
    name = partition_name(month)
    if await conn.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is not None:
        return False
    start, end = _bounds(month)
    bounds = {"a": start, "b": end}
    stranded = await conn.scalar(
        text(
            f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} "
            "WHERE occurred_at >= :a AND occurred_at < :b)"
        ),
        bounds,
    )
    literal_range = f"FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    if not stranded:
        await conn.execute(
            text(f"CREATE TABLE {name} PARTITION OF events FOR VALUES {literal_range}")
        )
        return True
    await conn.execute(text(f"CREATE TABLE {name} (LIKE events INCLUDING DEFAULTS)"))
    await conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
            "WHERE occurred_at >= :a AND occurred_at < :b RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved"
        ),
        bounds,
    )
    await conn.execute(
        text(f"ALTER TABLE events ATTACH PARTITION {name} FOR VALUES {literal_range}")
    )
    return True


async def ensure_ahead(
    engine: AsyncEngine, *, now: datetime, months_ahead: int = MONTHS_AHEAD
) -> list[str]:
    """Create the partitions from `now`'s month to `months_ahead` months later; the names made."""
    made: list[str] = []
    async with engine.begin() as conn:
        if not await is_partitioned(conn):
            return made
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        first = month_of(now)
        for i in range(months_ahead + 1):
            month = add_months(first, i)
            if await ensure_month(conn, month):
                made.append(partition_name(month))
    if made:
        log.info("created event partitions %s", ", ".join(made))
    return made


async def drop_month(conn: AsyncConnection, month: date) -> bool:
    """Drop a month's partition and forget its event ids (the caller commits); True if it
    existed. A dropped event posted again is then stored again, as after a row delete."""
    name = partition_name(month)
    if not await is_partitioned(conn) or (
        await conn.scalar(text("SELECT to_regclass(:n)"), {"n": name}) is None
    ):
        return False
    await conn.execute(
        text(f"DELETE FROM event_ids i USING {name} p WHERE i.event_id = p.event_id")
    )
    await conn.execute(text(f"DROP TABLE {name}"))
    return True


async def keep_ahead(
    engine: AsyncEngine,
    *,
    clock: Callable[[], datetime] = utcnow,
    interval_s: float = KEEP_AHEAD_INTERVAL_S,
) -> None:
    """Forever: `ensure_ahead`, then sleep `interval_s` (a failure is logged and retried)."""
    while True:
        try:
            await ensure_ahead(engine, now=clock())
        except Exception:
            log.exception("creating event partitions ahead failed; retrying later")
        await asyncio.sleep(interval_s)
