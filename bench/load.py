"""Mixed load on one server: how many stores one server carries with every p95 < 100 ms.

    uv run python bench/load.py [--quick] [--stores 10,20,40,80] [--stage-s 40]
                                [--workers 1] [--p95-ms 100] [--probe-only]
                                [--zones Europe/Berlin,...] [--server-src DIR]

A real uvicorn server on PostgreSQL (database `metrica_bench_load`, made and dropped),
stores seeded with 35 days of hourly rollups and today's raw events so far (since each
store's local midnight, with their rollup). First a CPU probe: server + PostgreSQL CPU ms
per request of each endpoint, one request at a time, and the stores one busy core would
carry at the schedule's rates (the figure that carries over to a quiet box). Then, in
stages with more stores each, what a fleet and its owners do, scheduled open-loop (every
request is sent at its planned time whether or not earlier ones were answered; latency
counts from the planned time, so a slow server cannot hide by slowing the client):

- each store's cameras (2 by default) post a batch of 1-4 fresh crossings every 2 s
  (the edge shipper's pace for a store door), a heartbeat every 30 s, and poll their
  line config every 30 s (`metrica.edge` defaults);
- each store's owner keeps the store page open: `GET /live/{store}` every 5 s (the web
  app's refresh), and opens a dashboard every 30 s (`GET /stores` and
  `GET /dashboard/{store}` for day, week or month in turn, as the page does).

A stage passes when no request failed and every endpoint's p95 is under `--p95-ms`;
`stores_max` is the largest passing stage; it stops at the first failing one. The client
shares the machine, so on a box with other work the figure is a floor. `--server-src DIR`
runs the server from another checkout (same schema and data) for A/B. The last stdout line
is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import psutil  # type: ignore[import-untyped]
from bench_support import PG_URL, admin_sql, free_port, wait_ready
from sqlalchemy import text
from sqlalchemy.engine import make_url

from metrica.server.auth import service as auth
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine
from metrica.server.migrate import upgrade
from metrica.server.settings import Settings
from metrica.server.state import AppState
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate

DB_NAME = "metrica_bench_load"
ALWAYS_OPEN = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")
WARMUP_S = 3.0
Send = Callable[[], Awaitable[httpx.Response]]


@dataclass
class Site:
    store_id: str
    owner_token: str
    cameras: list[tuple[str, str]]  # (camera_id, worker key)


@dataclass
class Stage:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    sent: int = 0  # warm-up included
    error_samples: list[str] = field(default_factory=list)

    def p95_by_endpoint(self) -> dict[str, float]:
        out = {}
        for name, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            out[name] = round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1)
        return out

    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


async def provision(
    settings: Settings, n_stores: int, n_cameras: int, zones: tuple[str, ...] = ZONES
) -> list[Site]:
    """Stores with cameras, one owner each, 35 days of rollups and today's raw events."""
    await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    await admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    state = AppState.build(settings)
    await upgrade(state.engine)
    sites = []
    try:
        async with state.sessions() as session:
            for i in range(n_stores):
                owner = await auth.create_user(
                    session=session, email=f"owner{i}@bench.example", hasher=state.passwords
                )
                data = StoreCreate(
                    name=f"Store {i}", timezone=zones[i % len(zones)], opening_hours=ALWAYS_OPEN
                )
                store = await stores.create(session=session, data=data)
                await stores.add_owner(session=session, store_id=store.id, user_id=owner.id)
                keys = []
                for c in range(n_cameras):
                    camera = Camera(store_id=store.id, name=f"door {c}", is_counting_line=True)
                    session.add(camera)
                    await session.flush()
                    spec = LineSpec(line_id="door", x1=0.1, y1=0.5, x2=0.9, y2=0.5)
                    await cameras.replace_lines(session=session, camera=camera, specs=[spec])
                    key = await cameras.issue_key(session=session, camera=camera)
                    keys.append((str(camera.id), key))
                token = state.signer.issue(
                    subject=str(owner.id),
                    email=owner.email,
                    role=owner.role,
                    version=owner.token_version,
                )
                sites.append(Site(str(store.id), token, keys))
            await session.commit()
        async with state.engine.begin() as conn:
            await seed_history(conn)
    finally:
        await state.close()
    return sites


