"""KPI query latency on a year of synthetic data: /dashboard (day, week, month) and /live.

    uv run python bench/kpi.py [--quick] [--stores 30] [--requests 200]

Creates (and drops) the database `metrica_bench_kpi`, provisions ~30 stores in several
timezones with one counting camera each, bulk-loads synthetic crossings with COPY (asyncpg),
builds the hourly rollup from them in SQL, starts a real uvicorn server and times the owner
endpoints. The last stdout line is one JSON object. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import numpy as np
from bench_support import PG_URL, admin_sql, free_port
from sqlalchemy.engine import make_url

from metrica.domain.kpis import local_midnight
from metrica.server.auth import service as auth
from metrica.server.auth.tokens import TokenSigner
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.migrate import upgrade
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate

DB_NAME = "metrica_bench_kpi"
SECRET = "bench-kpi-" + uuid.uuid4().hex
ZONES = [
    "Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata", "Asia/Tokyo",
    "Australia/Sydney", "America/Sao_Paulo", "Europe/Madrid", "Asia/Dubai", "America/Denver",
]  # fmt: skip
_ROLLUP = """
INSERT INTO hourly_counts (camera_id, line_id, bucket_start, store_id, in_count, out_count,
                           in_remaining_s, out_remaining_s)
SELECT e.camera_id, e.line_id, e.occurred_at - b.into_hour, e.store_id,
       count(*) FILTER (WHERE e.direction = 'in'), count(*) FILTER (WHERE e.direction = 'out'),
       coalesce(sum(3600 - extract(epoch FROM b.into_hour)) FILTER (WHERE e.direction = 'in'), 0),
       coalesce(sum(3600 - extract(epoch FROM b.into_hour)) FILTER (WHERE e.direction = 'out'), 0)
FROM events e
JOIN stores s ON s.id = e.store_id
CROSS JOIN LATERAL (
    SELECT (e.occurred_at AT TIME ZONE s.timezone)
           - date_trunc('hour', e.occurred_at AT TIME ZONE s.timezone) AS into_hour
) b
GROUP BY 1, 2, 3, 4
"""


async def provision(url: str, n_stores: int) -> tuple[list[tuple[uuid.UUID, uuid.UUID, str]], str]:
    """Fresh schema, stores with one camera each, and a superadmin; returns stores, token."""
    await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    await admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    engine = create_engine(url)
    await upgrade(engine)
    result = []
    from metrica.server.auth.passwords import Passwords

    async with session_factory(engine)() as session:
        admin = await auth.create_user(
            session=session, email="bench@metrica.local", role="superadmin",
            hasher=Passwords(),
        )  # fmt: skip
        for i in range(n_stores):
            tz = ZONES[i % len(ZONES)]
            store = await stores.create(
                session=session, data=StoreCreate(name=f"Store {i:02d}", timezone=tz)
            )
            camera = Camera(store_id=store.id, name="Entrance", is_counting_line=True)
            session.add(camera)
            await session.flush()
            spec = LineSpec(line_id="door", x1=0.1, y1=0.5, x2=0.9, y2=0.5)
            await cameras.replace_lines(session=session, camera=camera, specs=[spec])
            result.append((store.id, camera.id, tz))
        await session.commit()
        signer = TokenSigner(SECRET, issuer="metrica", audience="metrica", ttl_s=3600)
        token = signer.issue(
            subject=str(admin.id), email=admin.email, role=admin.role, version=admin.token_version
        )
    await engine.dispose()
    return result, token


def store_days(
    rng: np.random.Generator, tz: str, days: int, mean_visitors: float, now: datetime
) -> tuple[np.ndarray, np.ndarray]:
    """UTC epoch seconds and directions (True = in) of `days` days up to now."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    starts, counts = [], []
    for offset in range(days - 1, -1, -1):
        d: date = today - timedelta(days=offset)
        factor = (0.6 if d.weekday() == 6 else 1.3 if d.weekday() == 5 else 1.0) * (
            1.0 + 0.2 * np.sin(2 * np.pi * d.timetuple().tm_yday / 365)
        )
        starts.append(local_midnight(d, zone).timestamp())
        counts.append(rng.poisson(mean_visitors * factor))
    day_start = np.repeat(np.array(starts), counts)
    n = len(day_start)
    # Arrivals between 09:00 and 20:00 local, peaking around lunch and after work.
    hour = np.where(rng.random(n) < 0.45, rng.normal(12.5, 1.5, n), rng.normal(17.5, 1.8, n))
    arrive = day_start + np.clip(hour, 9.0, 19.9) * 3600
    leave = arrive + np.minimum(rng.exponential(18 * 60, n) + 120, 90 * 60)
    at = np.concatenate([arrive, leave])
    direction = np.concatenate([np.ones(n, bool), np.zeros(n, bool)])
    keep = at <= now.timestamp()
    return at[keep], direction[keep]


