"""Raw events (one table for every event type) and the hourly rollup read by KPIs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from metrica.server.db import Base, UtcDateTime


class EventRow(Base):
    """Common columns + `type` + a JSON payload, so plate reads or zone dwell can join later.

    `line_id`/`direction` are filled for `line_crossed` (the hot KPI path) and null otherwise.
    No foreign keys: the ingest path is the hot path; `events.service.delete_events` removes
    a deleted camera's or store's events.

    On PostgreSQL the table is partitioned by month of `occurred_at` (`events_pYYYYMM`, and
    `events_default` for any instant without its month; see `events.partitions`), so
    retention drops whole months. A partitioned table's unique keys must hold the partition
    key, hence the primary key (store_id, occurred_at, event_id): it leads with the store
    (the distribution column should the table move to Citus) and serves the dashboards'
    store + time range scans, so it is the only index. That `event_id` is stored once is
    kept by `EventIdRow`.
    """

    __tablename__ = "events"
    __table_args__ = ({"postgresql_partition_by": "RANGE (occurred_at)"},)

    store_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    camera_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    line_id: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str | None] = mapped_column(String(8))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class EventIdRow(Base):
    """Every stored event's id, once: what makes ingest idempotent across partitions.

    A client's event id does not fix its `occurred_at` (a replayed file gets the same ids
    with a new start time, see `metrica.edge.event_ids`), so (event_id, occurred_at) would
    not do; this table is the one unique index on `event_id` alone. Ingest inserts here
    first (on PostgreSQL the whole batch at once, `claim_all_event_ids`, and when an id is
    stored already `ON CONFLICT DO NOTHING RETURNING`) and stores only the new events.
    """

    __tablename__ = "event_ids"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class HourlyCount(Base):
    """IN/OUT per camera line and store-local hour (`bucket_start`, a UTC instant).

    `in_remaining_s`/`out_remaining_s` sum the seconds from each event to the bucket end,
    which makes the occupancy integral (and so Little's-law dwell) exact per hour.
    """

    __tablename__ = "hourly_counts"
    __table_args__ = (Index("ix_hourly_counts_store_bucket", "store_id", "bucket_start"),)

    camera_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    store_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    in_count: Mapped[int] = mapped_column(Integer, default=0)
    out_count: Mapped[int] = mapped_column(Integer, default=0)
    in_remaining_s: Mapped[float] = mapped_column(Float, default=0.0)
    out_remaining_s: Mapped[float] = mapped_column(Float, default=0.0)
