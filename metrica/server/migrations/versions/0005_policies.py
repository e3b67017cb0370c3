"""policies: camera setting audit, snapshots in the blob store

The audit of camera privacy settings (who turned snapshot blurring off, when) is a table.
Snapshots move to the blob store: a row keeps the blob's key; `jpeg` stays, nullable, for
rows written before, which the server moves into the blob store at start
(`cameras.snapshots.move_to_blobs`) and serves from the row until then.

Revision ID: 0005_policies
Revises: 0004_plates
Create Date: 2026-11-30 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_policies"
down_revision: str | None = "0004_plates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fleet_camera_audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("camera_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=False),
        sa.Column("setting", sa.String(length=64), nullable=False),
        sa.Column("old_value", sa.String(length=200), nullable=False),
        sa.Column("new_value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fleet_camera_audit")),
    )
    with op.batch_alter_table("fleet_camera_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fleet_camera_audit_camera_id"), ["camera_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fleet_camera_audit_store_id"), ["store_id"], unique=False
        )
    with op.batch_alter_table("camera_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blob_key", sa.String(length=512), nullable=True))
        batch_op.alter_column("jpeg", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    # Snapshots already in the blob store have no bytes in the row: they are dropped.
    op.execute("DELETE FROM camera_snapshots WHERE jpeg IS NULL")
    with op.batch_alter_table("camera_snapshots", schema=None) as batch_op:
        batch_op.alter_column("jpeg", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("blob_key")
    with op.batch_alter_table("fleet_camera_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_camera_audit_store_id"))
        batch_op.drop_index(batch_op.f("ix_fleet_camera_audit_camera_id"))
    op.drop_table("fleet_camera_audit")
