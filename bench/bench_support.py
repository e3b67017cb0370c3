"""What the benches share: the PostgreSQL server they make their databases on, a free
port, and waiting for a backend they started to answer."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import httpx
from sqlalchemy import text

from metrica.server.db import create_engine

PG_URL = os.environ.get(
    "METRICA_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def admin_sql(sql: str, url: str = PG_URL) -> None:
    """Run one statement outside a transaction (CREATE / DROP DATABASE) on `url`."""
    engine = create_engine(url)
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(sql))
    await engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_ready(base: str, timeout_s: float = 60) -> None:
    """Until `base`/health/ready answers 200, or `timeout_s` passed."""
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
