"""Alembic environment: one set of migrations for PostgreSQL and SQLite.

`metrica serve` runs them in-process (a connection is handed over in
`config.attributes["connection"]`); `alembic upgrade head` also works with
`METRICA_DATABASE_URL` set.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from metrica.server.db import create_engine
from metrica.server.events.partitions import include_name
from metrica.server.models import Base
from metrica.server.settings import get_settings

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    asyncio.run(_run_async(url))
