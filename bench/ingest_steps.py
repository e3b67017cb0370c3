"""Where the ingest time goes: each step of `POST /events`, per 1000 events, A/B in one run.

    uv run python bench/ingest_steps.py [--quick] [--batches 120] [--batch 500]

Runs the steps of the ingest path one by one in this process on PostgreSQL (a scratch
database at head: partitioned `events`, `event_ids`): today's `store_batch` alternates,
batch by batch, with the forms it replaced (the one statement with text-literal arrays
and a per-id claim; before it, two statements), so that a noisy shared box moves every
side alike. For each step: CPU ms in this process (Python, driver) and in the PostgreSQL
backend (from /proc/PID/schedstat for the backend's pid), per 1000 events, medians over
the batches (revision 0003 is no longer provisioned: today's models no longer fit it).
The whole request through the ASGI app gives the framework's share, with the events route
as it is and with FastAPI parsing its body (alternating).
The last stdout line is one JSON object {step: {"py_ms", "pg_ms"}}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil  # type: ignore[import-untyped]
from bench_support import PG_URL, admin_sql
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.routing import request_response

from metrica.domain.events import EventBatch
from metrica.server.app import create_app
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.events import service
from metrica.server.migrate import upgrade
from metrica.server.settings import Settings
from metrica.server.state import WorkerCamera
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate

BATCH_ADAPTER: TypeAdapter[EventBatch] = TypeAdapter(EventBatch)
NEW_DB = "metrica_bench_steps_head"

# Head before the one-statement store: claim + insert returning the new rows, then the
# rollup upsert of the Python sums (a second statement).
TWO_STATEMENT_INSERT = text(
    """
    WITH e AS (
        SELECT * FROM unnest(CAST(CAST(:ids AS text) AS uuid[]),
                             CAST(CAST(:occurred AS text) AS timestamptz[]),
                             CAST(CAST(:lines AS text) AS varchar[]),
                             CAST(CAST(:directions AS text) AS varchar[]),
                             CAST(CAST(:tracks AS text) AS bigint[]))
             AS e(id, occurred_at, line_id, direction, track_id)
    ), fresh AS (
        INSERT INTO event_ids (event_id) SELECT id FROM e
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    ), touched AS (
        UPDATE cameras SET last_event_at = :received_at
        WHERE id = :camera_id AND (last_event_at IS NULL OR last_event_at < :stale_before)
    )
    INSERT INTO events
        (store_id, occurred_at, event_id, type, camera_id, received_at, line_id, direction,
         payload)
    SELECT :store_id, e.occurred_at, e.id, 'line_crossed', :camera_id, :received_at,
           e.line_id, e.direction, json_build_object('track_id', e.track_id)
    FROM e JOIN fresh ON fresh.event_id = e.id
    RETURNING line_id, direction, occurred_at
    """
)


# Head before the plain claim: the one statement with text-literal arrays, every id claimed
# with ON CONFLICT DO NOTHING RETURNING, the payload from json_build_object.
TEXT_ARRAYS_STATEMENT = text(
    """
    WITH e AS (
        SELECT * FROM unnest(CAST(CAST(:ids AS text) AS uuid[]),
                             CAST(CAST(:occurred AS text) AS timestamptz[]),
                             CAST(CAST(:lines AS text) AS varchar[]),
                             CAST(CAST(:directions AS text) AS varchar[]),
                             CAST(CAST(:tracks AS text) AS bigint[]))
             AS e(id, occurred_at, line_id, direction, track_id)
    ), fresh AS (
        INSERT INTO event_ids (event_id) SELECT id FROM e
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    ), new AS MATERIALIZED (
        SELECT e.* FROM e JOIN fresh ON fresh.event_id = e.id
    ), stored AS (
        INSERT INTO events
            (store_id, occurred_at, event_id, type, camera_id, received_at, line_id,
             direction, payload)
        SELECT :store_id, occurred_at, id, 'line_crossed', :camera_id, :received_at,
               line_id, direction,
               CASE WHEN track_id IS NULL THEN CAST('{}' AS json)
                    ELSE json_build_object('track_id', track_id) END
        FROM new
    ), hours AS (
        SELECT * FROM unnest(CAST(CAST(:slots AS text) AS bigint[]),
                             CAST(CAST(:hour_starts AS text) AS timestamptz[]))
             AS h(slot, bucket_start)
    ), rolled AS (
        INSERT INTO hourly_counts
            (camera_id, line_id, bucket_start, store_id, in_count, out_count, in_remaining_s,
             out_remaining_s)
        SELECT :camera_id, n.line_id, h.bucket_start, :store_id,
               count(*) FILTER (WHERE n.direction = 'in'),
               count(*) FILTER (WHERE n.direction <> 'in'),
               coalesce(sum(3600 - extract(epoch FROM n.occurred_at - h.bucket_start))
                        FILTER (WHERE n.direction = 'in'), 0)::float8,
               coalesce(sum(3600 - extract(epoch FROM n.occurred_at - h.bucket_start))
                        FILTER (WHERE n.direction <> 'in'), 0)::float8
        FROM new n
        JOIN hours h
          ON h.slot = CAST(floor(CAST(extract(epoch FROM n.occurred_at) AS float8)) AS bigint)
                      / 900
        GROUP BY n.line_id, h.bucket_start
        ORDER BY n.line_id, h.bucket_start
        ON CONFLICT (camera_id, line_id, bucket_start) DO UPDATE SET
            in_count = hourly_counts.in_count + excluded.in_count,
            out_count = hourly_counts.out_count + excluded.out_count,
            in_remaining_s = hourly_counts.in_remaining_s + excluded.in_remaining_s,
            out_remaining_s = hourly_counts.out_remaining_s + excluded.out_remaining_s
    ), touched AS (
        UPDATE cameras SET last_event_at = :received_at
        WHERE id = :camera_id AND (last_event_at IS NULL OR last_event_at < :stale_before)
    )
    SELECT count(*) FROM new
    """
)


def _pg_array(values: list[str]) -> str:
    return "{" + ",".join(values) + "}"


def db_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


async def provision(name: str, revision: str) -> tuple[WorkerCamera, str]:
    await admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin_sql(f'CREATE DATABASE "{name}"')
    engine = create_engine(db_url(name))
    await upgrade(engine, revision)
    async with session_factory(engine)() as session:
        store = await stores.create(
            session=session, data=StoreCreate(name="Steps", timezone="Europe/Berlin")
        )
        camera = Camera(store_id=store.id, name="cam", is_counting_line=True)
        session.add(camera)
        await session.flush()
        spec = LineSpec(line_id="door", x1=0.1, y1=0.5, x2=0.9, y2=0.5)
        await cameras.replace_lines(session=session, camera=camera, specs=[spec])
        key = await cameras.issue_key(session=session, camera=camera)
        await session.commit()
        worker = WorkerCamera(camera.id, store.id, ZoneInfo(store.timezone), frozenset({"door"}))
    await engine.dispose()
    return worker, key


def batch_body(camera_id: uuid.UUID, size: int, seed: int) -> bytes:
    now = datetime.now(UTC)
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "camera_id": str(camera_id),
            "line_id": "door",
            "direction": "in" if i % 2 == 0 else "out",
            "occurred_at": (now - timedelta(seconds=1 + (seed * 977 + i * 7) % 3600)).isoformat(),
            "track_id": seed * size + i,
        }
        for i in range(size)
    ]
    return json.dumps({"events": events}).encode()


def cpu_s(process: psutil.Process) -> float:
    """CPU seconds of a process: from /proc/PID/schedstat (nanoseconds) where there is one,
    else user + system (which the kernel counts in 10 ms ticks)."""
    try:
        with open(f"/proc/{process.pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        times = process.cpu_times()
        return float(times.user + times.system)


class Steps:
    """CPU ms per 1000 events for each named step: here (`py`) and in the backend (`pg`)."""

    def __init__(self, batch: int) -> None:
        self.per_1000 = 1000 / batch
        self.py: dict[str, list[float]] = {}
        self.pg: dict[str, list[float]] = {}

    def record(self, name: str, py_s: float, pg_s: float = 0.0) -> None:
        self.py.setdefault(name, []).append(py_s * 1000 * self.per_1000)
        self.pg.setdefault(name, []).append(pg_s * 1000 * self.per_1000)

    def time(self, name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.process_time()
        result = fn()
        self.record(name, time.process_time() - t0)
        return result

    async def time_sql(
        self, name: str, backend: psutil.Process, run: Callable[[], Awaitable[Any]]
    ) -> Any:
        pg0, t0 = cpu_s(backend), time.process_time()
        result = await run()
        t1, pg1 = time.process_time(), cpu_s(backend)
        self.record(name, t1 - t0, pg1 - pg0)
        return result

    def summary(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "py_ms": round(statistics.median(self.py[name]), 2),
                # Without schedstat the kernel counts a backend's CPU in 10 ms ticks:
                # the mean over many batches is right, a median of ticks is not.
                "pg_ms": round(statistics.fmean(self.pg[name]), 2),
            }
            for name in self.py
        }


async def backend_of(conn: AsyncConnection) -> psutil.Process:
    pid = await conn.scalar(text("SELECT pg_backend_pid()"))
    return psutil.Process(pid)


def arrays(events: list[Any]) -> dict[str, str]:
    pg = _pg_array
    return {
        "ids": pg([str(e.event_id) for e in events]),
        "occurred": pg([e.occurred_at.isoformat() for e in events]),
        "lines": pg([e.line_id for e in events]),
        "directions": pg([e.direction for e in events]),
        "tracks": pg([str(e.track_id) for e in events]),
    }


def validate(steps: Steps, prefix: str, body: bytes) -> EventBatch:
    batch: EventBatch = steps.time(
        f"{prefix}validate: json.loads + model_validate (FastAPI)",
        lambda: EventBatch.model_validate(json.loads(body)),
    )
    steps.time(
        f"{prefix}validate: TypeAdapter.validate_json (RustValidatedRoute)",
        lambda: BATCH_ADAPTER.validate_json(body),
    )
    return batch


async def new_batch(steps: Steps, engine: AsyncEngine, camera: WorkerCamera, body: bytes) -> None:
    """One batch through today's `events.service.store_batch`."""
    prefix = "head "
    now = datetime.now(UTC)
    batch = validate(steps, prefix, body)
    steps.time(
        f"{prefix}check_batch",
        lambda: service.check_batch(batch, camera=camera, now=now, max_future_s=60),
    )
    async with session_factory(engine)() as session:
        backend = await backend_of(await session.connection())
        await steps.time_sql(
            f"{prefix}store_batch: one statement (claim, insert, rollup, camera)",
            backend,
            lambda: service.store_batch(session=session, camera=camera, batch=batch, now=now),
        )
        await steps.time_sql(f"{prefix}commit", backend, session.commit)


