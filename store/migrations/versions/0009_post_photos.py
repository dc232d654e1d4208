"""posts.photo_urls: the links of the photos posted with a post or comment

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Every source stores the photos the platform gives with a post (Facebook attachments, Instagram
# media, X includes.media, an HTML source's photo selector); the LAPOR! sender uploads them as
# attachments. Rows stored before get NULL: the sender still reads Graph ``full_picture`` from their
# raw JSON.
def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_urls", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("photo_urls")
