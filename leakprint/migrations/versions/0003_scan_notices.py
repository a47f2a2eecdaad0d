"""alert outbox: notices about an incident's scans (a watch gone blind, and back)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="finding"))
        batch.add_column(
            sa.Column(
                "scan_run_id",
                sa.Integer,
                sa.ForeignKey("scan_runs.id", name="fk_alerts_scan_run", ondelete="CASCADE"),
                nullable=True,
            )
        )
        batch.alter_column("finding_id", existing_type=sa.Integer, nullable=True)
        batch.create_unique_constraint(
            "uq_alerts_scan_notice", ["incident_id", "kind", "scan_run_id"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM alerts WHERE kind != 'finding'")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_scan_notice", type_="unique")
        batch.alter_column("finding_id", existing_type=sa.Integer, nullable=False)
        batch.drop_constraint("fk_alerts_scan_run", type_="foreignkey")
        batch.drop_column("scan_run_id")
        batch.drop_column("kind")
