"""What the database knows about one incident, for the regulator report (SPEC 16).

Each fact is one query here, so the rules that decide the report's numbers live in
one place: :func:`persons_affected` is *the* persons count, :func:`attribution` *the*
attribution section.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leakprint.db.models import (
    AlertRow,
    CoverageError,
    Document,
    Finding,
    Incident,
    IncidentFinding,
    RecordHitRow,
    ScanRun,
)
from leakprint.findings import CONFIDENCE_ORDER, at_least


def _records_of(session: Session, incident_id: int) -> list[tuple[str, str, str]]:
    """(dataset, record reference, level) of every record hit linked to the incident."""
    stmt = (select(Finding.dataset, RecordHitRow.record_ref, RecordHitRow.confidence)
            .join(RecordHitRow, RecordHitRow.finding_id == Finding.id)
            .join(IncidentFinding, IncidentFinding.finding_id == Finding.id)
            .where(IncidentFinding.incident_id == incident_id))
    return [(d, r, c) for d, r, c in session.execute(stmt)]


def _customer_records(session: Session, incident_id: int) -> dict[tuple[str, str], str]:
    """Each distinct customer record of the incident with its best level.

    A record is (dataset, reference): references are the operator's per dataset.
    Canaries are not customers (SPEC 14): when the contractor ledger lands, they are
    dropped HERE, and every count and list of the report follows.
    """
    best: dict[tuple[str, str], str] = {}
    for dataset, ref, level in _records_of(session, incident_id):
        key = (dataset, ref)
        if CONFIDENCE_ORDER[level] > CONFIDENCE_ORDER.get(best.get(key, ""), 0):
            best[key] = level
    return best


def persons_affected(session: Session, incident_id: int, threshold: str) -> int:
    """本人の数: distinct customer records at ``threshold`` or above (canaries excluded
    once the contractor ledger exists; see :func:`_customer_records`)."""
    return sum(1 for level in _customer_records(session, incident_id).values()
               if at_least(level, threshold))


def persons_by_level(session: Session, incident_id: int) -> dict[str, int]:
    """Distinct customer records by their best level (``high``/``medium``/``low``)."""
    counts = Counter(_customer_records(session, incident_id).values())
    return {level: counts.get(level, 0) for level in ("high", "medium", "low")}


def affected_refs(session: Session, incident_id: int, threshold: str) -> list[tuple[str, str]]:
    """The (dataset, reference) of the persons counted — only for ``--with-refs``."""
    return sorted(k for k, level in _customer_records(session, incident_id).items()
                  if at_least(level, threshold))


NO_LEDGER = "no contractor ledger"


@dataclass(frozen=True)
class Attribution:
    """The attribution section: ``status`` is :data:`NO_LEDGER` until contractors and
    handovers exist (SPEC 14); then ``lines`` name the likely contractors."""

    status: str
    lines: tuple[str, ...] = ()


def attribution(session: Session, incident_id: int) -> Attribution:
    """Which contractor the incident's findings point to (SPEC 14).

    The contractor ledger is not in this branch: the integrator replaces this body
    with the ranking of ``leakprint attribute --incident N``."""
    return Attribution(NO_LEDGER)


@dataclass(frozen=True)
class FindingFact:
    """One finding of the evidence appendix: no value, the URL as stored (redacted)."""

    id: int
    dataset: str
    source: str | None
    url: str
    first_seen: datetime
    last_seen: datetime
    confidence: str
    record_count: int
    kinds: tuple[str, ...]
    snippet: str
    content_sha256: str
    size: int
    encoding: str | None


def findings_of(session: Session, incident_id: int) -> list[FindingFact]:
    """The incident's findings, first seen first."""
    stmt = (select(Finding, Document)
            .join(Document, Document.id == Finding.document_id)
            .join(IncidentFinding, IncidentFinding.finding_id == Finding.id)
            .where(IncidentFinding.incident_id == incident_id)
            .order_by(Finding.first_seen, Finding.id))
    return [FindingFact(f.id, f.dataset, d.source, d.url, f.first_seen, f.last_seen,
                        f.confidence, f.record_count, tuple(f.fields), f.snippet,
                        f.content_sha256, d.size, d.encoding)
            for f, d in session.execute(stmt)]


@dataclass(frozen=True)
class RunFact:
    """One scan run of the incident, with its coverage errors by kind."""

    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    pages: int
    bytes: int
    errors: int
    findings_new: int
    coverage: dict[str, int] = field(default_factory=dict)


def runs_of(session: Session, incident_id: int) -> list[RunFact]:
    """The incident's scan runs, oldest first."""
    runs = list(session.scalars(select(ScanRun).where(ScanRun.incident_id == incident_id)
                                .order_by(ScanRun.id)))
    coverage: dict[int, Counter[str]] = {}
    ids = [r.id for r in runs]
    for i in range(0, len(ids), 500):
        for run_id, kind in session.execute(
                select(CoverageError.scan_run_id, CoverageError.kind)
                .where(CoverageError.scan_run_id.in_(ids[i:i + 500]))):
            coverage.setdefault(run_id, Counter())[kind] += 1
    return [RunFact(r.id, r.status, r.started_at, r.finished_at, r.pages, r.bytes, r.errors,
                    r.findings_new, dict(coverage.get(r.id, {}))) for r in runs]


def first_alert_sent(session: Session, incident_id: int) -> datetime | None:
    """When the first alert about the incident's findings reached the mail server."""
    return session.scalar(select(AlertRow.sent_at).where(
        AlertRow.incident_id == incident_id, AlertRow.kind == "finding",
        AlertRow.sent_at.is_not(None)).order_by(AlertRow.sent_at).limit(1))


def get_incident_row(session: Session, incident_id: int) -> Incident | None:
    return session.get(Incident, incident_id)


def kinds_of(findings: Sequence[FindingFact]) -> list[str]:
    """Every kind matched in the incident's findings, in a stable order."""
    return sorted({k for f in findings for k in f.kinds})
