"""What the server runs for plates while it is up: unfinished jobs resumed (embedded
queue), expired plate reads purged and the queue-depth gauge refreshed periodically."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from metrica.server.db import utcnow
from metrica.server.plates import jobs
from metrica.server.plates.privacy import purge_expired_plates
from metrica.server.plates.queue import EmbeddedQueue
from metrica.server.plates.runner import refresh_queue_depth
from metrica.server.state import AppState

log = logging.getLogger("metrica.plates")
DEPTH_EVERY_S = 15.0


async def resume_unfinished(state: AppState) -> int:
    """Queue again every job a stopped server left queued or running; returns how many."""
    if not isinstance(state.plate_queue, EmbeddedQueue):
        return 0  # Redis keeps its jobs; workers' sweeps rerun those of dead workers
    async with state.sessions() as session:
        ids = await jobs.unfinished_ids(session=session)
    for job_id in ids:
        await state.plate_queue.enqueue(job_id)
    return len(ids)


async def purge_once(state: AppState) -> int:
    async with state.sessions() as session:
        removed = await purge_expired_plates(session, utcnow(), blobs=state.blobs)
        await session.commit()
    if removed.reads:
        log.info("purged %d expired plate reads, %d crops", removed.reads, removed.crops)
    return removed.reads


async def _periodic(state: AppState) -> None:
    every = state.settings.plates_retention_interval_s
    since_purge = every
    while True:
        try:
            await refresh_queue_depth(state.sessions)
            if since_purge >= every:
                since_purge = 0.0
                await purge_once(state)
        except Exception:
            log.exception("plate upkeep failed")
        await asyncio.sleep(DEPTH_EVERY_S)
        since_purge += DEPTH_EVERY_S


@contextlib.asynccontextmanager
async def plates_running(state: AppState) -> AsyncIterator[None]:
    """For the app's lifespan."""
    try:
        await resume_unfinished(state)
    except Exception:
        log.exception("could not resume plate jobs")
    task = asyncio.create_task(_periodic(state), name="plates-upkeep")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