async def seed_history(conn: object) -> None:
    """Per camera line: hourly rollups for 35 days up to the store's local midnight, then
    today's raw events so far (one every 90 s, ~40 an hour) with their rollup, as ingest
    would have written it (local hours, so the live view's hour summaries match)."""
    from sqlalchemy.ext.asyncio import AsyncConnection

    assert isinstance(conn, AsyncConnection)
    now = datetime.now(UTC)
    local_hour = "date_trunc('{unit}', {t} AT TIME ZONE s.timezone) AT TIME ZONE s.timezone"
    midnight = local_hour.format(unit="day", t="CAST(:now AS timestamptz)")
    event_hour = local_hour.format(unit="hour", t="e.occurred_at")
    await conn.execute(
        text(
            f"""
            INSERT INTO hourly_counts (camera_id, line_id, bucket_start, store_id, in_count,
                                       out_count, in_remaining_s, out_remaining_s)
            SELECT c.id, 'door', {local_hour.format(unit="hour", t="h")}, c.store_id, 20, 19,
                   20 * 1800.0, 19 * 1800.0
            FROM cameras c JOIN stores s ON s.id = c.store_id,
                 generate_series(CAST(:first AS timestamptz), CAST(:now AS timestamptz),
                                 interval '1 hour') AS h
            WHERE h < {midnight}
            ON CONFLICT DO NOTHING  -- the repeated hour of a DST fall back
            """
        ),
        {
            "first": (now - timedelta(days=35)).replace(minute=0, second=0, microsecond=0),
            "now": now,
        },
    )
    await conn.execute(
        text(
            f"""
            WITH e AS (
                SELECT gen_random_uuid() AS id, c.id AS camera_id, c.store_id,
                       {midnight} + n * interval '90 seconds' AS at,
                       CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END AS direction
                FROM cameras c JOIN stores s ON s.id = c.store_id,
                     generate_series(0, 24 * 40) AS n
                WHERE {midnight} + n * interval '90 seconds' < CAST(:now AS timestamptz)
            ), ids AS (INSERT INTO event_ids (event_id) SELECT id FROM e)
            INSERT INTO events (store_id, occurred_at, event_id, type, camera_id, received_at,
                                line_id, direction, payload)
            SELECT store_id, at, id, 'line_crossed', camera_id, at, 'door', direction,
                   '{{"track_id": 1}}'
            FROM e
            """
        ),
        {"now": now},
    )
    await conn.execute(
        text(
            f"""
            INSERT INTO hourly_counts (camera_id, line_id, bucket_start, store_id, in_count,
                                       out_count, in_remaining_s, out_remaining_s)
            SELECT camera_id, line_id, b, store_id,
                   count(*) FILTER (WHERE direction = 'in'),
                   count(*) FILTER (WHERE direction <> 'in'),
                   coalesce(sum(3600 - extract(epoch FROM occurred_at - b))
                            FILTER (WHERE direction = 'in'), 0),
                   coalesce(sum(3600 - extract(epoch FROM occurred_at - b))
                            FILTER (WHERE direction <> 'in'), 0)
            FROM (SELECT e.*, {event_hour} AS b
                  FROM events e JOIN stores s ON s.id = e.store_id) x
            GROUP BY camera_id, line_id, b, store_id
            """
        )
    )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and their children so far."""
    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


async def server_side_cpu(url: str, server_pid: int) -> float:
    """CPU seconds so far of the server's processes and its PostgreSQL backends."""
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
            {"d": DB_NAME},
        )
        backends = [r[0] for r in rows]
    await engine.dispose()
    return cpu_seconds([server_pid]) + cpu_seconds(backends)


