"""One-time codes under concurrency (a real PostgreSQL and SQLite), and a code request
that answers the same, by the same path, for known and unknown emails."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from metrica.server.app import create_app
from metrica.server.auth import service
from metrica.server.auth.models import LoginCode
from metrica.server.auth.models import User as UserRow
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.factories import make_user

GENEROUS = "10000/minute"  # rate limits out of the way: the database alone must count


@pytest.fixture
async def open_app(database_url: str, app: FastAPI) -> FastAPI:
    """The app with rate limits too high to matter (`app` empties the tables first)."""
    settings = make_settings(
        database_url,
        rate_limit_code_verify_per_account=GENEROUS,
        rate_limit_code_verify_per_address=GENEROUS,
        db_pool_size=10,
    )
    return create_app(settings)


async def new_code(state: AppState, user: UserRow) -> str:
    async with state.sessions() as session:
        code = await service.start_code_login(
            session=session, user=user, secret=state.settings.secret_key.get_secret_value()
        )
        await session.commit()
    return code


def other_than(code: str, i: int) -> str:
    return f"{(int(code) + 1 + i) % 1_000_000:06d}"


async def test_40_concurrent_wrong_guesses_take_exactly_5_attempts(
    open_app: FastAPI, state: AppState
) -> None:
    """The count is one atomic UPDATE: 40 guesses at once leave attempts = 5 and the
    right code is refused after them, every round."""
    user = await make_user(state, "coder@example.com")
    transport = httpx.ASGITransport(app=open_app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            for _ in range(3):
                code = await new_code(state, user)
                guesses = [
                    c.post(
                        "/auth/code/verify",
                        json={"email": "coder@example.com", "code": other_than(code, i)},
                    )
                    for i in range(40)
                ]
                answers = await asyncio.gather(*guesses)
                assert {r.status_code for r in answers} == {401}
                async with state.sessions() as session:
                    attempts = await session.scalar(
                        select(LoginCode.attempts).where(LoginCode.user_id == user.id)
                    )
                assert attempts == service.CODE_MAX_ATTEMPTS
                right = await c.post(
                    "/auth/code/verify", json={"email": "coder@example.com", "code": code}
                )
                assert right.status_code == 401
    finally:
        await open_app.state.metrica.close()


async def test_a_code_signs_in_once_even_when_sent_twice_at_once(
    open_app: FastAPI, state: AppState
) -> None:
    user = await make_user(state, "coder@example.com")
    code = await new_code(state, user)
    transport = httpx.ASGITransport(app=open_app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            body = {"email": "coder@example.com", "code": code}
            answers = await asyncio.gather(*(c.post("/auth/code/verify", json=body) for _ in "ab"))
    finally:
        await open_app.state.metrica.close()
    assert sorted(r.status_code for r in answers) == [200, 401]


async def test_code_request_answers_known_and_unknown_emails_alike(
    client: httpx.AsyncClient, app: FastAPI, state: AppState
) -> None:
    """Same status, body and headers, and the same path: each request hands one job to
    the background before any lookup; only the known email's job makes a code."""
    await make_user(state, "known@example.com")
    jobs = state.jobs
    answers = []
    for email in ("known@example.com", "unknown@example.com"):
        before = jobs.started
        answers.append(await client.post("/auth/code/request", json={"email": email}))
        assert jobs.started == before + 1
    await jobs.drain()
    known, unknown = answers
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202

    def shape(r: httpx.Response) -> dict[str, str]:
        return {k: v for k, v in r.headers.items() if k not in ("date", "x-request-id")}

    assert shape(known) == shape(unknown)
    async with state.sessions() as session:
        codes = (await session.scalars(select(LoginCode.user_id))).all()
    assert len(codes) == 1
