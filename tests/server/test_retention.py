"""Retention on SQLite and PostgreSQL: exact rows removed, every dashboard answer unchanged.

The demo history is seeded with a pinned `now`; the rows expected to go are counted from
a replay of the same synthetic days (not from the database), against a cutoff written
out by hand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text

from metrica.server.alerts.models import AlertEpisode
from metrica.server.app import create_app
from metrica.server.auth.models import Invitation, LoginCode, RevokedToken
from metrica.server.backups.models import BackupRun
from metrica.server.cameras.models import CameraHeartbeat, CameraSnapshot
from metrica.server.demo_traffic import day_rng
from metrica.server.events.models import EventRow, HourlyCount
from metrica.server.events.retention import is_partitioned
from metrica.server.reports.models import ReportSend
from metrica.server.retention.service import run_retention
from metrica.server.seed import (
    ADMIN_EMAIL,
    DEMO_SEED,
    DEMO_TZ,
    DemoSeed,
    seed_demo,
    synthetic_day,
)
from metrica.server.settings import Settings
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.factories import make_camera, make_store, make_user
from tests.support.dashboards import admin_headers, dashboard_answers
from tests.support.db import temporary_pg_database

NOW = datetime(2026, 3, 18, 15, 20, tzinfo=UTC)  # a Wednesday afternoon
DAYS = 40
RAW_DAYS = 35
# NOW - 35 days = 2026-02-11 15:20 UTC = 16:20 in Berlin; the local hour starts 16:00.
CUTOFF = datetime(2026, 2, 11, 15, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 2, 6)  # NOW in Berlin is 2026-03-18; 40 days back


def replayed_event_times() -> list[datetime]:
    """The `occurred_at` of every event `seed_demo(days=DAYS, now=NOW)` stores (the camera's
    id names the events, not their times)."""
    tz, camera = ZoneInfo(DEMO_TZ), str(uuid.UUID(int=1))
    today = NOW.astimezone(tz).date()
    times = []
    for offset in range(DAYS, -1, -1):
        day = today - timedelta(days=offset)
        events = synthetic_day(day_rng(DEMO_SEED, day), day, tz, camera, "door", until=NOW)
        times += [e.occurred_at for e in events]
    return times


def retention_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {"retention_raw_events_days": RAW_DAYS}
    values.update(overrides)
    return make_settings(database_url, **values)


async def seed(state: AppState) -> DemoSeed:
    state.clock = lambda: NOW
    async with state.sessions() as session:
        return await seed_demo(session, hasher=state.passwords, days=DAYS, now=NOW)


async def count(state: AppState, model: type[object]) -> int:
    async with state.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def deleted_metric(table: str) -> float:
    value = REGISTRY.get_sample_value("metrica_retention_rows_deleted_total", {"table": table})
    return value or 0.0


@pytest.mark.timeout(240)
async def test_retention_removes_exactly_the_old_raw_events_and_no_answer_changes(
    client: httpx.AsyncClient, state: AppState, database_url: str
) -> None:
    seeded = await seed(state)
    times = replayed_event_times()
    assert seeded.events == len(times)
    expected = sum(1 for t in times if t < CUTOFF)
    assert 1000 < expected < len(times)  # some days go, most stay
    headers = await admin_headers(state, ADMIN_EMAIL)
    last = NOW.astimezone(ZoneInfo(DEMO_TZ)).date()
    before = await dashboard_answers(client, headers, seeded.store_id, FIRST_DAY, last)
    rollup_rows = await count(state, HourlyCount)
    settings = retention_settings(database_url)

    dry = await run_retention(state.engine, settings, now=NOW, dry_run=True)
    assert dry is not None
    assert {t.table: t.rows for t in dry.tables}["events"] == expected
    assert await count(state, EventRow) == len(times)  # a dry run removes nothing

    metric_before = deleted_metric("events")
    progress: list[tuple[str, int]] = []
    report = await run_retention(
        state.engine,
        settings,
        now=NOW,
        batch_size=700,
        progress=lambda what, rows: progress.append((what, rows)),
    )
    assert report is not None
    events = next(t for t in report.tables if t.table == "events")
    assert (events.rows, events.cutoff, events.partitions_dropped) == (
        expected,
        NOW - timedelta(days=RAW_DAYS),
        [],
    )
    assert f"events: {expected} rows removed" in report.lines()[0]
    assert deleted_metric("events") - metric_before == expected
    chunks = [rows for what, rows in progress if what == "events"]
    assert len(chunks) == -(-expected // 700)  # chunked: one transaction per 700 rows
    assert all(b - a <= 700 for a, b in zip([0, *chunks], chunks, strict=False))
    assert chunks[-1] == expected
    async with state.sessions() as session:
        oldest = await session.scalar(select(func.min(EventRow.occurred_at)))
    assert oldest is not None
    assert oldest >= CUTOFF
    assert await count(state, EventRow) == len(times) - expected
    assert await count(state, HourlyCount) == rollup_rows

    after = await dashboard_answers(client, headers, seeded.store_id, FIRST_DAY, last)
    assert after == before
    again = await run_retention(state.engine, settings, now=NOW)
    assert again is not None
    assert again.total == 0

    # A timezone change rebuilds the rollup from raw events: the hours whose raw events
    # are gone must survive it. London is one hour behind Berlin and the store opens
    # 09:00-20:00 Berlin time, so every visit stays on its local day: day totals hold.
    def per_day(answers: dict[str, Any]) -> dict[str, int]:
        return {p.rsplit("=", 1)[1]: a["footfall_in"] for p, a in answers.items() if "=day" in p}

    r = await client.patch(
        f"/admin/stores/{seeded.store_id}", json={"timezone": "Europe/London"}, headers=headers
    )
    assert r.status_code == 200, r.text
    moved = await dashboard_answers(client, headers, seeded.store_id, FIRST_DAY, last)
    assert per_day(moved) == per_day(before)
    assert per_day(before)[str(FIRST_DAY + timedelta(days=1))] > 0  # its raw events are gone


async def test_the_small_tables_lose_exactly_their_old_rows(
    state: AppState, database_url: str
) -> None:
    owner = await make_user(state, "o@example.com")
    store = await make_store(state, owner=owner)
    fresh_cam, _ = await make_camera(state, store, name="fresh")
    silent_cam, _ = await make_camera(state, store, name="silent")
    day = timedelta(days=1)
    async with state.sessions() as session:
        for cam, at in ((fresh_cam.id, NOW - day), (silent_cam.id, NOW - 91 * day)):
            session.add(
                CameraHeartbeat(
                    camera_id=cam,
                    received_at=at,
                    fps=5.0,
                    frames_processed=1,
                    frames_dropped=0,
                    outbox_depth=0,
                    uptime_s=1.0,
                    stream_up=True,
                    version="t",
                )
            )
            session.add(CameraSnapshot(camera_id=cam, taken_at=at, width=1, height=1, jpeg=b"x"))
        session.add(RevokedToken(token_hash="a" * 64, expires_at=NOW - 8 * day))
        session.add(RevokedToken(token_hash="b" * 64, expires_at=NOW - 6 * day))
        session.add(LoginCode(user_id=owner.id, code_hash="c", expires_at=NOW - 8 * day))
        session.add(Invitation(token_hash="d" * 64, user_id=owner.id, expires_at=NOW + day))
        for age in (401, 399):
            session.add(
                BackupRun(kind="create", finished_at=NOW - age * day, bytes=1, ok=True, detail="")
            )
            session.add(
                ReportSend(
                    user_id=owner.id,
                    store_id=store.id,
                    week_start=(NOW - age * day).date(),
                    sent_at=NOW - age * day,
                )
            )
        # An ended alert past the age goes; one still going on stays, however old.
        for resolved in (NOW - 401 * day, NOW - 399 * day, None):
            session.add(
                AlertEpisode(
                    store_id=store.id,
                    kind="camera_down",
                    message="m",
                    started_at=NOW - 500 * day,
                    resolved_at=resolved,
                )
            )
        await session.commit()
    report = await run_retention(
        state.engine, retention_settings(database_url, retention_snapshots_days=30), now=NOW
    )
    assert report is not None
    removed = {t.table: t.rows for t in report.tables}
    assert removed == {
        "events": 0,
        "camera_heartbeats": 1,
        "camera_snapshots": 1,
        "revoked_tokens": 1,
        "login_codes": 1,
        "invitations": 0,
        "backup_runs": 1,
        "alert_episodes": 1,
        "report_sends": 1,
    }
    async with state.sessions() as session:
        assert await session.scalar(select(CameraHeartbeat.camera_id)) == fresh_cam.id
        assert await session.scalar(select(CameraSnapshot.camera_id)) == fresh_cam.id
        assert await session.scalar(select(RevokedToken.token_hash)) == "b" * 64
        assert await session.scalar(select(func.count()).select_from(AlertEpisode)) == 2
    kept = await run_retention(
        state.engine, retention_settings(database_url, retention_backup_runs_days=0), now=NOW
    )
    assert kept is not None
    assert "backup_runs: kept forever" in kept.lines()


def test_raw_events_must_outlive_what_the_dashboards_read() -> None:
    with pytest.raises(ValueError, match="at least 35 days"):
        Settings(retention_raw_events_days=34)
    assert Settings(retention_raw_events_days=0).retention_raw_events_days == 0


# --- PostgreSQL with `events` partitioned by month ------------------------------------

MONTHS_SQL = """
CREATE TABLE IF NOT EXISTS events_p202601 PARTITION OF events
    FOR VALUES FROM ('2026-01-01 00:00+00') TO ('2026-02-01 00:00+00');