def start_server(
    settings: Settings, port: int, workers: int, server_src: str | None
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "METRICA_DATABASE_URL": settings.database_url,
        "METRICA_ENVIRONMENT": "test",
        "METRICA_SECRET_KEY": settings.secret_key.get_secret_value(),
        "METRICA_DB_POOL_SIZE": "10",
        "METRICA_LOG_LEVEL": "WARNING",
    }
    if server_src:  # A/B: the server's code from another checkout, same schema and data
        env["PYTHONPATH"] = server_src
    # `python -m` puts the working directory first on sys.path: start where the code is.
    cwd = server_src or None
    command = [
        *(sys.executable, "-m", "uvicorn", "metrica.server.app:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--log-level", "warning", "--no-access-log", "--loop", "uvloop", "--http", "httptools"),
    ]
    return subprocess.Popen(command, env=env, cwd=cwd, stderr=subprocess.DEVNULL)


def crossings(camera_id: str, n: int) -> bytes:
    now = datetime.now(UTC)
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "camera_id": camera_id,
            "line_id": "door",
            "direction": random.choice(("in", "out")),
            "occurred_at": (now - timedelta(milliseconds=random.randint(50, 1900))).isoformat(),
            "track_id": random.randint(1, 10**6),
        }
        for _ in range(n)
    ]
    return json.dumps({"events": events}).encode()


HEARTBEAT = json.dumps(
    {"fps": 10.0, "frames_processed": 1000, "uptime_s": 100.0, "version": "bench"}
).encode()


async def run_stage(client: httpx.AsyncClient, sites: list[Site], seconds: float) -> Stage:
    """Every site's schedule for `seconds` (after WARMUP_S), open loop."""
    stage = Stage()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    measure_from, stop_at = t0 + WARMUP_S, t0 + WARMUP_S + seconds
    pending: set[asyncio.Task[None]] = set()

    async def send(name: str, planned: float, request: Send) -> None:
        try:
            r = await request()
            ok, why = r.status_code < 400, f"{name} {r.status_code} {r.text[:120]}"
        except httpx.HTTPError as exc:
            ok, why = False, f"{name} {exc!r}"
        stage.sent += 1
        if planned < measure_from:
            return
        stage.latencies.setdefault(name, []).append((loop.time() - planned) * 1000)
        if not ok:
            stage.errors += 1
            if len(stage.error_samples) < 5:
                stage.error_samples.append(why)

    def every(period_s: float, name: str, make: Callable[[int], Send]) -> None:
        """Schedule `make(k)()` at t0 + phase + k * period_s until the stage ends."""
        phase = random.uniform(0, period_s)

        async def schedule() -> None:
            k = 0
            while (planned := t0 + phase + k * period_s) < stop_at:
                await asyncio.sleep(max(0.0, planned - loop.time()))
                task = asyncio.create_task(send(name, planned, make(k)))
                pending.add(task)
                task.add_done_callback(pending.discard)
                k += 1

        task = asyncio.create_task(schedule())
        pending.add(task)
        task.add_done_callback(pending.discard)

    for site in sites:
        owner = {"Authorization": f"Bearer {site.owner_token}"}
        for camera_id, key in site.cameras:
            worker = {"X-Worker-Key": key, "Content-Type": "application/json"}

            def post_events(_k: int, cid: str = camera_id, h: dict[str, str] = worker) -> Send:
                body = crossings(cid, random.randint(1, 4))
                return lambda: client.post("/events", content=body, headers=h)

            def heartbeat(_k: int, cid: str = camera_id, h: dict[str, str] = worker) -> Send:
                return lambda: client.post(
                    f"/cameras/{cid}/heartbeat", content=HEARTBEAT, headers=h
                )

            def config(_k: int, cid: str = camera_id, h: dict[str, str] = worker) -> Send:
                return lambda: client.get(f"/cameras/{cid}/config", headers=h)

            every(2.0, "POST /events", post_events)
            every(30.0, "POST /cameras/{id}/heartbeat", heartbeat)
            every(30.0, "GET /cameras/{id}/config", config)

        def live(_k: int, sid: str = site.store_id, h: dict[str, str] = owner) -> Send:
            return lambda: client.get(f"/live/{sid}", headers=h)

        def store_list(_k: int, h: dict[str, str] = owner) -> Send:
            return lambda: client.get("/stores", headers=h)

        def dashboard(k: int, sid: str = site.store_id, h: dict[str, str] = owner) -> Send:
            period = ("day", "week", "month")[k % 3]
            return lambda: client.get(f"/dashboard/{sid}", params={"period": period}, headers=h)

        every(5.0, "GET /live/{store}", live)
        every(30.0, "GET /stores", store_list)
        every(30.0, "GET /dashboard/{store}", dashboard)

    while pending:
        await asyncio.gather(*list(pending))
    return stage