async def two_statement_batch(
    steps: Steps, engine: AsyncEngine, camera: WorkerCamera, body: bytes
) -> None:
    """One batch the way head stored it before `_PG_STORE`: insert returning the new rows,
    Python sums, a second statement for the rollup upsert."""
    prefix = "head two statements "
    now = datetime.now(UTC)
    batch = BATCH_ADAPTER.validate_json(body)
    events = service.first_of_each_id(batch.events)
    params = arrays(events) | {
        "store_id": camera.store_id,
        "camera_id": camera.camera_id,
        "received_at": now,
        "stale_before": now - service.LAST_EVENT_RESOLUTION,
    }
    async with session_factory(engine)() as session:
        backend = await backend_of(await session.connection())

        async def both() -> None:
            rows = (await session.execute(TWO_STATEMENT_INSERT, params)).all()
            inserted = [(r[0], r[1], r[2]) for r in rows]
            await service.roll_up(session=session, camera=camera, inserted=inserted)

        name = f"{prefix}insert returning, sums, rollup upsert"
        await steps.time_sql(name, backend, both)
        await steps.time_sql(f"{prefix}commit", backend, session.commit)


async def text_arrays_batch(
    steps: Steps, engine: AsyncEngine, camera: WorkerCamera, body: bytes
) -> None:
    """One batch the way head stored it before typed arrays and the plain claim."""
    prefix = "head text arrays "
    now = datetime.now(UTC)
    batch = BATCH_ADAPTER.validate_json(body)
    async with session_factory(engine)() as session:
        backend = await backend_of(await session.connection())

        async def store() -> None:
            events = service.first_of_each_id(batch.events)
            slots, starts = service.hour_starts(events, camera.timezone)
            params = arrays(events) | {
                "store_id": camera.store_id,
                "camera_id": camera.camera_id,
                "received_at": now,
                "stale_before": now - service.LAST_EVENT_RESOLUTION,
                "slots": _pg_array([str(s) for s in slots]),
                "hour_starts": _pg_array([h.isoformat() for h in starts]),
            }
            await session.scalar(TEXT_ARRAYS_STATEMENT, params)

        await steps.time_sql(f"{prefix}store_batch: one statement", backend, store)
        await steps.time_sql(f"{prefix}commit", backend, session.commit)


