"""The only code that writes the audit tables: recordings, their counting, scores, the
clip log, and the deletion of expired clips."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from metrica.domain.audits import ClipCounter, score_audit
from metrica.domain.crossing_match import FrameCrossing
from metrica.domain.geometry import CountingLine
from metrica.server.audits.models import AuditResult, Recording, RecordingAudit
from metrica.server.audits.schemas import (
    AuditScore,
    AuditScoreDetail,
    ClipLine,
    Mark,
    Moment,
    RecordingDetail,
    RecordingPublic,
)
from metrica.server.blobs import BlobError, BlobStore
from metrica.server.cameras import service as cameras
from metrica.server.db import utcnow
from metrica.server.fleet import service as fleet
from metrica.server.settings import Settings

log = logging.getLogger("metrica.audits")

WEBM_MAGIC = b"\x1a\x45\xdf\xa3"
SNIFF_BYTES = 12


def clip_type(head: bytes) -> str | None:
    """The media type of a clip a browser plays (WebM or MP4), from its first bytes."""
    if head.startswith(WEBM_MAGIC):
        return "video/webm"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return None


def clip_key(recording: Recording) -> str:
    ext = "webm" if recording.content_type == "video/webm" else "mp4"
    return f"recordings/{recording.camera_id}/{recording.id}.{ext}"


async def sniffed(chunks: AsyncIterator[bytes]) -> tuple[bytes, AsyncIterator[bytes]]:
    """The first bytes of a stream, and the whole stream again (head included)."""
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break

    async def again() -> AsyncIterator[bytes]:
        if head:
            yield head
        async for chunk in chunks:
            yield chunk

    return head, again()


def expires_at(recording: Recording, settings: Settings) -> datetime:
    return recording.created_at + timedelta(days=settings.retention_recordings_days)


def public(recording: Recording, settings: Settings) -> RecordingPublic:
    return RecordingPublic(
        id=recording.id,
        camera_id=recording.camera_id,
        source="worker" if recording.source == "worker" else "upload",
        status=recording.status,
        seconds=recording.seconds,
        requested_by=recording.requested_by,
        created_at=recording.created_at,
        uploaded_at=recording.uploaded_at,
        expires_at=expires_at(recording, settings),
        size_bytes=recording.size_bytes,
        content_type=recording.content_type,
        fps=recording.fps,
        frames=recording.frames,
        width=recording.width,
        height=recording.height,
        error=recording.error,
        counted_with=recording.counted_with,
        marks_count=len(recording.marks),
    )


def detail(recording: Recording, settings: Settings) -> RecordingDetail:
    return RecordingDetail(
        **public(recording, settings).model_dump(),
        lines=[ClipLine(**line) for line in recording.lines],
        marks=[Mark(**m) for m in recording.marks],
    )


async def log_action(
    *, session: AsyncSession, recording: Recording, actor: str, action: str
) -> None:
    session.add(
        RecordingAudit(
            camera_id=recording.camera_id, recording_id=recording.id, actor=actor, action=action
        )
    )


async def pending_for(*, session: AsyncSession, camera_id: uuid.UUID) -> Recording | None:
    """The oldest request the camera's worker has not answered yet."""
    return await session.scalar(
        select(Recording)
        .where(Recording.camera_id == camera_id, Recording.status == "requested")
        .order_by(Recording.created_at)
        .limit(1)
    )


def _crossings(rows: Sequence[dict[str, Any]]) -> list[FrameCrossing]:
    return [FrameCrossing(r["line"], r["direction"], int(r["frame"])) for r in rows]


def _moment(c: FrameCrossing, fps: float) -> Moment:
    return Moment(line=c.line_id, direction=c.direction, frame=c.frame, t_s=round(c.frame / fps, 3))


def score_public(result: AuditResult) -> AuditScore:
    return AuditScore(
        id=result.id,
        recording_id=result.recording_id,
        camera_id=result.camera_id,
        created_at=result.created_at,
        created_by=result.created_by,
        true_crossings=result.true_crossings,
        predicted_crossings=result.predicted_crossings,
        matched=result.matched,
        precision=result.precision,
        recall=result.recall,
        count_accuracy=result.count_accuracy,
    )


async def score(*, session: AsyncSession, recording: Recording, actor: str) -> AuditScoreDetail:
    """Score the counter's crossings against the marks and keep the result."""
    line_ids = [line["line_id"] for line in recording.lines]
    marks, predicted = _crossings(recording.marks), _crossings(recording.predicted)
    outcome = score_audit(line_ids, marks, predicted, recording.fps)
    s = outcome.score
    result = AuditResult(
        camera_id=recording.camera_id,
        store_id=recording.store_id,
        recording_id=recording.id,
        created_by=actor,
        true_crossings=s.true_in + s.true_out,
        predicted_crossings=s.pred_in + s.pred_out,
        matched=s.tp,
        precision=round(s.precision, 4),
        recall=round(s.recall, 4),
        count_accuracy=round(s.count_accuracy, 4),
        created_at=utcnow(),
    )
    session.add(result)
    await log_action(session=session, recording=recording, actor=actor, action="score")
    await session.flush()
    per_line = {
        line_id: score_audit([line_id], marks, predicted, recording.fps).score.as_dict()
        for line_id in line_ids
    }
    return AuditScoreDetail(
        **score_public(result).model_dump(),
        misses=[_moment(c, recording.fps) for c in outcome.misses],
        extras=[_moment(c, recording.fps) for c in outcome.extras],
        per_line=per_line,
    )


