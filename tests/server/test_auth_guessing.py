"""Guessing passwords and codes: rate limits per account and per client address (in
process and in a Redis that two app instances share), and hashing off the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from fastapi import FastAPI

from metrica.server.app import create_app
from metrica.server.auth import service
from metrica.server.auth.passwords import Passwords
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.factories import make_user
from tests.support.redis import REDIS_URL

STRONG = "violet harbour lamp"


@asynccontextmanager
async def client_at(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client that the app sees coming from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def login_from(app: FastAPI, address: str, email: str, password: str) -> httpx.Response:
    async with client_at(app, address) as c:
        return await c.post("/auth/login", json={"email": email, "password": password})


def retry_after(response: httpx.Response, *, at_most: int) -> int:
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= at_most
    return seconds


async def test_200_wrong_passwords_hit_the_account_limit(app: FastAPI, state: AppState) -> None:
    """From 200 addresses (no address limit applies): 10 × 401, then 429 with Retry-After
    for the account (10/minute), the right password included; other accounts unaffected."""
    await make_user(state, "victim@example.com", password=STRONG)
    await make_user(state, "bystander@example.com", password=STRONG)
    answers = [
        await login_from(app, f"10.1.{i // 250}.{i % 250}", "victim@example.com", f"guess-{i}")
        for i in range(200)
    ]
    assert [r.status_code for r in answers] == [401] * 10 + [429] * 190
    assert answers[-1].json() == {"detail": "too many attempts; try again later"}
    retry_after(answers[-1], at_most=60)
    right = await login_from(app, "10.9.9.9", "victim@example.com", STRONG)
    assert right.status_code == 429  # the account's window has not passed
    other = await login_from(app, "10.1.0.1", "bystander@example.com", STRONG)
    assert other.status_code == 200


async def test_one_address_trying_many_accounts_hits_the_address_limit(
    app: FastAPI, state: AppState
) -> None:
    """30 sign-ins a minute per address, whatever the accounts; IPv6 counts per /64."""
    await make_user(state, "late@example.com", password=STRONG)
    codes = [
        (await login_from(app, "198.51.100.7", f"user{i}@example.com", "nope")).status_code
        for i in range(31)
    ]
    assert codes == [401] * 30 + [429]
    refused = await login_from(app, "198.51.100.7", "late@example.com", STRONG)
    assert refused.status_code == 429
    assert (await login_from(app, "198.51.100.8", "late@example.com", STRONG)).status_code == 200
    v6 = [
        (await login_from(app, f"2001:db8:0:1::{i:x}", f"v6-{i}@example.com", "no")).status_code
        for i in range(31)
    ]
    assert v6 == [401] * 30 + [429]  # 31 addresses of one /64: one client
    assert (await login_from(app, "2001:db8:0:2::1", "x@example.com", "no")).status_code == 401


async def test_code_requests_are_limited_per_account(
    app: FastAPI, state: AppState, database_url: str
) -> None:
    """20 requests for one account from 20 addresses: 3 answered, 17 × 429, 3 emails."""
    from tests.support.smtp import SmtpSink

    sink = SmtpSink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    mail_app = create_app(make_settings(database_url, smtp_host="127.0.0.1", smtp_port=port))
    await make_user(state, "coder@example.com")
    try:
        codes = []
        for i in range(20):
            async with client_at(mail_app, f"10.2.0.{i}") as c:
                r = await c.post("/auth/code/request", json={"email": "Coder@example.com"})
                codes.append(r.status_code)
                if r.status_code == 429:
                    retry_after(r, at_most=600)
        await mail_app.state.metrica.jobs.drain()
    finally:
        server.close()
        await mail_app.state.metrica.close()
    assert codes == [202] * 3 + [429] * 17
    assert len(sink.messages) == 3


async def test_a_new_code_does_not_reset_the_accounts_guessing_budget(
    app: FastAPI, state: AppState
) -> None:
    """5 tries per code, and 10 per account an hour across codes: after two codes' worth
    of wrong guesses even the right code of a third is refused with 429."""
    user = await make_user(state, "coder@example.com")
    secret = state.settings.secret_key.get_secret_value()
    statuses = []
    for _ in range(2):
        async with state.sessions() as session:
            code = await service.start_code_login(session=session, user=user, secret=secret)
            await session.commit()
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for i in range(5):
            async with client_at(app, f"10.3.{len(statuses)}.{i}") as c:
                body = {"email": "coder@example.com", "code": wrong}
                statuses.append((await c.post("/auth/code/verify", json=body)).status_code)
    assert statuses == [401] * 10
    async with state.sessions() as session:
        code = await service.start_code_login(session=session, user=user, secret=secret)
        await session.commit()
    async with client_at(app, "10.3.9.9") as c:
        r = await c.post("/auth/code/verify", json={"email": "coder@example.com", "code": code})
    assert r.status_code == 429
    retry_after(r, at_most=3600)


class BlockingHasher:
    """Verification that waits until released, counting how many run at once."""

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.running = self.peak = 0

    def hash(self, password: str) -> str:
        return PasswordHasher().hash(password)

    def verify(self, hash: str, password: str) -> bool:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        self.entered.release()
        try:
            if not self.release.wait(timeout=30):
                raise RuntimeError("never released")
            raise VerifyMismatchError()
        finally:
            with self._lock:
                self.running -= 1


async def test_health_answers_while_password_checks_are_in_flight(
    client: httpx.AsyncClient, app: FastAPI, state: AppState
) -> None:
    """Hashes run in a pool of 2 threads: with 2 checks stuck and 3 more queued, the
    event loop still serves /health; the queue never runs more than 2 at once."""
    hasher = BlockingHasher()
    state.passwords = Passwords(hasher, max_concurrent=2)
    logins = [
        asyncio.create_task(login_from(app, f"10.4.0.{i}", f"u{i}@example.com", "pw"))
        for i in range(5)
    ]
    try:
        for _ in range(2):
            assert await asyncio.to_thread(hasher.entered.acquire, timeout=10)
        health = await asyncio.wait_for(client.get("/health"), timeout=10)
        assert health.status_code == 200
        assert not hasher.entered.acquire(blocking=False)  # the other 3 wait their turn
    finally:
        hasher.release.set()
    assert [r.status_code for r in await asyncio.gather(*logins)] == [401] * 5
    assert hasher.peak == 2


class Recorder(logging.Handler):
    """Keeps the messages of a logger (the app's loggers do not propagate to caplog)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in the test Redis, deleted afterwards."""
    prefix = f"metrica-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def test_two_app_instances_share_the_limits_in_redis(
    database_url: str, state: AppState, redis_prefix: str
) -> None:
    """Two server processes' worth of apps on one Redis: 10 attempts an account a minute
    in all, alternating between them; the keys hold no email in clear."""
    settings = make_settings(
        database_url, rate_limit_redis_url=REDIS_URL, rate_limit_key_prefix=redis_prefix
    )
    first, second = create_app(settings), create_app(settings)
    await make_user(state, "shared@example.com", password=STRONG)
    try:
        assert first.state.metrica.rate_limits.shared
        codes = [
            (
                await login_from(
                    (first, second)[i % 2], f"10.5.0.{i}", "shared@example.com", "wrong"
                )
            ).status_code
            for i in range(12)
        ]
        assert codes == [401] * 10 + [429] * 2
        third = create_app(settings)  # a process started later sees the same counts
        refused = await login_from(third, "10.5.1.1", "shared@example.com", STRONG)
        assert refused.status_code == 429
        await third.state.metrica.close()
        client = aioredis.Redis.from_url(REDIS_URL)
        keys = [k.decode() async for k in client.scan_iter(match=f"{redis_prefix}:*")]
        await client.aclose()
        assert keys
        assert not [k for k in keys if "shared" in k or "10.5." in k]
    finally:
        await first.state.metrica.close()
        await second.state.metrica.close()


