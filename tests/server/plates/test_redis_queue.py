"""Plate jobs on the real Redis queue (SAQ) with real `metrica plates-worker` processes: a
worker killed with SIGKILL mid-job loses nothing — another worker reruns the job and the
upload's plates are stored exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy import select

from metrica.server.app import create_app
from metrica.server.plates.models import PlateJob, PlateReadRow
from metrica.server.plates.runner import read_id
from metrica.server.settings import Settings
from metrica.server.state import AppState
from tests.server.conftest import TEST_SECRET, make_settings
from tests.server.plates.conftest import make_plate_world, upload_files
from tests.server.plates.scripted import scripted_upload
from tests.support.db import empty_tables
from tests.support.redis import REDIS_URL

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def queue_settings(database_url: str, tmp_path: Path) -> Iterator[Settings]:
    name = f"metrica-test-{uuid.uuid4().hex[:10]}"
    yield make_settings(
        database_url,
        blob_dir=tmp_path / "blobs",
        queue_redis_url=REDIS_URL,
        queue_name=name,
        # Short, so the killed worker's job is rerun soon; not so short that a live worker
        # on a loaded machine misses a beat and its job is swept from under it.
        plates_job_heartbeat_s=5,
        plates_queue_sweep_s=1,
        plates_retry_delay_s=0.1,
    )
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
async def queue_app(queue_settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(queue_settings)  # no reader here: plate workers read
    await empty_tables(app.state.metrica.engine)
    yield app
    await app.state.metrica.close()


class Workers:
    def __init__(self, settings: Settings) -> None:
        self.env = os.environ | {
            "METRICA_ENVIRONMENT": "test",
            "METRICA_SECRET_KEY": TEST_SECRET,
            "METRICA_DATABASE_URL": settings.database_url,
            "METRICA_BLOB_DIR": str(settings.blob_dir),
            "METRICA_QUEUE_NAME": settings.queue_name,
            "METRICA_PLATES_JOB_HEARTBEAT_S": str(settings.plates_job_heartbeat_s),
            "METRICA_PLATES_QUEUE_SWEEP_S": str(settings.plates_queue_sweep_s),
            "METRICA_PLATES_RETRY_DELAY_S": str(settings.plates_retry_delay_s),
        }
        self.processes: list[subprocess.Popen[bytes]] = []
        self.log = settings.blob_dir.parent / "workers.log"

    def start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "metrica.cli",
                "plates-worker",
                "--redis-url",
                REDIS_URL,
                "--processor",
                "tests.server.plates.scripted:ScriptedProcessor",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _job(state: AppState, job_id: uuid.UUID) -> tuple[PlateJob, list[PlateReadRow]]:
    async with state.sessions() as session:
        job = await session.get(PlateJob, job_id)
        assert job is not None
        reads = (
            await session.scalars(select(PlateReadRow).where(PlateReadRow.job_id == job_id))
        ).all()
        return job, list(reads)


async def _until(
    state: AppState,
    job_id: uuid.UUID,
    ok: Callable[[PlateJob, list[PlateReadRow]], bool],
    what: str,
    timeout_s: float,
) -> tuple[PlateJob, list[PlateReadRow]]:
    deadline = time.monotonic() + timeout_s
    while True:
        job, reads = await _job(state, job_id)
        if ok(job, reads):
            return job, reads
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {job.status}"
        await asyncio.sleep(0.1)


async def test_a_killed_worker_s_job_is_rerun_by_another_without_duplicates(
    queue_app: FastAPI, queue_settings: Settings
) -> None:
    state: AppState = queue_app.state.metrica
    world = await make_plate_world(state)
    owner = world.headers(world.owner)
    workers = Workers(queue_settings)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=queue_app), base_url="http://t"
        ) as client:
            r = await client.post(
                "/plates/uploads",
                params={"store_id": str(world.store.id)},
                files=upload_files(
                    scripted_upload(["EARLY1", "LATE22"], frames=60, frame_s=0.1, at=[3, 55])
                ),
                headers=owner,
            )
            assert r.status_code == 202
            job_id = uuid.UUID(r.json()["id"])
            first = workers.start()
            job, reads = await _until(
                state,
                job_id,
                lambda j, rs: j.progress_done >= 10 and len(rs) == 1,
                "the first worker to store the early plate",
                timeout_s=60,
            )
            assert job.status == "running"
            assert job.attempts == 1
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            workers.start()
            job, reads = await _until(
                # ~15 s: heartbeat 5 s, a sweep every second, the 6 s job, a worker's start.
                # (SAQ's own sweep sometimes aborted the job as the first worker took it,
                # which left it in no list and late or never rerun: see
                # SweepingRedisQueue and test_queue_sweep.py.)
                state,
                job_id,
                lambda j, rs: j.status == "done",
                "the rerun",
                timeout_s=60,
            )
            assert job.attempts == 2
            assert job.plates_found == 2
            assert job.progress_done == job.progress_total == 60
            assert sorted((r.id, r.normalized) for r in reads) == sorted(
                [(read_id(job_id, 0), "EARLY1"), (read_id(job_id, 1), "LATE22")]
            )
            r = await client.get(f"/plates/jobs/{job_id}", headers=owner)
            assert r.json()["status"] == "done"
    finally:
        workers.stop_all()
        print(workers.log.read_text()[-5000:])
