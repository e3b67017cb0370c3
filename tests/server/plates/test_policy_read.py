"""Privacy policies when plate reads are read, per role, on SQLite and PostgreSQL: text
masked for owners and full for clerks, a store's own file undoing the global rule, reads
hidden from a role, and the crop removed with its URL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from metrica.domain.plate_text import fold_plate, normalize_plate
from metrica.server.plates.models import PlateReadRow
from metrica.server.settings import Settings
from metrica.server.state import AppState
from metrica.server.stores.models import Store
from tests.server.factories import make_store, make_user
from tests.server.plates.conftest import PlateWorld
from tests.server.policy_support import app_with_policy

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MASKED_FOR_OWNERS = """\
rules:
  - event: plate_read
    field: text
    action: redact
    roles: [owner]
"""


async def _read(state: AppState, store: Store, text: str, *, crop: bool = False) -> uuid.UUID:
    read_id = uuid.uuid4()
    normalized = normalize_plate(text)
    key = f"crops/{read_id}.jpg" if crop else None
    if key is not None:
        await state.blobs.put(key, b"\xff\xd8 a plate \xff\xd9")
    async with state.sessions() as session:
        session.add(
            PlateReadRow(
                id=read_id,
                store_id=store.id,
                occurred_at=AT,
                text=text,
                normalized=normalized,
                folded=fold_plate(normalized),
                confidence=0.9,
                vehicle_class="car",
                crop_key=key,
            )
        )
        await session.commit()
    return read_id


async def _search(client: httpx.AsyncClient, world: PlateWorld, store: Store, user: object) -> list:
    r = await client.get(
        "/plates",
        params={"store_id": str(store.id)},
        headers=world.headers(user),  # type: ignore[arg-type]
    )
    assert r.status_code == 200, r.text
    return r.json()["results"]


async def test_owners_see_plates_masked_and_clerks_in_full(
    world: PlateWorld, settings: Settings, tmp_path: Path
) -> None:
    await _read(world.state, world.store, "AB 123 CD")
    async with app_with_policy(settings, tmp_path, MASKED_FOR_OWNERS) as (_, client):
        [as_owner] = await _search(client, world, world.store, world.owner)
        assert (as_owner["text"], as_owner["normalized"]) == ("AB•••CD", "AB•••CD")
        [as_clerk] = await _search(client, world, world.store, world.clerk)
        assert (as_clerk["text"], as_clerk["normalized"]) == ("AB 123 CD", "AB123CD")
        [as_admin] = await _search(client, world, world.store, world.admin)
        assert as_admin["text"] == "AB 123 CD"
        r = await client.get(
            "/plates/export.csv",
            params={"store_id": str(world.store.id)},
            headers=world.headers(world.owner),
        )
        assert r.status_code == 200
        assert "AB•••CD" in r.text
        assert "123" not in r.text


async def test_without_a_policy_owners_see_plates_in_full(
    client: httpx.AsyncClient, world: PlateWorld
) -> None:
    await _read(world.state, world.store, "AB 123 CD")
    [as_owner] = await _search(client, world, world.store, world.owner)
    assert as_owner["text"] == "AB 123 CD"


async def test_a_store_file_undoes_the_global_rule_for_that_store_only(
    world: PlateWorld, settings: Settings, tmp_path: Path
) -> None:
    state = world.state
    other = await make_user(state, "owner2@example.com")
    second = await make_store(state, name="Second car park", owner=other)
    async with state.sessions() as session:
        row = await session.get(Store, second.id)
        assert row is not None
        row.anpr_enabled = True
        await session.commit()
    await _read(state, world.store, "AB 123 CD")
    await _read(state, second, "XY 987 ZZ")
    full_here = "rules:\n  - {event: plate_read, field: text, action: allow}\n"
    async with app_with_policy(
        settings, tmp_path, MASKED_FOR_OWNERS, {world.store.id: full_here}
    ) as (_, client):
        [mine] = await _search(client, world, world.store, world.owner)
        assert mine["text"] == "AB 123 CD"
        [theirs] = await _search(client, world, second, other)
        assert theirs["text"] == "XY•••ZZ"


async def test_reads_denied_to_clerks_are_hidden_and_their_crops_refused(
    world: PlateWorld, settings: Settings, tmp_path: Path
) -> None:
    read_id = await _read(world.state, world.store, "AB 123 CD", crop=True)
    policy = "rules:\n  - {event: plate_read, action: deny, roles: [clerk]}\n"
    async with app_with_policy(settings, tmp_path, policy) as (_, client):
        assert await _search(client, world, world.store, world.clerk) == []
        crop = f"/plates/reads/{read_id}/crop"
        r = await client.get(crop, headers=world.headers(world.clerk))
        assert r.status_code == 404
        r = await client.get(crop, headers=world.headers(world.owner))
        assert r.status_code == 200
        assert r.content.startswith(b"\xff\xd8")


async def test_dropping_the_crop_and_the_text_for_owners(
    world: PlateWorld, settings: Settings, tmp_path: Path
) -> None:
    read_id = await _read(world.state, world.store, "AB 123 CD", crop=True)
    policy = """\
rules:
  - {event: plate_read, field: crop_url, action: drop, roles: [owner]}
  - {event: plate_read, field: text, action: drop, roles: [owner]}
"""
    async with app_with_policy(settings, tmp_path, policy) as (_, client):
        [as_owner] = await _search(client, world, world.store, world.owner)
        assert as_owner["crop_url"] is None
        assert (as_owner["text"], as_owner["normalized"]) == ("•••", "•••")
        r = await client.get(f"/plates/reads/{read_id}/crop", headers=world.headers(world.owner))
        assert r.status_code == 404
        [as_clerk] = await _search(client, world, world.store, world.clerk)
        assert as_clerk["crop_url"] == f"/plates/reads/{read_id}/crop"
