"""set secrets: the per-set secret of each fingerprint set, for crypto-shredding (SPEC 16)

Revision ID: 0011
Revises: 0010

Only the storage: sets built before it carry no layer and keep working unsealed.
``leakprint fingerprint rekey --all`` seals them from their own files (it needs the
master key and the sets directory, which a schema migration has not).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "set_secrets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("layer_id", sa.String(32), nullable=False, unique=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_set_secrets_dataset", "set_secrets", ["dataset"])


def downgrade() -> None:
    op.drop_index("ix_set_secrets_dataset", table_name="set_secrets")
    op.drop_table("set_secrets")
