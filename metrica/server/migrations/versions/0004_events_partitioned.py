"""events partitioned by month (PostgreSQL), keyed by store; event ids in their own table

PostgreSQL: `events` becomes a table partitioned by RANGE (occurred_at) with one partition
per UTC month (`events_pYYYYMM`: every month that holds rows, and the current month to
three months ahead) and `events_default` for the rest. The primary key becomes
(store_id, occurred_at, event_id), which a partitioned table needs (unique keys must hold
the partition key) and which replaces `ix_events_store_occurred`. `event_ids` keeps each
event id once, the idempotency the old primary key gave. Rows are copied over, then the
old table is dropped. SQLite gets the same keys and tables, unpartitioned.

The partition SQL is written out here rather than imported from `events.partitions`, so
that this revision does the same thing whatever that module becomes.

Revision ID: 0004_events_partitioned
Revises: 0004_ops_probe
Create Date: 2026-11-30 09:40:00
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004_events_partitioned"
down_revision: str | None = "0004_ops_probe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONTHS_AHEAD = 3
COLUMNS = (
    "event_id, type, store_id, camera_id, occurred_at, received_at, line_id, direction, payload"
)


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
    ]


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _months_to_create(bind: sa.Connection) -> list[date]:
    """Every UTC month that holds an event, and this month to MONTHS_AHEAD ahead."""
    held = bind.execute(
        sa.text(
            "SELECT DISTINCT CAST(date_trunc('month', occurred_at AT TIME ZONE 'UTC') AS date) "
            "FROM events_old"
        )
    ).scalars()
    this_month = datetime.now(UTC).date().replace(day=1)
    ahead = {_add_months(this_month, i) for i in range(MONTHS_AHEAD + 1)}
    return sorted(set(held) | ahead)


def _create_partitions(bind: sa.Connection) -> None:
    for month in _months_to_create(bind):
        nxt = _add_months(month, 1)
        name = f"events_p{month.year:04d}{month.month:02d}"
        op.execute(
            f"CREATE TABLE {name} PARTITION OF events FOR VALUES "
            f"FROM ('{month.isoformat()} 00:00+00') TO ('{nxt.isoformat()} 00:00+00')"
        )
    op.execute("CREATE TABLE events_default PARTITION OF events DEFAULT")


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.drop_index("ix_events_store_occurred", table_name="events")
    op.rename_table("events", "events_old")
    if postgres:
        op.execute("ALTER INDEX pk_events RENAME TO pk_events_old")
    op.create_table(
        "events",
        *_columns(),
        sa.PrimaryKeyConstraint("store_id", "occurred_at", "event_id", name=op.f("pk_events")),
        postgresql_partition_by="RANGE (occurred_at)",
    )
    if postgres:
        _create_partitions(bind)
    op.execute(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_old")
    op.create_table(
        "event_ids",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_ids")),
    )
    op.execute("INSERT INTO event_ids (event_id) SELECT event_id FROM events_old")
    op.drop_table("events_old")


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.rename_table("events", "events_new")
    if postgres:
        op.execute("ALTER INDEX pk_events RENAME TO pk_events_new")
    op.create_table(
        "events",
        *_columns(),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_store_occurred", "events", ["store_id", "occurred_at"])
    op.execute(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_new")
    op.drop_table("events_new")  # the partitions go with it
    op.drop_table("event_ids")
