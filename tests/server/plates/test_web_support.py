"""What the web app needs beyond the plate routes: a clerk's session names the clerk role
(the app shows clerks only the Plates section), and the admin page reads a store's ANPR
settings before changing them."""

from __future__ import annotations

import httpx

from metrica.server.state import AppState
from tests.server.factories import make_user
from tests.server.plates.conftest import PlateWorld


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


async def test_the_superadmin_reads_anpr_settings(
    client: httpx.AsyncClient, world: PlateWorld
) -> None:
    admin = world.headers(world.admin)
    r = await client.get(f"/admin/stores/{world.dark.id}/anpr", headers=admin)
    assert r.status_code == 200
    assert r.json() == {"enabled": False, "retention_days": 30}
    r = await client.put(
        f"/admin/stores/{world.dark.id}/anpr",
        json={"enabled": True, "retention_days": 9},
        headers=admin,
    )
    assert r.status_code == 200
    r = await client.get(f"/admin/stores/{world.dark.id}/anpr", headers=admin)
    assert r.json() == {"enabled": True, "retention_days": 9}
    # Owners and clerks do not read it; an unknown store is 404.
    for user in (world.owner, world.other_owner, world.clerk):
        r = await client.get(f"/admin/stores/{world.dark.id}/anpr", headers=world.headers(user))
        assert r.status_code in (403, 404), r.text
    r = await client.get("/admin/stores/00000000-0000-4000-8000-000000000000/anpr", headers=admin)
    assert r.status_code == 404
