"""Real databases for tests: migrate one, a throwaway PostgreSQL database, empty tables.

`METRICA_TEST_PG_URL` names the PostgreSQL server (default: postgres on 127.0.0.1:5432,
trust auth); every test database is made on it and dropped again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from metrica.server.db import create_engine
from metrica.server.migrate import upgrade
from metrica.server.models import Base

PG_URL = os.environ.get(
    "METRICA_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def sqlite_url_in(directory: Path) -> str:
    """A SQLite file in `directory` (not created until it is migrated or opened)."""
    return f"sqlite+aiosqlite:///{directory / 'metrica.db'}"


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema (Alembic, as the backend does)."""

    async def run() -> None:
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def _admin(sql: str) -> None:
    async def run() -> None:
        engine = create_engine(PG_URL)
        try:
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run())


@contextlib.contextmanager
def temporary_pg_database(*, migrated: bool = True) -> Iterator[str]:
    """A new PostgreSQL database on the test server, migrated unless told not to (for
    migration tests); its URL; dropped after, even while connections to it are still open."""
    name = f"metrica_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def empty_tables(engine: AsyncEngine) -> None:
    """Delete every row of every table, keeping the schema."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))
