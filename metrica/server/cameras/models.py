"""Cameras, their counting lines, latest heartbeat and latest snapshot."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime, utcnow


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stores.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    is_counting_line: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | disabled
    key_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    key_issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    lines_updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CountingLineRow(Base):
    """A directed segment P1→P2 in normalised coordinates; IN = left-hand → right-hand side."""

    __tablename__ = "counting_lines"
    __table_args__ = (UniqueConstraint("camera_id", "line_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("cameras.id", ondelete="CASCADE"))
    line_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    x1: Mapped[float] = mapped_column(Float)
    y1: Mapped[float] = mapped_column(Float)
    x2: Mapped[float] = mapped_column(Float)
    y2: Mapped[float] = mapped_column(Float)


class CameraHeartbeat(Base):
    """The latest heartbeat of a camera (one row per camera, overwritten)."""

    __tablename__ = "camera_heartbeats"

    camera_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fps: Mapped[float] = mapped_column(Float)
    frames_processed: Mapped[int] = mapped_column(BigInteger)  # 2**31 frames: 828 days at 30 fps
    frames_dropped: Mapped[int] = mapped_column(BigInteger)
    outbox_depth: Mapped[int] = mapped_column(Integer)
    uptime_s: Mapped[float] = mapped_column(Float)
    stream_up: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[str] = mapped_column(String(64))


class CameraSnapshot(Base):
    """The latest calibration JPEG of a camera: its bytes are in the blob store under
    `blob_key`; `jpeg` only holds those of rows written before snapshots moved there (see
    `cameras.snapshots`)."""

    __tablename__ = "camera_snapshots"

    camera_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    blob_key: Mapped[str | None] = mapped_column(String(512), default=None)
    jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
