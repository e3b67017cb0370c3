"""Recorded clips, their audit results, and who asked for or watched each clip."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime, utcnow


class Recording(Base):
    """A clip of one camera: asked of its worker (`requested` → `uploaded`) or uploaded by
    hand, then counted with the camera's lines (`counting` → `ready`, or `failed`).

    The counter's crossings and the admin's marks are kept as JSON lists of
    `{"line", "direction", "frame"}` (a few hundred per clip at most)."""

    __tablename__ = "audit_recordings"
    __table_args__ = (Index("ix_audit_recordings_camera_created", "camera_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # SET NULL, not CASCADE: when the camera or its store goes, the row stays until the
    # purge has deleted its clip from the blob store (which the database cannot reach).
    camera_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("cameras.id", ondelete="SET NULL")
    )
    store_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("stores.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(16))  # worker | upload
    status: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[int] = mapped_column(Integer, default=0)  # asked of the worker
    requested_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    uploaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    blob_key: Mapped[str | None] = mapped_column(String(200), default=None)
    content_type: Mapped[str] = mapped_column(String(40), default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    fps: Mapped[float] = mapped_column(Float, default=0.0)
    frames: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    predicted: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    marks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(String(500), default="")
    # What counted it, as the counter said ("yolox-nano @ 640, every frame"): the camera's
    # box settings, or the server's defaults for a camera no box runs.
    counted_with: Mapped[str] = mapped_column(String(200), default="", server_default="")


class AuditResult(Base):
    """One scoring of a clip's marks: what the owner's dashboard and the history show."""

    __tablename__ = "audit_results"
    __table_args__ = (Index("ix_audit_results_camera_at", "camera_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cameras.id", ondelete="CASCADE"))
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stores.id", ondelete="CASCADE"))
    recording_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("audit_recordings.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))
    true_crossings: Mapped[int] = mapped_column(Integer)
    predicted_crossings: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    precision: Mapped[float] = mapped_column(Float)
    recall: Mapped[float] = mapped_column(Float)
    count_accuracy: Mapped[float] = mapped_column(Float)


class RecordingAudit(Base):
    """Who did what with a clip of people: asked, uploaded, watched, scored, exported,
    deleted. Kept after the clip is gone (no foreign key to it)."""

    __tablename__ = "audit_recording_log"
    __table_args__ = (Index("ix_audit_recording_log_camera_at", "camera_id", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    camera_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cameras.id", ondelete="CASCADE"))
    recording_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))  # an email, or "worker"
    action: Mapped[str] = mapped_column(String(16))
