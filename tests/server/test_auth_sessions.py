"""Tokens name the user they were issued to and end: logout, password change, a deleted
user; and the password policy where people choose passwords."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from metrica.server.auth.models import User
from metrica.server.state import AppState
from tests.server.factories import bearer, make_store, make_user

STRONG = "violet harbour lamp"
STRONGER = "tangerine kettle 84"


async def sign_in(app: FastAPI, email: str, password: str) -> str:
    """A fresh session (its own client, so no shared cookie); returns its token."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_logout_ends_this_session_only(
    client: httpx.AsyncClient, app: FastAPI, state: AppState
) -> None:
    await make_user(state, "o@example.com", password=STRONG)
    laptop, phone = (
        await sign_in(app, "o@example.com", STRONG),
        await sign_in(app, "o@example.com", STRONG),
    )
    assert (await client.get("/auth/me", headers=auth(laptop))).status_code == 200
    assert (await client.post("/auth/logout", headers=auth(laptop))).status_code == 204
    assert (await client.get("/auth/me", headers=auth(laptop))).status_code == 401
    assert (await client.get("/auth/me", headers=auth(phone))).status_code == 200
    # Signing out twice, or with a token that is no good, is still a clean 204.
    assert (await client.post("/auth/logout", headers=auth(laptop))).status_code == 204
    assert (await client.post("/auth/logout", headers=auth("junk"))).status_code == 204


async def test_logout_by_cookie_revokes_the_cookies_token(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_user(state, "o@example.com", password=STRONG)
    r = await client.post("/auth/login", json={"email": "o@example.com", "password": STRONG})
    token = r.json()["access_token"]
    assert (await client.post("/auth/logout")).status_code == 204  # the cookie only
    client.cookies.clear()
    assert (await client.get("/auth/me", headers=auth(token))).status_code == 401
    client.cookies.set("metrica_session", token)
    assert (await client.get("/auth/me")).status_code == 401


async def test_password_change_ends_every_other_session(
    client: httpx.AsyncClient, app: FastAPI, state: AppState
) -> None:
    await make_user(state, "o@example.com", password=STRONG)
    here, elsewhere = (
        await sign_in(app, "o@example.com", STRONG),
        await sign_in(app, "o@example.com", STRONG),
    )
    r = await client.post(
        "/auth/password",
        json={"current_password": STRONG, "new_password": STRONGER},
        headers=auth(here),
    )
    assert r.status_code == 200
    fresh = r.json()["access_token"]
    assert r.json()["user"]["email"] == "o@example.com"
    assert "metrica_session=" in r.headers["set-cookie"]
    client.cookies.clear()
    assert (await client.get("/auth/me", headers=auth(elsewhere))).status_code == 401
    assert (await client.get("/auth/me", headers=auth(here))).status_code == 401
    assert (await client.get("/auth/me", headers=auth(fresh))).status_code == 200
    old = await client.post("/auth/login", json={"email": "o@example.com", "password": STRONG})
    assert old.status_code == 401
    await sign_in(app, "o@example.com", STRONGER)


async def test_password_change_checks_the_current_password_and_the_policy(
    client: httpx.AsyncClient, app: FastAPI, state: AppState
) -> None:
    await make_user(state, "o@example.com", password=STRONG)
    token = await sign_in(app, "o@example.com", STRONG)
    wrong = await client.post(
        "/auth/password",
        json={"current_password": "not it", "new_password": STRONGER},
        headers=auth(token),
    )
    assert wrong.status_code == 400
    assert wrong.json() == {"detail": "the current password is wrong"}
    for weak in ("        ", "password1", "o@example.com1", "qwertyuiop"):
        r = await client.post(
            "/auth/password",
            json={"current_password": STRONG, "new_password": weak},
            headers=auth(token),
        )
        assert r.status_code == 422, weak
        (problem,) = r.json()["detail"]
        assert problem["loc"] == ["body", "new_password"]
        assert problem["type"] == "weak_password"
        assert "input" not in problem  # the password is never echoed
        assert weak.strip() == "" or weak not in r.text
    # Nothing changed: the session and the old password still work.
    assert (await client.get("/auth/me", headers=auth(token))).status_code == 200
    await sign_in(app, "o@example.com", STRONG)
    assert (await client.post("/auth/password", json={})).status_code in (401, 422)


async def test_a_deleted_users_token_does_not_pass_to_a_new_account_with_its_email(
    client: httpx.AsyncClient, state: AppState
) -> None:
    old = await make_user(state, "admin@example.com", role="superadmin")
    token = bearer(state, old)
    assert (await client.get("/admin/stores", headers=token)).status_code == 200
    async with state.sessions() as session:
        await session.execute(delete(User).where(User.id == old.id))
        await session.commit()
    await make_user(state, "admin@example.com", role="superadmin")
    assert (await client.get("/admin/stores", headers=token)).status_code == 401
    assert (await client.get("/auth/me", headers=token)).status_code == 401


async def test_tokens_without_a_version_or_with_an_old_one_are_refused(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """Tokens signed before sessions could end carry no `ver`: they are refused."""
    user = await make_user(state, "o@example.com")
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "email": user.email,
        "iss": state.settings.jwt_issuer,
        "aud": state.settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    kid = {"kid": state.signer.kid}
    key = state.signer._key
    for extra, status in (({}, 401), ({"ver": True}, 401), ({"ver": 1}, 401), ({"ver": 0}, 200)):
        token = jwt.encode(claims | extra, key, algorithm="ES256", headers=kid)
        assert (await client.get("/auth/me", headers=auth(token))).status_code == status, extra


async def test_invitation_refuses_a_weak_password_and_keeps_the_link(
    client: httpx.AsyncClient, state: AppState
) -> None:
    from metrica.server.auth import service

    user = await make_user(state, "new@example.com")
    await make_store(state, owner=user)
    async with state.sessions() as session:
        link = await service.invite(session=session, user=user)
        await session.commit()
    weak = await client.post(
        "/auth/invitations/accept", json={"token": link, "password": "        "}
    )
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["loc"] == ["body", "password"]
    assert "spaces" in weak.json()["detail"][0]["msg"]
    good = await client.post("/auth/invitations/accept", json={"token": link, "password": STRONG})
    assert good.status_code == 200
    # A used link says so first, even with a password the policy would refuse.
    dead = await client.post(
        "/auth/invitations/accept", json={"token": link, "password": "password"}
    )
    assert dead.status_code == 400


async def test_the_demo_password_is_seeded_though_the_policy_would_refuse_it(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """`metrica-demo` (printed by `metrica demo`) scores too low to be chosen through the
    API, and signs in as seeded."""
    from datetime import UTC, datetime

    from metrica.server.auth.password_policy import WeakPassword, check_password, inputs_for
    from metrica.server.seed import DEMO_PASSWORD, seed_demo

    with pytest.raises(WeakPassword):
        check_password(DEMO_PASSWORD, user_inputs=inputs_for("owner@metrica.local"))
    async with state.sessions() as session:
        seed = await seed_demo(
            session, hasher=state.passwords, days=0, now=datetime(2026, 3, 18, 15, tzinfo=UTC)
        )
    r = await client.post(
        "/auth/login", json={"email": seed.owner_email, "password": DEMO_PASSWORD}
    )
    assert r.status_code == 200
