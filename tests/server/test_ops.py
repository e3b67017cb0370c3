"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from metrica.server.app import create_app
from metrica.server.db import create_engine
from metrica.server.migrate import upgrade
from metrica.server.ops.metrics import pool_status
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.factories import crossing, make_camera, make_store


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    r = await client.get("/health/ready")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": "ok", "migrations": "ok"}
    assert r.headers["x-request-id"]


async def test_ready_is_503_without_migrations(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/health/ready")
    await app.state.metrica.engine.dispose()
    assert r.status_code == 503
    assert r.json()["checks"]["migrations"].startswith("at none")


async def test_ready_is_503_when_database_is_down() -> None:
    app = create_app(make_settings("postgresql+asyncpg://postgres@127.0.0.1:1/none"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/health/ready")
    await app.state.metrica.engine.dispose()
    assert r.status_code == 503
    assert r.json()["checks"]["database"].startswith("unreachable")


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            if name + "{" in line and "{" not in name:
                continue
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_and_events(
    client: httpx.AsyncClient, state: AppState
) -> None:
    before = (await client.get("/metrics")).text
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    batch = {"events": [crossing(camera, "in", datetime.now(UTC)) for _ in range(3)]}
    await client.post("/events", json=batch, headers={"X-Worker-Key": key})
    await client.post("/events", json=batch, headers={"X-Worker-Key": key})
    await client.post("/events", json={"events": [{"bad": 1}]}, headers={"X-Worker-Key": key})
    after = (await client.get("/metrics")).text
    assert (
        _sample(after, "metrica_events_ingested_total")
        - _sample(before, "metrica_events_ingested_total")
        == 3
    )
    assert (
        _sample(after, "metrica_events_duplicate_total")
        - _sample(before, "metrica_events_duplicate_total")
        == 3
    )
    route = 'metrica_http_requests_total{method="POST",route="/events",status="200"}'
    assert _sample(after, route) - _sample(before, route) == 2
    assert 'metrica_events_rejected_total{reason="invalid"}' in after
    assert "metrica_http_request_duration_seconds_bucket" in after
    assert key not in after


async def test_openapi_has_contract_operation_ids(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"list_stores", "get_live", "get_dashboard", "ingest_events", "login"} <= ids


async def test_metrics_report_pool_cameras_disk_and_build(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite+aiosqlite:///{data_dir / 'metrica.db'}"
    app = create_app(make_settings(url, var_dir=data_dir, metrics_refresh_s=3600))
    state: AppState = app.state.metrica
    try:
        await upgrade(state.engine)
        store = await make_store(state)
        await make_camera(state, store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            text = (await c.get("/metrics")).text
            await make_camera(state, store, name="second")
            cached = (await c.get("/metrics")).text
    finally:
        await state.close()
    assert _sample(text, 'metrica_cameras{state="offline"}') == 1
    assert _sample(text, 'metrica_cameras{state="live"}') == 0
    assert _sample(cached, 'metrica_cameras{state="offline"}') == 1  # counted once an hour
    assert _sample(text, "metrica_db_pool_size") > 0
    assert _sample(text, "metrica_db_pool_in_use") >= 0
    assert "metrica_db_pool_waiting " in text
    assert _sample(text, 'metrica_disk_total_bytes{path="data"}') > 0
    assert 'metrica_disk_free_bytes{path="data"}' in text
    assert _sample(text, "metrica_http_requests_in_flight") == 1  # the scrape itself
    assert 'metrica_build_info{version="' in text


async def test_pool_gauges_see_connections_in_use_and_callers_waiting(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    held: list[AsyncConnection] = []
    try:
        capacity, in_use, waiting = pool_status(engine)
        assert (in_use, waiting) == (0, 0)
        held = [await engine.connect() for _ in range(capacity)]
        assert pool_status(engine) == (capacity, capacity, 0)
        late = asyncio.ensure_future(engine.connect())
        for _ in range(200):  # until the late caller queues for a connection
            if pool_status(engine)[2] == 1:
                break
            await asyncio.sleep(0.01)
        assert pool_status(engine) == (capacity, capacity, 1)
        await held.pop().close()
        held.append(await asyncio.wait_for(late, 10))
        assert pool_status(engine) == (capacity, capacity, 0)
    finally:
        for conn in held:
            await conn.close()
        await engine.dispose()
