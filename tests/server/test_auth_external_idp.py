"""An external identity provider (its JWKS served over real HTTP): accounts bound to users
by (issuer, subject), linked by email only when verified and enabled; no local sign-in."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy import func, select

from metrica.server.app import create_app
from metrica.server.auth.models import ExternalIdentity, User
from metrica.server.auth.views import SIGN_IN_AT_IDP
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.factories import bearer, make_user
from tests.support.local_http import serve

ISSUER = "https://idp.example"
ADMIN = "admin@metrica.local"


@pytest.fixture(scope="session")
def idp_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks_url(tmp_path: Path, idp_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The IdP's JWKS on a real local HTTP server."""
    jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(idp_key.public_key(), as_dict=True)
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk | {"kid": "idp-1"}]}))
    server = serve(tmp_path)
    base = next(server)
    yield f"{base}/jwks.json"
    server.close()


def idp_token(key: rsa.RSAPrivateKey, sub: str, **claims: Any) -> dict[str, str]:
    now = int(time.time())
    body = {"sub": sub, "iss": ISSUER, "aud": "metrica", "iat": now, "exp": now + 600} | claims
    token = jwt.encode(body, key, algorithm="RS256", headers={"kid": "idp-1"})
    return {"Authorization": f"Bearer {token}"}


async def idp_client(
    database_url: str, jwks_url: str, *, link: bool
) -> tuple[FastAPI, httpx.AsyncClient]:
    settings = make_settings(
        database_url, jwks_url=jwks_url, jwt_issuer=ISSUER, idp_link_verified_email=link
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    return app, httpx.AsyncClient(transport=transport, base_url="http://t")


@pytest.fixture
async def linking(
    database_url: str, jwks_url: str, app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app at the IdP with linking by verified email on (the default)."""
    idp_app, client = await idp_client(database_url, jwks_url, link=True)
    async with client:
        yield client
    await idp_app.state.metrica.close()


async def bind(state: AppState, user: User, subject: str) -> None:
    async with state.sessions() as session:
        session.add(ExternalIdentity(issuer=ISSUER, subject=subject, user_id=user.id))
        await session.commit()


@pytest.mark.parametrize("link", [True, False], ids=["link-on", "link-off"])
@pytest.mark.parametrize(
    "verified", [True, "true", False, "false", None], ids=["T", "'true'", "F", "'false'", "-"]
)
@pytest.mark.parametrize("admin_is", ["unbound", "bound-to-another-account"])
async def test_an_idp_account_becomes_the_admin_only_by_a_verified_link(
    link: bool,
    verified: object,
    admin_is: str,
    database_url: str,
    jwks_url: str,
    idp_key: rsa.RSAPrivateKey,
    app: FastAPI,
    state: AppState,
) -> None:
    """`sub=idp|attacker, email=admin@…`: the admin only when linking is on, the IdP
    says the email is verified, and the admin has no IdP account yet."""
    admin = await make_user(state, ADMIN, role="superadmin")
    if admin_is != "unbound":
        await bind(state, admin, "idp|the-real-admin")
    claims: dict[str, Any] = {"email": ADMIN}
    if verified is not None:
        claims["email_verified"] = verified
    idp_app, client = await idp_client(database_url, jwks_url, link=link)
    async with client:
        r = await client.get("/admin/stores", headers=idp_token(idp_key, "idp|x", **claims))
    await idp_app.state.metrica.close()
    links = link and verified in (True, "true") and admin_is == "unbound"
    assert r.status_code == (200 if links else 401)
    async with state.sessions() as session:
        bound = await session.scalar(
            select(ExternalIdentity.user_id).where(ExternalIdentity.subject == "idp|x")
        )
    assert bound == (admin.id if links else None)


async def test_a_bound_account_signs_in_whatever_its_email_claim_says(
    database_url: str, jwks_url: str, idp_key: rsa.RSAPrivateKey, state: AppState, app: FastAPI
) -> None:
    owner = await make_user(state, "owner@example.com")
    await bind(state, owner, "idp|owner")
    idp_app, client = await idp_client(database_url, jwks_url, link=False)
    async with client:
        for claims in ({}, {"email": ADMIN, "email_verified": True}):
            me = await client.get("/auth/me", headers=idp_token(idp_key, "idp|owner", **claims))
            assert me.status_code == 200
            assert me.json()["email"] == "owner@example.com"
    await idp_app.state.metrica.close()


async def test_no_account_is_made_for_an_unknown_email(
    linking: httpx.AsyncClient, idp_key: rsa.RSAPrivateKey, state: AppState
) -> None:
    headers = idp_token(idp_key, "idp|new", email="new@example.com", email_verified=True)
    assert (await linking.get("/auth/me", headers=headers)).status_code == 401
    async with state.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_two_accounts_racing_for_one_email_bind_once(
    linking: httpx.AsyncClient, idp_key: rsa.RSAPrivateKey, state: AppState
) -> None:
    owner = await make_user(state, "owner@example.com")
    tries = [
        linking.get(
            "/auth/me",
            headers=idp_token(idp_key, f"idp|{n}", email="owner@example.com", email_verified=True),
        )
        for n in ("a", "b")
    ]
    answers = await asyncio.gather(*tries)
    assert sorted(r.status_code for r in answers) == [200, 401]
    async with state.sessions() as session:
        bound = (
            await session.scalars(
                select(ExternalIdentity.user_id).where(ExternalIdentity.issuer == ISSUER)
            )
        ).all()
    assert bound == [owner.id]


async def test_local_sign_in_is_off_and_says_where_to_sign_in(
    linking: httpx.AsyncClient, state: AppState
) -> None:
    """The local routes answer 404 naming the IdP; a token this server signed itself is
    not accepted either (only the IdP's keys are trusted)."""
    user = await make_user(state, "o@example.com", password="violet harbour lamp")
    own_token = bearer(state, user)
    calls = [
        ("/auth/login", {"email": "o@example.com", "password": "violet harbour lamp"}),
        ("/auth/code/request", {"email": "o@example.com"}),
        ("/auth/code/verify", {"email": "o@example.com", "code": "123456"}),
        ("/auth/invitations/accept", {"token": "x" * 43, "password": "violet harbour lamp"}),
        ("/auth/password", {"current_password": "a", "new_password": "violet harbour 2"}),
    ]
    for path, body in calls:
        r = await linking.post(path, json=body, headers=own_token)
        assert r.status_code == 404, path
        assert r.json() == {"detail": SIGN_IN_AT_IDP}
    assert "identity provider" in SIGN_IN_AT_IDP
    assert (await linking.get("/auth/me", headers=own_token)).status_code == 401


async def test_logout_revokes_an_idp_token(
    linking: httpx.AsyncClient, idp_key: rsa.RSAPrivateKey, state: AppState
) -> None:
    owner = await make_user(state, "owner@example.com")
    await bind(state, owner, "idp|owner")
    headers = idp_token(idp_key, "idp|owner", jti="first")
    assert (await linking.get("/auth/me", headers=headers)).status_code == 200
    assert (await linking.post("/auth/logout", headers=headers)).status_code == 204
    assert (await linking.get("/auth/me", headers=headers)).status_code == 401
    another = idp_token(idp_key, "idp|owner", jti="second")  # another session of the account
    assert (await linking.get("/auth/me", headers=another)).status_code == 200
