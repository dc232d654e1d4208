"""cases.location: where a complaint is (the profile gazetteer's area key) and how it was found

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# ``location`` is the kelurahan (else kecamatan) key from ``areas.yaml``; ``location_origin`` says
# whether the source gave it or the text named it; ``location_candidates`` lists every area when
# the text names several; ``location_unknown`` keeps place names the source gave that the gazetteer
# does not know. Cases stored before it have no location (null), as if none was found.
def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("location_origin", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("location_candidates", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("location_unknown", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name in ("location_unknown", "location_candidates", "location_origin", "location"):
            batch_op.drop_column(name)
