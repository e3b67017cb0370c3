"""The plate queue's sweep on the real Redis: a job a worker has just taken (in SAQ's
active list, not yet marked active) is left alone — SAQ 0.26's own sweep aborted it, and
the job then sat "aborting" in no list, run by nobody — while the job of a worker that
stopped sending heartbeats is put back at once, without SAQ's 5 s wait for an abort
acknowledgement that a dead worker never sends."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from saq.job import Status
from saq.utils import now

from metrica.server.plates.queue import JOB_FUNCTION, SweepingRedisQueue
from tests.support.redis import REDIS_URL


@pytest.fixture
def name() -> str:
    return f"metrica-test-sweep-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def redis(name: str) -> AsyncIterator[Redis]:
    client: Redis = Redis.from_url(REDIS_URL)
    yield client
    keys = [k async for k in client.scan_iter(match=f"*{name}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def _stored(queue: SweepingRedisQueue, key: str) -> tuple[Status, bool, bool]:
    """The job's stored status, and whether it is in the active list / waiting to run."""
    job = await queue.job(key)
    assert job is not None
    active = job.id.encode() in await queue.redis.lrange(queue.namespace("active"), 0, -1)
    waiting = await queue.redis.zscore(queue.namespace("incomplete"), job.id) is not None
    return job.status, active, waiting


async def test_a_starting_job_is_left_alone_and_a_dead_worker_s_job_is_put_back_promptly(
    redis: Redis, name: str
) -> None:
    queue = SweepingRedisQueue(redis, name=name, sweep_s=1)
    lock = queue.namespace("sweep")
    await queue.enqueue(JOB_FUNCTION, key="job-a", job_id="a", heartbeat=5, retries=5)

    # A worker's BLMOVE: the job is in the active list, still "queued" until the worker
    # marks it active a moment later. A sweep now must not touch it.
    taken = await queue.dequeue(timeout=1)
    assert taken is not None
    assert await _stored(queue, "job-a") == (Status.QUEUED, True, True)
    assert await queue.sweep() == []
    assert await _stored(queue, "job-a") == (Status.QUEUED, True, True)

    # The worker marks it active and sends heartbeats: still left alone.
    taken.started, taken.attempts = now(), 1
    await taken.update(status=Status.ACTIVE)
    await redis.delete(lock)  # the sweep lock (one sweep interval) has expired
    assert await queue.sweep() == []
    assert (await _stored(queue, "job-a"))[:2] == (Status.ACTIVE, True)

    # The worker dies: no heartbeat for longer than `heartbeat`. The next sweep puts the
    # job back to be run again, without waiting seconds for the dead worker's answer.
    stale = await queue.job("job-a")
    assert stale is not None
    stale.touched = now() - 10_000
    await redis.set(stale.id, queue.serialize(stale))
    await redis.delete(lock)
    started = time.monotonic()
    assert await queue.sweep() == [stale.id]
    assert time.monotonic() - started < 4.0  # SAQ's own sweep waits 5 s here
    assert await _stored(queue, "job-a") == (Status.QUEUED, False, True)


async def test_a_job_taken_by_a_worker_that_died_before_starting_it_is_swept_after_a_grace(
    redis: Redis, name: str
) -> None:
    first = SweepingRedisQueue(redis, name=name, sweep_s=1)
    await first.enqueue(JOB_FUNCTION, key="job-b", job_id="b", heartbeat=5, retries=5)
    assert await first.dequeue(timeout=1) is not None  # and the worker died right there
    assert await first.sweep() == []  # within the grace: it might be starting
    # Another worker's sweep after the grace (here: none) puts it back.
    other = SweepingRedisQueue(redis, name=name, sweep_s=1, not_started_grace_s=0.0)
    await redis.delete(other.namespace("sweep"))
    swept = await other.sweep()
    assert len(swept) == 1
    assert await _stored(other, "job-b") == (Status.QUEUED, False, True)
