"""Migrations upgrade databases that hold data: 0001 → head (0004_plates, after 0003
sessions and identities) with users in it, on SQLite and PostgreSQL, and back down again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import JSON, String, Uuid, column, table, text

from metrica.server.app import create_app
from metrica.server.db import UtcDateTime, create_engine
from metrica.server.migrate import current_revision, head_revision, upgrade
from tests.server.conftest import make_settings
from tests.support.db import sqlite_url_in, temporary_pg_database

PASSWORD = "violet harbour lamp"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url_in(tmp_path)
        return
    with temporary_pg_database(migrated=False) as url:
        yield url


async def test_0003_upgrades_a_database_with_users(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, "0001")
        users_0001 = table(  # the table as revision 0001 made it
            "users",
            column("id", Uuid),
            column("email", String),
            column("role", String),
            column("password_hash", String),
            column("created_at", UtcDateTime),
        )
        async with engine.begin() as conn:
            await conn.execute(
                users_0001.insert().values(
                    id=uuid.UUID("6f1c2b1e-0000-4000-8000-000000000001"),
                    email="admin@example.com",
                    role="superadmin",
                    password_hash=PasswordHasher().hash(PASSWORD),
                    created_at=datetime(2026, 1, 15, 9, tzinfo=UTC),
                )
            )
        await upgrade(engine)
        assert await current_revision(engine) == head_revision() == "0004_plates"
        async with engine.connect() as conn:
            version = await conn.scalar(text("SELECT token_version FROM users"))
        assert version == 0
    finally:
        await engine.dispose()

    app = create_app(make_settings(empty_database))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.post(
                "/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
            )
            assert r.status_code == 200
            token = r.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            assert (await c.get("/admin/stores", headers=headers)).status_code == 200
            assert (await c.post("/auth/logout", headers=headers)).status_code == 204
            assert (await c.get("/admin/stores", headers=headers)).status_code == 401
    finally:
        await app.state.metrica.close()


async def test_0003_downgrades_and_upgrades_again(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        await upgrade(engine)
        await downgrade(engine, "0001")
        assert await current_revision(engine) == "0001"
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_0004_plates_keeps_stores_with_anpr_off_and_goes_down_again(
    empty_database: str,
) -> None:
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, "0003")
        async with engine.begin() as conn:
            stores_0003 = table(
                "stores",
                column("id", Uuid),
                column("name", String),
                column("timezone", String),
                column("opening_hours", JSON),
                column("created_at", UtcDateTime),
            )
            await conn.execute(
                stores_0003.insert().values(
                    id=uuid.uuid4(),
                    name="Shop",
                    timezone="UTC",
                    opening_hours={},
                    created_at=datetime(2026, 1, 15, 9, tzinfo=UTC),
                )
            )
        await upgrade(engine, "0004_plates")
        async with engine.connect() as conn:
            row = (
                await conn.execute(text("SELECT anpr_enabled, anpr_retention_days FROM stores"))
            ).one()
        assert (bool(row[0]), row[1]) == (False, 30)
        await downgrade(engine, "0003")
        assert await current_revision(engine) == "0003"
        await upgrade(engine, "0004_plates")
        assert await current_revision(engine) == "0004_plates"
    finally:
        await engine.dispose()


async def downgrade(engine: object, revision: str) -> None:
    from alembic import command
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncEngine

    from metrica.server.migrate import alembic_config

    assert isinstance(engine, AsyncEngine)

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def test_the_migrations_build_exactly_the_models_tables(empty_database: str) -> None:
    """A model change without its migration shows here (Alembic's own comparison)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import Connection

    from metrica.server.models import Base

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    engine = create_engine(empty_database)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()
