"""Real databases and real backend processes, one of each per session: a migrated SQLite
file and a throwaway PostgreSQL database (`METRICA_TEST_PG_URL` names the server), each
with `metrica serve` on it. Every test provisions its own store and camera, so tests never
see each other's events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.backend import Backend
from tests.support.db import migrate, sqlite_url_in, temporary_pg_database


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = sqlite_url_in(tmp_path_factory.mktemp("sqlite"))
    migrate(url)
    return url


@pytest.fixture(scope="session")
def sqlite_backend(sqlite_url: str) -> Iterator[Backend]:
    with Backend(sqlite_url) as backend:
        yield backend


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with temporary_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_backend(pg_url: str) -> Iterator[Backend]:
    with Backend(pg_url) as backend:
        yield backend
