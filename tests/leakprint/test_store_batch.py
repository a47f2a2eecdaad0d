"""``store_batch`` (bulk statements, ``leakprint.storebatch``) stores what the ORM path
of one document at a time (``tests/leakprint/orm_reference.py``: ``upsert_document`` +
``record_result``, as the crawl stored batches before) stores: the same rows, statuses,
finding changes and run links, batch after batch, with URLs repeated within a batch,
changed content, 304s, touches, two datasets, canaries, and documents from before
migration 0006."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fingerprints.keyed import FingerprintKey
from leakprint import storebatch
from leakprint.db import Database, Document, Finding, ScanRunFinding, open_database
from leakprint.findings import FindingChange
from leakprint.scanning import StoreEntry, start_run, store_batch
from leakprint.urlsafe import UrlGuard
from matchers.companion import CANARY_PREFIX
from matchers.scan import MatchResult, RecordHit
from tests.databases import PG_URL, pg_schema_url
from tests.leakprint.orm_reference import record_result, upsert_document

KEY = FingerprintKey(bytes(range(32)))
URLS = [f"https://paste.example/raw/{n}" for n in range(7)]
LEGACY = URLS[:2]  # stored before URLs were keyed (migration 0006)
REFS = [f"C{n}" for n in range(6)] + [f"{CANARY_PREFIX}k1"]
KINDS = ("name", "phone", "email", "birthdate", "address")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


# -------------------------------------------------------- the reference: the ORM path

def reference_store_batch(db: Database, entries: Sequence[StoreEntry], run_id: int,
                          guard: UrlGuard, now: datetime
                          ) -> list[tuple[str, list[FindingChange]]]:
    """The crawl's ``store_batch`` before bulk statements (ORM objects and flushes)."""
    out: list[tuple[str, list[FindingChange]]] = []
    with db.session() as session:
        urls = [e.url for e in entries]
        known = {d.url_key: d for d in session.scalars(sa.select(Document).where(
            Document.url_key.in_(list({guard.url_key(u) for u in urls})))) if d.url_key}
        docs: list[tuple[StoreEntry, Document | None, str]] = []
        for e in entries:
            if e.kind == "seen":
                doc = known.get(guard.url_key(e.url))
                if doc is not None:
                    doc.last_seen = now
                    doc.last_scan_id = run_id
                docs.append((e, doc, "unchanged"))
                continue
            stored, status = upsert_document(
                session, url=e.url, source=e.source, sha256=e.sha256, size=e.size,
                encoding=next((r.encoding for r in e.results if r.encoding), None),
                lossy=any(r.lossy for r in e.results), etag=e.etag,
                last_modified=e.last_modified, scan_id=run_id, now=now, guard=guard)
            known[guard.url_key(e.url)] = stored
            docs.append((e, stored, status))
        session.flush()
        still_there: list[int] = []
        for e, stored_doc, seen_as in docs:
            changes = []
            if stored_doc is not None:
                if e.kind != "match":
                    still_there.append(stored_doc.id)
                for result in e.results:
                    if (change := record_result(session, stored_doc, result, now=now)
                            ) is not None:
                        changes.append(change)
            out.append((seen_as, changes))
        session.execute(sa.update(Finding).where(Finding.document_id.in_(still_there))
                        .values(last_seen=now))
        touched = {c.finding_id for _, changes in out for c in changes}
        touched |= set(session.scalars(sa.select(Finding.id).where(
            Finding.document_id.in_(still_there))))
        _reference_link(session, run_id, touched)
    return out


def _reference_link(session: Session, run_id: int, wanted: set[int]) -> None:
    have = set(session.scalars(sa.select(ScanRunFinding.finding_id).where(
        ScanRunFinding.scan_run_id == run_id, ScanRunFinding.finding_id.in_(list(wanted)))))
    for finding_id in sorted(wanted - have):
        session.add(ScanRunFinding(scan_run_id=run_id, finding_id=finding_id))


# ------------------------------------------------------------------ the batches

def result(rng: random.Random, dataset: str) -> MatchResult:
    refs = [*REFS[:3], *REFS]  # some refs often: findings grow, or are seen again
    hits = [RecordHit(row=1, ref=rng.choice(refs),
                      confidence=rng.choice(("low", "medium", "high")),
                      fields=tuple(rng.sample(KINDS, rng.randint(1, 3))),
                      chance=rng.choice((1e-12, 1e-6, 0.01, 0.5)),
                      matched=tuple(rng.sample(KINDS, 2)))
            for _ in range(rng.randint(0, 4))]
    return MatchResult(dataset, hits, bulk=rng.random() < 0.1,
                       snippet=rng.choice(("", "", "[name] [phone]", "[email]")),
                       encoding=rng.choice(("", "utf-8", "cp932")), lossy=rng.random() < 0.2)


def batches(seed: int) -> Iterator[list[StoreEntry]]:
    rng = random.Random(seed)
    for _ in range(6):
        entries = []
        for _ in range(rng.randint(1, 9)):
            url = rng.choice(URLS)
            kind = rng.choice(("match", "match", "touch", "seen"))
            if kind == "seen":
                entries.append(StoreEntry("seen", url, "paste", "", 0))
                continue
            results = [result(rng, d) for d in ("crm", "shop") if rng.random() < 0.7] \
                if kind == "match" else []
            entries.append(StoreEntry(
                kind, url, "paste", f"{rng.randrange(3):064x}", rng.randrange(1, 999), results,
                rng.choice((None, '"e1"', '"e2"')), rng.choice((None, "Mon, 1 Jan 2026"))))
        yield entries


