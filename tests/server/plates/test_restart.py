"""Without Redis the server runs plate jobs itself: a server stopped mid-job resumes the
job when it starts again (its lifespan), and the rerun stores each plate once."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
from sqlalchemy import select

from metrica.server.app import create_app
from metrica.server.plates.models import PlateJob, PlateReadRow
from metrica.server.plates.runner import read_id
from metrica.server.settings import Settings
from metrica.server.state import AppState
from tests.server.plates.conftest import make_plate_world, upload_files
from tests.server.plates.scripted import ScriptedProcessor, scripted_upload
from tests.support.db import empty_tables


async def _state_of(state: AppState, job_id: uuid.UUID) -> tuple[PlateJob, list[str]]:
    async with state.sessions() as session:
        job = await session.get(PlateJob, job_id)
        assert job is not None
        reads = await session.scalars(
            select(PlateReadRow.normalized).where(PlateReadRow.job_id == job_id)
        )
        return job, sorted(reads.all())


async def test_a_job_cut_by_a_server_stop_resumes_at_the_next_start(settings: Settings) -> None:
    first = create_app(settings, plate_processor=ScriptedProcessor())
    state: AppState = first.state.metrica
    await empty_tables(state.engine)
    world = await make_plate_world(state)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url="http://t"
    ) as c:
        r = await c.post(
            "/plates/uploads",
            params={"store_id": str(world.store.id)},
            files=upload_files(
                scripted_upload(["EARLY1", "LATE22"], frames=40, frame_s=0.05, at=[2, 38])
            ),
            headers=world.headers(world.owner),
        )
    job_id = uuid.UUID(r.json()["id"])
    deadline = time.monotonic() + 30
    while (await _state_of(state, job_id))[1] != ["EARLY1"]:
        assert time.monotonic() < deadline, "the first plate was never stored"
        await asyncio.sleep(0.05)
    await state.close()  # the server stops mid-job
    probe = AppState.build(settings)
    job, _ = await _state_of(probe, job_id)
    await probe.close()
    assert job.status == "running"

    second = create_app(settings, plate_processor=ScriptedProcessor())
    async with second.router.lifespan_context(second):
        again: AppState = second.state.metrica
        deadline = time.monotonic() + 30
        while (job := (await _state_of(again, job_id))[0]).status != "done":
            assert time.monotonic() < deadline, f"not resumed: {job.status}"
            await asyncio.sleep(0.05)
        job, reads = await _state_of(again, job_id)
        async with again.sessions() as session:
            ids = sorted((await session.scalars(select(PlateReadRow.id))).all())
    assert reads == ["EARLY1", "LATE22"]
    assert ids == sorted([read_id(job_id, 0), read_id(job_id, 1)])
    assert job.attempts == 2
    assert job.plates_found == 2
