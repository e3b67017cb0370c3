"""Who receives the weekly report, and which reports went out (sent once per week)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime, utcnow


class ReportPreference(Base):
    """An owner's choice; no row = the weekly report is on."""

    __tablename__ = "report_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    weekly_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReportSend(Base):
    """The report of one store's week, sent to one owner (the key makes it once)."""

    __tablename__ = "report_sends"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
