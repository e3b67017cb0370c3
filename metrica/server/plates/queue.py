"""Where plate jobs wait: Redis through SAQ (plate workers on any machine), or inside the
server process (no Redis configured). Both carry only the job id; the job row in the
database holds the state, so either one may lose a message without losing a job.

SAQ is asyncio-native (the worker shares our async SQLAlchemy sessions and blob store),
retries with exponential backoff, and re-runs the job of a worker that stopped sending
heartbeats (killed, machine lost) when another worker sweeps the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any, Protocol

from redis.asyncio import Redis
from saq import Queue
from saq.job import Status
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


# SAQ 0.26's sweep script: under a lock that expires after ARGV[1] seconds, every job id
# in the active list with its stored job.
_SWEEP_SCRIPT = """
local id_jobs = {}
if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('SETEX', KEYS[1], ARGV[1], 1)
    for i, v in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
        id_jobs[i] = {v, redis.call('GET', v)}
    end
end
return id_jobs
"""


class SweepingRedisQueue(RedisQueue):
    """SAQ's Redis queue with a sweep that reruns a dead worker's job promptly and never
    sweeps a job that a live worker is just starting.

    SAQ (0.26) sweeps every job in its active list that is stuck (no heartbeat within
    `heartbeat` s) *or whose status is not yet "active"*. A worker moves a job into the
    active list (BLMOVE) a few milliseconds before it marks it active, and a sweep that
    lands in between -- likely when a worker starts, since its first sweep and its first
    dequeue run together -- aborts the job under the worker's feet: the job was left
    "aborting" in no list at all, run by nobody once that worker died, which is why a
    killed worker's job was sometimes rerun a minute or more late, or not at all. Here a
    job that is merely not active yet is swept only when it is still so a grace period
    after a sweep first saw it; stuck jobs are swept at once. Also: the sweep lock lasts
    one sweep interval (SAQ's 60 s default let a worker that started right after another
    died wait a minute), and the sweep waits `sweep_s` (not 5 s) for a dead worker to
    acknowledge the abort it will never see.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        sweep_s: int,
        not_started_grace_s: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(redis, **kwargs)
        self._sweep_s = sweep_s
        grace = max(2.0 * sweep_s, 2.0) if not_started_grace_s is None else not_started_grace_s
        self.not_started_grace_s = grace
        self._not_started_since: dict[bytes, float] = {}

    async def sweep(self, lock: int = 60, abort: float = 5.0) -> list[str]:
        if self._cleanup_script is None:
            self._cleanup_script = self.redis.register_script(_SWEEP_SCRIPT)
        id_jobs = await self._cleanup_script(
            keys=[self._sweep, self._active], args=[self._sweep_s], client=self.redis
        )
        now_s = time.monotonic()
        seen = set()
        swept: list[bytes] = []
        for job_id, job_bytes in id_jobs:
            seen.add(job_id)
            job = self.deserialize(job_bytes)
            if job is None:
                swept.append(job_id)
                async with self.redis.pipeline(transaction=True) as pipe:
                    pipe.lrem(self._active, 0, job_id)
                    pipe.zrem(self._incomplete, job_id)
                    await pipe.execute()
                continue
            if not job.stuck:
                if job.status == Status.ACTIVE:
                    self._not_started_since.pop(job_id, None)
                    continue
                first = self._not_started_since.setdefault(job_id, now_s)
                if now_s - first < self.not_started_grace_s:
                    continue  # a worker is most likely marking it active right now
            self._not_started_since.pop(job_id, None)
            log.info("sweeping plate queue job %s (%s)", job.key, job.status)
            swept.append(job_id)
            await self.abort(job, error=self.swept_error_message)
            with contextlib.suppress(TimeoutError):  # a dead worker never acknowledges it
                await job.refresh(float(self._sweep_s))
            if job.retryable:
                await self.retry(job, error=self.swept_error_message)
            else:
                await self.finish(job, Status.ABORTED, error=self.swept_error_message)
        if id_jobs:  # forget jobs no longer in the active list (the script ran)
            for job_id in list(self._not_started_since):
                if job_id not in seen:
                    del self._not_started_since[job_id]
        return [job_id.decode() for job_id in swept]


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
