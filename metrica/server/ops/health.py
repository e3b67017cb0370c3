"""`GET /health/deep`: checks that find real faults, each timed and with its own limit.

Every check is a coroutine that returns a short detail or raises `CheckFailed` with one;
`run_checks` runs them concurrently, each with its own time limit. A detail never carries
an exception's message (a driver's message may hold a URL with its password): only what
the check itself says, or the exception's type name.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from sqlalchemy import select

from metrica.server.cameras.health import count_by_health
from metrica.server.db import dialect_insert, dialect_of, utcnow
from metrica.server.migrate import current_revision, head_revision
from metrica.server.ops.models import OpsProbe
from metrica.server.state import AppState

PROBE_NAME = "health-deep"
DISK_PROBE_FILE = ".metrica-health-probe"

Check = Callable[[], Awaitable[str]]


class CheckFailed(Exception):
    """A check that ran and found a fault; its message is the detail (no secrets)."""


@runtime_checkable
class BlobStore(Protocol):
    """What the blob check needs of the app's blob store (`state.blobs`, when it has one)."""

    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    ms: float
    detail: str


async def run_checks(checks: Mapping[str, Check], *, timeout_s: float) -> dict[str, CheckResult]:
    """Every check at once, each limited to `timeout_s`; results by name, in `checks`' order.

    A check past its limit is cancelled but not waited for: a call stuck below asyncio (a
    SQLite lock in its thread) may take a while to unwind, and the answer must not."""

    async def timed(check: Check) -> CheckResult:
        started = time.perf_counter()
        task = asyncio.ensure_future(check())
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
        ms = round((time.perf_counter() - started) * 1000, 2)
        if not done:
            task.cancel()
            task.add_done_callback(_forget)
            return CheckResult(False, ms, f"timed out after {timeout_s:g} s")
        exc = task.exception()
        if exc is None:
            return CheckResult(True, ms, task.result())
        if isinstance(exc, CheckFailed):
            return CheckResult(False, ms, str(exc))
        return CheckResult(False, ms, f"failed: {type(exc).__name__}")

    results = await asyncio.gather(*(timed(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))


def _forget(task: asyncio.Future[str]) -> None:
    """Retrieve a timed-out check's outcome, so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


def deep_checks(state: AppState) -> dict[str, Check]:
    """The checks that apply to this server: Redis only when configured, blobs only when
    the app has a blob store."""
    checks: dict[str, Check] = {
        "database": lambda: database_round_trip(state),
        "migrations": lambda: migrations_current(state),
        "disk": lambda: disk_free(
            state.settings.var_dir, min_free_percent=state.settings.health_disk_min_free_percent
        ),
        "cameras": lambda: camera_freshness(state),
    }
    redis_url = state.settings.redis_url or state.settings.rate_limit_redis_url
    if redis_url is not None:
        url = redis_url.get_secret_value()
        checks["redis"] = lambda: redis_ping(url, timeout_s=state.settings.health_check_timeout_s)
    blobs = getattr(state, "blobs", None)
    if blobs is not None:
        checks["blobs"] = lambda: blob_round_trip(blobs)
    return checks


async def database_round_trip(state: AppState) -> str:
    """Write a fresh nonce to the probe row, commit, and read it back in another session."""
    nonce = uuid.uuid4().hex
    async with state.sessions() as session:
        insert = dialect_insert(dialect_of(session))
        values = {"name": PROBE_NAME, "nonce": nonce, "written_at": utcnow()}
        await session.execute(
            insert(OpsProbe)
            .values(**values)
            .on_conflict_do_update(index_elements=["name"], set_=values)
        )
        await session.commit()
    async with state.sessions() as session:
        read = await session.scalar(select(OpsProbe.nonce).where(OpsProbe.name == PROBE_NAME))
    if read != nonce:
        raise CheckFailed("the row written was not read back")
    return "write and read back"


async def migrations_current(state: AppState) -> str:
    current, head = await current_revision(state.engine), head_revision()
    if current != head:
        raise CheckFailed(f"at {current or 'none'}, head is {head}")
    return f"at head {head}"


async def disk_free(directory: Path, *, min_free_percent: float) -> str:
    """Enough free space under `directory`, and a small file can be written there."""

    def probe() -> str:
        if not directory.is_dir():
            raise CheckFailed("the data directory does not exist")
        usage = shutil.disk_usage(directory)
        free_percent = 100.0 * usage.free / usage.total if usage.total else 0.0
        detail = f"{free_percent:.1f}% free ({usage.free // 2**20} MiB)"
        if free_percent < min_free_percent:
            raise CheckFailed(f"{detail}, below {min_free_percent:g}%")
        path = directory / f"{DISK_PROBE_FILE}-{uuid.uuid4().hex}"
        try:
            with path.open("wb") as file:
                file.write(b"ok")
                file.flush()
                os.fsync(file.fileno())
            path.unlink()
        except OSError as exc:
            raise CheckFailed(f"{detail}, not writable ({type(exc).__name__})") from None
        return detail

    return await asyncio.to_thread(probe)


async def camera_freshness(state: AppState) -> str:
    """A summary, never a failure: a camera down is an alert of its own, not a sick server."""
    async with state.sessions() as session:
        counts = await count_by_health(
            session=session,
            now=state.clock(),
            live_after_s=state.settings.live_after_s,
            stale_after_s=state.settings.stale_after_s,
        )
    return ", ".join(f"{name} {n}" for name, n in counts.items())


async def redis_ping(url: str, *, timeout_s: float) -> str:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        if not await client.ping():
            raise CheckFailed("no PONG")
    finally:
        await client.aclose()
    return "PONG"


async def blob_round_trip(blobs: object) -> str:
    """Put a small blob, get it back unchanged, delete it."""
    if not isinstance(blobs, BlobStore):
        raise CheckFailed("the blob store lacks put/get/delete")
    key = f"health/{uuid.uuid4().hex}"
    data = uuid.uuid4().bytes
    await blobs.put(key, data)
    try:
        if await blobs.get(key) != data:
            raise CheckFailed("the blob read back differs")
    finally:
        await blobs.delete(key)
    return "put, get, delete"