def truth_export(recording: Recording) -> dict[str, Any]:
    """The marks in the shared truth format (`shared/data/truth/README.md`)."""
    ext = "webm" if recording.content_type == "video/webm" else "mp4"
    return {
        "clip": f"videos/recording-{recording.id}.{ext}",
        "fps": recording.fps,
        "frames": recording.frames,
        "width": recording.width,
        "height": recording.height,
        "anchor": "feet",
        "lines": [
            {"id": line["line_id"], "p1": [line["x1"], line["y1"]], "p2": [line["x2"], line["y2"]]}
            for line in recording.lines
        ],
        "crossings": [
            {"line": m["line"], "frame": m["frame"], "direction": m["direction"]}
            for m in sorted(recording.marks, key=lambda m: (m["frame"], m["line"]))
        ],
        "notes": (
            f"Marked in Metrica's labelling page on a clip of camera {recording.camera_id} "
            f"recorded {recording.created_at:%Y-%m-%d}; frame = when the feet cross the line."
        ),
    }


async def count_recording(
    *,
    sessions: async_sessionmaker[AsyncSession],
    blobs: BlobStore,
    counter: ClipCounter | None,
    lock: asyncio.Lock,
    recording_id: uuid.UUID,
) -> None:
    """Count the clip with the camera's lines as they are now (kept with the clip) and its
    box's counting settings (model, input size, stride: the defaults if no box runs it)."""
    async with sessions() as session:
        recording = await session.get(Recording, recording_id)
        if recording is None or recording.blob_key is None or recording.camera_id is None:
            return
        specs = await cameras.lines(session=session, camera_id=recording.camera_id)
        settings = await fleet.counting_settings(session=session, camera_id=recording.camera_id)
        recording.lines = [s.model_dump() for s in specs]
        recording.status = "counting"
        key = recording.blob_key
        await session.commit()
    lines = [CountingLine(s.line_id, s.x1, s.y1, s.x2, s.y2) for s in specs]
    try:
        if counter is None:
            raise ValueError("this server has no clip counter (install the edge extra)")
        async with lock, blobs.local_path(key) as path:
            counted = await asyncio.to_thread(counter.count, path, lines, settings)
        error = ""
    except (ValueError, OSError, BlobError) as exc:
        counted, error = None, str(exc)[:480]
    except Exception as exc:  # the counter is outside this package: keep the row honest
        log.exception("counting recording %s failed", recording_id)
        counted, error = None, f"counting failed: {type(exc).__name__}"
    async with sessions() as session:
        recording = await session.get(Recording, recording_id)
        if recording is None:
            return
        if counted is None:
            recording.status, recording.error = "failed", error
            recording.counted_with = ""
        else:
            recording.status, recording.error = "ready", ""
            recording.counted_with = counted.counted_with[:200]
            recording.fps, recording.frames = counted.fps, counted.frames
            recording.width, recording.height = counted.width, counted.height
            recording.predicted = [
                {"line": c.line_id, "direction": c.direction, "frame": c.frame}
                for c in counted.crossings
            ]
        await session.commit()
    log.info(
        "recording %s counted (%s): %s",
        recording_id,
        counted.counted_with if counted else settings,
        error or "ready",
    )


async def unfinished(*, sessions: async_sessionmaker[AsyncSession]) -> list[uuid.UUID]:
    """Clips with their bytes but no count: a server stopped while counting them."""
    async with sessions() as session:
        rows = await session.scalars(
            select(Recording.id).where(
                Recording.status.in_(("uploaded", "counting")), Recording.blob_key.is_not(None)
            )
        )
        return list(rows)


async def purge_expired(
    *, sessions: async_sessionmaker[AsyncSession], blobs: BlobStore, now: datetime, days: int
) -> int:
    """Delete clips older than `days`, and those whose camera was deleted (blob first,
    then the row); returns how many."""
    cutoff = now - timedelta(days=days)
    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(Recording).where(
                    or_(Recording.created_at < cutoff, Recording.camera_id.is_(None))
                )
            )
        )
        for recording in rows:
            if recording.blob_key is not None:
                await blobs.delete(recording.blob_key)
            if recording.camera_id is not None:  # a deleted camera's log went with it
                await log_action(
                    session=session, recording=recording, actor="retention", action="expire"
                )
        if rows:
            await session.execute(delete(Recording).where(Recording.id.in_([r.id for r in rows])))
        await session.commit()
    return len(rows)
