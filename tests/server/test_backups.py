"""Backups proven by restoring them: the restore drill on a real PostgreSQL under write
load, the manifest's checks, the backup log and its gauge, the 0004 migration."""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text

from metrica.domain.events import EventBatch, LineCrossed
from metrica.server.app import create_app
from metrica.server.backups import postgres
from metrica.server.backups.gauge import refresh_backup_gauge, schedule_backup_gauge
from metrica.server.backups.operations import create_backup, restore_backup, verify_backup
from metrica.server.backups.service import record_run
from metrica.server.db import create_engine, session_factory
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.events.service import store_batch
from metrica.server.migrate import current_revision, upgrade
from metrica.server.periodic import PeriodicTasks
from metrica.server.seed import ADMIN_EMAIL, DEMO_TZ, seed_demo
from metrica.server.state import AppState, WorkerCamera
from tests.server.conftest import make_settings
from tests.server.factories import make_camera, make_store
from tests.support.dashboards import answers_of_app
from tests.support.db import temporary_pg_database

NOW = datetime(2026, 3, 18, 15, 20, tzinfo=UTC)
BATCH = 50


def writer_batch(camera_id: uuid.UUID, i: int) -> EventBatch:
    """The `i`-th batch the writer posts: deterministic, inside the seeded weeks."""
    rng = random.Random(f"writer-{i}")  # not the seed's stream: no shared event ids
    return EventBatch(
        events=[
            LineCrossed(
                event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                camera_id=str(camera_id),
                line_id="door",
                direction=rng.choice(["in", "out"]),
                occurred_at=NOW - timedelta(days=1 + i % 20, seconds=rng.uniform(0, 36000)),
                track_id=n,
            )
            for n in range(BATCH)
        ]
    )


class Writer(threading.Thread):
    """Keeps storing batches through the ingest service, one transaction each, on its own
    event loop and connection pool, until stopped."""

    def __init__(self, url: str, camera: WorkerCamera) -> None:
        super().__init__(daemon=True)
        self.url, self.camera = url, camera
        self.batches = 0
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._write())
        except BaseException as exc:  # reported by the test
            self.error = exc

    async def _write(self) -> None:
        engine = create_engine(self.url, pool_size=2)
        sessions = session_factory(engine)
        try:
            while not self.stopping.is_set():
                async with sessions() as session:
                    batch = writer_batch(self.camera.camera_id, self.batches)
                    await store_batch(session=session, camera=self.camera, batch=batch, now=NOW)
                    await session.commit()
                self.batches += 1
        finally:
            await engine.dispose()


