"""contractor ledger: contractors, handovers (Roaring bitmaps over set rows), canaries

Revision ID: 0009
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contractors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("parent_id", sa.Integer,
                  sa.ForeignKey("contractors.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("contract", sa.String(30), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contractor_id", sa.Integer,
                  sa.ForeignKey("contractors.id", ondelete="CASCADE"), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("handed_on", sa.Date, nullable=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("members", sa.LargeBinary, nullable=False),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("set_digest", sa.String(64), nullable=False),
        sa.Column("canaries", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_handovers_contractor_id", "handovers", ["contractor_id"])
    op.create_index("ix_handovers_dataset", "handovers", ["dataset"])
    op.create_table(
        "canaries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contractor_id", sa.Integer,
                  sa.ForeignKey("contractors.id", ondelete="CASCADE"), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("batch", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("dataset", "ref"),
    )
    op.create_index("ix_canaries_contractor_id", "canaries", ["contractor_id"])
    op.create_index("ix_canaries_dataset", "canaries", ["dataset"])
    op.create_index("ix_canaries_ref", "canaries", ["ref"])


def downgrade() -> None:
    op.drop_table("canaries")
    op.drop_table("handovers")
    op.drop_table("contractors")
