"""The ORM path of storing one document and its results: the reference that
``leakprint.storebatch`` (the one path production stores by, crawl batches and file
scans alike) is held equal to (``test_store_batch.py``). Its rules are those the
stores had before bulk statements; it lives with the tests so that production keeps
one copy of them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from leakprint.db.models import Document, Finding, RecordHitRow
from leakprint.findings import FindingChange, customer_count, is_evidence, stronger
from leakprint.urlsafe import UrlGuard
from matchers.companion import is_canary_ref
from matchers.confidence import RANK, Confidence
from matchers.scan import MatchResult, RecordHit

DocStatus = Literal["new", "changed", "unchanged"]


def upsert_document(
    session: Session, *, url: str, source: str | None, sha256: str, size: int,
    encoding: str | None, guard: UrlGuard, lossy: bool = False, etag: str | None = None,
    last_modified: str | None = None, scan_id: int | None = None, now: datetime | None = None,
) -> tuple[Document, DocStatus]:
    """Record that ``url`` (the full URL or path) was seen with content ``sha256``.

    The document is found by the keyed digest of ``url`` and stored with the
    redacted URL and the sealed full one (``guard``, SPEC 10.2).
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
