"""Engine, sessions and the declarative base shared by every model (PostgreSQL and SQLite)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC instants on both engines (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_clock_offset = timedelta(0)


def utcnow() -> datetime:
    """The server's "now": the wall clock, shifted when `pin_clock` pinned a start."""
    return datetime.now(UTC) + _clock_offset


def pin_clock(start: datetime | None, *, at_epoch_s: float | None = None) -> None:
    """Make `utcnow` read `start` at the wall-clock instant `at_epoch_s` (default: now) and
    advance with the wall clock from there; None: the wall clock itself. Test-only (the
    settings refuse it in production): end-to-end runs pin the date and hour so that no
    test depends on when it runs. One offset per process, so every timestamp the server
    writes or compares (ingest, health, KPIs, alerts) agrees."""
    global _clock_offset
    if start is None:
        _clock_offset = timedelta(0)
        return
    at = datetime.fromtimestamp(time.time() if at_epoch_s is None else at_epoch_s, UTC)
    _clock_offset = start - at


def _sqlite_setup(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and `BEGIN IMMEDIATE` so concurrent writers queue, not fail."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine for `url`; creates the SQLite file's folder when needed."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _sqlite_setup(engine)
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
    )


def session_factory(
    engine: AsyncEngine, *, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`; each starts with a copy of `info` in its `session.info`."""
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


def dialect_insert(session_or_dialect: str) -> Any:
    """`insert` of the dialect, which has `on_conflict_do_nothing/do_update` on both engines."""
    if session_or_dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def dialect_of(session: AsyncSession) -> str:
    """`postgresql` or `sqlite`."""
    return session.get_bind().dialect.name


@asynccontextmanager
async def advisory_lock(engine: AsyncEngine, key: int) -> AsyncIterator[bool]:
    """Whether this process holds the session-level PostgreSQL advisory lock `key` (on a
    connection of its own, for the block), so that one server process of several runs a
    periodic job; always True on SQLite, which has one writer at a time anyway."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as conn:
        lock = {"k": key}
        held = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), lock))
        await conn.commit()
        try:
            yield held
        finally:
            if held:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), lock)
                await conn.commit()
