"""Sign-in timing: does a code request tell known from unknown emails, and does /health
stay fast while a client loops failed sign-ins?

    uv run python bench/auth_timing.py [--samples 300]

Starts `metrica serve` (uvicorn, SQLite in a temporary folder, rate limits raised out of
the way) with one known user, then measures over real HTTP:

- POST /auth/code/request for the known and an unknown email, interleaved, paced 20 ms
  apart so that one request's background mail job is not the next one's queue;
- GET /health alone, then while one client loops wrong passwords.

Prints medians and p90s; the last stdout line is one JSON object. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_support import free_port

from metrica.server.auth import service as auth
from metrica.server.auth.passwords import Passwords
from metrica.server.db import create_engine, session_factory
from metrica.server.migrate import upgrade

KNOWN, UNKNOWN = "known@example.com", "nobody@example.com"
OPEN = "1000000/minute"


async def seed(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    async with session_factory(engine)() as session:
        await auth.create_user(
            session=session, email=KNOWN, password="violet harbour lamp", hasher=Passwords()
        )
        await session.commit()
    await engine.dispose()


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "METRICA_ENVIRONMENT": "test",
        "METRICA_LOG_LEVEL": "WARNING",
        "METRICA_SECRET_KEY": "bench-" + os.urandom(8).hex(),
    }
    for action in ("SIGN_IN", "CODE_REQUEST", "CODE_VERIFY"):
        for scope in ("ACCOUNT", "ADDRESS"):
            env[f"METRICA_RATE_LIMIT_{action}_PER_{scope}"] = OPEN
    argv = [sys.executable, "-m", "metrica.cli", "serve", "--port", str(port), "--db-url", url]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)


async def wait_ready(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if (await client.get("/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.25)
    raise RuntimeError("the backend did not come up")


async def timed(client: httpx.AsyncClient, method: str, path: str, **kw: object) -> float:
    start = time.perf_counter()
    response = await client.request(method, path, **kw)  # type: ignore[arg-type]
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code < 500, response.text
    return elapsed


def summary(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p90_ms": round(ms[int(len(ms) * 0.9)], 2),
        "n": len(ms),
    }


async def code_requests(client: httpx.AsyncClient, samples: int) -> dict[str, dict[str, float]]:
    times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
    for i in range(samples * 2):
        email = (KNOWN, UNKNOWN)[i % 2]
        times[email].append(
            await timed(client, "POST", "/auth/code/request", json={"email": email})
        )
        await asyncio.sleep(0.02)
    return {"known": summary(times[KNOWN]), "unknown": summary(times[UNKNOWN])}


async def health_under_login_load(base: str, samples: int) -> dict[str, dict[str, float]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as probe:
        idle = [await timed(probe, "GET", "/health") for _ in range(samples)]
        stop = asyncio.Event()

        async def attacker() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=60) as c:
                while not stop.is_set():
                    await c.post("/auth/login", json={"email": KNOWN, "password": "wrong"})

        load = asyncio.create_task(attacker())
        await asyncio.sleep(0.5)
        busy = []
        for _ in range(samples):
            busy.append(await timed(probe, "GET", "/health"))
            await asyncio.sleep(0.01)
        stop.set()
        await load
    return {"idle": summary(idle), "one_client_failing_logins": summary(busy)}


async def main(samples: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await seed(url)
        port = free_port()
        server = start_server(url, port)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                await wait_ready(client)
                codes = await code_requests(client, samples)
            health = await health_under_login_load(base, max(50, samples // 3))
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"bench": "auth_timing", "code_request": codes, "health": health}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    result = asyncio.run(main(parser.parse_args().samples))
    codes = result["code_request"]
    assert isinstance(codes, dict)
    print(f"code request, known email:   {codes['known']}")
    print(f"code request, unknown email: {codes['unknown']}")
    print(f"/health: {result['health']}")
    print(json.dumps(result))
