"""Plate search latency over a million plate reads on PostgreSQL (pg_trgm pre-filter).

    uv run python bench/plates_search.py [--quick] [--rows 1000000] [--queries 300]

Creates (and drops) a database `metrica_bench_plates`, migrates it, bulk-loads synthetic
plate reads with COPY (US-, EU- and UK-like formats, 90 % in the searched store, 10 % in
another), then times `plates.search.search` (the route's service: count plus the first
page) for exact queries (half of them plates that exist) and fuzzy queries (existing
plates with one or two OCR-like edits). The target is p95 < 100 ms at 1 M rows. Timings
depend on the machine and its load; the last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import string
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench_support import PG_URL, admin_sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from metrica.domain.plate_text import fold_plate
from metrica.server.db import create_engine, session_factory
from metrica.server.migrate import upgrade
from metrica.server.plates.search import PlateQuery, search

DB_NAME = "metrica_bench_plates"
LETTERS, DIGITS = string.ascii_uppercase, string.digits
CONFUSIONS = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "2": "Z"}


def synthetic_plate(rng: random.Random) -> str:
    pick = rng.random()

    def L(n: int) -> str:
        return "".join(rng.choices(LETTERS, k=n))

    def D(n: int) -> str:
        return "".join(rng.choices(DIGITS, k=n))

    if pick < 0.4:
        return L(3) + D(4)  # US-like
    if pick < 0.7:
        return L(2) + D(3) + L(2)  # EU-like
    if pick < 0.9:
        return L(2) + D(2) + L(3)  # UK-like
    return D(1) + L(3) + D(3)


def misread(plate: str, rng: random.Random) -> str:
    """One or two OCR-like errors: a confusion, a substitution or a dropped character."""
    chars = list(plate)
    for _ in range(rng.choice((1, 2))):
        i = rng.randrange(len(chars))
        kind = rng.random()
        if kind < 0.5 and chars[i] in CONFUSIONS:
            chars[i] = CONFUSIONS[chars[i]]
        elif kind < 0.85:
            chars[i] = rng.choice(LETTERS + DIGITS)
        elif len(chars) > 5:
            del chars[i]
    return "".join(chars)


async def load(url: str, rows: int, rng: random.Random) -> tuple[uuid.UUID, list[str]]:
    engine = create_engine(url)
    await upgrade(engine)
    store, other = uuid.uuid4(), uuid.uuid4()
    async with engine.begin() as conn:
        for sid, name in ((store, "Car park"), (other, "Other")):
            await conn.execute(
                text(
                    "INSERT INTO stores (id, name, timezone, opening_hours, created_at, "
                    "anpr_enabled, anpr_retention_days) VALUES (:id, :n, 'UTC', '{}', now(), "
                    "true, 30)"
                ),
                {"id": sid, "n": name},
            )
    plates = [synthetic_plate(rng) for _ in range(rows)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records = [
        (
            uuid.uuid4(),
            store if i % 10 else other,
            start + timedelta(seconds=i * 2.5),
            p,
            p,
            fold_plate(p),
            0.9,
            "car",
            0.0,
            0.0,
            start,
        )
        for i, p in enumerate(plates)
    ]
    columns = [
        "id", "store_id", "occurred_at", "text", "normalized", "folded", "confidence",
        "vehicle_class", "first_seen_s", "last_seen_s", "created_at",
    ]  # fmt: skip
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        for i in range(0, rows, 100_000):
            await driver.copy_records_to_table(
                "plate_reads", records=records[i : i + 100_000], columns=columns
            )
        await conn.commit()
        await conn.execute(text("ANALYZE plate_reads"))
        await conn.commit()
    await engine.dispose()
    return store, [p for i, p in enumerate(plates) if i % 10]


async def measure(
    url: str, store: uuid.UUID, plates: list[str], queries: int, rng: random.Random
) -> dict[str, float]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    exact_ms: list[float] = []
    fuzzy_ms: list[float] = []
    async with sessions() as session:  # warm the connection and caches
        await search(session=session, query=PlateQuery(store, "ABC1234"), limit=50, offset=0)
    for i in range(queries):
        existing = rng.choice(plates)
        if i % 2 == 0:
            q = existing if i % 4 == 0 else synthetic_plate(rng)
            query = PlateQuery(store, q)
            bucket = exact_ms
        else:
            query = PlateQuery(store, misread(existing, rng), fuzzy=True)
            bucket = fuzzy_ms
        async with sessions() as session:
            t0 = time.perf_counter()
            await search(session=session, query=query, limit=50, offset=0)
            bucket.append((time.perf_counter() - t0) * 1000)
    await engine.dispose()
    both = exact_ms + fuzzy_ms

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]

    return {
        "p50_ms": round(statistics.median(both), 2),
        "p95_ms": round(p95(both), 2),
        "exact_p95_ms": round(p95(exact_ms), 2),
        "fuzzy_p95_ms": round(p95(fuzzy_ms), 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows, 100 queries")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN)")
    args = parser.parse_args()
    rows, queries = (100_000, 100) if args.quick else (args.rows, args.queries)
    rng = random.Random(11)
    await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    await admin_sql(f'CREATE DATABASE "{DB_NAME}"')
    url = make_url(PG_URL).set(database=DB_NAME).render_as_string(hide_password=False)
    try:
        t0 = time.perf_counter()
        store, plates = await load(url, rows, rng)
        print(f"loaded {rows} plate reads in {time.perf_counter() - t0:.1f} s")
        figures = await measure(url, store, plates, queries, rng)
        print(
            f"search over {rows} reads: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms "
            f"(exact p95 {figures['exact_p95_ms']} ms, fuzzy p95 {figures['fuzzy_p95_ms']} ms)"
        )
    finally:
        if not args.keep:
            await admin_sql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    print(json.dumps({"rows": rows, **figures}))


if __name__ == "__main__":
    asyncio.run(main())