# Per store and second, what the schedule in `run_stage` sends (2 cameras by default).
def rates_per_store(n_cameras: int) -> dict[str, float]:
    return {
        "POST /events": n_cameras / 2.0,
        "POST /cameras/{id}/heartbeat": n_cameras / 30.0,
        "GET /cameras/{id}/config": n_cameras / 30.0,
        "GET /live/{store}": 1 / 5.0,
        "GET /stores": 1 / 30.0,
        "GET /dashboard/{store}": 1 / 30.0,
    }


async def cpu_probe(
    client: httpx.AsyncClient, sites: list[Site], url: str, server_pid: int, rounds: int
) -> dict[str, float]:
    """Server + PostgreSQL CPU ms per request of each endpoint, one request at a time
    (closed loop, so the figure does not depend on the neighbours' share of the box).

    `GET /live/{store} (first today)` is a store's first poll of the day: it summarises
    every complete hour so far once; later polls read the current hour only."""
    site_list = sites[: max(1, min(len(sites), 20))]

    def live(site: Site) -> Send:
        h = {"Authorization": f"Bearer {site.owner_token}"}
        return lambda: client.get(f"/live/{site.store_id}", headers=h)

    def requests(site: Site, k: int) -> dict[str, Send]:
        owner = {"Authorization": f"Bearer {site.owner_token}"}
        camera_id, key = site.cameras[k % len(site.cameras)]
        worker = {"X-Worker-Key": key, "Content-Type": "application/json"}
        body = crossings(camera_id, 1 + k % 4)
        period = ("day", "week", "month")[k % 3]
        sid = site.store_id
        return {
            "POST /events": lambda: client.post("/events", content=body, headers=worker),
            "POST /cameras/{id}/heartbeat": lambda: client.post(
                f"/cameras/{camera_id}/heartbeat", content=HEARTBEAT, headers=worker
            ),
            "GET /cameras/{id}/config": lambda: client.get(
                f"/cameras/{camera_id}/config", headers=worker
            ),
            "GET /live/{store}": live(site),
            "GET /stores": lambda: client.get("/stores", headers=owner),
            "GET /dashboard/{store}": lambda: client.get(
                f"/dashboard/{sid}", params={"period": period}, headers=owner
            ),
        }

    async def measure(sends: list[Send]) -> float:
        before = await server_side_cpu(url, server_pid)
        for send in sends:
            r = await send()
            if r.status_code >= 400:
                raise RuntimeError(f"probe request failed: {r.status_code} {r.text[:120]}")
        return (await server_side_cpu(url, server_pid) - before) * 1000 / len(sends)

    out = {"GET /live/{store} (first today)": await measure([live(s) for s in site_list])}
    for name in requests(site_list[0], 0):
        sends = [requests(site_list[k % len(site_list)], k)[name] for k in range(rounds)]
        await measure(sends[:5])  # warm: connections, caches
        out[name] = await measure(sends)
    return {k: round(v, 2) for k, v in out.items()}


