"""`events` by month: the 0004 migration moves rows into monthly partitions (PostgreSQL) or
re-keys the plain table (SQLite) and back; ids stay stored once across partitions; months
get their partitions ahead, rows stranded in the default partition move, a month drops."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from metrica.domain.events import EventBatch
from metrica.server.app import create_app
from metrica.server.cameras.models import Camera
from metrica.server.db import create_engine
from metrica.server.events import partitions
from metrica.server.events import service as events_service
from metrica.server.events.models import EventIdRow, EventRow
from metrica.server.migrate import upgrade
from metrica.server.state import AppState, WorkerCamera
from tests.server.conftest import make_settings
from tests.server.factories import crossing, make_camera, make_store
from tests.server.test_migrations import downgrade
from tests.support.db import sqlite_url_in, temporary_pg_database

STORE = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
CAMERA = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
# Two old months and one row in the month the migration runs in.
OLD_ROWS = {
    uuid.UUID(int=1): datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
    uuid.UUID(int=2): datetime(2024, 3, 1, 0, 0, tzinfo=UTC),
    uuid.UUID(int=3): datetime(2024, 3, 31, 12, tzinfo=UTC),
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url_in(tmp_path)
        return
    with temporary_pg_database(migrated=False) as url:
        yield url


async def _insert_0003_events(engine: AsyncEngine, rows: dict[uuid.UUID, datetime]) -> None:
    async with engine.begin() as conn:
        for event_id, at in rows.items():
            await conn.execute(
                text(
                    "INSERT INTO events (event_id, type, store_id, camera_id, occurred_at, "
                    "received_at, line_id, direction, payload) VALUES (:id, 'line_crossed', "
                    ":s, :c, :at, :at, 'door', 'in', :p)"
                ),
                {
                    "id": event_id if conn.dialect.name == "postgresql" else event_id.hex,
                    "s": STORE if conn.dialect.name == "postgresql" else STORE.hex,
                    "c": CAMERA if conn.dialect.name == "postgresql" else CAMERA.hex,
                    "at": at if conn.dialect.name == "postgresql" else at.replace(tzinfo=None),
                    "p": '{"track_id": 1}',
                },
            )


async def _rows_by_partition(engine: AsyncEngine) -> dict[str, set[uuid.UUID]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT tableoid::regclass::text, event_id FROM events"))
        found: dict[str, set[uuid.UUID]] = {}
        for name, event_id in rows:
            found.setdefault(name, set()).add(event_id)
        return found


async def test_0004_moves_rows_and_back(empty_database: str) -> None:
    engine = create_engine(empty_database)
    try:
        await upgrade(engine, "0003")
        await _insert_0003_events(engine, OLD_ROWS)
        month_before = partitions.month_of(datetime.now(UTC))  # the migration reads the clock
        await upgrade(engine)
        month_after = partitions.month_of(datetime.now(UTC))
        async with engine.connect() as conn:
            stored = (await conn.execute(select(EventRow.event_id, EventRow.occurred_at))).all()
            ids = set((await conn.execute(select(EventIdRow.event_id))).scalars())
            names = await partitions.partitions(conn)
        assert dict(stored) == OLD_ROWS
        assert ids == set(OLD_ROWS)
        if engine.dialect.name == "postgresql":
            old = {"events_p202402", "events_p202403", "events_default"}
            # This month and three ahead, for the month the migration ran in (a month may
            # turn during it).
            assert set(names) in [
                old | {partitions.partition_name(partitions.add_months(m, i)) for i in range(4)}
                for m in (month_before, month_after)
            ]
            assert await _rows_by_partition(engine) == {
                "events_p202402": {uuid.UUID(int=1)},
                "events_p202403": {uuid.UUID(int=2), uuid.UUID(int=3)},
            }
            async with engine.connect() as conn:
                indexed = set(
                    (
                        await conn.execute(
                            text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%UNIQUE%'")
                        )
                    ).scalars()
                )
            assert set(names) <= indexed  # every partition has its own primary key index
        else:
            assert names == []

        await downgrade(engine, "0003")
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT count(*) FROM events"))).scalar()
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert back == len(OLD_ROWS)
        assert "event_ids" not in tables
        assert not any(partitions.is_partition(t) for t in tables)
        await upgrade(engine)  # and up again, from the restored plain table
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(EventIdRow)) == 3
    finally:
        await engine.dispose()


async def test_an_id_is_stored_once_whatever_its_month(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """A replayed file keeps its event ids but not its times: still a duplicate."""
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    event_id = uuid.uuid4()
    headers = {"X-Worker-Key": key}
    first = crossing(camera, "in", datetime(2025, 1, 31, 23, tzinfo=UTC), event_id=event_id)
    again = crossing(camera, "in", datetime(2025, 3, 2, 8, tzinfo=UTC), event_id=event_id)
    r = await client.post("/events", json={"events": [first]}, headers=headers)
    assert r.json() == {"accepted": 1, "duplicates": 0, "denied": 0}
    r = await client.post("/events", json={"events": [again, again]}, headers=headers)
    assert r.json() == {"accepted": 0, "duplicates": 2, "denied": 0}
    async with state.sessions() as session:
        rows = (await session.execute(select(EventRow.occurred_at))).scalars().all()
    assert rows == [datetime(2025, 1, 31, 23, tzinfo=UTC)]


async def test_repeated_id_in_one_batch_keeps_the_first(
    client: httpx.AsyncClient, state: AppState
) -> None:
    store = await make_store(state)
    camera, key = await make_camera(state, store)
    event_id = uuid.uuid4()
    a = crossing(camera, "in", datetime(2025, 5, 1, 9, tzinfo=UTC), event_id=event_id)
    b = crossing(camera, "out", datetime(2025, 6, 1, 9, tzinfo=UTC), event_id=event_id)
    r = await client.post("/events", json={"events": [a, b]}, headers={"X-Worker-Key": key})
    assert r.json() == {"accepted": 1, "duplicates": 1, "denied": 0}
    async with state.sessions() as session:
        rows = (await session.execute(select(EventRow.direction, EventRow.occurred_at))).all()
    assert rows == [("in", datetime(2025, 5, 1, 9, tzinfo=UTC))]


@pytest.fixture
def pg_url() -> Iterator[str]:
    with temporary_pg_database() as url:
        yield url


async def test_months_ahead_stranded_rows_and_dropping_a_month(pg_url: str) -> None:
    app = create_app(make_settings(pg_url))
    state: AppState = app.state.metrica
    engine = state.engine
    try:
        store = await make_store(state)
        camera, key = await make_camera(state, store)
        far = datetime(2031, 7, 4, 12, tzinfo=UTC)
        async with engine.begin() as conn:  # no partition for 2031-07: the default takes it
            await conn.execute(
                text(
                    "INSERT INTO events (store_id, occurred_at, event_id, type, camera_id, "
                    "received_at, line_id, direction, payload) VALUES "
                    "(:s, :at, :id, 'line_crossed', :c, :at, 'door', 'in', '{}')"
                ),
                {"s": store.id, "at": far, "id": uuid.UUID(int=7), "c": camera.id},
            )
        assert await _rows_by_partition(engine) == {"events_default": {uuid.UUID(int=7)}}

        made = await partitions.ensure_ahead(engine, now=datetime(2031, 6, 15, tzinfo=UTC))
        assert made == ["events_p203106", "events_p203107", "events_p203108", "events_p203109"]
        assert await partitions.ensure_ahead(engine, now=datetime(2031, 6, 15, tzinfo=UTC)) == []
        assert await _rows_by_partition(engine) == {"events_p203107": {uuid.UUID(int=7)}}

        # A month of real ingest, then its partition goes with its ids.
        async with engine.begin() as conn:
            assert await partitions.ensure_month(conn, date(2025, 4, 1))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            april = crossing(camera, "in", datetime(2025, 4, 9, 10, tzinfo=UTC))
            may = crossing(camera, "in", datetime(2025, 5, 9, 10, tzinfo=UTC))
            headers = {"X-Worker-Key": key}
            r = await client.post("/events", json={"events": [april, may]}, headers=headers)
            assert r.json() == {"accepted": 2, "duplicates": 0, "denied": 0}
            async with engine.begin() as conn:
                assert await partitions.drop_month(conn, date(2025, 4, 1))
                assert not await partitions.drop_month(conn, date(2025, 4, 1))
            async with engine.connect() as conn:
                ids = {str(i) for i in (await conn.execute(select(EventIdRow.event_id))).scalars()}
            assert ids == {may["event_id"]}
            r = await client.post("/events", json={"events": [april, may]}, headers=headers)
            assert r.json() == {"accepted": 1, "duplicates": 1, "denied": 0}  # april is new again
    finally:
        await state.close()


def test_partition_names() -> None:
    assert partitions.partition_name(date(2026, 1, 1)) == "events_p202601"
    assert partitions.month_of_partition("events_p202612") == date(2026, 12, 1)
    assert partitions.month_of_partition("events_default") is None
    assert partitions.add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert partitions.month_of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2026, 12, 1)


async def test_a_camera_gone_meanwhile_is_a_conflict(state: AppState) -> None:
    """The rollup's foreign key refuses a deleted camera: IntegrityError (a 409), and the
    batch is not stored (PostgreSQL's driver error is mapped like SQLAlchemy's)."""
    store = await make_store(state)
    gone = WorkerCamera(uuid.uuid4(), store.id, ZoneInfo("UTC"), frozenset({"door"}))
    event = crossing(gone.camera_id, "in", datetime(2025, 5, 1, 9, tzinfo=UTC))
    batch = EventBatch.model_validate({"events": [event]})
    async with state.sessions() as session:
        with pytest.raises(IntegrityError):
            await events_service.store_batch(
                session=session, camera=gone, batch=batch, now=datetime(2025, 5, 1, 10, tzinfo=UTC)
            )
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(EventRow)) == 0


async def test_a_batch_marks_the_camera_at_most_every_ten_seconds(state: AppState) -> None:
    """`last_event_at` is written by the first batch, not by one 5 s later, again at 11 s
    (on PostgreSQL inside the insert statement, on SQLite as its own statement)."""
    store = await make_store(state)
    camera, _ = await make_camera(state, store)
    worker = WorkerCamera(camera.id, store.id, ZoneInfo("UTC"), frozenset({"door"}))
    start = datetime(2025, 5, 1, 10, tzinfo=UTC)
    seen = []
    for offset_s in (0, 5, 11):
        now = start + timedelta(seconds=offset_s)
        event = crossing(camera, "in", now - timedelta(seconds=1))
        batch = EventBatch.model_validate({"events": [event]})
        async with state.sessions() as session:
            await events_service.store_batch(session=session, camera=worker, batch=batch, now=now)
            await session.commit()
            seen.append(await session.scalar(select(Camera.last_event_at)))
    assert seen == [start, start, start + timedelta(seconds=11)]


async def test_the_server_creates_the_months_ahead_when_it_starts(pg_url: str) -> None:
    app = create_app(make_settings(pg_url))
    state: AppState = app.state.metrica
    state.clock = lambda: datetime(2032, 11, 20, tzinfo=UTC)
    wanted = {"events_p203211", "events_p203212", "events_p203301", "events_p203302"}
    async with app.router.lifespan_context(app):
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            async with state.engine.connect() as conn:
                names = set(await partitions.partitions(conn))
            if wanted <= names or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
    assert wanted <= names
    assert "events_p203303" not in names
