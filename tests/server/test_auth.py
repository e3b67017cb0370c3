"""People auth: password, email code, invitation, cookie; and token attacks on the verifier."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from metrica.server.app import create_app
from metrica.server.auth.tokens import HttpJwksSource, JwtVerifier, TokenError
from metrica.server.settings import Settings
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.factories import bearer, make_user
from tests.support.smtp import SmtpSink

STRONG = "violet harbour lamp"  # passes the password policy (zxcvbn score 4)


@pytest.fixture
async def smtp_app(database_url: str, app: FastAPI) -> AsyncIterator[tuple[FastAPI, SmtpSink]]:
    sink = SmtpSink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    mail_app = create_app(make_settings(database_url, smtp_host="127.0.0.1", smtp_port=port))
    yield mail_app, sink
    server.close()
    await mail_app.state.metrica.engine.dispose()


async def test_password_login_sets_cookie_and_me_works(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_user(state, "Owner@Example.com", password="s3cret-pass")
    r = await client.post("/auth/login", json={"email": "owner@example.com", "password": "nope"})
    assert r.status_code == 401
    r = await client.post(
        "/auth/login", json={"email": "OWNER@example.com", "password": "s3cret-pass"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["email"] == "owner@example.com"
    cookie = r.headers["set-cookie"]
    assert "metrica_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    me = await client.get("/auth/me")  # the cookie alone authenticates
    assert me.status_code == 200
    assert me.json()["role"] == "owner"
    out = await client.post("/auth/logout")
    assert out.status_code == 204
    client.cookies.clear()
    assert (await client.get("/auth/me")).status_code == 401


async def test_jwks_is_public_and_holds_the_signing_key(
    client: httpx.AsyncClient, state: AppState
) -> None:
    r = await client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    (key,) = r.json()["keys"]
    assert key["kty"] == "EC"
    assert key["kid"] == state.signer.kid
    assert "d" not in key


async def test_email_code_login(smtp_app: tuple[FastAPI, SmtpSink], state: AppState) -> None:
    app, sink = smtp_app
    await make_user(state, "coder@example.com")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.post("/auth/code/request", json={"email": "coder@example.com"})
        assert r.status_code == 202
        await asyncio.wait_for(sink.received.wait(), 10)
        match = re.search(r"\b(\d{6})\b", sink.text(0))
        assert match is not None
        code = match.group(1)
        wrong = "000000" if code != "000000" else "111111"
        r = await c.post("/auth/code/verify", json={"email": "coder@example.com", "code": wrong})
        assert r.status_code == 401
        r = await c.post("/auth/code/verify", json={"email": "coder@example.com", "code": code})
        assert r.status_code == 200
        assert r.json()["user"]["email"] == "coder@example.com"
        again = await c.post("/auth/code/verify", json={"email": "coder@example.com", "code": code})
        assert again.status_code == 401  # a code works once
        unknown = await c.post("/auth/code/request", json={"email": "ghost@example.com"})
        assert unknown.status_code == 202
        await app.state.metrica.jobs.drain()
        assert len(sink.messages) == 1


async def test_invitation_link_sets_password(
    smtp_app: tuple[FastAPI, SmtpSink], state: AppState
) -> None:
    from tests.server.factories import make_store

    app, sink = smtp_app
    admin = await make_user(state, "root@example.com", role="superadmin")
    store = await make_store(state)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.post(
            f"/admin/stores/{store.id}/owners",
            json={"email": "new@example.com"},
            headers=bearer(state, admin),
        )
        assert r.status_code == 201
        await asyncio.wait_for(sink.received.wait(), 10)
        body = sink.text(0)
        token = body.split("token=", 1)[1].split()[0]
        r = await c.post("/auth/invitations/accept", json={"token": token, "password": STRONG})
        assert r.status_code == 200
        again = await c.post(
            "/auth/invitations/accept", json={"token": token, "password": "tangerine kettle 84"}
        )
        assert again.status_code == 400
        r = await c.post("/auth/login", json={"email": "new@example.com", "password": STRONG})
        assert r.status_code == 200
        stores = await c.get(
            "/stores", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
        )
        assert [s["id"] for s in stores.json()["data"]] == [str(store.id)]


async def test_invitation_link_opens_the_web_app_and_a_new_one_replaces_it(
    database_url: str, state: AppState
) -> None:
    """The link is `{web_url}/invite?token=...` (default `{public_url}/app`); assigning a
    never-signed-in owner again mails a fresh link and the old one stops working."""
    from tests.server.factories import make_store

    sink = SmtpSink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(
        database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        public_url="https://api.example.com",
        web_url="https://metrica.example.com/app/",
    )
    mail_app = create_app(settings)
    admin = await make_user(state, "root@example.com", role="superadmin")
    first, second = await make_store(state, name="One"), await make_store(state, name="Two")
    link = re.compile(r"https://metrica\.example\.com/app/invite\?token=([\w-]+)")
    try:
        transport = httpx.ASGITransport(app=mail_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            tokens = []
            for store in (first, second):
                sink.received.clear()
                r = await c.post(
                    f"/admin/stores/{store.id}/owners",
                    json={"email": "late@example.com"},
                    headers=bearer(state, admin),
                )
                assert r.status_code == 201
                await asyncio.wait_for(sink.received.wait(), 10)
                match = link.search(sink.text(len(sink.messages) - 1))
                assert match, sink.text(len(sink.messages) - 1)
                tokens.append(match.group(1))
            old = await c.post(
                "/auth/invitations/accept",
                json={"token": tokens[0], "password": STRONG},
            )
            assert old.status_code == 400
            assert old.json()["detail"] == "invalid or expired invitation"
            new = await c.post(
                "/auth/invitations/accept",
                json={"token": tokens[1], "password": STRONG},
            )
            assert new.status_code == 200
            # Signed in now: assigning again sends nothing.
            r = await c.post(
                f"/admin/stores/{first.id}/owners",
                json={"email": "late@example.com"},
                headers=bearer(state, admin),
            )
            assert r.status_code == 201
            await mail_app.state.metrica.jobs.drain()
            assert len(sink.messages) == 2
    finally:
        server.close()
        await mail_app.state.metrica.engine.dispose()
    assert make_settings(database_url).web_app_url == "http://127.0.0.1:8000/app"


def _claims(state: AppState, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "00000000-0000-0000-0000-000000000000",
        "ver": 0,
        "iss": state.settings.jwt_issuer,
        "aud": state.settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


def _own_key(state: AppState) -> ec.EllipticCurvePrivateKey:
    return state.signer._key  # the server's own key, to prove claim checks, not signatures


@pytest.mark.parametrize(
    "attack",
    [
        "alg_none",
        "hs256_with_public_key",
        "expired",
        "wrong_issuer",
        "wrong_audience",
        "unknown_kid",
        "foreign_key_same_kid",
        "rs256_with_ec_kid",
        "garbage",
    ],
)
async def test_token_attacks_are_rejected(
    attack: str, client: httpx.AsyncClient, state: AppState
) -> None:
    user = await make_user(state, "victim@example.com", role="superadmin")
    kid = state.signer.kid
    claims = _claims(state, sub=str(user.id))
    public_pem = (
        _own_key(state)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    if attack == "alg_none":
        token = jwt.encode(claims, key=None, algorithm="none", headers={"kid": kid})
    elif attack == "hs256_with_public_key":
        import hashlib
        import hmac
        import json
        from base64 import urlsafe_b64encode

        def b64(data: bytes) -> str:
            return urlsafe_b64encode(data).rstrip(b"=").decode()

        head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        body = b64(json.dumps(claims).encode())
        sig = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
        token = f"{head}.{body}.{b64(sig)}"
    elif attack == "expired":
        token = jwt.encode(
            _claims(state, sub=str(user.id), exp=int(time.time()) - 10),
            _own_key(state),
            algorithm="ES256",
            headers={"kid": kid},
        )
    elif attack == "wrong_issuer":
        token = jwt.encode(
            _claims(state, sub=str(user.id), iss="https://evil.example"),
            _own_key(state),
            algorithm="ES256",
            headers={"kid": kid},
        )
    elif attack == "wrong_audience":
        token = jwt.encode(
            _claims(state, sub=str(user.id), aud="someone-else"),
            _own_key(state),
            algorithm="ES256",
            headers={"kid": kid},
        )
    elif attack == "unknown_kid":
        token = jwt.encode(claims, _own_key(state), algorithm="ES256", headers={"kid": "nope"})
    elif attack == "foreign_key_same_kid":
        other = ec.generate_private_key(ec.SECP256R1())
        token = jwt.encode(claims, other, algorithm="ES256", headers={"kid": kid})
    elif attack == "rs256_with_ec_kid":
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": kid})
    else:
        token = "not.a.jwt"
    good = jwt.encode(claims, _own_key(state), algorithm="ES256", headers={"kid": kid})
    assert (await client.get("/auth/me", headers={"Authorization": f"Bearer {good}"})).is_success
    r = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    client.cookies.set("metrica_session", token)
    r = await client.get("/admin/stores")
    client.cookies.clear()
    assert r.status_code == 401


async def test_owner_is_forbidden_from_admin(client: httpx.AsyncClient, state: AppState) -> None:
    owner = await make_user(state, "o@example.com")
    assert (await client.get("/admin/stores", headers=bearer(state, owner))).status_code == 403
    assert (await client.get("/admin/stores")).status_code == 401


def _fake_idp(keys: list[dict[str, Any]], hits: list[int]) -> Starlette:
    async def jwks(_: Request) -> JSONResponse:
        hits.append(1)
        return JSONResponse({"keys": keys})

    return Starlette(routes=[Route("/jwks.json", jwks)])


def _rsa_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return jwk | {"kid": kid, "alg": "RS256", "use": "sig"}


async def test_external_idp_rs256_with_key_rotation() -> None:
    """An external IdP's JWKS over HTTP: RS256 accepted, a new kid triggers a refetch."""
    old, new = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in "ab")
    keys = [_rsa_jwk(old, "k1")]
    hits: list[int] = []
    idp = _fake_idp(keys, hits)
    source = HttpJwksSource(
        "http://idp/jwks.json",
        cache_s=300,
        min_refresh_s=0,
        client_factory=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=idp)),
    )
    verifier = JwtVerifier(source, issuer="https://idp", audience="metrica")
    now = int(time.time())
    claims = {"sub": "abc", "iss": "https://idp", "aud": "metrica", "iat": now, "exp": now + 60}
    token = jwt.encode(claims, old, algorithm="RS256", headers={"kid": "k1"})
    assert (await verifier.verify(token))["sub"] == "abc"
    await verifier.verify(token)
    assert len(hits) == 1  # cached
    keys.append(_rsa_jwk(new, "k2"))
    rotated = jwt.encode(claims, new, algorithm="RS256", headers={"kid": "k2"})
    assert (await verifier.verify(rotated))["sub"] == "abc"
    assert len(hits) == 2
    with pytest.raises(TokenError):
        await verifier.verify(jwt.encode(claims, new, algorithm="RS256", headers={"kid": "k9"}))


def test_settings_refuse_default_secret_outside_development() -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(environment="production")
    assert Settings(environment="development").environment == "development"


async def test_unreachable_jwks_rejects_instead_of_crashing() -> None:
    async def broken(_: Request) -> JSONResponse:
        return JSONResponse({"error": "down"}, status_code=503)

    idp = Starlette(routes=[Route("/jwks.json", broken)])
    source = HttpJwksSource(
        "http://idp/jwks.json",
        cache_s=300,
        client_factory=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(app=idp)),
    )
    verifier = JwtVerifier(source, issuer="https://idp", audience="metrica")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"sub": "x"}, key, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(TokenError, match="unavailable"):
        await verifier.verify(token)