async def load(url: str, stores_: list[tuple[uuid.UUID, uuid.UUID, str]], days: int) -> int:
    """COPY synthetic crossings into `events` (indexes rebuilt after) and build the rollup."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    rng = np.random.default_rng(42)
    now = datetime.now(UTC)
    total = 0
    await conn.execute("ALTER TABLE events DROP CONSTRAINT pk_events")
    await conn.execute("DROP INDEX ix_events_store_occurred")
    for store_id, camera_id, tz in stores_:
        mean = random.Random(str(store_id)).uniform(350, 650)
        at, inward = store_days(rng, tz, days, mean, now)
        ids = rng.integers(0, 2**63, size=(len(at), 2), dtype=np.int64)
        when = [datetime.fromtimestamp(t, UTC) for t in at.tolist()]
        records = [
            (
                uuid.UUID(int=((int(a) << 64) | int(b)) & ((1 << 128) - 1)),
                "line_crossed", store_id, camera_id, w, w, "door",
                "in" if d else "out", '{"track_id": 0}',
            )
            for (a, b), w, d in zip(ids.tolist(), when, inward.tolist(), strict=True)
        ]  # fmt: skip
        await conn.copy_records_to_table(
            "events",
            records=records,
            columns=[
                "event_id", "type", "store_id", "camera_id", "occurred_at", "received_at",
                "line_id", "direction", "payload",
            ],
        )  # fmt: skip
        total += len(records)
        print(f"  loaded {total:,} events", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    await conn.execute("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (event_id)")
    await conn.execute("CREATE INDEX ix_events_store_occurred ON events (store_id, occurred_at)")
    await conn.execute(_ROLLUP)
    await conn.execute("UPDATE cameras SET last_event_at = now()")
    await conn.execute("ANALYZE")
    print(f"  indexes + rollup in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    await conn.close()
    return total


async def wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/health/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("server did not become ready")


async def measure(
    client: httpx.AsyncClient, paths: list[str], token: str, n: int
) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {token}"}
    for path in paths[:10]:  # warm-up
        (await client.get(path, headers=headers)).raise_for_status()
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        r = await client.get(paths[i % len(paths)], headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer days of history (~2M rows)")
    parser.add_argument("--stores", type=int, default=30)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    days = args.days or (75 if args.quick else 365)
    url = make_url(PG_URL).set(database=DB_NAME).render_as_string(hide_password=False)
    t0 = time.perf_counter()
    stores_, token = await provision(url, args.stores)
    events = await load(url, stores_, days)
    load_s = time.perf_counter() - t0
    port = free_port()
    env = os.environ | {
        "METRICA_DATABASE_URL": url,
        "METRICA_ENVIRONMENT": "test",
        "METRICA_SECRET_KEY": SECRET,
    }
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
        [
            sys.executable, "-m", "uvicorn", "metrica.server.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--no-access-log",
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results: dict[str, tuple[float, float]] = {}
    today = datetime.now(UTC).date()
    rng = random.Random(1)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await wait_ready(client)
            for period in ("day", "week", "month"):
                paths = [
                    f"/dashboard/{s}?period={period}&date="
                    f"{today - timedelta(days=rng.randrange(0, max(1, days - 40)))}"
                    for s, _, _ in stores_
                ]
                results[f"dashboard_{period}"] = await measure(client, paths, token, args.requests)
            paths = [f"/live/{s}" for s, _, _ in stores_]
            results["live"] = await measure(client, paths, token, args.requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
        await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    print(f"{events:,} events, {args.stores} stores, {days} days; loaded in {load_s:.0f}s")
    for name, (p50, p95) in results.items():
        print(f"{name:16s} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   ({args.requests} requests)")
    summary: dict[str, float | int] = {"events": events, "stores": args.stores, "days": days}
    for name, (p50, p95) in results.items():
        summary[f"{name}_p50_ms"] = round(p50, 2)
        summary[f"{name}_p95_ms"] = round(p95, 2)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
