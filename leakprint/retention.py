"""Retention: forget on schedule (SPEC 16, ``[retention]``, ``leakprint purge``).

Each kind of record is deleted once it is older than its retention: findings (not
seen again for ``findings_days``) with their record hits, and documents no finding
holds; scan runs (finished ``scan_runs_days`` ago) with their coverage errors and
log files; incidents closed ``closed_incidents_days`` ago; sent or failed alerts;
and, only when ``audit_days`` is set, the audit log's oldest entries, cut at a
checkpoint (:func:`leakprint.audit.cut_before`).

Whatever is tied to a *protected* incident is kept whatever its age: an incident that
is open, or whose watch period has not ended. Every purge (not a dry run) is itself
audited, by counts, even when it deleted nothing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from leakprint import audit
from leakprint.config import RetentionSettings
from leakprint.db import Database
from leakprint.db.models import (
    AlertRow,
    CoverageError,
    Document,
    Finding,
    Incident,
    IncidentFinding,
    RecordHitRow,
    ScanRun,
    ScanRunFinding,
    ScanRunWorker,
)
from leakprint.runstate import RunStatus

CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's limits
_LOG = re.compile(r"scan-(\d+)\.log")


@dataclass(frozen=True)
class PurgeReport:
    """How many of each were deleted (or, with ``dry_run``, would be)."""

    dry_run: bool
    incidents: int = 0
    alerts: int = 0
    findings: int = 0
    record_hits: int = 0
    documents: int = 0
    scan_runs: int = 0
    coverage_errors: int = 0
    logs: int = 0
    audit_entries: int = 0

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "dry_run"}

    @property
    def total(self) -> int:
        return sum(self.counts().values())


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def _ids(session: Session, stmt: Any) -> list[int]:
    return sorted(set(session.scalars(stmt)))


def _count_in(session: Session, column: Any, ids: Sequence[int]) -> int:
    return sum(session.scalar(select(func.count()).where(column.in_(chunk))) or 0
               for chunk in _chunks(ids))


def _delete_in(session: Session, model: Any, column: Any, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        session.execute(delete(model).where(column.in_(chunk)))


def protected_incidents(session: Session, now: datetime) -> list[int]:
    """Incidents whose evidence must stay: open, or inside their watch period."""
    return _ids(session, select(Incident.id).where(
        or_(Incident.state == "open", Incident.ends_at > now)))


def purge(db: Database, retention: RetentionSettings, *, logs_dir: Path | None = None,
          dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Delete (or count, with ``dry_run``) what is past its retention; see the module.

    Everything happens in one transaction: a purge that fails deletes nothing.
    """
    now = now or datetime.now(UTC)

    def cutoff(days: int | None) -> datetime | None:
        return now - timedelta(days=days) if days else None

    counts: dict[str, int] = {}
    with db.session() as session:
        keep = protected_incidents(session, now)
        kept_findings = set() if not keep else {
            fid for chunk in _chunks(keep) for fid in session.scalars(
                select(IncidentFinding.finding_id).where(IncidentFinding.incident_id.in_(chunk)))}

        # Closed incidents first: their links go with them, their runs stay (unlinked).
        incidents: list[int] = []
        if (c := cutoff(retention.closed_incidents_days)) is not None:
            incidents = [i for i in _ids(session, select(Incident.id).where(
                Incident.state == "closed", Incident.closed_at < c)) if i not in keep]
        counts["incidents"] = len(incidents)

        alerts: list[int] = []
        if (c := cutoff(retention.alerts_days)) is not None:
            alerts = _ids(session, select(AlertRow.id).where(
                AlertRow.status != "pending", AlertRow.created_at < c))
            if keep:
                kept_alerts = {a for chunk in _chunks(keep) for a in session.scalars(
                    select(AlertRow.id).where(AlertRow.incident_id.in_(chunk)))}
                alerts = [a for a in alerts if a not in kept_alerts]

        findings: list[int] = []
        documents: list[int] = []
        if (c := cutoff(retention.findings_days)) is not None:
            findings = [f for f in _ids(session, select(Finding.id).where(Finding.last_seen < c))
                        if f not in kept_findings]
            going = set(findings)
            # A document goes when it is old and every finding it holds goes too.
            holders: dict[int, set[int]] = {}
            for doc_id, fid in session.execute(select(Finding.document_id, Finding.id)):
                holders.setdefault(doc_id, set()).add(fid)
            documents = [d for d in _ids(session, select(Document.id).where(Document.last_seen < c))
                         if holders.get(d, set()) <= going]

        runs: list[int] = []
        if (c := cutoff(retention.scan_runs_days)) is not None:
            ended = func.coalesce(ScanRun.finished_at, ScanRun.started_at)
            runs = _ids(session, select(ScanRun.id).where(
                ScanRun.status != RunStatus.RUNNING.value, ended < c,
                or_(ScanRun.incident_id.is_(None), ScanRun.incident_id.not_in(keep or [-1]))))

        # Alerts that go with their incident, finding or run are counted once.
        alerts_total = set(alerts)
        for column, ids in ((AlertRow.incident_id, incidents), (AlertRow.finding_id, findings),
                            (AlertRow.scan_run_id, runs)):
            for chunk in _chunks(ids):
                alerts_total.update(session.scalars(select(AlertRow.id).where(column.in_(chunk))))
        counts["alerts"] = len(alerts_total)
        counts["findings"] = len(findings)
        counts["record_hits"] = _count_in(session, RecordHitRow.finding_id, findings)
        counts["documents"] = len(documents)
        counts["scan_runs"] = len(runs)
        counts["coverage_errors"] = _count_in(session, CoverageError.scan_run_id, runs)
        log_files = _log_files(logs_dir, set(runs), session, cutoff(retention.scan_runs_days))
        counts["logs"] = len(log_files)
        cut = None
        if (c := cutoff(retention.audit_days)) is not None:
            # The purge's own entry will be the newest: the present head may go.
            cut = audit.cut_before(session, c, dry_run=True, keep_newest=False)
        counts["audit_entries"] = cut.removed if cut else 0

        report = PurgeReport(dry_run=dry_run, **counts)
        if dry_run:
            return report

        _delete_in(session, AlertRow, AlertRow.id, sorted(alerts_total))
        _delete_in(session, IncidentFinding, IncidentFinding.incident_id, incidents)
        for chunk in _chunks(incidents):
            session.execute(update(ScanRun).where(ScanRun.incident_id.in_(chunk))
                            .values(incident_id=None))
        _delete_in(session, Incident, Incident.id, incidents)
        _delete_in(session, RecordHitRow, RecordHitRow.finding_id, findings)
        _delete_in(session, IncidentFinding, IncidentFinding.finding_id, findings)
        _delete_in(session, ScanRunFinding, ScanRunFinding.finding_id, findings)
        _delete_in(session, Finding, Finding.id, findings)
        _delete_in(session, Document, Document.id, documents)
        _delete_in(session, CoverageError, CoverageError.scan_run_id, runs)
        _delete_in(session, ScanRunFinding, ScanRunFinding.scan_run_id, runs)
        # A distributed run's per-worker shares (SPEC 15) go with their run.
        _delete_in(session, ScanRunWorker, ScanRunWorker.scan_run_id, runs)
        for chunk in _chunks(runs):
            session.execute(update(Document).where(Document.last_scan_id.in_(chunk))
                            .values(last_scan_id=None))
        _delete_in(session, ScanRun, ScanRun.id, runs)
        session.flush()
        audit.append(session, "retention.purge", {
            **report.counts(), "retention": asdict(retention), "at": now.isoformat()})
        if (c := cutoff(retention.audit_days)) is not None:
            done = audit.cut_before(session, c)
            report = PurgeReport(dry_run=False, **{
                **report.counts(), "audit_entries": done.removed if done else 0})
    # Files only once the rows are gone for good.
    for path in log_files:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return report


def _log_files(logs_dir: Path | None, runs: set[int], session: Session,
               before: datetime | None) -> list[Path]:
    """The crawl logs of purged runs, and old logs of runs no longer in the database."""
    if logs_dir is None or before is None or not logs_dir.is_dir():
        return []
    out: list[Path] = []
    candidates: dict[int, Path] = {}
    for path in logs_dir.iterdir():
        match = _LOG.fullmatch(path.name)
        if match:
            candidates[int(match.group(1))] = path
    existing = {i for chunk in _chunks(sorted(candidates)) for i in session.scalars(
        select(ScanRun.id).where(ScanRun.id.in_(chunk)))}
    for run_id, path in sorted(candidates.items()):
        if run_id in runs:
            out.append(path)
        elif run_id not in existing:
            with contextlib.suppress(OSError):
                if datetime.fromtimestamp(path.stat().st_mtime, UTC) < before:
                    out.append(path)
    return out
