"""set secrets: why a destroyed secret was destroyed (shred, drop or replace; SPEC 16)

Revision ID: 0012
Revises: 0011

`fingerprint drop` and `fingerprint import --replace` destroy the old set's secret as
`fingerprint shred` does; a copy of the set is told which of them made it useless.
Tombstones from before (NULL) were all shreds.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("set_secrets") as batch:
        batch.add_column(sa.Column("ended_by", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("set_secrets") as batch:
        batch.drop_column("ended_by")
