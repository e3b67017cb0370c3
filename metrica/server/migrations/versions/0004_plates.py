"""plates: jobs, plate reads, watchlist and alerts, plate audit, store clerks, stores.anpr_*

Plate reads get their own table (not `events`): they are personal data with their own
access, retention and erasure rules. On PostgreSQL the `pg_trgm` extension is created
(if missing) for the trigram GIN index that pre-filters fuzzy plate search.

Revision ID: 0004_plates
Revises: 0003
Create Date: 2026-11-30 09:24:15.484698
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_plates"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "plate_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_plate_audit_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_plate_audit_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plate_audit")),
    )
    with op.batch_alter_table("plate_audit", schema=None) as batch_op:
        batch_op.create_index("ix_plate_audit_store_at", ["store_id", "at"], unique=False)

    op.create_table(
        "plate_jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("blob_key", sa.String(length=512), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("plates_found", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_plate_jobs_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_plate_jobs_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plate_jobs")),
    )
    with op.batch_alter_table("plate_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_plate_jobs_status", ["status"], unique=False)
        batch_op.create_index(
            "ix_plate_jobs_store_created", ["store_id", "created_at"], unique=False
        )

    op.create_table(
        "plate_watchlist",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("notify_email", sa.String(length=320), nullable=True),
        sa.Column("notify_webhook", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_plate_watchlist_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plate_watchlist")),
        sa.UniqueConstraint("store_id", "plate", name=op.f("uq_plate_watchlist_store_id_plate")),
    )
    op.create_table(
        "store_clerks",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_store_clerks_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_store_clerks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", "user_id", name=op.f("pk_store_clerks")),
    )
    with op.batch_alter_table("store_clerks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_clerks_user_id"), ["user_id"], unique=False)

    op.create_table(
        "plate_reads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=True),
        sa.Column("job_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(length=32), nullable=False),
        sa.Column("normalized", sa.String(length=16), nullable=False),
        sa.Column("folded", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("vehicle_class", sa.String(length=16), nullable=False),
        sa.Column("crop_key", sa.String(length=512), nullable=True),
        sa.Column("first_seen_s", sa.Float(), nullable=False),
        sa.Column("last_seen_s", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_plate_reads_camera_id_cameras"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["plate_jobs.id"],
            name=op.f("fk_plate_reads_job_id_plate_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_plate_reads_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plate_reads")),
    )
    with op.batch_alter_table("plate_reads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plate_reads_folded_trgm",
            ["folded"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"folded": "gin_trgm_ops"},
        )
        batch_op.create_index("ix_plate_reads_job", ["job_id"], unique=False)
        batch_op.create_index(
            "ix_plate_reads_store_normalized", ["store_id", "normalized"], unique=False
        )
        batch_op.create_index(
            "ix_plate_reads_store_occurred", ["store_id", "occurred_at"], unique=False
        )

    op.create_table(
        "plate_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("watch_id", sa.Uuid(), nullable=False),
        sa.Column("read_id", sa.Uuid(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email_delivered", sa.Boolean(), nullable=True),
        sa.Column("webhook_delivered", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["read_id"],
            ["plate_reads.id"],
            name=op.f("fk_plate_alerts_read_id_plate_reads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_plate_alerts_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["plate_watchlist.id"],
            name=op.f("fk_plate_alerts_watch_id_plate_watchlist"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plate_alerts")),
        sa.UniqueConstraint("watch_id", "read_id", name=op.f("uq_plate_alerts_watch_id_read_id")),
    )
    with op.batch_alter_table("plate_alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plate_alerts_store_created", ["store_id", "created_at"], unique=False
        )

    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anpr_enabled", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("anpr_retention_days", sa.Integer(), server_default="30", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("anpr_retention_days")
        batch_op.drop_column("anpr_enabled")

    with op.batch_alter_table("plate_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_plate_alerts_store_created")

    op.drop_table("plate_alerts")
    with op.batch_alter_table("plate_reads", schema=None) as batch_op:
        batch_op.drop_index("ix_plate_reads_store_occurred")
        batch_op.drop_index("ix_plate_reads_store_normalized")
        batch_op.drop_index("ix_plate_reads_job")
        batch_op.drop_index(
            "ix_plate_reads_folded_trgm",
            postgresql_using="gin",
            postgresql_ops={"folded": "gin_trgm_ops"},
        )

    op.drop_table("plate_reads")
    with op.batch_alter_table("store_clerks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_clerks_user_id"))

    op.drop_table("store_clerks")
    op.drop_table("plate_watchlist")
    with op.batch_alter_table("plate_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_plate_jobs_store_created")
        batch_op.drop_index("ix_plate_jobs_status")

    op.drop_table("plate_jobs")
    with op.batch_alter_table("plate_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_plate_audit_store_at")

    op.drop_table("plate_audit")
