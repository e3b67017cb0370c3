"""`events.service.delete_events`: exactly the named camera's or store's events go."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from metrica.server.events import service as events
from metrica.server.events.models import EventRow
from metrica.server.state import AppState
from tests.server.factories import crossing, make_camera, make_store


async def _events_per_camera(state: AppState) -> dict[str, int]:
    async with state.sessions() as session:
        rows = await session.execute(
            select(EventRow.camera_id, func.count()).group_by(EventRow.camera_id)
        )
        return {str(camera_id): n for camera_id, n in rows.all()}


async def test_delete_events_of_one_camera_then_of_a_store(
    client: httpx.AsyncClient, state: AppState
) -> None:
    here, there = await make_store(state, name="Here"), await make_store(state, name="There")
    front, front_key = await make_camera(state, here, name="Front")
    side, side_key = await make_camera(state, here, name="Side")
    away, away_key = await make_camera(state, there, name="Away")
    at = datetime(2025, 6, 2, 10, tzinfo=UTC)
    for camera, key in ((front, front_key), (side, side_key), (away, away_key)):
        batch = {"events": [crossing(camera, "in", at), crossing(camera, "out", at)]}
        r = await client.post("/events", json=batch, headers={"X-Worker-Key": key})
        assert r.json()["accepted"] == 2

    async with state.sessions() as session:
        await events.delete_events(session=session, store_id=here.id, camera_id=side.id)
        await session.commit()
    assert await _events_per_camera(state) == {str(front.id): 2, str(away.id): 2}

    async with state.sessions() as session:
        await events.delete_events(session=session, store_id=here.id)
        await session.commit()
    assert await _events_per_camera(state) == {str(away.id): 2}
