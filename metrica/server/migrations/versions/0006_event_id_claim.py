"""event_id_claim: a PostgreSQL function that claims a batch's event ids all at once

`claim_all_event_ids(ids)` inserts every id into `event_ids` with a plain INSERT and
returns true, or returns false and inserts nothing when one of them is stored already
(its EXCEPTION block is a subtransaction: rolled back, the statement goes on). Ingest
(`events.service._PG_STORE`) calls it first and claims id by id (ON CONFLICT DO NOTHING)
only when it returned false: a batch of fresh events, nearly every one, skips the
speculative insertion and the join of the claimed ids, about 2 ms of PostgreSQL CPU per
1000 events (docs/operations-capacity.md). SQLite has no functions: nothing to do there.

Revision ID: 0006_event_id_claim
Revises: 0006_audit_counted_with
Create Date: 2026-11-30 16:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_event_id_claim"
down_revision: str | None = "0006_audit_counted_with"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION claim_all_event_ids(ids uuid[]) RETURNS boolean
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            INSERT INTO event_ids (event_id) SELECT unnest(ids);
            RETURN true;
        EXCEPTION WHEN unique_violation THEN
            RETURN false;
        END
        $$
        """
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION claim_all_event_ids(uuid[])")
