"""Edge boxes, their one-time enrolment tokens, and how each camera is run by a box."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Uuid,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime, utcnow


class EnrolmentToken(Base):
    """A one-time token an admin issues for a store; only its sha256 is stored."""

    __tablename__ = "fleet_enrolment_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stores.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    box_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)


class Box(Base):
    """An enrolled edge box and what its latest heartbeat said."""

    __tablename__ = "fleet_boxes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stores.id", ondelete="CASCADE"), index=True
    )
    hostname: Mapped[str] = mapped_column(String(255))
    key_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    # The box key in Mosquitto's password-file form ($7$: PBKDF2-SHA512), for the broker.
    mqtt_password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    version: Mapped[str] = mapped_column(String(64), default="")
    uptime_s: Mapped[float | None] = mapped_column(Float, default=None)
    cpu_percent: Mapped[float | None] = mapped_column(Float, default=None)
    memory_percent: Mapped[float | None] = mapped_column(Float, default=None)
    disk_percent: Mapped[float | None] = mapped_column(Float, default=None)
    outbox_depth: Mapped[int] = mapped_column(BigInteger, default=0)
    camera_states: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    recent_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class BoxCamera(Base):
    """How a camera is run by a box: its encrypted source and worker key, and settings.

    `source_encrypted` and `worker_key_encrypted` are Fernet tokens (see
    `fleet.secrets`); the worker key's hash is the camera's own `key_hash`.
    """

    __tablename__ = "fleet_box_cameras"

    camera_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    box_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("fleet_boxes.id", ondelete="SET NULL"), index=True, default=None
    )
    source_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    worker_key_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    input_size: Mapped[int | None] = mapped_column(Integer, default=None)
    stride: Mapped[int] = mapped_column(Integer, default=1)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    blur_people: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CameraSettingAudit(Base):
    """A change to a camera's privacy-relevant setting (snapshot blurring): who, when, and
    old -> new. Kept when the camera goes (no foreign key): the record outlives its subject."""

    __tablename__ = "fleet_camera_audit"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    camera_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    actor_email: Mapped[str] = mapped_column(String(320))
    setting: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str] = mapped_column(String(200))
    new_value: Mapped[str] = mapped_column(String(200))
