"""Fixtures: the same suite against SQLite and a real PostgreSQL.

One database per backend per session (migrated once with Alembic); every test starts from
empty tables. `METRICA_TEST_PG_URL` overrides the PostgreSQL server URL.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from metrica.server.app import create_app
from metrica.server.settings import Settings
from metrica.server.state import AppState
from tests.support.db import empty_tables, migrate, sqlite_url_in, temporary_pg_database

TEST_SECRET = "test-secret-not-for-production-0123456789"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = sqlite_url_in(tmp_path_factory.mktemp("db"))
        migrate(url)
        yield url
        return
    with temporary_pg_database() as url:
        yield url


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "db_pool_size": 5,
        "var_dir": Path(tempfile.gettempdir()),  # exists, so /health/deep's disk check passes
        # snapshots and crops, out of the checkout (keys are per camera or read: no clashes)
        "blob_dir": Path(tempfile.gettempdir()) / "metrica-test-blobs",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    await empty_tables(application.state.metrica.engine)
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
