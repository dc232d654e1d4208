"""posts.by_publisher: the publisher's own words

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A post written by the publisher of what is harvested (the Facebook Page, the YouTube channel, the
# blog's author, an account listed in an X source's config) is context for the comments that answer
# it, never a complaint. Existing rows get false: they were harvested before sources knew.
def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("by_publisher", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("by_publisher")
