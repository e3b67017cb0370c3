"""A migrated database of each kind per module (SQLite file, throwaway PostgreSQL), and a
Mosquitto of each test's own (tests restart it); every test seeds its own box and store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.db import migrate, sqlite_url_in, temporary_pg_database
from tests.support.mosquitto import Broker


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = sqlite_url_in(tmp_path_factory.mktemp("sqlite"))
        migrate(url)
        yield url
    else:
        with temporary_pg_database() as url:
            yield url


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with Broker(tmp_path / "broker") as running:
        yield running
