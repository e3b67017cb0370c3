"""A plate worker: takes plate jobs from the Redis queue and runs them (`metrica
plates-worker`). Any number of them, on any machine that reaches Redis, the database and
the blob store."""

from __future__ import annotations

import uuid
from typing import Any

from saq import Worker
from saq.types import PartialTimersDict

import metrica.server.models  # noqa: F401  every table, for the foreign keys of the job rows
from metrica.domain.plates import UploadProcessor
from metrica.server.auth.mailer import Mailer
from metrica.server.blobs import blob_store
from metrica.server.db import create_engine, session_factory
from metrica.server.jobs import BackgroundJobs
from metrica.server.plates.queue import JOB_FUNCTION, saq_queue
from metrica.server.plates.runner import PlateRunner
from metrica.server.settings import Settings


def build_worker(
    settings: Settings, processor: UploadProcessor, concurrency: int = 1
) -> Worker[Any]:
    """The SAQ worker; `await worker.start()` runs until SIGINT/SIGTERM."""
    if settings.queue_redis_url is None:
        raise ValueError("a plate worker needs a Redis queue (METRICA_QUEUE_REDIS_URL)")
    engine = create_engine(settings.database_url, pool_size=max(2, concurrency + 1))
    blobs = blob_store(settings)
    runner = PlateRunner(
        settings=settings,
        sessions=session_factory(engine),
        blobs=blobs,
        processor=processor,
        mailer=Mailer(settings),
        alerts=BackgroundJobs(),
    )

    async def run_plate_job(ctx: dict[str, Any], *, job_id: str) -> None:
        job = ctx["job"]
        await runner.run(uuid.UUID(job_id), heartbeat=job.update)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await blobs.close()
        await engine.dispose()

    return Worker(
        saq_queue(settings),
        functions=[(JOB_FUNCTION, run_plate_job)],
        concurrency=concurrency,
        shutdown=shutdown,
        timers=PartialTimersDict(
            schedule=1, worker_info=10, sweep=settings.plates_queue_sweep_s, abort=1
        ),
    )
