"""The plate audit log filtered by action, by who (part of an email) and by time, paged,
with the total of matching entries; hostile filter values are 4xx, never 5xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from metrica.server.plates.models import PlateAudit
from metrica.server.state import AppState
from tests.server.plates.conftest import PlateWorld

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _log(state: AppState, world: PlateWorld) -> None:
    rows = [
        ("clerk@example.com", "search", "q=AB123", 0),
        ("clerk@example.com", "view", "read=1", 1),
        ("owner@example.com", "export", "plate=AB123", 2),
        ("admin@example.com", "erase", "plate=hmac:00", 3),
        ("under_score@example.com", "search", "q=ZZ9", 4),
    ]
    async with state.sessions() as session:
        for email, action, query, hours in rows:
            session.add(
                PlateAudit(
                    store_id=world.store.id,
                    user_email=email,
                    action=action,
                    query=query,
                    result_count=hours,
                    at=T0 + timedelta(hours=hours),
                )
            )
        session.add(  # another store's entry is never listed
            PlateAudit(
                store_id=world.dark.id,
                user_email="clerk@example.com",
                action="search",
                query="q=X",
                at=T0,
            )
        )
        await session.commit()


async def test_audit_filters(client: httpx.AsyncClient, world: PlateWorld, state: AppState) -> None:
    await _log(state, world)
    owner = world.headers(world.owner)

    async def get(**params: str) -> dict[str, object]:
        r = await client.get(
            "/plates/audit", params={"store_id": str(world.store.id), **params}, headers=owner
        )
        assert r.status_code == 200, r.text
        body: dict[str, object] = r.json()
        return body

    def queries(body: dict[str, object]) -> list[str]:
        entries = body["entries"]
        assert isinstance(entries, list)
        return [e["query"] for e in entries]

    everything = await get()
    assert everything["total"] == 5
    assert queries(everything) == ["q=ZZ9", "plate=hmac:00", "plate=AB123", "read=1", "q=AB123"]
    assert queries(await get(action="search")) == ["q=ZZ9", "q=AB123"]
    assert queries(await get(who="CLERK@")) == ["read=1", "q=AB123"]
    assert queries(await get(who="_")) == ["q=ZZ9"]  # a literal underscore, not a wildcard
    assert queries(await get(who="%")) == []
    since = (T0 + timedelta(hours=1)).isoformat()
    until = (T0 + timedelta(hours=3)).isoformat()
    assert queries(await get(**{"from": since, "to": until})) == ["plate=AB123", "read=1"]
    page = await get(limit="2", offset="1")
    assert (queries(page), page["total"]) == (["plate=hmac:00", "plate=AB123"], 5)

    for bad in (
        {"action": "delete"},
        {"who": "a\x00b"},
        {"from": "not a date"},
        {"limit": "0"},
        {"limit": str(2**63)},
        {"offset": "-1"},
        {"who": "x" * 400},
    ):
        r = await client.get(
            "/plates/audit", params={"store_id": str(world.store.id), **bad}, headers=owner
        )
        assert r.status_code in (400, 422), (bad, r.status_code, r.text)

    r = await client.get(
        "/plates/audit",
        params={"store_id": str(world.store.id)},
        headers=world.headers(world.clerk),
    )
    assert r.status_code == 404