async def until(check: object, what: str, timeout_s: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not check():  # type: ignore[operator]
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@pytest.fixture
def source_pg() -> Iterator[str]:
    with temporary_pg_database() as url:
        yield url


@pytest.fixture
def target_pg() -> Iterator[str]:
    with temporary_pg_database(migrated=False) as url:
        yield url


@pytest.mark.timeout(300)
async def test_restore_drill_on_postgresql_under_write_load(
    source_pg: str, target_pg: str, tmp_path: Path
) -> None:
    source = create_app(make_settings(source_pg))
    state: AppState = source.state.metrica
    state.clock = lambda: NOW
    async with state.sessions() as session:
        seeded = await seed_demo(session, hasher=state.passwords, days=28, now=NOW)
    busy = await make_store(state, name="Busy")
    busy_cam, _ = await make_camera(state, busy)
    first, last = (NOW - timedelta(days=28)).date(), NOW.astimezone(ZoneInfo(DEMO_TZ)).date()
    demo_answers = await answers_of_app(source, ADMIN_EMAIL, seeded.store_id, first, last)

    writer = Writer(
        source_pg, WorkerCamera(busy_cam.id, busy.id, ZoneInfo(DEMO_TZ), frozenset({"door"}))
    )
    writer.start()
    try:
        await until(lambda: writer.batches >= 3 or writer.error, "the writer's first batches")
        before = writer.batches
        created = await create_backup(source_pg, tmp_path / "drill.tar", now=NOW)
        during = writer.batches
    finally:
        writer.stopping.set()
        writer.join(timeout=30)
    assert writer.error is None
    assert during > before, "no batch was written while the backup ran"

    manifest = created.manifest
    in_backup = manifest.tables["events"].rows - seeded.events
    assert in_backup % BATCH == 0  # whole batches only: one snapshot, atomic batches
    assert before <= in_backup // BATCH <= during
    async with state.engine.connect() as conn:
        now_in_source = int(await conn.scalar(select(func.count()).select_from(EventRow)) or 0)
    assert now_in_source == seeded.events + writer.batches * BATCH > manifest.tables["events"].rows

    restored = await restore_backup(created.path, target_pg, force=False)
    assert restored == manifest
    assert await postgres.stats(target_pg) == manifest.tables  # every table, counts and sums
    target = create_app(make_settings(target_pg))
    target_state: AppState = target.state.metrica
    target_state.clock = lambda: NOW
    try:
        assert await current_revision(target_state.engine) == manifest.schema_revision
        async with target_state.engine.connect() as conn:
            busy_events = await conn.scalar(
                select(func.count()).select_from(EventRow).where(EventRow.store_id == busy.id)
            )
            busy_rollup = await conn.scalar(
                select(func.sum(HourlyCount.in_count + HourlyCount.out_count)).where(
                    HourlyCount.store_id == busy.id
                )
            )
        assert busy_events == busy_rollup == in_backup  # events and rollup: one snapshot
        restored_answers = await answers_of_app(target, ADMIN_EMAIL, seeded.store_id, first, last)
        assert restored_answers == demo_answers
        busy_answers = await answers_of_app(target, ADMIN_EMAIL, busy.id, first, last)
        days = [a for p, a in busy_answers.items() if "period=day" in p]
        assert sum(a["footfall_in"] + a["footfall_out"] for a in days) == in_backup
    finally:
        await target_state.engine.dispose()
        await state.engine.dispose()

    verified = await verify_backup(created.path, server_url=source_pg)
    assert verified.ok, verified.problems
    tools = verified.manifest.tools
    assert tools["pg_dump"].split(".")[0] == tools["postgresql"].split(".")[0]  # same major


async def test_the_gauge_shows_the_newest_successful_run(state: AppState) -> None:
    async with state.sessions() as session:
        await record_run(session, kind="create", finished_at=NOW, size=10, ok=True, detail="a")
        await record_run(
            session,
            kind="verify",
            finished_at=NOW + timedelta(hours=1),
            size=10,
            ok=False,
            detail="b",
        )
        await session.commit()
    await refresh_backup_gauge(state)
    value = REGISTRY.get_sample_value("metrica_backup_last_success_timestamp_seconds")
    assert value == NOW.timestamp()

    async with state.sessions() as session:
        await record_run(
            session, kind="verify", finished_at=NOW + timedelta(hours=2), size=1, ok=True, detail=""
        )
        await session.commit()
    # Scheduled only now: its first round starts at once, and a run recorded while that
    # round read the log could be missed by it (a race a fast box once lost).
    tasks = PeriodicTasks()
    schedule_backup_gauge(tasks, state, interval_s=60.0)
    try:
        await until(lambda: tasks.rounds["backup_gauge"] >= 1, "the gauge's first refresh")
        value = REGISTRY.get_sample_value("metrica_backup_last_success_timestamp_seconds")
        assert value == (NOW + timedelta(hours=2)).timestamp()
        await asyncio.sleep(0)  # the next refresh is a minute away, not per scrape
        assert tasks.rounds["backup_gauge"] == 1
    finally:
        await tasks.stop()


async def test_0004_creates_and_drops_the_backup_log(tmp_path: Path) -> None:
    from tests.server.test_migrations import downgrade

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await upgrade(engine, "0004_fleet")
        await upgrade(engine, "0004_backup_runs")
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM backup_runs")) == 0
        await downgrade(engine, "0004_fleet")
        async with engine.connect() as conn:
            names = await conn.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'backup_runs'")
            )
        assert names == 0
    finally:
        await engine.dispose()


async def test_the_dump_tool_matches_the_server_and_gets_secrets_by_environment(
    source_pg: str,
) -> None:
    from metrica.server.backups.archive import BackupError

    engine = create_engine(source_pg)
    try:
        major, _ = await postgres.server_major(engine)
    finally:
        await engine.dispose()
    assert postgres.find_tool("pg_dump", major).major == major
    assert postgres.find_tool("pg_restore", major).major == major
    with pytest.raises(BackupError, match=r"postgresql-client-99"):
        postgres.find_tool("pg_dump", 99)
    env = postgres.libpq_env("postgresql+asyncpg://u:s3cret@db.example:6543/metrica")
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == (
        "db.example",
        "6543",
        "u",
        "metrica",
    )
    assert env["PGPASSWORD"] == "s3cret"