def stores_per_busy_core(cpu_ms: dict[str, float], n_cameras: int) -> int | None:
    """Stores whose schedule keeps one core 100 % busy, server and PostgreSQL together."""
    per_store_ms = sum(rate * cpu_ms[name] for name, rate in rates_per_store(n_cameras).items())
    return round(1000 / per_store_ms) if per_store_ms > 0 else None


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short stages (about 2 minutes)")
    parser.add_argument("--stores", default=None, help="comma-separated stage sizes")
    parser.add_argument("--stage-s", type=float, default=None, help="measured seconds per stage")
    parser.add_argument("--cameras", type=int, default=2, help="cameras per store")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--p95-ms", type=float, default=100.0)
    parser.add_argument(
        "--probe-rounds", type=int, default=None, help="requests per endpoint in the CPU probe"
    )
    parser.add_argument(
        "--probe-only", action="store_true", help="only the CPU probe, no load stages"
    )
    parser.add_argument(
        "--zones",
        default=",".join(ZONES),
        help="stores' time zones in turn (a zone late in its day makes /live's day long)",
    )
    parser.add_argument(
        "--server-src",
        default=None,
        help="run the server from this source tree (PYTHONPATH), e.g. an older commit for A/B",
    )
    args = parser.parse_args()
    sizes = [
        int(s)
        for s in (args.stores or ("2,5,10,20" if args.quick else "2,5,10,20,40,80,160,320")).split(
            ","
        )
    ]
    stage_s = args.stage_s or (30.0 if args.quick else 60.0)  # ≥ 30: every request kind fires
    url = make_url(PG_URL).set(database=DB_NAME).render_as_string(hide_password=False)
    settings = Settings(environment="test", database_url=url, secret_key="load-" + uuid.uuid4().hex)
    zones = tuple(args.zones.split(","))
    sites = await provision(settings, max(sizes), args.cameras, zones)
    port = free_port()
    server = start_server(settings, port, args.workers, args.server_src)
    base = f"http://127.0.0.1:{port}"
    results: list[dict[str, object]] = []
    best: dict[str, object] | None = None
    total_errors = 0
    cpu_ms: dict[str, float] = {}
    try:
        await wait_ready(base)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            rounds = args.probe_rounds or (40 if args.quick else 150)
            cpu_ms = await cpu_probe(client, sites, settings.database_url, server.pid, rounds)
            print(json.dumps({"server_and_db_cpu_ms_per_request_by_endpoint": cpu_ms}))
            for n in [] if args.probe_only else sizes:
                cpu_before = await server_side_cpu(settings.database_url, server.pid)
                stage = await run_stage(client, sites[:n], stage_s)
                cpu_s = await server_side_cpu(settings.database_url, server.pid) - cpu_before
                # What one store costs the server and PostgreSQL, whatever else the box
                # runs: how many stores one dedicated core would carry at 100 % busy.
                store_cpu_share = cpu_s / ((stage_s + WARMUP_S) * n)
                p95 = stage.p95_by_endpoint()
                passed = stage.errors == 0 and all(v < args.p95_ms for v in p95.values())
                total_errors += stage.errors
                row: dict[str, object] = {
                    "stores": n,
                    "requests_per_s": round(stage.requests() / stage_s, 1),
                    "p95_ms_by_endpoint": p95,
                    "errors": stage.errors,
                    "passed": passed,
                    "server_and_db_cpu_ms_per_request": round(cpu_s * 1000 / max(1, stage.sent), 2),
                    "stores_per_busy_core": round(1 / store_cpu_share) if store_cpu_share else None,
                }
                results.append(row)
                print(json.dumps(row))
                for sample in stage.error_samples:
                    print("  error:", sample)
                if not passed:
                    break
                best = row
    finally:
        server.terminate()
        server.wait(timeout=30)
        await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    load = os.getloadavg()[0]
    print(f"cpus={os.cpu_count()} load={load:.1f} workers={args.workers}")
    print(
        json.dumps(
            {
                "stores_max": best["stores"] if best else 0,
                "p95_ms_by_endpoint": best["p95_ms_by_endpoint"] if best else {},
                "errors": total_errors,
                "server_and_db_cpu_ms_per_request_by_endpoint": cpu_ms,
                "stores_per_busy_core_projected": stores_per_busy_core(cpu_ms, args.cameras),
                "stages": results,
                "server_workers": args.workers,
                "p95_limit_ms": args.p95_ms,
                "load_average_1m": round(load, 1),
                "server_src": args.server_src or ".",
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
