"""A clerk signs in like anyone else: the session and /auth/me name the clerk role (the web
app reads it to show clerks only the Plates section)."""

from __future__ import annotations

import httpx

from metrica.server.state import AppState
from tests.server.factories import make_user


async def test_clerk_password_login_and_me(client: httpx.AsyncClient, state: AppState) -> None:
    await make_user(state, "clerk@example.com", role="clerk", password="violet harbour lamp")
    r = await client.post(
        "/auth/login", json={"email": "clerk@example.com", "password": "violet harbour lamp"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["user"]["role"] == "clerk"
    me = await client.get("/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["role"] == "clerk"
