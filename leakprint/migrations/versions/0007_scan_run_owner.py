"""scan runs: the process that owns a run (host, pid, start time), so a run whose
process is gone can be closed by the next scan or serve, never one still alive

Revision ID: 0007
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scan_runs") as batch:
        batch.add_column(sa.Column("owner_host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("owner_pid", sa.Integer, nullable=True))
        batch.add_column(sa.Column("owner_started", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scan_runs") as batch:
        batch.drop_column("owner_started")
        batch.drop_column("owner_pid")
        batch.drop_column("owner_host")
