"""Where plate jobs wait: Redis through SAQ (plate workers on any machine), or inside the
server process (no Redis configured). Both carry only the job id; the job row in the
database holds the state, so either one may lose a message without losing a job.

SAQ is asyncio-native (the worker shares our async SQLAlchemy sessions and blob store),
retries with exponential backoff, and re-runs the job of a worker that stopped sending
heartbeats (killed, machine lost) when another worker sweeps the queue.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Protocol

from redis.asyncio import Redis
from saq import Queue
from saq.queue.redis import RedisQueue

from metrica.server.plates.runner import PlateRunner, RetryJob
from metrica.server.settings import Settings

log = logging.getLogger("metrica.plates.queue")
JOB_FUNCTION = "run_plate_job"


class PlateQueue(Protocol):
    async def enqueue(self, job_id: uuid.UUID) -> None: ...

    async def close(self) -> None: ...


class EmbeddedQueue:
    """Jobs run as tasks of the server's event loop, `concurrency` at a time, with the
    same tries and backoff as the Redis queue."""

    def __init__(self, runner: PlateRunner, settings: Settings) -> None:
        self._runner = runner
        self._settings = settings
        self._slots = asyncio.Semaphore(settings.plates_embedded_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    async def enqueue(self, job_id: uuid.UUID) -> None:
        # No "already queued" check: a job retried while its cancelled try is still
        # winding down must run again. A second message for a job is harmless: the try
        # that claims it last owns it, an earlier one stops at its next report, and a
        # finished job is not run again.
        task = asyncio.create_task(self._run(job_id), name=f"plate-job-{job_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job_id: uuid.UUID) -> None:
        try:
            delay = self._settings.plates_retry_delay_s
            for _ in range(self._settings.plates_job_attempts):
                async with self._slots:
                    try:
                        await self._runner.run(job_id)
                        return
                    except RetryJob:
                        pass
                await asyncio.sleep(delay)
                delay *= 2
        except Exception:
            log.exception("plate job %s crashed", job_id)

    @property
    def active_jobs(self) -> int:
        """Jobs waiting for a slot, running or waiting for their next try."""
        return len(self._tasks)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class SweepingRedisQueue(RedisQueue):
    """SAQ's sweep takes a lock for 60 s by default, so a worker that starts right after
    another died may wait a minute before it re-runs the dead worker's job; the lock here
    lasts one sweep interval."""

    def __init__(self, redis: Redis, *, sweep_s: int, **kwargs: Any) -> None:
        super().__init__(redis, **kwargs)
        self._sweep_s = sweep_s

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        return await super().sweep(lock=self._sweep_s, abort=abort)


def saq_queue(settings: Settings) -> Queue:
    assert settings.queue_redis_url is not None
    redis: Redis = Redis.from_url(settings.queue_redis_url.get_secret_value())
    return SweepingRedisQueue(
        redis, name=settings.queue_name, sweep_s=settings.plates_queue_sweep_s
    )


class RedisPlateQueue:
    """Enqueue-only side (the server); `metrica plates-worker` runs the jobs."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._queue: Queue | None = None

    async def enqueue(self, job_id: uuid.UUID) -> None:
        if self._queue is None:
            self._queue = saq_queue(self._settings)
        s = self._settings
        await self._queue.enqueue(
            JOB_FUNCTION,
            key=f"{job_id}:{uuid.uuid4().hex[:8]}",
            job_id=str(job_id),
            timeout=0,  # a long video may take hours; liveness is the heartbeat's job
            heartbeat=s.plates_job_heartbeat_s,
            retries=s.plates_job_attempts + 2,  # the job row decides when to give up
            retry_delay=s.plates_retry_delay_s,
            retry_backoff=True,
        )

    async def close(self) -> None:
        if self._queue is not None:
            await self._queue.disconnect()


def plate_queue(settings: Settings, runner: PlateRunner) -> PlateQueue:
    if settings.queue_redis_url is not None:
        return RedisPlateQueue(settings)
    return EmbeddedQueue(runner, settings)
