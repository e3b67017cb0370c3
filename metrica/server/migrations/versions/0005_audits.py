"""audits: recorded clips of a camera, their scored results, and the log of who asked for
or watched each clip (docs/audits.md)

Revision ID: 0005_audits
Revises: 0004_plates
Create Date: 2026-11-30 13:10:11.162895
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_audits"
down_revision: str | None = "0005_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_recording_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_audit_recording_log_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_recording_log")),
    )
    with op.batch_alter_table("audit_recording_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_recording_log_camera_at", ["camera_id", "at"], unique=False)

    op.create_table(
        "audit_recordings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=True),
        sa.Column("store_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blob_key", sa.String(length=200), nullable=True),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("fps", sa.Float(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("predicted", sa.JSON(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_audit_recordings_camera_id_cameras"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_audit_recordings_store_id_stores"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_recordings")),
    )
    with op.batch_alter_table("audit_recordings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_recordings_camera_created", ["camera_id", "created_at"], unique=False
        )

    op.create_table(
        "audit_results",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("recording_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("true_crossings", sa.Integer(), nullable=False),
        sa.Column("predicted_crossings", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("precision", sa.Float(), nullable=False),
        sa.Column("recall", sa.Float(), nullable=False),
        sa.Column("count_accuracy", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_audit_results_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["audit_recordings.id"],
            name=op.f("fk_audit_results_recording_id_audit_recordings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_audit_results_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_results")),
    )
    with op.batch_alter_table("audit_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_results_camera_at", ["camera_id", "created_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("audit_results", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_results_camera_at")

    op.drop_table("audit_results")
    with op.batch_alter_table("audit_recordings", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_recordings_camera_created")

    op.drop_table("audit_recordings")
    with op.batch_alter_table("audit_recording_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_recording_log_camera_at")

    op.drop_table("audit_recording_log")