def add_legacy_rows(db: Database) -> None:
    """Documents as stored before migration 0006 (full URL, no key), one with a
    finding; and a second row of the same URL (the first by id is the one kept)."""
    with db.session() as session:
        for n, url in enumerate([*LEGACY, LEGACY[0]]):
            session.add(Document(url=url, url_key=None, source="paste",
                                 content_sha256=f"{n % 3:064x}", size=5, first_seen=T0,
                                 last_seen=T0, last_changed=T0))
        session.flush()
        session.execute(sa.insert(Finding), [{
            "document_id": 1, "dataset": "crm", "confidence": "medium", "bulk": False,
            "record_count": 1, "fields": ["phone"], "snippet": "[phone]",
            "content_sha256": f"{0:064x}", "first_seen": T0, "last_seen": T0,
            "updated_at": T0}])


def contents(db: Database, guard: UrlGuard) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the store writes (sealed URLs opened: their nonces differ)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for table in ("documents", "findings", "record_hits", "scan_run_findings"):
            rows = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2")).mappings()
            out[table] = [tuple((k, guard.unseal(v) if k == "url_sealed" and v else v)
                                for k, v in row.items()) for row in rows]
    return out


@pytest.fixture
def two_dbs(db_url: str, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Two fresh databases of the same kind (``db_url``'s)."""
    if db_url.startswith("sqlite"):
        urls = iter([db_url, f"sqlite:///{tmp_path}/other.db"])
        yield open_database(next(urls)), open_database(next(urls))
        return
    assert PG_URL
    other = pg_schema_url(PG_URL)
    a, b = open_database(db_url), open_database(next(other))
    try:
        yield a, b
    finally:
        a.close()
        b.close()
        for _ in other:  # drops the second schema
            pass


@pytest.mark.parametrize("seed", range(8))
def test_bulk_store_matches_the_orm_path(two_dbs: tuple[Database, Database],
                                         seed: int) -> None:
    bulk, orm = two_dbs
    guard = UrlGuard(KEY)
    for db in two_dbs:
        add_legacy_rows(db)
    runs = [(start_run(bulk, "sources"), start_run(orm, "sources")) for _ in range(2)]
    assert runs[0][0] == runs[0][1] and runs[1][0] == runs[1][1]
    statuses: set[str] = set()
    for n, entries in enumerate(batches(seed)):
        now = T0 + timedelta(minutes=n + 1)
        run_id = runs[n % 2][0]
        got = store_batch(bulk, entries, run_id, guard, now=now)
        want = reference_store_batch(orm, entries, run_id, guard, now)
        assert got == want, n
        assert contents(bulk, guard) == contents(orm, guard), n
        statuses |= {s for s, _ in got} | {c.status for _, cs in got for c in cs}
    assert statuses >= {"new", "unchanged"}
    assert contents(bulk, guard)["documents"], "the batches stored documents"


def test_the_sequence_covers_every_rule(two_dbs: tuple[Database, Database]) -> None:
    """The seeds above reach every status, a grown finding, a legacy document."""
    bulk, _ = two_dbs
    add_legacy_rows(bulk)
    guard = UrlGuard(KEY)
    run_id = start_run(bulk, "sources")
    statuses: set[str] = set()
    for seed in range(8):
        for n, entries in enumerate(batches(seed)):
            got = store_batch(bulk, entries, run_id, guard, now=T0 + timedelta(minutes=n))
            statuses |= {s for s, _ in got} | {f"finding-{c.status}" for _, cs in got
                                                for c in cs}
    assert statuses == {"new", "changed", "unchanged", "finding-new", "finding-grown",
                        "finding-unchanged"}
    with bulk.session() as session:
        keyed = session.scalar(sa.select(sa.func.count()).select_from(Document).where(
            Document.url_key.is_not(None), Document.id <= 2))
    assert keyed == 2, "the legacy documents were keyed, not stored again"


def test_a_failed_batch_stores_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """One transaction: documents already inserted when the findings fail are gone."""
    guard = UrlGuard(KEY)
    run_id = start_run(db, "sources")
    entries = [*next(batches(3)), StoreEntry("match", URLS[5], "paste", "ab", 1,
                                             [result(random.Random(1), "crm")])]

    def fail(*args: Any) -> None:
        raise RuntimeError("findings could not be written")

    monkeypatch.setattr(storebatch, "_write_findings", fail)
    with pytest.raises(RuntimeError):
        store_batch(db, entries, run_id, guard)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Document)) == 0


def test_without_returning_the_rows_are_the_same(two_dbs: tuple[Database, Database],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the database cannot return the ids of many inserted rows or of updated
    ones (SQLite before 3.35), rows are inserted one at a time: the same rows."""
    bulk, orm = two_dbs
    dialect = bulk.engine.dialect
    monkeypatch.setattr(dialect, "insert_executemany_returning_sort_by_parameter_order",
                        False)
    monkeypatch.setattr(dialect, "update_returning", False)
    guard = UrlGuard(KEY)
    for db in two_dbs:
        add_legacy_rows(db)
    run_id = start_run(bulk, "sources")
    assert run_id == start_run(orm, "sources")
    for n, entries in enumerate(batches(5)):
        now = T0 + timedelta(minutes=n + 1)
        got = store_batch(bulk, entries, run_id, guard, now=now)
        assert got == reference_store_batch(orm, entries, run_id, guard, now), n
        assert contents(bulk, guard) == contents(orm, guard), n
