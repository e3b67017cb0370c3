"""audits: which counting configuration counted a clip (model @ input size, stride), so
the labelling page can say what the score is a score of (docs/audits.md)

Revision ID: 0006_audit_counted_with
Revises: 0005_audits
Create Date: 2026-11-30 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_audit_counted_with"
down_revision: str | None = "0005_audits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_recordings") as batch:
        batch.add_column(
            sa.Column("counted_with", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_recordings") as batch:
        batch.drop_column("counted_with")
