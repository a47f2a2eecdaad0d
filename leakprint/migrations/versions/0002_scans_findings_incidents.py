"""scan runs, documents, findings, record hits, incidents, alert outbox

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("datasets", sa.JSON, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("every_seconds", sa.Integer, nullable=True),
        sa.Column("cron", sa.String(100), nullable=True),
        sa.Column("threshold", sa.String(10), nullable=False),
        sa.Column("notify", sa.JSON, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("last_scan_at", TS, nullable=True),
    )
    op.create_table(
        "scan_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incidents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("datasets", sa.JSON, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("docs_new", sa.Integer, nullable=False),
        sa.Column("docs_changed", sa.Integer, nullable=False),
        sa.Column("docs_unchanged", sa.Integer, nullable=False),
        sa.Column("findings_new", sa.Integer, nullable=False),
        sa.Column("findings_updated", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False, unique=True),
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
        sa.Column(
            "last_scan_id",
            sa.Integer,
            sa.ForeignKey("scan_runs.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("confidence", sa.String(10), nullable=False),
        sa.Column("bulk", sa.Boolean, nullable=False),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("snippet", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("document_id", "dataset"),
    )
    op.create_table(
        "record_hits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "finding_id",
            sa.Integer,
            sa.ForeignKey("findings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("record_ref", sa.String(200), nullable=False),
        sa.Column("confidence", sa.String(10), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("first_seen", TS, nullable=False),
        sa.UniqueConstraint("finding_id", "record_ref"),
    )
    op.create_index("ix_record_hits_record_ref", "record_hits", ["record_ref"])
    op.create_table(
        "incident_findings",
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "finding_id",
            sa.Integer,
            sa.ForeignKey("findings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("linked_at", TS, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "finding_id",
            sa.Integer,
            sa.ForeignKey("findings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("record_count", sa.Integer, nullable=False),
        sa.Column("previous_record_count", sa.Integer, nullable=True),
        sa.Column("is_update", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.UniqueConstraint("incident_id", "finding_id", "record_count"),
    )


def downgrade() -> None:
    for table in (
        "alerts",
        "incident_findings",
        "record_hits",
        "findings",
        "documents",
        "scan_runs",
        "incidents",
    ):
        op.drop_table(table)