CREATE TABLE IF NOT EXISTS events_p202602 PARTITION OF events
    FOR VALUES FROM ('2026-02-01 00:00+00') TO ('2026-03-01 00:00+00');
CREATE TABLE IF NOT EXISTS events_p202603 PARTITION OF events
    FOR VALUES FROM ('2026-03-01 00:00+00') TO ('2026-04-01 00:00+00');
"""
PARTITION_SQL = f"""
ALTER TABLE events RENAME TO events_plain;
CREATE TABLE events (LIKE events_plain INCLUDING DEFAULTS)
    PARTITION BY RANGE (occurred_at);
ALTER TABLE events ADD PRIMARY KEY (event_id, occurred_at);
{MONTHS_SQL}
CREATE INDEX ON events (store_id, occurred_at);
INSERT INTO events SELECT * FROM events_plain;
DROP TABLE events_plain;
"""


@pytest.fixture
def pg_url() -> Iterator[str]:
    with temporary_pg_database() as url:
        yield url


@pytest.fixture
async def pg_app(pg_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(pg_url))
    yield app
    await app.state.metrica.engine.dispose()


@pytest.mark.timeout(240)
async def test_partitioned_events_lose_whole_months_by_drop_and_the_boundary_by_rows(
    pg_app: FastAPI,
) -> None:
    state: AppState = pg_app.state.metrica
    url = state.settings.database_url
    # 70 days: January's partition lies wholly before the cutoff, February straddles it.
    state.clock = lambda: NOW
    # Where the schema partitions `events` already (the partitioning migration), the
    # months of the pinned history get their partitions before the seed lands in them;
    # otherwise the seeded table is turned into a partitioned one here.
    partitioned_by_migration = await is_partitioned(state.engine)
    if partitioned_by_migration:
        async with state.engine.begin() as conn:
            for statement in MONTHS_SQL.split(";"):
                if statement.strip():
                    await conn.execute(text(statement))
    async with state.sessions() as session:
        seeded = await seed_demo(session, hasher=state.passwords, days=70, now=NOW)
    if not partitioned_by_migration:
        async with state.engine.begin() as conn:
            for statement in PARTITION_SQL.split(";"):
                if statement.strip():
                    await conn.execute(text(statement))
    assert await is_partitioned(state.engine)
    async with state.engine.connect() as conn:
        in_january = int(await conn.scalar(text("SELECT count(*) FROM events_p202601")) or 0)
        in_february_before_cutoff = int(
            await conn.scalar(
                text("SELECT count(*) FROM events_p202602 WHERE occurred_at < :c"), {"c": CUTOFF}
            )
            or 0
        )
        total = int(await conn.scalar(text("SELECT count(*) FROM events")) or 0)
    assert seeded.events == total
    assert in_january > 0
    assert in_february_before_cutoff > 0
    headers = await admin_headers(state, ADMIN_EMAIL)
    first = (NOW - timedelta(days=70)).date()
    last = NOW.astimezone(ZoneInfo(DEMO_TZ)).date()
    transport = httpx.ASGITransport(app=pg_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        before = await dashboard_answers(client, headers, seeded.store_id, first, last)
        dry = await run_retention(state.engine, retention_settings(url), now=NOW, dry_run=True)
        assert dry is not None
        assert dry.tables[0].rows == in_january + in_february_before_cutoff
        report = await run_retention(state.engine, retention_settings(url), now=NOW)
        after = await dashboard_answers(client, headers, seeded.store_id, first, last)
    assert report is not None
    events = report.tables[0]
    assert events.partitions_dropped == ["events_p202601"]
    assert events.rows == in_january + in_february_before_cutoff
    async with state.engine.connect() as conn:
        left = (
            (
                await conn.execute(
                    text(
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "WHERE i.inhparent = 'events'::regclass ORDER BY 1"
                    )
                )
            )
            .scalars()
            .all()
        )
        assert "events_p202601" not in left
        assert {"events_p202602", "events_p202603"} <= set(left)
        assert await conn.scalar(text("SELECT to_regclass('events_p202601')")) is None
        remaining = int(await conn.scalar(text("SELECT count(*) FROM events")) or 0)
    assert remaining == total - events.rows
    assert after == before


async def test_retention_runs_inside_the_server_and_the_switch_turns_it_off(
    database_url: str,
) -> None:
    from metrica.server.periodic import PeriodicTasks
    from metrica.server.retention.schedule import schedule_retention

    for enabled in (True, False):
        app = create_app(make_settings(database_url, retention_enabled=enabled))
        state: AppState = app.state.metrica
        tasks = PeriodicTasks()
        schedule_retention(tasks, state, delay_s=0.0)
        try:
            if enabled:
                deadline = asyncio.get_running_loop().time() + 30
                while tasks.rounds["retention"] < 1:
                    assert asyncio.get_running_loop().time() < deadline, "no retention round"
                    await asyncio.sleep(0.05)
            else:
                assert tasks.rounds == {}
        finally:
            await tasks.stop()
            await state.engine.dispose()


async def test_the_server_lifespan_schedules_retention_unless_switched_off(
    database_url: str,
) -> None:
    for enabled in (True, False):
        app = create_app(make_settings(database_url, retention_enabled=enabled))
        async with app.router.lifespan_context(app):
            periodic = app.state.periodic
            assert ("retention" in periodic.rounds) is enabled
            # + the backup gauge, alerts and weekly reports (tests/server/test_alerts.py) and
            # the audit clips' expiry (tests/server/test_audits.py)
            assert periodic.running == (5 if enabled else 4)
            # The backup gauge's first refresh runs at once (retention waits a minute).
            deadline = asyncio.get_running_loop().time() + 30
            while periodic.rounds["backup_gauge"] < 1:
                assert asyncio.get_running_loop().time() < deadline, "no gauge refresh"
                await asyncio.sleep(0.05)
        assert periodic.running == 0  # stopped with the app
