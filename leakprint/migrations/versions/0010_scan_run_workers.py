"""scan run workers: each crawl worker's share of a distributed scan run (SPEC 15)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_run_workers",
        sa.Column("scan_run_id", sa.Integer,
                  sa.ForeignKey("scan_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("worker", sa.String(200), primary_key=True),
        sa.Column("pages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
        sa.Column("docs_new", sa.Integer, nullable=False, server_default="0"),
        sa.Column("docs_changed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("docs_unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("findings_new", sa.Integer, nullable=False, server_default="0"),
        sa.Column("findings_updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("per_source", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scan_run_workers")
