"""Who sees plates: superadmin everywhere; owners and clerks only at stores with ANPR on
(clerks at their assigned stores); everyone else 404 — and clerks see no dashboards."""

from __future__ import annotations

import uuid

import httpx

from metrica.server.stores.models import Store
from tests.server.factories import make_user
from tests.server.plates.conftest import PlateWorld, upload_files
from tests.server.plates.scripted import scripted_upload


async def test_plate_sites_per_role(client: httpx.AsyncClient, world: PlateWorld) -> None:
    async def names(headers: dict[str, str]) -> list[str]:
        r = await client.get("/plates/sites", headers=headers)
        assert r.status_code == 200
        return [s["name"] for s in r.json()["sites"]]

    assert await names(world.headers(world.admin)) == ["Car park", "Shop"]
    assert await names(world.headers(world.owner)) == ["Car park"]
    assert await names(world.headers(world.clerk)) == ["Car park"]
    assert await names(world.headers(world.other_owner)) == []
    r = await client.get("/plates/sites")
    assert r.status_code == 401


async def test_plate_routes_are_404_without_plate_access(
    client: httpx.AsyncClient, world: PlateWorld
) -> None:
    lit, dark = str(world.store.id), str(world.dark.id)
    stranger_clerk = await make_user(world.state, "clerk2@example.com", role="clerk")
    r = await client.post(
        "/plates/uploads",
        params={"store_id": lit},
        files=upload_files(scripted_upload(["AB123"])),
        headers=world.headers(world.owner),
    )
    job_id = r.json()["id"]
    routes = [
        ("GET", "/plates", {"store_id": lit, "q": "AB123"}),
        ("GET", "/plates/jobs", {"store_id": lit}),
        ("GET", f"/plates/jobs/{job_id}", {}),
        ("POST", f"/plates/jobs/{job_id}/cancel", {}),
        ("GET", "/plates/watchlist", {"store_id": lit}),
        ("GET", "/plates/alerts", {"store_id": lit}),
        ("GET", "/plates/audit", {"store_id": lit}),
        ("GET", "/plates/export", {"store_id": lit, "plate": "AB123"}),
        ("GET", "/plates/export.csv", {"store_id": lit}),
        ("DELETE", "/plates", {"store_id": lit, "plate": "AB123"}),
    ]
    for who in (world.other_owner, stranger_clerk):
        for method, url, params in routes:
            r = await client.request(method, url, params=params, headers=world.headers(who))
            assert r.status_code == 404, (who.email, method, url, r.text)
    # the dark store: its own owner gets 404 (ANPR off), the superadmin does not
    for method, url, params in routes[:2]:
        params = {**params, "store_id": dark}
        r = await client.request(
            method, url, params=params, headers=world.headers(world.other_owner)
        )
        assert r.status_code == 404
        r = await client.request(method, url, params=params, headers=world.headers(world.admin))
        assert r.status_code == 200
    r = await client.get(
        "/plates", params={"store_id": str(uuid.uuid4())}, headers=world.headers(world.admin)
    )
    assert r.status_code == 404
    r = await client.post(
        "/plates/watchlist",
        json={"store_id": lit, "plate": "AB123"},
        headers=world.headers(world.other_owner),
    )
    assert r.status_code == 404


async def test_a_clerk_sees_no_dashboards(client: httpx.AsyncClient, world: PlateWorld) -> None:
    clerk = world.headers(world.clerk)
    r = await client.get("/stores", headers=clerk)
    assert r.status_code == 200
    assert r.json()["count"] == 0
    for url in (f"/live/{world.store.id}", f"/dashboard/{world.store.id}"):
        r = await client.get(url, headers=clerk)
        assert r.status_code == 404, url
        r = await client.get(url, headers=world.headers(world.owner))
        assert r.status_code == 200, url


async def test_the_superadmin_turns_anpr_on_and_assigns_clerks(
    client: httpx.AsyncClient, world: PlateWorld
) -> None:
    admin = world.headers(world.admin)
    dark = world.dark.id
    r = await client.put(
        f"/admin/stores/{dark}/anpr", json={"enabled": True, "retention_days": 7}, headers=admin
    )
    assert r.json() == {"enabled": True, "retention_days": 7}
    async with world.state.sessions() as session:
        store = await session.get(Store, dark)
        assert store is not None
        assert store.anpr_retention_days == 7
    r = await client.get("/plates/sites", headers=world.headers(world.other_owner))
    assert r.json()["sites"] == [
        {"id": str(dark), "name": "Shop", "timezone": "Europe/Berlin", "retention_days": 7}
    ]
    r = await client.put(
        f"/admin/stores/{dark}/anpr", json={"enabled": True, "retention_days": 0}, headers=admin
    )
    assert r.status_code == 422

    r = await client.post(
        f"/admin/stores/{dark}/clerks", json={"email": "New.Clerk@example.com"}, headers=admin
    )
    assert r.status_code == 201
    new_id = r.json()["user_id"]
    assert r.json()["email"] == "new.clerk@example.com"
    r = await client.post(
        f"/admin/stores/{dark}/clerks", json={"email": "owner@example.com"}, headers=admin
    )
    assert r.status_code == 409
    r = await client.get(f"/admin/stores/{dark}/clerks", headers=admin)
    assert [c["email"] for c in r.json()["clerks"]] == ["new.clerk@example.com"]
    r = await client.get(f"/admin/stores/{dark}/clerks", headers=world.headers(world.owner))
    assert r.status_code == 403
    r = await client.delete(f"/admin/stores/{dark}/clerks/{new_id}", headers=admin)
    assert r.status_code == 204
    r = await client.delete(f"/admin/stores/{dark}/clerks/{new_id}", headers=admin)
    assert r.status_code == 404
