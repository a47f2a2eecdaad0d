"""A batch of crawled documents and their findings, stored in one transaction with
bulk statements (the crawl's match workers run this for every batch).

The rules are those of :func:`leakprint.findings.upsert_document` and
:func:`leakprint.findings.record_result` (which store one document of a file scan):
here they run on plain rows in memory, and the batch is then written with one
INSERT (``executemany``) per table for new rows and one UPDATE per set of changed
columns, instead of an ORM object, an attribute history and a flush per row
(which cost a crawl's worker more CPU per page than fetching it did the crawler).
Only the columns a rule changed are written, as a flush would.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import Connection, Insert, Table, Update, bindparam, insert, select, update

from leakprint.db.models import Document, Finding, RecordHitRow
from leakprint.findings import FindingChange, customer_count, is_evidence, stronger
from matchers.companion import is_canary_ref
from matchers.confidence import RANK, Confidence
from matchers.scan import MatchResult

if TYPE_CHECKING:
    from leakprint.scanning import StoreEntry
    from leakprint.urlsafe import UrlGuard

DOCS = cast(Table, Document.__table__)
FINDINGS = cast(Table, Finding.__table__)
HITS = cast(Table, RecordHitRow.__table__)
CHUNK = 500  # values in one IN list

# Columns a batch may change on a stored row (what the rules below assign).
_DOC_COLUMNS = ("content_sha256", "size", "encoding", "lossy", "etag", "last_modified",
                "last_seen", "last_changed", "last_scan_id")
_FINDING_COLUMNS = ("confidence", "bulk", "record_count", "fields", "snippet",
                    "content_sha256", "last_seen", "updated_at")
_HIT_COLUMNS = ("confidence", "fields", "chance", "chance_fields")

_LOAD_DOCS = select(DOCS.c.id, DOCS.c.url_key, *(DOCS.c[c] for c in _DOC_COLUMNS)).where(
    DOCS.c.url_key.in_(bindparam("keys", expanding=True)))
_LOAD_LEGACY = select(DOCS.c.id, DOCS.c.url, *(DOCS.c[c] for c in _DOC_COLUMNS)).where(
    DOCS.c.url_key.is_(None), DOCS.c.url.in_(bindparam("urls", expanding=True))
).order_by(DOCS.c.id)
_LOAD_FINDINGS = select(FINDINGS.c.id, FINDINGS.c.document_id, FINDINGS.c.dataset,
                        *(FINDINGS.c[c] for c in _FINDING_COLUMNS)).where(
    FINDINGS.c.document_id.in_(bindparam("docs", expanding=True)))
_LOAD_HITS = select(HITS.c.id, HITS.c.finding_id, HITS.c.record_ref,
                    *(HITS.c[c] for c in _HIT_COLUMNS)).where(
    HITS.c.finding_id.in_(bindparam("findings", expanding=True))).order_by(HITS.c.id)
_INSERT_HITS = insert(HITS)
_SEEN_AGAIN = update(FINDINGS).where(
    FINDINGS.c.document_id.in_(bindparam("docs", expanding=True))).values(
    last_seen=bindparam("now"))
_FINDINGS_OF = select(FINDINGS.c.id).where(
    FINDINGS.c.document_id.in_(bindparam("docs", expanding=True)))


@dataclass
class _Row:
    """A stored (or to be inserted) row: its values, and those it was loaded with."""

    id: int | None
    values: dict[str, Any]
    loaded: dict[str, Any] | None  # None: a new row, inserted at the end

    def changed(self, columns: Iterable[str]) -> dict[str, Any]:
        assert self.loaded is not None
        return {c: self.values[c] for c in columns if self.values[c] != self.loaded[c]}


@dataclass
class _FindingRow(_Row):
    records: dict[str, _Row] = field(default_factory=dict)


Status = Literal["new", "grown", "unchanged"]
# What merging one result did: the finding, its status, record count, the count
# before, the confidence (a FindingChange once the finding has an id).
_Merged = tuple[_FindingRow, Status, int, int, str]


def store_rows(conn: Connection, entries: Sequence[StoreEntry], run_id: int, guard: UrlGuard,
               now: datetime) -> tuple[list[tuple[str, list[FindingChange]]], list[int]]:
    """Store ``entries`` on ``conn`` (inside the caller's transaction): each entry's
    document status and finding changes, and the findings seen again unchanged (of the
    stored documents touched or answered 304), which the run links too."""
    keys = {u: guard.url_key(u) for u in dict.fromkeys(e.url for e in entries)}
    known = _load(conn, _LOAD_DOCS, "keys", list(set(keys.values())), "url_key")
    legacy = {}
    stored = {e.url for e in entries if e.kind != "seen"}  # (a 304 finds no legacy row)
    wanted = [u for u, k in keys.items() if k not in known and u in stored]
    if wanted:
        legacy = _load(conn, _LOAD_LEGACY, "urls", wanted, "url")
    rekeyed: dict[int, dict[str, Any]] = {}
    docs: list[tuple[StoreEntry, _Row | None, str]] = []
    for e in entries:
        key = keys[e.url]
        doc = known.get(key)
        if e.kind == "seen":
            if doc is not None:
                doc.values.update(last_seen=now, last_scan_id=run_id)
            docs.append((e, doc, "unchanged"))
            continue
        if doc is None and (doc := legacy.pop(e.url, None)) is not None:
            assert doc.id is not None
            rekeyed[doc.id] = {"url_key": key, "url": guard.redact(e.url),
                               "url_sealed": guard.seal(e.url)}
            known[key] = doc
        encoding = next((r.encoding for r in e.results if r.encoding), None)
        lossy = any(r.lossy for r in e.results)
        if doc is None:
            known[key] = doc = _Row(None, {
                "url": guard.redact(e.url), "url_key": key, "url_sealed": guard.seal(e.url),
                "source": e.source, "content_sha256": e.sha256, "size": e.size,
                "encoding": encoding, "lossy": lossy, "etag": e.etag,
                "last_modified": e.last_modified, "first_seen": now, "last_seen": now,
                "last_changed": now, "last_scan_id": run_id}, None)
            docs.append((e, doc, "new"))
            continue
        v = doc.values
        status = "unchanged" if v["content_sha256"] == e.sha256 else "changed"
        v.update(last_seen=now, last_scan_id=run_id, etag=e.etag or v["etag"],
                 last_modified=e.last_modified or v["last_modified"])
        if status == "changed":
            v.update(content_sha256=e.sha256, size=e.size, encoding=encoding, lossy=lossy,
                     last_changed=now)
        docs.append((e, doc, status))
    _write_documents(conn, list(known.values()), rekeyed)
    return _store_findings(conn, docs, now)


def _load(conn: Connection, stmt: Any, param: str, values: list[Any], by: str
          ) -> dict[Any, _Row]:
    """Rows of ``stmt`` for ``values`` (in chunks), by column ``by`` (the first row of
    each: statements order by id where several may share it)."""
    out: dict[Any, _Row] = {}
    for i in range(0, len(values), CHUNK):
        for row in conn.execute(stmt, {param: values[i:i + CHUNK]}).mappings():
            if row[by] not in out:
                out[row[by]] = _Row(row["id"], dict(row), dict(row))
    return out


def _write_documents(conn: Connection, docs: list[_Row], rekeyed: dict[int, dict[str, Any]]
                     ) -> None:
    new = [d for d in docs if d.loaded is None]
    if new:
        ids = _insert_ids(conn, DOCS, [d.values for d in new])
        for doc, doc_id in zip(new, ids, strict=True):
            doc.id = doc_id
    _update(conn, DOCS, [(d.id, {**d.changed(_DOC_COLUMNS), **rekeyed.get(d.id, {})})
                         for d in docs if d.loaded is not None and d.id is not None])


def _update(conn: Connection, table: Table, rows: list[tuple[int | None, dict[str, Any]]]
            ) -> None:
    """One executemany UPDATE per set of changed columns (none for unchanged rows)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, changed in rows:
        if changed:
            groups.setdefault(tuple(sorted(changed)), []).append(
                {"_id": row_id, **{f"_{c}": v for c, v in changed.items()}})
    for columns, params in groups.items():
        conn.execute(_update_statement(table, columns), params)


@functools.cache
def _update_statement(table: Table, columns: tuple[str, ...]) -> Update:
    """UPDATE ``columns`` of the row ``_id`` (built once: building costs more CPU than
    running it)."""
    return update(table).where(table.c.id == bindparam("_id")).values(
        {c: bindparam(f"_{c}") for c in columns})


def _store_findings(conn: Connection, docs: list[tuple[StoreEntry, _Row | None, str]],
                    now: datetime) -> tuple[list[tuple[str, list[FindingChange]]], list[int]]:
    stored = list({d.id for e, d, _ in docs if d is not None and d.loaded is not None
                   and any(r.record_hits for r in e.results)})
    findings: dict[tuple[int, str], _FindingRow] = {}
    for i in range(0, len(stored), CHUNK):
        for row in conn.execute(_LOAD_FINDINGS, {"docs": stored[i:i + CHUNK]}).mappings():
            findings[row["document_id"], row["dataset"]] = _FindingRow(
                row["id"], dict(row), dict(row))
    by_id = {f.id: f for f in findings.values()}
    ids = list(by_id)
    for i in range(0, len(ids), CHUNK):
        for row in conn.execute(_LOAD_HITS, {"findings": ids[i:i + CHUNK]}).mappings():
            by_id[row["finding_id"]].records[row["record_ref"]] = _Row(
                row["id"], dict(row), dict(row))
    pending: list[tuple[str, list[_Merged]]] = []
    new_hits: list[tuple[_FindingRow, _Row]] = []  # in the order a flush would insert
    still_there: list[int] = []
    for e, doc, seen_as in docs:
        merged = []
        if doc is not None:
            assert doc.id is not None
            if e.kind != "match" and doc.loaded is not None:
                # Seen again unchanged: so are its findings (a document new in this
                # batch has only findings of this batch, which are linked anyway).
                still_there.append(doc.id)
            for result in e.results:
                if (done := _merge(findings, new_hits, doc, result, now)) is not None:
                    merged.append(done)
        pending.append((seen_as, merged))
    _write_findings(conn, list(findings.values()), new_hits)
    out = [(seen_as, [FindingChange(f.id or 0, status, count, previous, confidence)
                      for f, status, count, previous, confidence in merged])
           for seen_as, merged in pending]
    return out, _still_there(conn, still_there, now)


def _merge(findings: dict[tuple[int, str], _FindingRow], new_hits: list[tuple[_FindingRow, _Row]],
           doc: _Row, result: MatchResult, now: datetime) -> _Merged | None:
    """:func:`leakprint.findings.record_result` on rows in memory."""
    hits = [h for h in result.record_hits if is_evidence(h)]
    if not hits:
        return None
    assert doc.id is not None
    finding = findings.get((doc.id, result.dataset))
    is_new = finding is None
    if finding is None:
        finding = findings[doc.id, result.dataset] = _FindingRow(None, {
            "document_id": doc.id, "dataset": result.dataset,
            "confidence": Confidence.LOW.value, "bulk": False, "record_count": 0,
            "fields": [], "snippet": "", "content_sha256": doc.values["content_sha256"],
            "first_seen": now, "last_seen": now, "updated_at": now}, None)
    f = finding.values
    previous = f["record_count"]
    existing = finding.records
    added = 0
    for hit in hits:
        row = existing.get(hit.ref)
        if row is None:
            existing[hit.ref] = row = _Row(None, {
                "record_ref": hit.ref, "confidence": hit.confidence,
                "fields": sorted(hit.fields), "first_seen": now, "chance": hit.chance,
                "chance_fields": list(hit.matched)}, None)
            new_hits.append((finding, row))
            added += 1
            continue
        r = row.values
        if r["chance"] is None or ((RANK[hit.confidence], -hit.chance)
                                   > (RANK[r["confidence"]], -r["chance"])):
            r["chance"], r["chance_fields"] = hit.chance, list(hit.matched)
        r["confidence"] = stronger(r["confidence"], hit.confidence)
        r["fields"] = sorted(set(r["fields"]) | set(hit.fields))
    f["record_count"] = customer_count(existing)
    f["bulk"] = f["bulk"] or result.bulk
    # A canary exists only in the data handed to one contractor: seeing one is a
    # leak for certain, whatever else the document holds (SPEC 14).
    canary = any(is_canary_ref(ref) for ref in existing)
    best = Confidence.HIGH if f["bulk"] or canary else max(
        (r.values["confidence"] for r in existing.values()), key=RANK.__getitem__)
    f["confidence"] = str(stronger(f["confidence"], best))
    f["fields"] = sorted(set(f["fields"]).union(*(h.fields for h in hits)))
    if added or not f["snippet"]:
        f["snippet"] = result.snippet
    f["content_sha256"] = doc.values["content_sha256"]
    f["last_seen"] = now
    if added:
        f["updated_at"] = now
    status: Status = "new" if is_new else "grown" if added else "unchanged"
    return finding, status, f["record_count"], previous, f["confidence"]


def _write_findings(conn: Connection, findings: list[_FindingRow],
                    new_hits: list[tuple[_FindingRow, _Row]]) -> None:
    new = [f for f in findings if f.loaded is None]
    if new:
        ids = _insert_ids(conn, FINDINGS, [f.values for f in new])
        for finding, finding_id in zip(new, ids, strict=True):
            finding.id = finding_id
    _update(conn, FINDINGS, [(f.id, f.changed(_FINDING_COLUMNS))
                             for f in findings if f.loaded is not None])
    if new_hits:
        conn.execute(_INSERT_HITS, [{**r.values, "finding_id": f.id} for f, r in new_hits])
    _update(conn, HITS, [(r.id, r.changed(_HIT_COLUMNS)) for f in findings
                         for r in f.records.values() if r.loaded is not None])


def _still_there(conn: Connection, document_ids: list[int], now: datetime) -> list[int]:
    """Unchanged documents seen again: their findings are still out there (their ids)."""
    ids = list(dict.fromkeys(document_ids))
    out: list[int] = []
    for i in range(0, len(ids), CHUNK):
        params = {"docs": ids[i:i + CHUNK], "now": now}
        if conn.dialect.update_returning:
            out += conn.execute(_SEEN_AGAIN.returning(FINDINGS.c.id), params).scalars()
        else:
            conn.execute(_SEEN_AGAIN, params)
            out += conn.execute(_FINDINGS_OF, params).scalars()
    return out


def _insert_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows``: their new ids, in order (one statement where the database
    returns ids of many rows: PostgreSQL, SQLite >= 3.35; else a statement a row)."""
    if conn.dialect.insert_executemany_returning_sort_by_parameter_order:
        return list(conn.execute(_returning(table), rows).scalars())
    ids = []
    for row in rows:
        key = conn.execute(insert(table), row).inserted_primary_key
        assert key is not None
        ids.append(key[0])
    return ids


@functools.cache
def _returning(table: Table) -> Insert:
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)
