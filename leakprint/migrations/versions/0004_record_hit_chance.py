"""record hits: the estimated chance of a coincidental tie and the kinds it rests on (SPEC 12.1)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: record hits stored before chance-aware scoring have no estimate.
    with op.batch_alter_table("record_hits") as batch:
        batch.add_column(sa.Column("chance", sa.Float, nullable=True))
        batch.add_column(sa.Column("chance_fields", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("record_hits") as batch:
        batch.drop_column("chance_fields")
        batch.drop_column("chance")
