"""datasets: the source file's name and SHA-256 (never its directory)

Revision ID: 0008
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("source_name", sa.Text, nullable=True))
        batch.add_column(sa.Column("source_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("source_sha256")
        batch.drop_column("source_name")
