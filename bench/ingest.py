"""Ingest throughput: a real uvicorn server on PostgreSQL, edge workers posting batches.

    uv run python bench/ingest.py [--quick] [--stores 4] [--cameras 8] [--batch 500]
                                  [--workers 3] [--ids live|random]
                                  [--postgres machine|tuned] [--client raw|httpx]

Creates (and drops) a dedicated database `metrica_bench_ingest`, provisions stores with
counting cameras (one worker key each), starts `uvicorn` with `--workers` processes on
127.0.0.1, and lets every camera post batches of fresh events back to back (a backlog
being drained: the most the server stores per second). Prints events/s stored, request
latency p50/p99, errors, the CPU each side spent per 1000 events (server, this client,
the PostgreSQL backends), and checks that the rows stored equal the events accepted. The
last stdout line is one JSON object. Not a pass/fail test; the client runs on the same
box, so it makes its batches from templates at next to no CPU and posts them with a
bare keep-alive HTTP/1.1 client (`bench/raw_poster.py`; `--client httpx` for the one
before, which cost ~1.8 ms of this box's CPU a request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import psutil  # type: ignore[import-untyped]
from bench_support import PG_URL, admin_sql, free_port, wait_ready
from own_postgres import own_postgres
from raw_poster import RawPoster
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from metrica.edge.event_ids import time_ordered_id
from metrica.server.cameras import service as cameras
from metrica.server.cameras.models import Camera
from metrica.server.cameras.schemas import LineSpec
from metrica.server.db import create_engine, session_factory
from metrica.server.events.models import EventRow
from metrica.server.migrate import upgrade
from metrica.server.stores import service as stores
from metrica.server.stores.schemas import StoreCreate

DB_NAME = "metrica_bench_ingest"


async def provision(
    admin_url: str, url: str, n_stores: int, n_cameras: int
) -> list[tuple[str, str]]:
    """Fresh database with `n_cameras` cameras spread over `n_stores` stores (each with its
    own timezone); returns (camera_id, worker key) per camera."""
    await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', admin_url)
    await admin_sql(f'CREATE DATABASE "{DB_NAME}"', admin_url)
    engine = create_engine(url)
    await upgrade(engine)
    zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
    result = []
    async with session_factory(engine)() as session:
        shops = [
            await stores.create(
                session=session, data=StoreCreate(name=f"Bench {i}", timezone=zones[i % 4])
            )
            for i in range(n_stores)
        ]
        for i in range(n_cameras):
            camera = Camera(store_id=shops[i % n_stores].id, name=f"cam{i}", is_counting_line=True)
            session.add(camera)
            await session.flush()
            spec = LineSpec(line_id="door", x1=0.1, y1=0.5, x2=0.9, y2=0.5)
            await cameras.replace_lines(session=session, camera=camera, specs=[spec])
            result.append((str(camera.id), await cameras.issue_key(session=session, camera=camera)))
        await session.commit()
    await engine.dispose()
    return result


class BatchTemplates:
    """Batches of fresh events at next to no client CPU (the client shares the box with the
    server and PostgreSQL, so it must not make them with per-event Python).

    A template is a batch body cut where each event id's last 12 hex digits go: heads as
    the edge makes them (`live`: UUIDv7 at the event's time, as a live camera sends;
    `random`: uuid4, as a replayed file's uuid5 ids land all over the index), a per-batch
    tail (camera number + batch number) that makes every id new. Times spread over the
    hour before the run, both directions, one track id per event.
    """

    def __init__(
        self, camera_index: int, camera_id: str, size: int, ids: str, n_templates: int = 8
    ) -> None:
        self.camera_index = camera_index
        self.sent = 0
        now = datetime.now(UTC)
        self.templates: list[list[bytes]] = []
        for t in range(n_templates):
            parts, head = [], '{"events":['
            for i in range(size):
                instant = now - timedelta(seconds=1 + (t * 977 + i * 7) % 3600)
                at = instant.isoformat()
                direction = "in" if i % 2 == 0 else "out"
                event_id = time_ordered_id(instant) if ids == "live" else uuid.uuid4()
                parts.append(f'{head}{{"event_id":"{str(event_id)[:24]}'.encode())
                head = (
                    f'","camera_id":"{camera_id}","line_id":"door","direction":"{direction}",'
                    f'"occurred_at":"{at}","track_id":{t * size + i}}}'
                )
                head = head + ("," if i < size - 1 else "]}")
            parts.append(head.encode())
            self.templates.append(parts)

    def next_body(self) -> bytes:
        tail = f"{self.camera_index:04x}{self.sent:08x}".encode()
        parts = self.templates[self.sent % len(self.templates)]
        self.sent += 1
        return tail.join(parts)


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    accepted: int = 0  # in the measured window
    accepted_all: int = 0  # warm-up included, to check against the rows stored
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)


Post = Callable[[bytes], Awaitable[tuple[int, bytes]]]


def httpx_post(client: httpx.AsyncClient, key: str) -> Post:
    """The batch posted with httpx (`--client httpx`: the client before `raw`)."""
    headers = {"X-Worker-Key": key, "Content-Type": "application/json"}

    async def post(body: bytes) -> tuple[int, bytes]:
        try:
            r = await client.post("/events", content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise OSError(repr(exc)) from None
        return r.status_code, r.content

    return post


async def camera_loop(
    post: Post,
    batches: BatchTemplates,
    start_at: float,
    stop_at: float,
    tally: Tally,
) -> None:
    """One edge worker with a backlog: posts its next batch as soon as the last is answered."""
    while time.perf_counter() < stop_at:
        body = batches.next_body()
        t0 = time.perf_counter()
        try:
            status, answer = await post(body)
            ok, accepted, why = status == 200, 0, f"{status} {answer[:200]!r}"
            if ok:
                accepted = json.loads(answer)["accepted"]
        except (OSError, TimeoutError, ValueError) as exc:
            ok, accepted, why = False, 0, repr(exc)
        t1 = time.perf_counter()
        tally.accepted_all += accepted
        if t0 < start_at:
            continue
        tally.requests += 1
        tally.latencies_ms.append((t1 - t0) * 1000)
        tally.accepted += accepted
        if not ok:
            tally.errors += 1
            if len(tally.error_samples) < 3:
                tally.error_samples.append(why)


def cpu_seconds(pids: list[int], *, children: bool = True) -> float:
    """User + system CPU seconds of these processes (and their children) so far."""
    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *(proc.children(recursive=True) if children else [])]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


async def backend_pids(url: str) -> list[int]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
            {"d": DB_NAME},
        )
        pids = [r[0] for r in rows]
    await engine.dispose()
    return pids


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "METRICA_DATABASE_URL": url,
        "METRICA_ENVIRONMENT": "test",
        "METRICA_SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "METRICA_DB_POOL_SIZE": "8",
        "METRICA_WORKER_KEY_CACHE_S": "30",
    }
    command = [
        *(sys.executable, "-m", "uvicorn", "metrica.server.app:create_app", "--factory"),
        *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        *("--log-level", "warning", "--no-access-log", "--loop", "uvloop", "--http", "httptools"),
    ]
    return subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="about one minute in all")
    parser.add_argument("--seconds", type=float, default=None, help="measured duration")
    parser.add_argument("--stores", type=int, default=4)
    parser.add_argument("--cameras", type=int, default=8, help="edge workers posting at once")
    parser.add_argument("--batch", type=int, default=500, help="events per request")
    parser.add_argument("--workers", type=int, default=3, help="uvicorn worker processes")
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="how batches are posted: keep-alive HTTP/1.1 on asyncio streams "
        "(bench/raw_poster.py, ~0.3 ms CPU a request) or httpx (~1.8 ms, the client before); "
        "either shares the box with the server",
    )
    parser.add_argument(
        "--ids",
        choices=["live", "random"],
        default="live",
        help="event ids as a live camera makes them (UUIDv7) or random (a replayed file's)",
    )
    parser.add_argument(
        "--postgres",
        choices=["machine", "tuned"],
        default="machine",
        help="the machine's server (METRICA_BENCH_PG_URL, package defaults) or one of the "
        "bench's own with the settings for a write-heavy box (bench/own_postgres.py)",
    )
    return parser.parse_args()


async def main(args: argparse.Namespace, admin_url: str) -> int:
    seconds = args.seconds or (30.0 if args.quick else 120.0)
    warmup_s = 5.0
    url = make_url(admin_url).set(database=DB_NAME).render_as_string(hide_password=False)
    keys = await provision(admin_url, url, args.stores, args.cameras)
    port = free_port()
    server = start_server(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    tally = Tally()
    cpu: dict[str, float] = {}
    try:
        await wait_ready(base)
        batches = [BatchTemplates(i, cid, args.batch, args.ids) for i, (cid, _) in enumerate(keys)]
        limits = httpx.Limits(max_connections=args.cameras + 2)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            if args.client == "raw":
                json_type = {"Content-Type": "application/json"}
                posters = [
                    RawPoster("127.0.0.1", port, "/events", {"X-Worker-Key": key} | json_type)
                    for _, key in keys
                ]
                posts: list[Post] = [p.post for p in posters]
            else:
                posts = [httpx_post(client, key) for _, key in keys]
            t_start = time.perf_counter()
            start_at, stop_at = t_start + warmup_s, t_start + warmup_s + seconds

            async def cpu_at_start() -> dict[str, float]:
                await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
                pg = await backend_pids(url)
                return {
                    "server": cpu_seconds([server.pid]),
                    "client": cpu_seconds([os.getpid()], children=False),
                    "postgres": cpu_seconds(pg),
                }

            loops = [
                camera_loop(post, b, start_at, stop_at, tally)
                for post, b in zip(posts, batches, strict=True)
            ]
            cpu_task = asyncio.create_task(cpu_at_start())
            await asyncio.gather(*loops)
            before = await cpu_task
            elapsed = time.perf_counter() - start_at
            pg = await backend_pids(url)
            after = {
                "server": cpu_seconds([server.pid]),
                "client": cpu_seconds([os.getpid()], children=False),
                "postgres": cpu_seconds(pg),
            }
            cpu = {k: after[k] - before[k] for k in after}
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(func.count()).select_from(EventRow))
    await engine.dispose()
    await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', admin_url)
    latencies = sorted(tally.latencies_ms)
    events_per_s = tally.accepted / elapsed
    p50, p99 = (
        statistics.median(latencies) if latencies else float("nan"),
        percentile(latencies, 0.99),
    )
    per_1000 = {k: round(v * 1000 / max(1, tally.accepted) * 1000, 1) for k, v in cpu.items()}
    print(
        f"stores={args.stores} cameras={args.cameras} batch={args.batch} "
        f"workers={args.workers} client={args.client} ids={args.ids} cpus={os.cpu_count()} "
        f"load={os.getloadavg()[0]:.1f}"
    )
    print(f"measured {elapsed:.1f}s: {tally.accepted} events in {tally.requests} requests")
    print(f"rows stored {stored}, events accepted (warm-up included) {tally.accepted_all}")
    print(f"CPU ms per 1000 events stored: {per_1000}")
    for sample in tally.error_samples:
        print("error:", sample)
    print(f"sustained {events_per_s:,.0f} events/s; request p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(
        json.dumps(
            {
                "events_per_s": round(events_per_s, 1),
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                "requests": tally.requests,
                "errors": tally.errors + (0 if stored == tally.accepted_all else 1),
                "server_workers": args.workers,
                "client": args.client,
                "batch_size": args.batch,
                "ids": args.ids,
                "postgres": args.postgres,
                "cameras": args.cameras,
                "stores": args.stores,
                "seconds": round(elapsed, 1),
                "rows_verified": stored == tally.accepted_all,
                "cpu_ms_per_1000_events": per_1000,
            }
        )
    )
    return 0 if tally.errors == 0 and stored == tally.accepted_all else 1


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.postgres == "tuned":
        with own_postgres() as tuned_url:
            sys.exit(asyncio.run(main(arguments, tuned_url)))
    sys.exit(asyncio.run(main(arguments, PG_URL)))
