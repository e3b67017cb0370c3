"""Hosting the web app apart from the API: CORS (off by default), a cross-site cookie, and
the Origin check that stands in for SameSite when the cookie is SameSite=None."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from metrica.server.app import create_app
from metrica.server.deps import SESSION_COOKIE
from metrica.server.settings import Settings
from metrica.server.state import AppState
from tests.server.conftest import make_settings
from tests.server.factories import make_user

APP_ORIGIN = "https://app.example.com"
PREFLIGHT = {
    "Origin": APP_ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


@pytest.fixture
async def cors_client(database_url: str, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The real app configured for a web app on another site (`app` empties the tables)."""
    settings = make_settings(
        database_url,
        cors_origins=f"{APP_ORIGIN}, http://localhost:5173",
        cookie_samesite="none",
    )
    cross = create_app(settings)
    transport = httpx.ASGITransport(app=cross)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example.com") as c:
        yield c
    await cross.state.metrica.engine.dispose()


async def test_cors_is_off_by_default(client: httpx.AsyncClient) -> None:
    preflight = await client.options("/auth/login", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in preflight.headers
    simple = await client.get("/health", headers={"Origin": APP_ORIGIN})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


async def test_preflight_allows_a_configured_origin_with_credentials(
    cors_client: httpx.AsyncClient,
) -> None:
    r = await cors_client.options("/auth/login", headers=PREFLIGHT)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == APP_ORIGIN
    assert r.headers["access-control-allow-credentials"] == "true"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "DELETE" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    assert "Origin" in r.headers["vary"]
    second = await cors_client.options(
        "/admin/stores/x", headers={**PREFLIGHT, "Origin": "http://localhost:5173"}
    )
    assert second.headers["access-control-allow-origin"] == "http://localhost:5173"


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://app.example.com.evil.example", "null"]
)
async def test_preflight_refuses_other_origins(cors_client: httpx.AsyncClient, origin: str) -> None:
    r = await cors_client.options("/auth/login", headers={**PREFLIGHT, "Origin": origin})
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers


async def test_answers_carry_cors_headers_errors_included(
    cors_client: httpx.AsyncClient,
) -> None:
    ok = await cors_client.get("/health", headers={"Origin": APP_ORIGIN})
    assert ok.headers["access-control-allow-origin"] == APP_ORIGIN
    assert ok.headers["access-control-allow-credentials"] == "true"
    denied = await cors_client.get("/auth/me", headers={"Origin": APP_ORIGIN})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == APP_ORIGIN
    other = await cors_client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_cross_site_cookie_is_samesite_none_and_secure(
    cors_client: httpx.AsyncClient, state: AppState
) -> None:
    await make_user(state, "o@example.com", password="longpass1")
    r = await cors_client.post(
        "/auth/login",
        json={"email": "o@example.com", "password": "longpass1"},
        headers={"Origin": APP_ORIGIN},
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == APP_ORIGIN
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("samesite=none", "secure", "httponly", "path=/"):
        assert attribute in cookie
    out = await cors_client.post("/auth/logout", headers={"Origin": APP_ORIGIN})
    cleared = out.headers["set-cookie"].lower()
    assert "max-age=0" in cleared
    assert "samesite=none" in cleared
    assert "secure" in cleared


async def test_default_cookie_stays_samesite_lax(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_user(state, "o@example.com", password="longpass1")
    r = await client.post("/auth/login", json={"email": "o@example.com", "password": "longpass1"})
    cookie = r.headers["set-cookie"].lower()
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


async def test_cookie_writes_from_other_sites_are_refused(
    cors_client: httpx.AsyncClient, state: AppState
) -> None:
    """SameSite=None sends the cookie on any site's requests: writes check the Origin."""
    admin = await make_user(state, "root@example.com", role="superadmin")
    token = state.signer.issue(
        subject=str(admin.id), email=admin.email, role=admin.role, version=admin.token_version
    )
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
    store = {"name": "Shop", "timezone": "Europe/Berlin"}

    evil = await cors_client.post(
        "/admin/stores", json=store, headers={**cookie, "Origin": "https://evil.example"}
    )
    assert evil.status_code == 403
    assert evil.json()["detail"] == "cross-site request refused"
    # Reads are harmless (the browser does not let the other site see the answer).
    read = await cors_client.get(
        "/admin/stores", headers={**cookie, "Origin": "https://evil.example"}
    )
    assert read.status_code == 200
    assert read.json()["count"] == 0

    for origin in (APP_ORIGIN, "http://127.0.0.1:8000"):  # a CORS origin; public_url
        ok = await cors_client.post(
            "/admin/stores", json=store, headers={**cookie, "Origin": origin}
        )
        assert ok.status_code == 201, ok.text
    no_origin = await cors_client.post("/admin/stores", json=store, headers=cookie)
    assert no_origin.status_code == 201
    # A bearer token is not sent by the browser on its own: no Origin check.
    bearer = await cors_client.post(
        "/admin/stores",
        json=store,
        headers={"Authorization": f"Bearer {token}", "Origin": "https://evil.example"},
    )
    assert bearer.status_code == 201


def test_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICA_CORS_ORIGINS", " https://App.Example.com/ ,http://localhost:5173")
    assert Settings().cors_origins == ["https://app.example.com", "http://localhost:5173"]
    monkeypatch.setenv("METRICA_CORS_ORIGINS", "")
    assert Settings().cors_origins == []


@pytest.mark.parametrize(
    "value",
    ["*", "app.example.com", "https://app.example.com/app", "ftp://app.example.com", "https://"],
)
def test_cors_origins_must_be_origins(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("METRICA_CORS_ORIGINS", value)
    with pytest.raises(ValidationError, match="cors_origins"):
        Settings()


def test_samesite_none_implies_secure() -> None:
    assert Settings(cookie_samesite="none").session_cookie_secure
    assert not Settings().session_cookie_secure
    assert Settings(cookie_secure=True).session_cookie_secure
