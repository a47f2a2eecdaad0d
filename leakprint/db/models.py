"""Typed SQLAlchemy models. No column ever holds a raw customer value."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite (which drops tzinfo) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Dataset(Base):
    """A registered fingerprint set (the files live in ``path``)."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    path: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(64))
    normalizer_version: Mapped[int] = mapped_column(Integer)
    record_count: Mapped[int] = mapped_column(Integer)
    kinds: Mapped[dict[str, Any]] = mapped_column(JSON)
    bad_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # the customer file it was built from: its name and SHA-256, never its directory
    source_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditEntry(Base):
    """One append-only, hash-chained audit record (who, when, what — by digest)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ScanRun(Base):
    """One scan (file, URL, sources or scheduled) with its coverage."""

    __tablename__ = "scan_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    docs_new: Mapped[int] = mapped_column(Integer, default=0)
    docs_changed: Mapped[int] = mapped_column(Integer, default=0)
    docs_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    findings_new: Mapped[int] = mapped_column(Integer, default=0)
    findings_updated: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The process that owns the run (see leakprint.runs): a run left ``running`` by a
    # process that is gone is closed by the next scan or serve, never one still alive.
    owner_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner_started: Mapped[str | None] = mapped_column(String(80), nullable=True)


class Document(Base):
    """A scanned document: where and what hash, never its body."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("url_key", name="uq_documents_url_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The redacted URL or path (SPEC 10.2): what is shown; several documents may share it.
    url: Mapped[str] = mapped_column(String(2000), index=True)
    #: Keyed digest of the full URL: the document's identity (empty on rows from
    #: before migration 0006 until a scan sees their URL again).
    url_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The full URL, AES-GCM sealed with a key derived from the master key.
    url_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    encoding: Mapped[str | None] = mapped_column(String(40), nullable=True)
    lossy: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_changed: Mapped[datetime] = mapped_column(default=utcnow)
    last_scan_id: Mapped[int | None] = mapped_column(
        ForeignKey("scan_runs.id", ondelete="SET NULL"), nullable=True
    )

    findings: Mapped[list[Finding]] = relationship(back_populates="document")


class Finding(Base):
    """One (document, dataset): how many of our records, how sure, which fields."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("document_id", "dataset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    dataset: Mapped[str] = mapped_column(String(200))
    confidence: Mapped[str] = mapped_column(String(10))
    bulk: Mapped[bool] = mapped_column(Boolean, default=False)
    record_count: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[str]] = mapped_column(JSON)
    snippet: Mapped[str] = mapped_column(Text, default="")
    content_sha256: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="findings")
    records: Mapped[list[RecordHitRow]] = relationship(
        back_populates="finding", cascade="all, delete-orphan", order_by="RecordHitRow.id"
    )


class RecordHitRow(Base):
    """A customer record (by the operator's pseudonymous reference) seen in a finding."""

    __tablename__ = "record_hits"
    __table_args__ = (UniqueConstraint("finding_id", "record_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    record_ref: Mapped[str] = mapped_column(String(200), index=True)
    confidence: Mapped[str] = mapped_column(String(10))
    fields: Mapped[list[str]] = mapped_column(JSON)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    # SPEC 12.1: estimated chance of a coincidental tie of the record's best row, and
    # the kinds it rests on (None for hits stored before chance-aware scoring).
    chance: Mapped[float | None] = mapped_column(Float, nullable=True)
    chance_fields: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    finding: Mapped[Finding] = relationship(back_populates="records")


class Incident(Base):
    """A watch after a leak: datasets, sources, cadence, period, threshold, recipients."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    datasets: Mapped[list[str]] = mapped_column(JSON)
    sources: Mapped[list[str]] = mapped_column(JSON)
    every_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cron: Mapped[str | None] = mapped_column(String(100), nullable=True)
    threshold: Mapped[str] = mapped_column(String(10), default="medium")
    notify: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_scan_at: Mapped[datetime | None] = mapped_column(nullable=True)


class IncidentFinding(Base):
    """A finding produced by an incident's datasets and sources."""

    __tablename__ = "incident_findings"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True
    )
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertRow(Base):
    """The outbox: one pending e-mail per (incident, finding, record count), or per
    (incident, scan run) for a notice about the incident's scans (``kind``
    ``scan_failed`` or ``scan_recovered``; ``finding_id`` is then empty)."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("incident_id", "finding_id", "record_count"),
        UniqueConstraint("incident_id", "kind", "scan_run_id", name="uq_alerts_scan_notice"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="finding", server_default="finding")
    finding_id: Mapped[int | None] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), nullable=True
    )
    scan_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("scan_runs.id", name="fk_alerts_scan_run", ondelete="CASCADE"), nullable=True
    )
    record_count: Mapped[int] = mapped_column(Integer)
    previous_record_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_update: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


class CoverageError(Base):
    """Something a scan run could not read in full (SPEC 10): a refused address or
    redirect, a refused size or encoding, a binary type, a redirect loop, an
    unreachable source, a selector that never appeared. ``url`` is stored as
    :func:`leakprint.coverage.display_url` gives it; ``detail`` never quotes content."""

    __tablename__ = "coverage_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_run_id: Mapped[int] = mapped_column(
        ForeignKey("scan_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    url: Mapped[str] = mapped_column(String(2000))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScanRunFinding(Base):
    """A finding that a scan run created, updated or saw again: the run's result.

    Read instead of "documents whose last scan is this run", which a concurrent
    scan of the same URL overwrites (two scans at once must both report)."""

    __tablename__ = "scan_run_findings"

    scan_run_id: Mapped[int] = mapped_column(
        ForeignKey("scan_runs.id", ondelete="CASCADE"), primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True)


class ScanRunWorker(Base):
    """One crawl worker's share of a distributed scan run (SPEC 15): what it fetched
    and stored. The run's own counters are the sum over its workers."""

    __tablename__ = "scan_run_workers"

    scan_run_id: Mapped[int] = mapped_column(
        ForeignKey("scan_runs.id", ondelete="CASCADE"), primary_key=True)
    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    docs_new: Mapped[int] = mapped_column(Integer, default=0)
    docs_changed: Mapped[int] = mapped_column(Integer, default=0)
    docs_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    findings_new: Mapped[int] = mapped_column(Integer, default=0)
    findings_updated: Mapped[int] = mapped_column(Integer, default=0)
    #: Per source: {"name": {"pages": n, "bytes": n, "errors": n}}.
    per_source: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SetSecretRow(Base):
    """The per-set secret of one fingerprint set (issue 16.3), named by the layer id in
    the set's manifest. Sealed with a key derived from the master key (AES-GCM, bound
    to the layer id). Shredding, dropping or replacing the set overwrites ``sealed``
    with NULL and keeps the row as a tombstone (``ended_by`` says which): a copy of the
    set is then refused with the date and why, not silently empty."""

    __tablename__ = "set_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer_id: Mapped[str] = mapped_column(String(32), unique=True)
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    shredded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    #: ``shred``, ``drop`` or ``replace`` once destroyed (NULL on older tombstones: shreds).
    ended_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
