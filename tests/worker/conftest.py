"""Fixtures: one real backend (a uvicorn process) on a migrated SQLite file per session;
every test provisions its own store and camera, so tests never see each other's events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.worker.harness import Backend, migrate


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'metrica.db'}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def sqlite_backend(sqlite_url: str) -> Iterator[Backend]:
    backend = Backend(sqlite_url).start()
    yield backend
    backend.stop()
