"""Plate job rows: create from an upload, list, cancel, retry. The database row is the
job's truth; the queue only carries its id (see `queue`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.server.plates.models import PlateJob

ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled")


def upload_key(store_id: uuid.UUID, job_id: uuid.UUID, kind: str) -> str:
    """Uploads are stored under a key of ids only: a client's file name never reaches a
    path."""
    return f"uploads/{store_id}/{job_id}.{'video' if kind == 'video' else 'image'}"


def crop_key(store_id: uuid.UUID, job_id: uuid.UUID, track_key: int) -> str:
    return f"crops/{store_id}/{job_id}/{track_key}.jpg"


async def list_for_store(
    *, session: AsyncSession, store_id: uuid.UUID, limit: int = 100
) -> list[PlateJob]:
    query = (
        select(PlateJob)
        .where(PlateJob.store_id == store_id)
        .order_by(PlateJob.created_at.desc(), PlateJob.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def cancel(*, session: AsyncSession, job: PlateJob, now: datetime) -> None:
    """A queued or running job stops (a running one at its next progress report)."""
    if job.status in ACTIVE:
        job.status = "cancelled"
        job.finished_at = now
        await session.flush()


async def reset_for_retry(*, session: AsyncSession, job: PlateJob) -> bool:
    """A failed or cancelled job goes back to the queue with fresh attempts; False for a
    job in another state. A cancelled try that is still winding down sees the job is no
    longer its own (see `runner`) and leaves it to the next."""
    if job.status not in ("failed", "cancelled"):
        return False
    job.status = "queued"
    job.error = None
    job.started_at = None  # the try that was cancelled or failed no longer owns the job
    job.finished_at = None
    job.attempts = 0
    job.progress_done = 0
    await session.flush()
    return True


async def queued_count(*, session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(PlateJob).where(PlateJob.status == "queued")
        )
        or 0
    )


async def unfinished_ids(*, session: AsyncSession) -> list[uuid.UUID]:
    """Jobs a restarted server must run again (embedded queue)."""
    query = select(PlateJob.id).where(PlateJob.status.in_(ACTIVE)).order_by(PlateJob.created_at)
    return list((await session.scalars(query)).all())
