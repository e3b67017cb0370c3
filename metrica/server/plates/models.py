"""Plate jobs, plate reads, the watchlist with its alerts, and the plate audit log.

Plate reads live in their own table, not in `events`: they are personal data with their
own access rules, retention and erasure, and they are searched by text, not by time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class PlateJob(Base):
    """One uploaded file to read; its state is the truth the queue works from."""

    __tablename__ = "plate_jobs"
    __table_args__ = (
        Index("ix_plate_jobs_store_created", "store_id", "created_at"),
        Index("ix_plate_jobs_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stores.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # video | image
    blob_key: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    plates_found: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class PlateReadRow(Base):
    """A `plate_read` event: one plate per vehicle track (video) or per plate (photo).

    `folded` is `normalized` with the OCR confusions folded (O/0, I/1, B/8, S/5, Z/2):
    fuzzy search pre-filters on it (a pg_trgm GIN index on PostgreSQL)."""

    __tablename__ = "plate_reads"
    __table_args__ = (
        Index("ix_plate_reads_store_normalized", "store_id", "normalized"),
        Index("ix_plate_reads_store_occurred", "store_id", "occurred_at"),
        Index("ix_plate_reads_job", "job_id"),
        Index(
            "ix_plate_reads_folded_trgm",
            "folded",
            postgresql_using="gin",
            postgresql_ops={"folded": "gin_trgm_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stores.id", ondelete="CASCADE"))
    camera_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("cameras.id", ondelete="SET NULL"), default=None
    )
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("plate_jobs.id", ondelete="SET NULL"), default=None
    )
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    text: Mapped[str] = mapped_column(String(32))
    normalized: Mapped[str] = mapped_column(String(16))
    folded: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    vehicle_class: Mapped[str] = mapped_column(String(16))
    crop_key: Mapped[str | None] = mapped_column(String(512), default=None)
    first_seen_s: Mapped[float] = mapped_column(Float, default=0.0)
    last_seen_s: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PlateWatch(Base):
    """A plate to watch at a store: a read of it raises an alert."""

    __tablename__ = "plate_watchlist"
    __table_args__ = (UniqueConstraint("store_id", "plate"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stores.id", ondelete="CASCADE"))
    plate: Mapped[str] = mapped_column(String(16))  # normalised
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    notify_email: Mapped[str | None] = mapped_column(String(320), default=None)
    notify_webhook: Mapped[str | None] = mapped_column(String(2000), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PlateAlert(Base):
    """A watched plate was read; one alert per (watch, read), whatever reruns happen."""

    __tablename__ = "plate_alerts"
    __table_args__ = (
        UniqueConstraint("watch_id", "read_id"),
        Index("ix_plate_alerts_store_created", "store_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stores.id", ondelete="CASCADE"))
    watch_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plate_watchlist.id", ondelete="CASCADE")
    )
    read_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("plate_reads.id", ondelete="CASCADE")
    )
    plate: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    email_delivered: Mapped[bool | None] = mapped_column(Boolean, default=None)
    webhook_delivered: Mapped[bool | None] = mapped_column(Boolean, default=None)


class PlateAudit(Base):
    """Who looked at which plates, when, and how many they saw (kept past erasure; an
    erased plate appears only as its HMAC)."""

    __tablename__ = "plate_audit"
    __table_args__ = (Index("ix_plate_audit_store_at", "store_id", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stores.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    user_email: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(16))  # search|view|export|erase|watch
    query: Mapped[str] = mapped_column(String(500))
    result_count: Mapped[int] = mapped_column(Integer, default=0)
