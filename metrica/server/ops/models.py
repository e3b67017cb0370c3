"""The deep health check's probe row: written and read back to prove the database takes writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime, utcnow


class OpsProbe(Base):
    """One row per probe name, overwritten by every deep health check (never grows)."""

    __tablename__ = "ops_probe"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
