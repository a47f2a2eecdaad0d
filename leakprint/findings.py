"""Documents and findings in the database: upsert without duplicates, JSON as SPEC 7."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fingerprints.normalizers import WEAK_KINDS, shown_kind
from leakprint.db.models import Document, Finding, IncidentFinding, RecordHitRow
from matchers.chance import explain
from matchers.companion import is_canary_ref
from matchers.confidence import RANK, Confidence
from matchers.scan import MatchResult, RecordHit

if TYPE_CHECKING:
    from leakprint.urlsafe import UrlGuard

# Kinds that alone say nothing about WHICH customer is in a document: common names and
# birth dates are shared by many customers of a large operator (with 20,000 synthetic
# customers one page of other people's names gave ~1,500 such low hits). A record hit
# made only of these is not stored; one with any other field (a phone, an e-mail, an
# address …) or at medium or above is.
# Issue 18: a postal code alone neither (a 7-digit code covers ~1,000 people).
# (``Role.WEAK`` in the registry of kinds.)
WEAK_ONLY_KINDS = WEAK_KINDS


def display_fields(fields: Sequence[str]) -> tuple[str, ...]:
    """Field kinds as a responder reads them: the folded name form (variant kanji
    unified) is a name match, shown once as ``name``. JSON keeps the kinds as stored."""
    return tuple(dict.fromkeys(map(shown_kind, fields)))
DocStatus = Literal["new", "changed", "unchanged"]


def stronger(a: str | None, b: str | None) -> str:
    """The higher of two confidence levels."""
    return max((a or Confidence.LOW, b or Confidence.LOW), key=Confidence.rank_of)


def at_least(confidence: str, threshold: str) -> bool:
    return Confidence.rank_of(confidence) >= RANK[threshold]


@dataclass(frozen=True)
class FindingChange:
    """What storing one match result did to its finding."""

    finding_id: int
    status: Literal["new", "grown", "unchanged"]
    record_count: int
    previous_count: int
    confidence: str


def upsert_document(
    session: Session, *, url: str, source: str | None, sha256: str, size: int,
    encoding: str | None, guard: UrlGuard, lossy: bool = False, etag: str | None = None,
    last_modified: str | None = None, scan_id: int | None = None, now: datetime | None = None,
) -> tuple[Document, DocStatus]:
    """Record that ``url`` (the full URL or path) was seen with content ``sha256``.

    The document is found by the keyed digest of ``url`` and stored with the
    redacted URL and the sealed full one (``guard``, SPEC 10.2). One document at a
    time (a file scan's); the crawl's batches are stored by ``leakprint.storebatch``
    on the same rules, which ``tests/leakprint/test_store_batch.py`` holds equal.
    """
    now = now or datetime.now(UTC)
    key = guard.url_key(url)
    doc = session.scalars(select(Document).where(Document.url_key == key)).first()
    if doc is None:
        doc = _legacy_document(session, url)
        if doc is not None:
            doc.url_key = key
            doc.url, doc.url_sealed = guard.redact(url), guard.seal(url)
    if doc is None:
        doc = Document(url=guard.redact(url), url_key=key, url_sealed=guard.seal(url),
                       source=source, content_sha256=sha256, size=size,
                       encoding=encoding, lossy=lossy, etag=etag, last_modified=last_modified,
                       first_seen=now, last_seen=now, last_changed=now, last_scan_id=scan_id)
        session.add(doc)
        session.flush()
        return doc, "new"
    status: DocStatus = "unchanged" if doc.content_sha256 == sha256 else "changed"
    doc.last_seen = now
    doc.last_scan_id = scan_id
    doc.etag = etag or doc.etag
    doc.last_modified = last_modified or doc.last_modified
    if status == "changed":
        doc.content_sha256, doc.size, doc.encoding, doc.lossy = sha256, size, encoding, lossy
        doc.last_changed = now
    return doc, status


def _legacy_document(session: Session, url: str) -> Document | None:
    """A document stored before URLs were keyed and redacted (migration 0006): the
    first by id when a URL has several."""
    return session.scalars(select(Document).where(
        Document.url_key.is_(None), Document.url == url).order_by(Document.id)).first()


def is_evidence(hit: RecordHit) -> bool:
    """Whether a record hit names a customer (see ``WEAK_ONLY_KINDS``).

    The same rule holds for canaries: their names and dates come from common pools,
    so only a canary's e-mail address or phone (or two of its fields) is evidence.
    """
    return hit.confidence != "low" or not set(hit.fields) <= WEAK_ONLY_KINDS


def customer_count(refs: Iterable[str]) -> int:
    """How many of ``refs`` are customers: canaries never count (SPEC 14)."""
    return sum(1 for ref in refs if not is_canary_ref(ref))


def record_result(
    session: Session, document: Document, result: MatchResult, *, now: datetime | None = None,
) -> FindingChange | None:
    """Merge one dataset's match result into the document's finding (no duplicates)."""
    hits = [h for h in result.record_hits if is_evidence(h)]
    if not hits:
        return None
    now = now or datetime.now(UTC)
    finding = session.scalars(
        select(Finding).where(Finding.document_id == document.id,
                              Finding.dataset == result.dataset)
        .options(selectinload(Finding.records))
    ).first()
    is_new = finding is None
    if finding is None:
        finding = Finding(document_id=document.id, dataset=result.dataset,
                          confidence=Confidence.LOW.value, bulk=False, record_count=0, fields=[],
                          snippet="", content_sha256=document.content_sha256,
                          first_seen=now, last_seen=now, updated_at=now)
        session.add(finding)
        session.flush()
    previous = finding.record_count
    existing = {hit.record_ref: hit for hit in finding.records}
    added = 0
    for hit in hits:
        row = existing.get(hit.ref)
        if row is None:
            row = RecordHitRow(record_ref=hit.ref, confidence=hit.confidence,
                               fields=sorted(hit.fields), first_seen=now,
                               chance=hit.chance, chance_fields=list(hit.matched))
            finding.records.append(row)
            existing[hit.ref] = row
            added += 1
        else:
            if _better(hit, row):
                row.chance, row.chance_fields = hit.chance, list(hit.matched)
            row.confidence = stronger(row.confidence, hit.confidence)
            row.fields = sorted(set(row.fields) | set(hit.fields))
    finding.record_count = customer_count(existing)
    finding.bulk = finding.bulk or result.bulk
    # A canary exists only in the data handed to one contractor: seeing one is a
    # leak for certain, whatever else the document holds (SPEC 14).
    canary = any(is_canary_ref(ref) for ref in existing)
    best = Confidence.HIGH if finding.bulk or canary else max(
        (r.confidence for r in existing.values()), key=RANK.__getitem__)
    finding.confidence = stronger(finding.confidence, best)
    finding.fields = sorted(set(finding.fields).union(*(h.fields for h in hits)))
    if added or not finding.snippet:
        finding.snippet = result.snippet
    finding.content_sha256 = document.content_sha256
    finding.last_seen = now
    if added:
        finding.updated_at = now
    session.flush()
    status: Literal["new", "grown", "unchanged"] = (
        "new" if is_new else "grown" if added else "unchanged")
    return FindingChange(finding.id, status, finding.record_count, previous,
                         finding.confidence)


def _better(hit: RecordHit, row: RecordHitRow) -> bool:
    """Whether a new hit's evidence beats the stored one (higher level, then a smaller
    chance of a coincidental tie)."""
    if row.chance is None:
        return True
    return (RANK[hit.confidence], -hit.chance) > (RANK[row.confidence], -row.chance)


def record_why(row: RecordHitRow) -> str:
    """Why a stored record hit has its level: kinds and chance, never a value."""
    if row.chance is None or not row.chance_fields:
        return f"{' + '.join(display_fields(row.fields))}: scored before chance estimates"
    return explain(row.chance_fields, math.log10(max(row.chance, 1e-300)))


def query_findings(
    session: Session, *, incident: int | None = None, since: datetime | None = None,
    ids: Sequence[int] | None = None, min_confidence: str | None = None,
) -> list[Finding]:
    """Findings, newest first, with their documents and records loaded."""
    stmt = select(Finding).options(selectinload(Finding.records),
                                   selectinload(Finding.document))
    if incident is not None:
        stmt = stmt.join(IncidentFinding, IncidentFinding.finding_id == Finding.id).where(
            IncidentFinding.incident_id == incident)
    if since is not None:
        stmt = stmt.where(Finding.last_seen >= since)
    if ids is not None:
        stmt = stmt.where(Finding.id.in_(list(ids)))
    found = list(session.scalars(stmt.order_by(Finding.last_seen.desc(), Finding.id.desc())))
    if min_confidence:
        found = [f for f in found if at_least(f.confidence, min_confidence)]
    return found
