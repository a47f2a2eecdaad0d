"""On-demand scans of files and standard input; every run is recorded with its coverage."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fingerprints.fpset import FingerprintSet
from leakprint.config import Settings
from leakprint.datasets import open_sets
from leakprint.db import Database, ScanRun
from leakprint.findings import FindingChange, record_result, upsert_document
from matchers.parallel import scan_file
from matchers.scan import Matcher, MatchResult

CHUNK = 1 << 20


@dataclass
class ScanOutcome:
    """What a scan did: its run id and the findings it created or touched."""

    run_id: int
    finding_ids: list[int] = field(default_factory=list)
    changes: list[FindingChange] = field(default_factory=list)
    documents: int = 0
    bytes: int = 0


def file_digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def start_run(db: Database, kind: str, *, datasets: Sequence[str] = (),
              sources: Sequence[str] = (), incident_id: int | None = None) -> int:
    with db.session() as session:
        run = ScanRun(kind=kind, datasets=list(datasets), sources=list(sources),
                      incident_id=incident_id, status="running", pages=0, bytes=0, errors=0,
                      docs_new=0, docs_changed=0, docs_unchanged=0, findings_new=0,
                      findings_updated=0)
        session.add(run)
        session.flush()
        return run.id


def finish_run(db: Database, run_id: int, *, status: str = "ok", error: str | None = None,
               **counts: int) -> None:
    with db.session() as session:
        run = session.get(ScanRun, run_id)
        if run is None:
            return
        for name, value in counts.items():
            setattr(run, name, getattr(run, name) + value)
        run.status = status
        run.error = error
        run.finished_at = datetime.now(UTC)


def store_results(
    db: Database, *, url: str, source: str | None, sha256: str, size: int,
    results: Sequence[MatchResult], run_id: int, etag: str | None = None,
    last_modified: str | None = None,
) -> tuple[str, list[FindingChange]]:
    """Upsert the document and merge each dataset's result into its finding."""
    encoding = next((r.encoding for r in results if r.encoding), None)
    lossy = any(r.lossy for r in results)
    changes: list[FindingChange] = []
    with db.session() as session:
        doc, status = upsert_document(
            session, url=url, source=source, sha256=sha256, size=size, encoding=encoding,
            lossy=lossy, etag=etag, last_modified=last_modified, scan_id=run_id)
        for result in results:
            change = record_result(session, doc, result)
            if change is not None:
                changes.append(change)
    return status, changes


def scan_paths(
    settings: Settings, db: Database, paths: Sequence[str], *,
    datasets: Sequence[str] | None = None, workers: int | None = None,
    read_stdin: Callable[[], bytes] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> ScanOutcome:
    """Scan files (``-`` is standard input) against the fingerprint sets."""
    sets = open_sets(settings, db, list(datasets) if datasets else None)
    key = settings.load_key()
    run_id = start_run(db, "file", datasets=[s.dataset for s in sets])
    outcome = ScanOutcome(run_id)
    counts = {"docs_new": 0, "docs_changed": 0, "docs_unchanged": 0,
              "findings_new": 0, "findings_updated": 0, "pages": 0, "bytes": 0}
    try:
        for name in paths:
            if on_file:
                on_file(name)
            if name == "-":
                data = read_stdin() if read_stdin else b""
                sha, size = hashlib.sha256(data).hexdigest(), len(data)
                url = f"stdin:{sha[:16]}"
                results = [Matcher(s).scan_bytes(data, name="stdin") for s in sets]
            else:
                path = Path(name).resolve()
                sha, size = file_digest(path)
                url = path.as_uri()
                results = [_scan_one_file(path, s, key, workers) for s in sets]
            status, changes = store_results(db, url=url, source=None, sha256=sha, size=size,
                                            results=results, run_id=run_id)
            counts[f"docs_{status}"] += 1
            counts["pages"] += 1
            counts["bytes"] += size
            for change in changes:
                outcome.changes.append(change)
                outcome.finding_ids.append(change.finding_id)
                if change.status == "new":
                    counts["findings_new"] += 1
                elif change.status == "grown":
                    counts["findings_updated"] += 1
            outcome.documents += 1
            outcome.bytes += size
    except BaseException as exc:
        finish_run(db, run_id, status="failed", error=str(exc).splitlines()[0][:500]
                   if str(exc) else type(exc).__name__, **counts)
        raise
    finish_run(db, run_id, **counts)
    return outcome


def _scan_one_file(path: Path, fpset: FingerprintSet, key: object,
                   workers: int | None) -> MatchResult:
    n = workers or os.cpu_count() or 1
    size = path.stat().st_size
    if n <= 1 or size < 4 * CHUNK:
        # Small files: starting worker processes costs more than it saves.
        return Matcher(fpset).scan_stream(_chunks(path))
    return scan_file(path, fpset.directory, key, workers=n)


def _chunks(path: Path) -> list[bytes] | object:
    def gen() -> object:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    return gen()
