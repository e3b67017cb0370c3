"""Privacy rules for plate data: every look is audited, a data subject's reads can be
exported and erased, and reads expire after the store's retention period."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.plate_text import normalize_plate
from metrica.server.auth.models import User
from metrica.server.blobs import BlobError, BlobStore
from metrica.server.plates.models import PlateAudit, PlateReadRow, PlateWatch
from metrica.server.stores.models import Store

MAX_EXPORT_READS = 2_000


async def audit(
    *,
    session: AsyncSession,
    user: User,
    store_id: uuid.UUID,
    action: str,
    query: str,
    result_count: int,
) -> None:
    """Record a look at plate data (the caller commits with its own work)."""
    session.add(
        PlateAudit(
            store_id=store_id,
            user_id=user.id,
            user_email=user.email,
            action=action,
            query=query[:500],
            result_count=result_count,
        )
    )
    await session.flush()


def plate_hash(secret: str, plate: str) -> str:
    """What the audit log keeps of an erased plate: HMAC-SHA256 with the server secret."""
    digest = hmac.new(secret.encode(), normalize_plate(plate).encode(), hashlib.sha256)
    return "hmac:" + digest.hexdigest()[:32]


async def reads_of_plate(
    *, session: AsyncSession, store_id: uuid.UUID, plate: str
) -> list[PlateReadRow]:
    query = (
        select(PlateReadRow)
        .where(PlateReadRow.store_id == store_id)
        .where(PlateReadRow.normalized == normalize_plate(plate))
        .order_by(PlateReadRow.occurred_at, PlateReadRow.id)
        .limit(MAX_EXPORT_READS)
    )
    return list((await session.scalars(query)).all())


def read_document(read: PlateReadRow) -> dict[str, object]:
    return {
        "id": str(read.id),
        "store_id": str(read.store_id),
        "camera_id": str(read.camera_id) if read.camera_id else None,
        "job_id": str(read.job_id) if read.job_id else None,
        "text": read.text,
        "normalized": read.normalized,
        "confidence": read.confidence,
        "vehicle_class": read.vehicle_class,
        "occurred_at": read.occurred_at.isoformat(),
        "first_seen_s": read.first_seen_s,
        "last_seen_s": read.last_seen_s,
        "crop": f"crops/{read.id}.jpg" if read.crop_key else None,
    }


async def export_zip(*, reads: list[PlateReadRow], blobs: BlobStore) -> bytes:
    """plates.json and crops/<read id>.jpg, for a data-subject access request."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        documents = [read_document(r) for r in reads]
        archive.writestr("plates.json", json.dumps({"reads": documents}, indent=2))
        for read in reads:
            if read.crop_key:
                try:
                    archive.writestr(f"crops/{read.id}.jpg", await blobs.get(read.crop_key))
                except BlobError:
                    continue
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class Removed:
    reads: int
    crops: int


async def _delete_reads(
    session: AsyncSession, reads: list[PlateReadRow], blobs: BlobStore | None
) -> Removed:
    crops = 0
    if blobs is not None:
        for read in reads:
            if read.crop_key:
                await blobs.delete(read.crop_key)
                crops += 1
    ids = [r.id for r in reads]
    for start in range(0, len(ids), 500):
        await session.execute(
            delete(PlateReadRow).where(PlateReadRow.id.in_(ids[start : start + 500]))
        )
    return Removed(reads=len(ids), crops=crops)


async def erase_plate(
    *, session: AsyncSession, store_id: uuid.UUID, plate: str, blobs: BlobStore, secret: str
) -> Removed:
    """Erase every read and crop of `plate` at the store, its watchlist entries (alerts go
    with the reads), and replace the plate by its HMAC in the store's audit entries."""
    normalized = normalize_plate(plate)
    removed = Removed(0, 0)
    while reads := await reads_of_plate(session=session, store_id=store_id, plate=normalized):
        step = await _delete_reads(session, reads, blobs)
        removed = Removed(removed.reads + step.reads, removed.crops + step.crops)
    await session.execute(
        delete(PlateWatch).where(PlateWatch.store_id == store_id, PlateWatch.plate == normalized)
    )
    if normalized:
        await session.execute(
            update(PlateAudit)
            .where(PlateAudit.store_id == store_id, PlateAudit.query.contains(normalized))
            .values(
                query=func.replace(PlateAudit.query, normalized, plate_hash(secret, normalized))
            )
        )
    await session.flush()
    return removed


async def purge_expired_plates(
    session: AsyncSession, now: datetime, *, blobs: BlobStore | None = None, batch: int = 1000
) -> Removed:
    """Delete plate reads (and their crops, when `blobs` is given) older than their store's
    `anpr_retention_days`; the caller commits. For `metrica retention run` and the server's
    periodic purge."""
    total = Removed(0, 0)
    stores = (await session.execute(select(Store.id, Store.anpr_retention_days))).all()
    for store_id, days in stores:
        cutoff = now - timedelta(days=days)
        while True:
            reads = list(
                (
                    await session.scalars(
                        select(PlateReadRow)
                        .where(PlateReadRow.store_id == store_id)
                        .where(PlateReadRow.occurred_at < cutoff)
                        .limit(batch)
                    )
                ).all()
            )
            if not reads:
                break
            step = await _delete_reads(session, reads, blobs)
            total = Removed(total.reads + step.reads, total.crops + step.crops)
            await session.flush()
    return total
