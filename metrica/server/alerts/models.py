"""Alert settings per store and the episode log."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime, utcnow


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class AlertSettings(Base):
    """What a store's owners want to hear about, and where (one row per store; missing =
    every alert off)."""

    __tablename__ = "alert_settings"

    store_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    capacity_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    camera_down_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    low_count_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    webhook_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    webhook_secret: Mapped[str] = mapped_column(String(64), default=new_webhook_secret)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertEpisode(Base):
    """One alert from the moment its condition held to the moment it stopped; `subject`
    tells episodes of one kind apart (a camera id for camera_down, else "")."""

    __tablename__ = "alert_episodes"
    __table_args__ = (
        Index("ix_alert_episodes_store_started", "store_id", "started_at"),
        Index("ix_alert_episodes_open", "store_id", "kind", "subject", "resolved_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(String(500))
    value: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Delivery of the "raised" and "resolved" notifications: None = not asked for.
    raised_email_ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    raised_webhook_ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    resolved_email_ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    resolved_webhook_ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
