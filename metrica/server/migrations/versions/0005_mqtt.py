"""mqtt: each box's broker password hash (Mosquitto's PBKDF2 form)

`metrica mqtt acl --passwords FILE` writes these into Mosquitto's password file; the
plain box key is seen only at enrolment, so boxes enrolled before this have none (enrol
them again to use MQTT).

Revision ID: 0005_mqtt
Revises: 0004_plates
Create Date: 2026-11-30 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_mqtt"
down_revision: str | None = "0005_policies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fleet_boxes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mqtt_password_hash", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fleet_boxes", schema=None) as batch_op:
        batch_op.drop_column("mqtt_password_hash")
