"""documents: redacted URL, keyed URL digest (the identity) and the sealed full URL

``documents.url`` now holds the redacted form (SPEC 10.2), which two documents can
share, so it is no longer unique; ``url_key`` (a keyed digest of the full URL) is.
Rows from before have no key yet: the next scan that sees their URL fills it in
(it finds them by their old, full URL) and redacts them.

Revision ID: 0006
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _documents_without_url_unique() -> sa.Table:
    """The documents table as 0002 made it, minus UNIQUE(url) (SQLite cannot drop an
    unnamed constraint: the batch copies the table from this definition)."""
    meta = sa.MetaData()
    sa.Table("scan_runs", meta, sa.Column("id", sa.Integer, primary_key=True))
    return sa.Table(
        "documents",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("encoding", sa.String(40), nullable=True),
        sa.Column("lossy", sa.Boolean, nullable=False),
        sa.Column("etag", sa.String(300), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("last_changed", TS, nullable=False),
        sa.Column("last_scan_id", sa.Integer,
                  sa.ForeignKey("scan_runs.id", ondelete="SET NULL"), nullable=True),
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        batch = op.batch_alter_table("documents", copy_from=_documents_without_url_unique(),
                                     recreate="always")
    else:
        for uc in sa.inspect(bind).get_unique_constraints("documents"):
            if uc["column_names"] == ["url"] and uc["name"]:
                op.drop_constraint(uc["name"], "documents", type_="unique")
        batch = op.batch_alter_table("documents")
    with batch as b:
        b.add_column(sa.Column("url_key", sa.String(64), nullable=True))
        b.add_column(sa.Column("url_sealed", sa.Text, nullable=True))
        b.create_unique_constraint("uq_documents_url_key", ["url_key"])
        b.create_index("ix_documents_url", ["url"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as b:
        b.drop_index("ix_documents_url")
        b.drop_constraint("uq_documents_url_key", type_="unique")
        b.drop_column("url_sealed")
        b.drop_column("url_key")
