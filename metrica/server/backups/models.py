"""The backup log: every finished `metrica backup create` and `verify`, good or bad."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime


class BackupRun(Base):
    """`kind` is create | verify; `bytes` the archive's size; `detail` a one-line summary
    (the archive's name, or why it failed). The newest `ok` row feeds
    `metrica_backup_last_success_timestamp_seconds`."""

    __tablename__ = "backup_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    ok: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(String(500), default="")
