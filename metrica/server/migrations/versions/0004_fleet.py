"""fleet: boxes, enrolment tokens, camera settings

Edge boxes enrol with a one-time token (stored hashed) and get their own key (hashed);
each camera a box runs keeps its source and worker key encrypted (Fernet).

Revision ID: 0004_fleet
Revises: 0004_events_partitioned
Create Date: 2026-11-30 09:25:05.856990
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_fleet"
down_revision: str | None = "0004_events_partitioned"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "fleet_boxes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("uptime_s", sa.Float(), nullable=True),
        sa.Column("cpu_percent", sa.Float(), nullable=True),
        sa.Column("memory_percent", sa.Float(), nullable=True),
        sa.Column("disk_percent", sa.Float(), nullable=True),
        sa.Column("outbox_depth", sa.BigInteger(), nullable=False),
        sa.Column("camera_states", sa.JSON(), nullable=False),
        sa.Column("recent_errors", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_fleet_boxes_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_boxes")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_fleet_boxes_key_hash")),
    )
    with op.batch_alter_table("fleet_boxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fleet_boxes_store_id"), ["store_id"], unique=False)

    op.create_table(
        "fleet_enrolment_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("box_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_fleet_enrolment_tokens_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_enrolment_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_fleet_enrolment_tokens_token_hash")),
    )
    with op.batch_alter_table("fleet_enrolment_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_enrolment_tokens_store_id"), ["store_id"], unique=False
        )

    op.create_table(
        "fleet_box_cameras",
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("box_id", sa.Uuid(), nullable=True),
        sa.Column("source_encrypted", sa.Text(), nullable=True),
        sa.Column("worker_key_encrypted", sa.Text(), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("input_size", sa.Integer(), nullable=True),
        sa.Column("stride", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("blur_people", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["box_id"],
            ["fleet_boxes.id"],
            name=op.f("fk_fleet_box_cameras_box_id_fleet_boxes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_fleet_box_cameras_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_fleet_box_cameras")),
    )
    with op.batch_alter_table("fleet_box_cameras", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fleet_box_cameras_box_id"), ["box_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("fleet_box_cameras", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_box_cameras_box_id"))

    op.drop_table("fleet_box_cameras")
    with op.batch_alter_table("fleet_enrolment_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_enrolment_tokens_store_id"))

    op.drop_table("fleet_enrolment_tokens")
    with op.batch_alter_table("fleet_boxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_boxes_store_id"))

    op.drop_table("fleet_boxes")