async def test_unreachable_redis_falls_back_to_in_process_limits(
    database_url: str, state: AppState
) -> None:
    """Redis down: sign-in still answers (no 5xx) and is still limited, in process; one
    warning names the error, never the URL with its password."""
    url = "redis://:hunter2-secret@127.0.0.1:1/0"
    settings = make_settings(database_url, rate_limit_redis_url=url)
    app = create_app(settings)
    await make_user(state, "solo@example.com", password=STRONG)
    logged = Recorder()
    logging.getLogger("metrica.rate_limits").addHandler(logged)
    try:
        codes = [
            (await login_from(app, f"10.6.0.{i}", "solo@example.com", "wrong")).status_code
            for i in range(11)
        ]
    finally:
        logging.getLogger("metrica.rate_limits").removeHandler(logged)
        await app.state.metrica.close()
    assert codes == [401] * 10 + [429]
    # One warning, then in process for 30 s rather than a connect timeout per attempt.
    assert len(logged.lines) == 1
    assert logged.lines[0].startswith("rate-limit store unreachable (")
    assert "hunter2" not in logged.lines[0]
    assert "hunter2" not in repr(settings)


async def test_rate_limit_settings_are_checked() -> None:
    from metrica.server.settings import Settings

    with pytest.raises(ValueError, match="not a rate limit"):
        Settings(rate_limit_sign_in_per_account="lots")
    assert Settings(rate_limit_sign_in_per_account="5 per 10 minutes").environment
