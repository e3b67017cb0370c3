"""Every `/admin` route, wherever its feature defines it: superadmin only, and a path id
that names nothing is a 404 (the same resource dependencies as the owner routes)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from metrica.server.state import AppState
from tests.server.factories import bearer, make_user


def _admin_calls(app: FastAPI, *, with_path_ids: bool = False) -> list[tuple[str, str]]:
    """(method, path) of every documented admin operation, with made-up ids (only those
    whose path names a resource, with `with_path_ids`)."""
    ids = {
        "store_id": uuid.uuid4(),
        "camera_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "box_id": uuid.uuid4(),
        "recording_id": uuid.uuid4(),
    }
    return [
        (method.upper(), path.format(**ids))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/admin") and ("{" in path or not with_path_ids)
        for method in operations
    ]


async def test_every_admin_route_refuses_everyone_but_the_superadmin(
    app: FastAPI, client: httpx.AsyncClient, state: AppState
) -> None:
    owner = bearer(state, await make_user(state, "o@example.com"))
    clerk = bearer(state, await make_user(state, "c@example.com", role="clerk"))
    calls = _admin_calls(app)
    assert len(calls) == 43
    for method, path in calls:
        assert (await client.request(method, path)).status_code == 401, (method, path)
        for who in (owner, clerk):
            r = await client.request(method, path, headers=who)
            assert r.status_code == 403, (method, path)


async def test_an_unknown_store_or_camera_id_is_404_for_the_superadmin(
    app: FastAPI, client: httpx.AsyncClient, state: AppState
) -> None:
    admin = bearer(state, await make_user(state, "root@example.com", role="superadmin"))
    calls = _admin_calls(app, with_path_ids=True)
    assert len(calls) == 37
    for method, path in calls:
        r = await client.request(method, path, headers=admin)
        assert r.status_code == 404, (method, path)
        assert r.json()["detail"] in (
            "store not found",
            "camera not found",
            "box not found",
            "recording not found",
        ), (
            method,
            path,
        )