def _fastapi_body_parsing(app: FastAPI) -> None:
    """The app as it was before `RustValidatedRoute`: FastAPI parses the events body."""
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path == "/events":
            route.app = request_response(APIRoute.get_route_handler(route))


async def whole_requests(
    steps: Steps, url: str, key: str, camera_id: uuid.UUID, n: int, size: int
) -> None:
    """The same batches through the ASGI app in this process: everything Python does, with
    the events route as it is and with FastAPI parsing its body, alternating."""
    settings = Settings(
        environment="test", database_url=url, secret_key="steps-" + uuid.uuid4().hex
    )
    apps = {"RustValidatedRoute": create_app(settings), "FastAPI body": create_app(settings)}
    _fastapi_body_parsing(apps["FastAPI body"])
    headers = {"X-Worker-Key": key, "Content-Type": "application/json"}
    clients = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        for name, app in apps.items()
    }
    try:
        for i in range(n):
            for j, (name, client) in enumerate(clients.items()):
                body = batch_body(camera_id, size, 10_000 + 2 * i + j)  # fresh ids each
                t0 = time.process_time()
                r = await client.post("/events", content=body, headers=headers)
                steps.record(f"whole request in-process, {name}", time.process_time() - t0)
                if r.status_code != 200:
                    raise RuntimeError(f"ingest failed: {r.status_code} {r.text[:200]}")
    finally:
        for client in clients.values():
            await client.aclose()
        for app in apps.values():
            await app.state.metrica.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches (about 30 s)")
    parser.add_argument("--batches", type=int, default=None)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    n = args.batches or (40 if args.quick else 120)
    new_camera, new_key = await provision(NEW_DB, "head")
    new_engine = create_engine(db_url(NEW_DB))
    steps = Steps(args.batch)
    try:
        for i in range(n):  # A and B alternate, batch by batch
            body = batch_body(new_camera.camera_id, args.batch, i)
            await new_batch(steps, new_engine, new_camera, body)
            body = batch_body(new_camera.camera_id, args.batch, n + i)
            await two_statement_batch(steps, new_engine, new_camera, body)
            body = batch_body(new_camera.camera_id, args.batch, 2 * n + i)
            await text_arrays_batch(steps, new_engine, new_camera, body)
        await whole_requests(steps, db_url(NEW_DB), new_key, new_camera.camera_id, n, args.batch)
    finally:
        await new_engine.dispose()
        await admin_sql(f'DROP DATABASE IF EXISTS "{NEW_DB}" WITH (FORCE)')
    summary = steps.summary()
    print(
        f"CPU ms per 1000 events (median of {n} batches of {args.batch}); "
        f"load {os.getloadavg()[0]:.1f}"
    )
    for name, cost in summary.items():
        print(f"  {name:58s} python {cost['py_ms']:7.2f}   postgres {cost['pg_ms']:7.2f}")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
