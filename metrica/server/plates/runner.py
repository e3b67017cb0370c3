"""Run one plate job: read its upload with the `UploadProcessor`, store each plate once.

Safe to run again for the same job (after a crash, a killed worker, a retry): a plate's
row id is uuid5(job id, track key) and its crop key is made of the same ids, so a rerun
writes the same rows and blobs, never a second copy. Progress, cancellation and the queue's
heartbeat are handled every `REPORT_EVERY_S` while the processor runs in a thread.

A try owns its job while the row's `started_at` is the instant the try claimed it. A retry
clears it and the next try claims it anew, so a try that was cancelled and then
superseded (or one that a second queue message started over) finds out at its next
report and stops without touching the row or storing plates: a job never ends in the
state of a try that is no longer its own.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from metrica.domain.plate_text import fold_plate, normalize_plate
from metrica.domain.plates import PlateFound, UploadKind, UploadProcessor
from metrica.server.auth.mailer import Mailer
from metrica.server.blobs import BlobError, BlobStore
from metrica.server.db import utcnow
from metrica.server.jobs import BackgroundJobs
from metrica.server.plates import metrics, watchlist
from metrica.server.plates.jobs import FINAL, crop_key, queued_count
from metrica.server.plates.models import PlateJob, PlateReadRow
from metrica.server.settings import Settings

log = logging.getLogger("metrica.plates.runner")
REPORT_EVERY_S = 0.5
Heartbeat = Callable[[], Awaitable[None]]


class RetryJob(Exception):
    """This try failed; the queue runs the job again after its backoff."""


class _Cancelled(Exception):
    pass


def read_id(job_id: uuid.UUID, track_key: int) -> uuid.UUID:
    return uuid.uuid5(job_id, str(track_key))


@dataclass
class PlateRunner:
    """Everything a job needs, in a server (embedded queue) or a plate worker."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    blobs: BlobStore
    processor: UploadProcessor | None
    mailer: Mailer
    alerts: BackgroundJobs

    async def run(self, job_id: uuid.UUID, heartbeat: Heartbeat | None = None) -> None:
        """One try of the job. Raises `RetryJob` when it failed and tries are left."""
        started = time.monotonic()
        async with self.sessions() as session:
            job = await session.get(PlateJob, job_id)
            if job is None or job.status in FINAL:
                return
            job.status = "running"
            job.attempts += 1
            job.started_at = claim = utcnow()
            job.error = None
            attempt, store_id, key = job.attempts, job.store_id, job.blob_key
            kind: UploadKind = "video" if job.kind == "video" else "image"
            uploaded_at = job.created_at
            await session.commit()
        await self._refresh_depth()
        limit = self.settings.plates_job_attempts
        if attempt > limit:
            await self._finish(job_id, claim, "failed", started, f"gave up after {limit} tries")
            return
        try:
            if self.processor is None:
                raise ValueError("no plate reader here: install the plates extra")
            async with self.blobs.local_path(key) as path:
                await self._process(job_id, claim, store_id, uploaded_at, path, kind, heartbeat)
        except _Cancelled:
            await self._finish(job_id, claim, "cancelled", started, None)
        except (ValueError, BlobError) as exc:  # the file cannot be read: no retry helps
            log.info("plate job %s: unreadable upload: %s", job_id, exc)
            reason = public_reason(str(exc)) or "unreadable"
            await self._finish(job_id, claim, "failed", started, reason)
        except Exception as exc:
            log.warning("plate job %s try %d failed", job_id, attempt, exc_info=True)
            reason = public_reason(f"{type(exc).__name__}: {exc}")[:900]
            if attempt >= limit or not await self._requeue(
                job_id, claim, f"try {attempt} failed: {reason}"
            ):  # out of tries, or cancelled or superseded meanwhile: no retry
                await self._finish(job_id, claim, "failed", started, reason)
                return
            raise RetryJob(reason) from exc
        else:
            await self._finish(job_id, claim, "done", started, None)
        finally:
            await self.alerts.drain()

    async def _process(
        self,
        job_id: uuid.UUID,
        claim: datetime,
        store_id: uuid.UUID,
        uploaded_at: datetime,
        path: Path,
        kind: UploadKind,
        heartbeat: Heartbeat | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        found: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        stop = threading.Event()
        progress = [0, 0]
        processor = self.processor
        assert processor is not None

        def on_progress(done: int, total: int) -> None:
            progress[0], progress[1] = done, total
            if stop.is_set():
                raise _Cancelled

        def produce() -> None:
            try:
                for plate in processor.process(path, kind, on_progress):
                    loop.call_soon_threadsafe(found.put_nowait, ("plate", plate))
                    if stop.is_set():
                        raise _Cancelled
                loop.call_soon_threadsafe(found.put_nowait, ("end", None))
            except BaseException as exc:
                loop.call_soon_threadsafe(found.put_nowait, ("error", exc))

        thread = threading.Thread(target=produce, name=f"plates-{job_id}", daemon=True)
        thread.start()
        last_report = time.monotonic()
        try:
            while True:
                try:
                    what, item = await asyncio.wait_for(found.get(), REPORT_EVERY_S)
                except TimeoutError:
                    what, item = "tick", None
                if what == "plate":
                    assert isinstance(item, PlateFound)
                    if not await self._store(job_id, claim, store_id, uploaded_at, item):
                        stop.set()
                        raise _Cancelled
                elif what == "error":
                    assert isinstance(item, BaseException)
                    raise item
                elif what == "end":
                    break
                if time.monotonic() - last_report >= REPORT_EVERY_S:
                    last_report = time.monotonic()
                    if heartbeat is not None:
                        await heartbeat()
                    if not await self._report(job_id, claim, progress[0], progress[1]):
                        stop.set()
            if not await self._report(job_id, claim, progress[1] or progress[0], progress[1]):
                raise _Cancelled
        finally:
            stop.set()
            await asyncio.to_thread(thread.join)

    async def _store(
        self,
        job_id: uuid.UUID,
        claim: datetime,
        store_id: uuid.UUID,
        uploaded_at: datetime,
        plate: PlateFound,
    ) -> bool:
        """Store one plate once; False (nothing stored) when this try no longer owns the
        job."""
        row_id = read_id(job_id, plate.track_key)
        key = crop_key(store_id, job_id, plate.track_key)
        async with self.sessions() as session:
            if not _owns(await session.get(PlateJob, job_id), claim):
                return False
        if plate.crop_jpeg:
            await self.blobs.put(key, plate.crop_jpeg)
        async with self.sessions() as session:
            if await session.get(PlateReadRow, row_id) is not None:
                return True  # stored by an earlier try
            normalized = normalize_plate(plate.normalized or plate.text)
            row = PlateReadRow(
                id=row_id,
                store_id=store_id,
                job_id=job_id,
                occurred_at=uploaded_at + timedelta(seconds=max(0.0, plate.first_seen_s)),
                text=plate.text[:32],
                normalized=normalized,
                folded=fold_plate(normalized),
                confidence=min(1.0, max(0.0, float(plate.confidence))),
                vehicle_class=plate.vehicle_class,
                crop_key=key if plate.crop_jpeg else None,
                first_seen_s=plate.first_seen_s,
                last_seen_s=plate.last_seen_s,
            )
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:  # another try of the job stored it at the same moment
                await session.rollback()
                return True
            alerts = await watchlist.match(session=session, read=row)
            await session.commit()
        for alert_id in alerts:
            self.alerts.start(
                watchlist.deliver(
                    sessions=self.sessions,
                    alert_id=alert_id,
                    mailer=self.mailer,
                    timeout_s=self.settings.plates_webhook_timeout_s,
                    allow_private=self.settings.plates_webhook_allow_private,
                ),
                name=f"plate-alert-{alert_id}",
            )
        return True

    async def _report(self, job_id: uuid.UUID, claim: datetime, done: int, total: int) -> bool:
        """Write progress; False when the job was cancelled or is no longer this try's."""
        async with self.sessions() as session:
            job = await session.get(PlateJob, job_id)
            if job is None or job.status == "cancelled" or not _owns(job, claim):
                return False
            job.progress_done, job.progress_total = done, max(total, done)
            await session.commit()
            return True

    async def _requeue(self, job_id: uuid.UUID, claim: datetime, error: str) -> bool:
        """Back to queued for the next try; False when cancelled or not this try's."""
        async with self.sessions() as session:
            job = await session.get(PlateJob, job_id)
            if job is None or job.status == "cancelled" or not _owns(job, claim):
                return False
            job.status, job.error = "queued", error
            await session.commit()
        await self._refresh_depth()
        return True

    async def _finish(
        self, job_id: uuid.UUID, claim: datetime, outcome: str, started: float, error: str | None
    ) -> None:
        async with self.sessions() as session:
            job = await session.get(PlateJob, job_id)
            if job is None or not _owns(job, claim):
                return  # a retry or another try took the job over: its state is theirs
            if job.status != "cancelled":
                job.status = outcome
            else:
                outcome = "cancelled"
            job.error = error[:1000] if error else None
            job.finished_at = job.finished_at or utcnow()
            job.plates_found = int(
                await session.scalar(
                    select(func.count())
                    .select_from(PlateReadRow)
                    .where(PlateReadRow.job_id == job_id)
                )
                or 0
            )
            await session.commit()
        metrics.JOB_DURATION.labels(metrics.QUEUE, outcome).observe(time.monotonic() - started)
        if outcome == "failed":
            metrics.JOBS_FAILED.labels(metrics.QUEUE).inc()
        await self._refresh_depth()

    async def _refresh_depth(self) -> None:
        await refresh_queue_depth(self.sessions)


def _owns(job: PlateJob | None, claim: datetime) -> bool:
    return job is not None and job.started_at == claim


async def refresh_queue_depth(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Set `metrica_jobs_queue_depth{queue="plates"}` from the job table."""
    async with sessions() as session:
        metrics.JOBS_QUEUE_DEPTH.labels(metrics.QUEUE).set(await queued_count(session=session))


_FILE_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][^\s'\"/\\:]+){2,}[/\\]?")


def public_reason(message: str) -> str:
    """A job's error as clerks see it: the server's file paths (blob directory, temporary
    files) replaced, since they say how the server is laid out; the log keeps them."""
    return _FILE_PATH.sub("<file>", message)
