"""`GET /health/deep`: who may call it, every check on a healthy server, and a 503 that
names the check that found a fault (Redis on a closed port, a full disk, a broken blob
store), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from metrica.server.app import create_app
from metrica.server.cameras.models import CameraHeartbeat
from metrica.server.ops.models import OpsProbe
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.factories import bearer, make_camera, make_store, make_user
from tests.support.db import empty_tables
from tests.support.processes import free_port
from tests.support.redis import REDIS_URL

OPS_TOKEN = "ops-token-for-tests-0123456789abcdef"
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


class DirectoryBlobs:
    """A blob store on a local directory that can be made to lie or hang: what the blob
    check uses (put, get, delete), and close for the app's shutdown."""

    def __init__(self, root: Path, *, corrupt: bool = False, stuck: bool = False) -> None:
        self.root, self.corrupt, self.stuck = root, corrupt, stuck
        self.puts = 0

    def _path(self, key: str) -> Path:
        return self.root / key.replace("/", "__")

    async def put(self, key: str, data: bytes) -> None:
        self.puts += 1
        self._path(key).write_bytes(data + (b"!" if self.corrupt else b""))

    async def get(self, key: str) -> bytes:
        if self.stuck:  # a store that never answers
            await asyncio.Event().wait()
        return self._path(key).read_bytes()

    async def delete(self, key: str) -> None:
        self._path(key).unlink()

    async def close(self) -> None:
        pass


async def _client_for(database_url: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[Any]:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    values: dict[str, Any] = {"var_dir": data_dir, "ops_token": OPS_TOKEN}
    values.update(overrides)
    app = create_app(make_settings(database_url, **values))
    await empty_tables(app.state.metrica.engine)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield app, c
    finally:
        await app.state.metrica.close()


@pytest.fixture
async def ops(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async for pair in _client_for(database_url, tmp_path):
        yield pair


OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}


async def test_only_the_ops_token_or_a_superadmin_may_look(
    ops: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, c = ops
    state: AppState = app.state.metrica
    assert (await c.get("/health/deep")).status_code == 401
    assert (
        await c.get("/health/deep", headers={"Authorization": "Bearer nope"})
    ).status_code == 401
    wrong = {"Authorization": f"Bearer {OPS_TOKEN[:-1]}x"}
    assert (await c.get("/health/deep", headers=wrong)).status_code == 401
    owner = await make_user(state, "owner@example.com")
    assert (await c.get("/health/deep", headers=bearer(state, owner))).status_code == 403
    admin = await make_user(state, "admin@example.com", role="superadmin")
    assert (await c.get("/health/deep", headers=bearer(state, admin))).status_code == 200
    assert (await c.get("/health/deep", headers=OPS)).status_code == 200


async def test_a_healthy_server_passes_every_check(
    ops: tuple[FastAPI, httpx.AsyncClient], tmp_path: Path
) -> None:
    app, c = ops
    state: AppState = app.state.metrica
    state.clock = lambda: NOW
    store = await make_store(state)
    live, _ = await make_camera(state, store, name="live")
    await make_camera(state, store, name="never seen")
    async with state.sessions() as session:
        session.add(
            CameraHeartbeat(
                camera_id=live.id,
                received_at=NOW - timedelta(seconds=5),
                fps=10.0,
                frames_processed=1,
                frames_dropped=0,
                outbox_depth=0,
                uptime_s=1.0,
                stream_up=True,
                version="test",
            )
        )
        await session.commit()
    blobs_dir = tmp_path / "blobs"
    blobs_dir.mkdir()
    blobs = DirectoryBlobs(blobs_dir)
    state.blobs = blobs  # type: ignore[assignment]  # this one counts its puts

    r = await c.get("/health/deep", headers=OPS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "disk", "cameras", "blobs"}
    assert all(check["ok"] and check["ms"] >= 0 for check in body["checks"].values())
    assert body["checks"]["cameras"]["detail"] == "live 1, stale 0, offline 1"
    assert body["checks"]["migrations"]["detail"].startswith("at head ")
    assert blobs.puts == 1
    assert list(blobs_dir.iterdir()) == []
    assert list((tmp_path / "data").iterdir()) == []  # the disk probe cleans up
    async with state.sessions() as session:  # one probe row, overwritten
        assert await session.scalar(select(func.count()).select_from(OpsProbe)) == 1
    assert (await c.get("/health/deep", headers=OPS)).status_code == 200
    async with state.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OpsProbe)) == 1


