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
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from leakprint.attribution import DEFAULT_P
from leakprint.contractors.attribute import attribute_findings, summary_line
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
from matchers.companion import CANARY_PREFIX
from matchers.confidence import RANK


def _customer_hits(incident_id: int) -> Select[Any]:
    """(dataset, reference, level rank) of every record hit linked to the incident.

    A customer record is (dataset, reference): references are the operator's per
    dataset. Canaries are not customers (SPEC 14): they are filtered out HERE, and
    every count and list of the report follows.
    """
    rank = case(*((RecordHitRow.confidence == level, n)
                  for level, n in RANK.items()), else_=0)
    return (select(Finding.dataset.label("dataset"),
                   RecordHitRow.record_ref.label("ref"), rank.label("rank"))
            .join(RecordHitRow, RecordHitRow.finding_id == Finding.id)
            .join(IncidentFinding, IncidentFinding.finding_id == Finding.id)
            .where(IncidentFinding.incident_id == incident_id,
                   ~RecordHitRow.record_ref.startswith(CANARY_PREFIX, autoescape=True)))


def _best_levels(incident_id: int) -> Select[Any]:
    """Each distinct customer record of the incident with its best level's rank, in
    the database (an incident may hold millions of records: SPEC 12)."""
    hits = _customer_hits(incident_id).subquery()
    return (select(hits.c.dataset, hits.c.ref, func.max(hits.c.rank).label("best"))
            .group_by(hits.c.dataset, hits.c.ref))


def persons_affected(session: Session, incident_id: int, threshold: str) -> int:
    """本人の数: distinct customer records at ``threshold`` or above (canaries
    excluded; see :func:`_customer_hits`)."""
    best = _best_levels(incident_id).subquery()
    return session.scalar(select(func.count()).select_from(best).where(
        best.c.best >= RANK[threshold])) or 0


def persons_by_level(session: Session, incident_id: int) -> dict[str, int]:
    """Distinct customer records by their best level (``high``/``medium``/``low``)."""
    best = _best_levels(incident_id).subquery()
    counts: dict[int, int] = {int(rank): int(n) for rank, n in session.execute(
        select(best.c.best, func.count()).group_by(best.c.best))}
    return {level: int(counts.get(rank, 0)) for level, rank in
            sorted(RANK.items(), key=lambda kv: -kv[1])}


def affected_refs(session: Session, incident_id: int, threshold: str) -> list[tuple[str, str]]:
    """The (dataset, reference) of the persons counted — only for ``--with-refs``."""
    best = _best_levels(incident_id).subquery()
    rows = session.execute(select(best.c.dataset, best.c.ref)
                           .where(best.c.best >= RANK[threshold])
                           .order_by(best.c.dataset, best.c.ref))
    return [(d, r) for d, r in rows]


NO_LEDGER = "no contractor ledger"


@dataclass(frozen=True)
class Attribution:
    """The attribution section: ``status`` is :data:`NO_LEDGER` until contractors and
    handovers exist (SPEC 14); then ``lines`` name the likely contractors."""

    status: str
    lines: tuple[str, ...] = ()


def attribution(session: Session, incident_id: int, p: float = DEFAULT_P) -> Attribution:
    """Which contractor the incident's findings point to (SPEC 14): the ranking of
    ``leakprint attribute --incident N``, one line per finding of a dataset that has
    a contractor ledger; :data:`NO_LEDGER` when none has."""
    found = list(session.scalars(
        select(Finding).join(IncidentFinding, IncidentFinding.finding_id == Finding.id)
        .where(IncidentFinding.incident_id == incident_id).order_by(Finding.id)))
    items = [i for i in attribute_findings(session, found, p) if i["ledger"]]
    if not items:
        return Attribution(NO_LEDGER)
    verdicts = {i["verdict"] for i in items}
    status = next(v for v in ("certain", "likely", "ambiguous") if v in verdicts) \
        if verdicts & {"certain", "likely", "ambiguous"} else sorted(verdicts)[0]
    return Attribution(status, tuple(f"finding {i['finding']}: {summary_line(i)}"
                                     for i in items))


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
