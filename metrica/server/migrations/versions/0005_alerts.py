"""alerts and weekly reports: alert settings and episodes per store, report preferences and sends

Revision ID: 0005_alerts
Revises: 0004_plates
Create Date: 2026-11-30 13:09:29.301905
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_alerts"
down_revision: str | None = "0005_mqtt"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "alert_episodes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raised_email_ok", sa.Boolean(), nullable=True),
        sa.Column("raised_webhook_ok", sa.Boolean(), nullable=True),
        sa.Column("resolved_email_ok", sa.Boolean(), nullable=True),
        sa.Column("resolved_webhook_ok", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_alert_episodes_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_episodes")),
    )
    with op.batch_alter_table("alert_episodes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_episodes_open", ["store_id", "kind", "subject", "resolved_at"], unique=False
        )
        batch_op.create_index(
            "ix_alert_episodes_store_started", ["store_id", "started_at"], unique=False
        )

    op.create_table(
        "alert_settings",
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("capacity_enabled", sa.Boolean(), nullable=False),
        sa.Column("capacity_limit", sa.Integer(), nullable=True),
        sa.Column("camera_down_enabled", sa.Boolean(), nullable=False),
        sa.Column("low_count_enabled", sa.Boolean(), nullable=False),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("webhook_secret", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_alert_settings_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_alert_settings")),
    )
    op.create_table(
        "report_preferences",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("weekly_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_report_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_report_preferences")),
    )
    op.create_table(
        "report_sends",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("store_id", sa.Uuid(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_report_sends_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_report_sends_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "store_id", "week_start", name=op.f("pk_report_sends")),
    )


def downgrade() -> None:

    op.drop_table("report_sends")
    op.drop_table("report_preferences")
    op.drop_table("alert_settings")
    with op.batch_alter_table("alert_episodes", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_episodes_store_started")
        batch_op.drop_index("ix_alert_episodes_open")

    op.drop_table("alert_episodes")