async def test_redis_is_pinged_when_configured(database_url: str, tmp_path: Path) -> None:
    async for _, c in _client_for(database_url, tmp_path, redis_url=REDIS_URL):
        r = await c.get("/health/deep", headers=OPS)
        assert r.status_code == 200, r.text
        assert r.json()["checks"]["redis"] == r.json()["checks"]["redis"] | {
            "ok": True,
            "detail": "PONG",
        }


async def test_redis_on_a_closed_port_fails_without_echoing_its_password(
    database_url: str, tmp_path: Path
) -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    async for _, c in _client_for(
        database_url, tmp_path, rate_limit_redis_url=url, health_check_timeout_s=2.0
    ):
        r = await c.get("/health/deep", headers=OPS)
        assert r.status_code == 503
        body = r.json()
        assert body["status"] == "fail"
        failing = {name for name, check in body["checks"].items() if not check["ok"]}
        assert failing == {"redis"}
        assert "hunter2" not in r.text
        assert str(url) not in r.text


async def test_a_full_disk_fails_the_disk_check(database_url: str, tmp_path: Path) -> None:
    async for _, c in _client_for(database_url, tmp_path, health_disk_min_free_percent=100.0):
        r = await c.get("/health/deep", headers=OPS)
        assert r.status_code == 503
        disk = r.json()["checks"]["disk"]
        assert disk["ok"] is False
        assert "below 100%" in disk["detail"]
        assert all(check["ok"] for name, check in r.json()["checks"].items() if name != "disk")


async def test_a_missing_data_directory_and_a_bad_blob_store_are_named(
    database_url: str, tmp_path: Path
) -> None:
    async for app, c in _client_for(database_url, tmp_path, var_dir=tmp_path / "gone"):
        blobs_dir = tmp_path / "blobs"
        blobs_dir.mkdir()
        app.state.metrica.blobs = DirectoryBlobs(blobs_dir, corrupt=True)
        r = await c.get("/health/deep", headers=OPS)
        assert r.status_code == 503
        checks = r.json()["checks"]
        assert {name for name, check in checks.items() if not check["ok"]} == {"disk", "blobs"}
        assert checks["disk"]["detail"] == "the data directory does not exist"
        assert checks["blobs"]["detail"] == "the blob read back differs"
        assert list(blobs_dir.iterdir()) == []


async def test_a_database_behind_head_fails_migrations(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    app = create_app(make_settings(url, var_dir=data_dir, ops_token=OPS_TOKEN))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/health/deep", headers=OPS)
        assert r.status_code == 503
        checks = r.json()["checks"]
        assert checks["migrations"]["detail"].startswith("at none, head is ")
        assert checks["database"] == checks["database"] | {"ok": False}
    finally:
        await app.state.metrica.close()


async def test_a_check_past_its_limit_is_named_and_does_not_hold_the_answer(
    database_url: str, tmp_path: Path
) -> None:
    async for app, c in _client_for(database_url, tmp_path, health_check_timeout_s=0.5):
        blobs_dir = tmp_path / "blobs"
        blobs_dir.mkdir()
        app.state.metrica.blobs = DirectoryBlobs(blobs_dir, stuck=True)
        started = time.monotonic()
        r = await c.get("/health/deep", headers=OPS)
        elapsed = time.monotonic() - started
        assert r.status_code == 503
        checks = r.json()["checks"]
        assert {name for name, check in checks.items() if not check["ok"]} == {"blobs"}
        assert checks["blobs"]["detail"] == "timed out after 0.5 s"
        assert checks["blobs"]["ms"] >= 500
        assert elapsed < 5  # the limit, not the stuck store, decides
        for _ in range(100):  # the cancelled check still deletes its blob
            if not list(blobs_dir.iterdir()):
                break
            await asyncio.sleep(0.01)
        assert list(blobs_dir.iterdir()) == []


async def test_a_database_that_is_down_fails_its_checks_without_echoing_its_url(
    tmp_path: Path,
) -> None:
    url = "postgresql+asyncpg://metrica:s3cret-pw@127.0.0.1:1/none"
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    app = create_app(make_settings(url, var_dir=data_dir, ops_token=OPS_TOKEN))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            r = await c.get("/health/deep", headers=OPS)  # the ops token needs no database
        assert r.status_code == 503
        checks = r.json()["checks"]
        failing = {name for name, check in checks.items() if not check["ok"]}
        assert failing == {"database", "migrations", "cameras"}
        assert checks["disk"]["ok"] is True
        assert checks["database"]["detail"].startswith("failed: ")
        assert "s3cret" not in r.text
        assert "127.0.0.1:1" not in r.text
    finally:
        await app.state.metrica.close()
