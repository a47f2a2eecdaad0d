"""On-demand scans of files and standard input; every run is recorded with its coverage."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from fingerprints.fpset import FingerprintSet
from fingerprints.keyed import FingerprintKey
from leakprint.config import Settings
from leakprint.coverage import CoverageItem
from leakprint.datasets import open_sets
from leakprint.db import Database, Finding, ScanRunFinding
from leakprint.findings import FindingChange
from leakprint.runs import RunCounters, RunStatus
from leakprint.runs import finish_run as finish_run  # run states live in leakprint.runs
from leakprint.runs import start_run as start_run
from leakprint.storebatch import store_rows
from leakprint.urlsafe import UrlGuard
from matchers.companion import matcher_for
from matchers.parallel import scan_file
from matchers.scan import MatchResult, scan_stream_many

CHUNK = 1 << 20


@dataclass
class ScanOutcome:
    """What a scan did: its run id and the findings it created or touched."""

    run_id: int
    finding_ids: list[int] = field(default_factory=list)
    changes: list[FindingChange] = field(default_factory=list)
    documents: int = 0
    bytes: int = 0
    error: str | None = None  # the scan covered less than asked (findings are still valid)
    errors: int = 0  # pages that could not be fetched
    # Documents that could not be read in full (SPEC 10): never a silent "no findings".
    coverage: list[CoverageItem] = field(default_factory=list)


def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def store_results(
    db: Database, *, url: str, source: str | None, sha256: str, size: int,
    results: Sequence[MatchResult], run_id: int, guard: UrlGuard, etag: str | None = None,
    last_modified: str | None = None,
) -> tuple[str, list[FindingChange]]:
    """Upsert the document and merge each dataset's result into its finding: a batch
    of one (:func:`store_batch`).

    ``url`` is the full URL or path; ``guard`` stores it redacted, keyed and sealed."""
    entry = StoreEntry("match", url, source, sha256, size, results, etag, last_modified)
    return store_batch(db, [entry], run_id, guard)[0]


@dataclass
class StoreEntry:
    """One document to store: ``match`` (with its results), ``touch`` or ``seen`` (304)."""

    kind: str
    url: str
    source: str | None
    sha256: str
    size: int
    results: Sequence[MatchResult] = ()
    etag: str | None = None
    last_modified: str | None = None


def store_batch(db: Database, entries: Sequence[StoreEntry], run_id: int, guard: UrlGuard,
                *, now: datetime | None = None) -> list[tuple[str, list[FindingChange]]]:
    """Store many documents in ONE transaction: all of them, or (on error) none.

    Entries carry full URLs; ``guard`` keys, redacts and seals them (SPEC 10.2).

    Returns each entry's document status (``new``/``changed``/``unchanged``; a 304,
    ``seen``, is ``unchanged`` too, known document or not) and its finding changes.
    ``leakprint.storebatch`` writes the rows with bulk statements.
    """
    with db.session() as session:
        out, seen_again = store_rows(session.connection(), entries, run_id, guard,
                                     now or datetime.now(UTC))
        changes = [c for _, found in out for c in found]
        link_run_findings(session, run_id, [c.finding_id for c in changes] + seen_again,
                          fresh=[c.finding_id for c in changes if c.status == "new"])
    return out


def link_run_findings(session: Session, run_id: int, finding_ids: Sequence[int],
                      fresh: Collection[int] = ()) -> None:
    """Record that these findings belong to the run's result (created, updated or seen
    again by it). Read back by :func:`run_finding_ids`; a concurrent scan of the same
    URL links them to its own run too, so both report them. ``fresh``: findings this
    transaction created (not linked yet: not looked up)."""
    wanted = set(finding_ids)
    if not wanted:
        return
    maybe = list(wanted.difference(fresh))
    have: set[int] = set()
    session.flush()  # (the statements below are Core: they do not flush)
    conn = session.connection()
    for i in range(0, len(maybe), 500):
        have.update(conn.execute(_LINKED, {"run": run_id, "ids": maybe[i:i + 500]}).scalars())
    if wanted - have:
        conn.execute(_LINK, [{"scan_run_id": run_id, "finding_id": f}
                             for f in sorted(wanted - have)])


_RUN_FINDINGS = cast(Table, ScanRunFinding.__table__)
_LINKED = select(_RUN_FINDINGS.c.finding_id).where(
    _RUN_FINDINGS.c.scan_run_id == bindparam("run"),
    _RUN_FINDINGS.c.finding_id.in_(bindparam("ids", expanding=True)))
_LINK = insert(_RUN_FINDINGS)


def run_finding_ids(db: Database, run_id: int, datasets: Sequence[str] = ()) -> list[int]:
    """The findings a run created, updated or saw (only those of ``datasets`` if given)."""
    with db.session() as session:
        query = (select(ScanRunFinding.finding_id)
                 .where(ScanRunFinding.scan_run_id == run_id)
                 .order_by(ScanRunFinding.finding_id))
        if datasets:
            query = query.join(Finding, Finding.id == ScanRunFinding.finding_id).where(
                Finding.dataset.in_(list(datasets)))
        return list(session.scalars(query))


class ScanInputError(Exception):
    """A file to scan is missing or unreadable (one line, exit status 2)."""


def check_paths(paths: Sequence[str]) -> list[Path | None]:
    """Resolve the paths to scan (``None`` for ``-``, standard input) or raise."""
    out: list[Path | None] = []
    for name in paths:
        if name == "-":
            out.append(None)
            continue
        path = Path(name)
        if not path.exists():
            raise ScanInputError(f"{name}: no such file")
        if not path.is_file():
            raise ScanInputError(f"{name}: not a regular file")
        if not os.access(path, os.R_OK):
            raise ScanInputError(f"{name}: not readable")
        out.append(path.resolve())
    if out.count(None) > 1:
        raise ScanInputError("'-' (standard input) can be given only once")
    return out


def scan_paths(
    settings: Settings, db: Database, paths: Sequence[str], *,
    datasets: Sequence[str] | None = None, workers: int | None = None,
    stdin: BinaryIO | None = None,
    on_file: Callable[[str], None] | None = None,
) -> ScanOutcome:
    """Scan files (``-`` is standard input) against the fingerprint sets.

    Files and standard input are read in pieces (bounded memory, nothing written to
    disk); large files are scanned on ``workers`` processes (default: all cores).
    """
    resolved = check_paths(paths)
    sets = open_sets(settings, db, list(datasets) if datasets else None)
    key = settings.load_key()
    guard = UrlGuard(key, [matcher_for(s, key) for s in sets])
    run_id = start_run(db, "file", datasets=[s.dataset for s in sets],
                       sources=["stdin" if p is None else guard.redact(p.name)
                                for p in resolved])
    outcome = ScanOutcome(run_id)
    counters = RunCounters()
    try:
        for name, path in zip(paths, resolved, strict=True):
            if on_file:
                on_file(guard.redact(name))
            if path is None:
                sha, size, results = _scan_stream(stdin, sets, "stdin", key)
                url = f"stdin:sha256:{sha}"
            else:
                sha, size, results = _scan_file(path, sets, key, workers)
                url = path.as_uri()
            status, changes = store_results(db, url=url, source=None, sha256=sha, size=size,
                                            results=results, run_id=run_id, guard=guard)
            counters.tally(status, changes)
            counters.pages += 1
            counters.bytes += size
            for change in changes:
                outcome.changes.append(change)
                outcome.finding_ids.append(change.finding_id)
            outcome.documents += 1
            outcome.bytes += size
    except BaseException as exc:
        # The reason by type and errno only: an exception message may quote input.
        reason = type(exc).__name__
        if isinstance(exc, OSError) and exc.strerror:
            reason += f": {exc.strerror}"
        finish_run(db, run_id, status=RunStatus.FAILED, error=reason, add=counters)
        raise
    finish_run(db, run_id, status=RunStatus.OK, add=counters)
    return outcome


class HashingReader:
    """Yields a stream's pieces while hashing and counting them (one read, no temp file)."""

    def __init__(self, stream: BinaryIO | None) -> None:
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        if self.stream is None:
            return
        while chunk := self.stream.read(CHUNK):
            self.sha256.update(chunk)
            self.size += len(chunk)
            yield chunk


def _scan_stream(stream: BinaryIO | None, sets: Sequence[FingerprintSet], name: str,
                 key: FingerprintKey) -> tuple[str, int, list[MatchResult]]:
    """Hash and scan a stream in one pass against every set."""
    reader = HashingReader(stream)
    results = scan_stream_many([matcher_for(s, key) for s in sets], reader, name=name)
    return reader.sha256.hexdigest(), reader.size, results


def _scan_file(path: Path, sets: Sequence[FingerprintSet], key: FingerprintKey,
               workers: int | None) -> tuple[str, int, list[MatchResult]]:
    n = workers or os.cpu_count() or 1
    if n <= 1 or path.stat().st_size < 4 * CHUNK:
        # Small files: starting worker processes costs more than it saves, and one
        # read serves the digest and every set.
        with path.open("rb") as fh:
            return _scan_stream(fh, sets, path.name, key)
    sha, size = file_digest(path)
    return sha, size, [scan_file(path, s.directory, key, workers=n, secrets=s.secrets)
                       for s in sets]
