"""reroutes: the reroute outbox (passing a case LAPOR! already has to another agency)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.tables

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = store.tables.UTCDateTime(timezone=True)
OPEN = "state IN ('pending', 'sending', 'unknown')"


# A facilitator's request, recorded by the review app; lapor.reroute sends it with
# ``POST /complaints/process/{id}/reject``. At most one open (pending, sending, unknown) request
# per case: a partial unique index, on SQLite and PostgreSQL alike.
def upgrade() -> None:
    op.create_table(
        "reroutes",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("case_id", Id, nullable=False),
        sa.Column("complaint_id", sa.String(length=100), nullable=False),
        sa.Column("agency_before", sa.String(length=200), nullable=True),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("institution_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", When, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.Column("sent_at", When, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_reroutes_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reroutes")),
    )
    op.create_index("ix_reroutes_state_due", "reroutes", ["state", "next_attempt_at"])
    op.create_index(op.f("ix_reroutes_case_id"), "reroutes", ["case_id"])
    op.create_index(
        "uq_reroutes_open_case",
        "reroutes",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_reroutes_open_case", table_name="reroutes")
    op.drop_index(op.f("ix_reroutes_case_id"), table_name="reroutes")
    op.drop_index("ix_reroutes_state_due", table_name="reroutes")
    op.drop_table("reroutes")
