"""heartbeat frame counters as bigint

A worker at 30 fps passes 2**31 processed frames after about 828 days of uptime, which
a PostgreSQL `integer` cannot hold. (SQLite integers are 64-bit already; the table is
rebuilt there only to keep the declared types the same on both.)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("frames_processed", "frames_dropped")


def upgrade() -> None:
    with op.batch_alter_table("camera_heartbeats") as batch:
        for name in COLUMNS:
            batch.alter_column(
                name, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
            )


def downgrade() -> None:
    with op.batch_alter_table("camera_heartbeats") as batch:
        for name in COLUMNS:
            batch.alter_column(
                name, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
            )
