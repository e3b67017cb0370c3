"""Fixtures: the same suite against SQLite and a real PostgreSQL.

One database per backend per session (migrated once with Alembic); every test starts from
empty tables. `METRICA_TEST_PG_URL` overrides the PostgreSQL server URL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url

from metrica.server.app import create_app
from metrica.server.db import create_engine
from metrica.server.migrate import upgrade
from metrica.server.models import Base
from metrica.server.settings import Settings
from metrica.server.state import AppState

PG_URL = os.environ.get(
    "METRICA_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
TEST_SECRET = "test-secret-not-for-production-0123456789"


async def _admin_exec(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'metrica.db'}"
        asyncio.run(_migrate(url))
        yield url
        return
    name = f"metrica_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_admin_exec(PG_URL, f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_admin_exec(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_tables(state: AppState) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with state.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "db_pool_size": 5,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    await _empty_tables(application.state.metrica)
    yield application
    await application.state.metrica.engine.dispose()


@pytest.fixture
def state(app: FastAPI) -> AppState:
    s: AppState = app.state.metrica
    return s


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent.name == "server":
            item.add_marker(pytest.mark.timeout(60))
