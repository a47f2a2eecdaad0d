"""coverage errors of scan runs; the findings each run created, updated or saw

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage_errors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scan_run_id", sa.Integer,
                  sa.ForeignKey("scan_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_coverage_errors_scan_run_id", "coverage_errors", ["scan_run_id"])
    op.create_table(
        "scan_run_findings",
        sa.Column("scan_run_id", sa.Integer,
                  sa.ForeignKey("scan_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("finding_id", sa.Integer,
                  sa.ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("scan_run_findings")
    op.drop_index("ix_coverage_errors_scan_run_id", "coverage_errors")
    op.drop_table("coverage_errors")
