"""A job cancelled while it runs and retried at once runs again from the start, exactly
once, and ends done — the cancelled run neither finishes the retried job (as cancelled or
as done) nor writes its plates. In-process queue, both databases."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from metrica.domain.plates import PlateFound, Progress, UploadKind
from metrica.server.plates.models import PlateReadRow
from metrica.server.plates.queue import EmbeddedQueue
from metrica.server.state import AppState
from tests.server.plates.conftest import PlateWorld, upload_files, wait_for_job
from tests.server.plates.scripted import ScriptedProcessor, crop_for, scripted_upload


class GatedProcessor(ScriptedProcessor):
    """Its first run reports frame 1, then holds (still reporting progress, so that it
    can be stopped) until `gate` opens; every run then finds one plate naming the run."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.first_run_holding = threading.Event()
        self.first_run_stopped = threading.Event()

    def process(self, path: Path, kind: UploadKind, progress: Progress) -> Iterator[PlateFound]:
        self.runs += 1
        run = self.runs
        progress(1, 3)
        if run == 1:
            self.first_run_holding.set()
            try:
                while not self.gate.wait(0.01):
                    progress(1, 3)
            except BaseException:
                self.first_run_stopped.set()
                raise
        progress(2, 3)
        progress(3, 3)
        text = f"RUN{run}"
        yield PlateFound(
            track_key=0,
            text=text,
            normalized=text,
            confidence=0.9,
            box=(1, 2, 3, 4),
            vehicle_class="car",
            first_seen_s=1.0,
            last_seen_s=1.5,
            crop_jpeg=crop_for(text),
        )


@pytest.fixture
def processor() -> GatedProcessor:
    return GatedProcessor()


async def _wait(event: threading.Event, what: str, timeout_s: float = 20) -> None:
    if not await asyncio.to_thread(event.wait, timeout_s):
        raise AssertionError(f"{what}: not within {timeout_s} s")


@pytest.mark.parametrize("moment", ["before_the_run_stops", "as_the_run_stops"])
async def test_cancel_then_retry_runs_the_job_again_once_and_ends_done(
    client: httpx.AsyncClient,
    world: PlateWorld,
    state: AppState,
    processor: GatedProcessor,
    moment: str,
) -> None:
    owner = world.headers(world.owner)
    r = await client.post(
        "/plates/uploads",
        params={"store_id": str(world.store.id)},
        files=upload_files(scripted_upload([])),
        headers=owner,
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    await _wait(processor.first_run_holding, "the first run started")

    r = await client.post(f"/plates/jobs/{job_id}/cancel", headers=owner)
    assert (r.status_code, r.json()["status"]) == (200, "cancelled")
    if moment == "as_the_run_stops":
        await _wait(processor.first_run_stopped, "the cancelled run stopped")
    r = await client.post(f"/plates/jobs/{job_id}/retry", headers=owner)
    assert (r.status_code, r.json()["status"]) == (200, "queued")
    processor.gate.set()

    final = await wait_for_job(client, job_id, owner)
    assert final["status"] == "done", final
    assert (final["attempts"], final["plates_found"], final["error"]) == (1, 1, None)
    assert (final["progress_done"], final["progress_total"]) == (3, 3)
    async with state.sessions() as session:
        texts = (await session.scalars(select(PlateReadRow.text))).all()
    assert texts == ["RUN2"]  # written by the retried run, not by the cancelled one
    assert processor.runs == 2

    # and it stays done: once the queue has nothing left to run, nothing ran it again
    queue = state.plate_queue
    assert isinstance(queue, EmbeddedQueue)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not queue.active_jobs:
            break
        await asyncio.sleep(0.05)
    assert queue.active_jobs == 0
    r = await client.get(f"/plates/jobs/{job_id}", headers=owner)
    assert r.json()["status"] == "done"
    assert processor.runs == 2
