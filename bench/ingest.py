"""Ingest throughput: a real uvicorn server on PostgreSQL, simulated cameras posting batches.

    uv run python bench/ingest.py [--quick] [--cameras 8] [--batch 500] [--workers 2]

Creates (and drops) a dedicated database `metrica_bench_ingest`, provisions one store with
N counting cameras, starts `uvicorn` on 127.0.0.1, and lets every camera post batches of
fresh events back to back. Prints sustained events/s and batch latency p50/p99; the last
stdout line is one JSON object. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.events.models import EventRow
from metrica.server.migrate import upgrade
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate

PG_URL = os.environ.get(
    "METRICA_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = "metrica_bench_ingest"


async def admin_sql(sql: str) -> None:
    engine = create_engine(PG_URL)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(sql))
    await engine.dispose()


async def provision(url: str, n_cameras: int) -> list[tuple[str, str]]:
    """Fresh database with one store and `n_cameras` cameras; returns (camera_id, key)."""
    await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    await admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    engine = create_engine(url)
    await upgrade(engine)
    result = []
    async with session_factory(engine)() as session:
        store = await stores.create(
            session=session, data=StoreCreate(name="Bench", timezone="Europe/Berlin")
        )
        for i in range(n_cameras):
            camera = Camera(store_id=store.id, name=f"cam{i}", is_counting_line=True)
            session.add(camera)
            await session.flush()
            spec = LineSpec(line_id="door", x1=0.1, y1=0.5, x2=0.9, y2=0.5)
            await cameras.replace_lines(session=session, camera=camera, specs=[spec])
            result.append((str(camera.id), await cameras.issue_key(session=session, camera=camera)))
        await session.commit()
    await engine.dispose()
    return result


def batch_body(camera_id: str, size: int, track: int) -> bytes:
    """A JSON batch of `size` fresh crossings spread over the last hour (some late)."""
    now = datetime.now(UTC)
    parts = []
    for i in range(size):
        at = (now - timedelta(seconds=(track + i * 7) % 3600)).isoformat()
        direction = "in" if i % 2 == 0 else "out"
        parts.append(
            f'{{"event_id":"{uuid.uuid4()}","camera_id":"{camera_id}","line_id":"door",'
            f'"direction":"{direction}","occurred_at":"{at}","track_id":{track + i}}}'
        )
    return ('{"events":[' + ",".join(parts) + "]}").encode()


async def camera_loop(
    client: httpx.AsyncClient,
    camera_id: str,
    key: str,
    size: int,
    start_at: float,
    stop_at: float,
    latencies: list[float],
    counts: list[int],
) -> None:
    headers = {"X-Worker-Key": key, "Content-Type": "application/json"}
    track = 0
    while time.perf_counter() < stop_at:
        body = batch_body(camera_id, size, track)
        track += size
        t0 = time.perf_counter()
        r = await client.post("/events", content=body, headers=headers)
        t1 = time.perf_counter()
        if r.status_code != 200:
            raise RuntimeError(f"ingest failed: {r.status_code} {r.text[:300]}")
        if t0 >= start_at:
            latencies.append((t1 - t0) * 1000)
            counts.append(r.json()["accepted"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_ready(base: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not become ready")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="about one minute in all")
    parser.add_argument("--seconds", type=float, default=None, help="measured duration")
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    seconds = args.seconds or (40.0 if args.quick else 120.0)
    warmup_s = 5.0
    url = make_url(PG_URL).set(database=DB_NAME).render_as_string(hide_password=False)
    keys = await provision(url, args.cameras)
    port = free_port()
    env = os.environ | {
        "METRICA_DATABASE_URL": url,
        "METRICA_ENVIRONMENT": "test",
        "METRICA_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "METRICA_DB_POOL_SIZE": "8",
        "METRICA_WORKER_KEY_CACHE_S": "30",
    }
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
        [
            sys.executable,
            "-m",
            "uvicorn",
            "metrica.server.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(base)
        latencies: list[float] = []
        counts: list[int] = []
        limits = httpx.Limits(max_connections=args.cameras + 2)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            t_start = time.perf_counter()
            start_at, stop_at = t_start + warmup_s, t_start + warmup_s + seconds
            await asyncio.gather(
                *(
                    camera_loop(client, cid, key, args.batch, start_at, stop_at, latencies, counts)
                    for cid, key in keys
                )
            )
            elapsed = time.perf_counter() - start_at
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(func.count()).select_from(EventRow))
    await engine.dispose()
    await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    latencies.sort()
    events_per_s = sum(counts) / elapsed
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"cameras={args.cameras} batch={args.batch} workers={args.workers} cpus={os.cpu_count()}")
    print(f"measured {elapsed:.1f}s: {sum(counts)} events in {len(latencies)} batches")
    print(f"events stored in total (incl. warm-up): {stored}")
    print(
        f"sustained {events_per_s:,.0f} events/s; batch latency p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(
        json.dumps(
            {
                "events_per_s": round(events_per_s, 1),
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                "batches": len(latencies),
                "batch_size": args.batch,
                "cameras": args.cameras,
                "workers": args.workers,
                "seconds": round(elapsed, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
