"""Incidents: what to watch after a leak, and the alerts their findings raise.

A finding is linked to every incident whose scan produced it. The outbox gets one
alert per (incident, finding, record count): the first time a finding reaches the
incident's threshold, and again only when it grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import func, select

from alerts.recipients import RecipientError, SeveralRecipients, shown
from leakprint import audit
from leakprint.cadence import MIN_INTERVAL, check_cron, parse_duration
from leakprint.cadence import IncidentError as IncidentError  # the error of both modules
from leakprint.channels import check_recipient
from leakprint.db import AlertRow, Database, Incident, IncidentFinding, ScanRun
from leakprint.findings import FindingChange, at_least
from leakprint.inputs import esc, lit
from leakprint.jobstore import JOB_ID as JOB_ID  # serve's job store: its table and ids
from leakprint.jobstore import JOBS_TABLE as JOBS_TABLE
from leakprint.jobstore import job_id as job_id
from leakprint.jobstore import next_runs
from matchers.confidence import RANK, Confidence

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

OVERDUE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class IncidentInfo:
    #: The keys of ``as_json``, in order: the columns of an (empty) listing.
    COLUMNS: ClassVar[tuple[str, ...]] = (
        "id", "name", "datasets", "sources", "every_seconds", "cron", "threshold", "notify",
        "state", "created_at", "ends_at", "closed_at", "last_scan_at", "last_scan_status",
        "last_scan_error", "last_scan_run", "next_scan_at", "findings")

    id: int
    name: str
    datasets: list[str]
    sources: list[str]
    every_seconds: int | None
    cron: str | None
    threshold: str
    notify: list[str]
    state: str
    created_at: datetime
    ends_at: datetime
    closed_at: datetime | None
    last_scan_at: datetime | None
    findings: int = 0
    # The outcome of the incident's latest scan run (ok, partial, failed, killed,
    # running) and its reason: a watch whose scans fail finds nothing, and says so.
    last_scan_status: str | None = None
    last_scan_error: str | None = None
    last_scan_run: int | None = None
    # When the scheduler will scan next (its job store); None before `serve` first ran.
    next_scan_at: datetime | None = None

    @classmethod
    def of(
        cls,
        row: Incident,
        findings: int = 0,
        last_run: tuple[int, str, str | None] | None = None,
        next_scan_at: datetime | None = None,
    ) -> IncidentInfo:
        run_id, status, error = last_run or (None, None, None)
        return cls(
            row.id,
            row.name,
            list(row.datasets),
            list(row.sources),
            row.every_seconds,
            row.cron,
            row.threshold,
            list(row.notify),
            row.state,
            row.created_at,
            row.ends_at,
            row.closed_at,
            row.last_scan_at,
            findings,
            status,
            error,
            run_id,
            next_scan_at if row.state == "open" else None,
        )

    @property
    def cadence(self) -> str:
        if self.cron:
            return f"cron {self.cron}"
        secs = self.every_seconds or 0
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if secs % size == 0:
                return f"every {secs // size}{unit}"
        return f"every {secs}s"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "datasets": self.datasets,
            "sources": self.sources,
            "every_seconds": self.every_seconds,
            "cron": self.cron,
            "threshold": self.threshold,
            # A webhook's path (its secret token, often) is never printed.
            "notify": [shown(r) for r in self.notify],
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "last_scan_at": self.last_scan_at.isoformat() if self.last_scan_at else None,
            "last_scan_status": self.last_scan_status,
            "last_scan_error": self.last_scan_error,
            "last_scan_run": self.last_scan_run,
            "next_scan_at": self.next_scan_at.isoformat() if self.next_scan_at else None,
            "findings": self.findings,
        }

    @property
    def last_scan(self) -> str:
        """When the latest scan ran and, unless it went well, how it ended."""
        if self.last_scan_at is None:
            return "never"
        when = f"{self.last_scan_at:%Y-%m-%d %H:%M}"
        if self.last_scan_status in (None, "ok"):
            return when
        return f"{when} {self.last_scan_status}"

    def next_scan(self, now: datetime | None = None) -> str:
        """When the next scheduled scan is due, as `serve` has it."""
        if self.state != "open":
            return "none (closed)"
        if self.next_scan_at is None:
            return "when `leakprint serve` runs"
        when = f"{self.next_scan_at:%Y-%m-%d %H:%M}"
        # A due scan starts within seconds under a running serve: only a clearly
        # missed one says serve may be down.
        if self.next_scan_at < (now or datetime.now(UTC)) - OVERDUE_AFTER:
            return f"{when}, overdue: is `leakprint serve` running?"
        return when


def open_incident(
    db: Database,
    *,
    name: str,
    datasets: Sequence[str],
    sources: Sequence[str],
    every: str | None,
    cron: str | None,
    period: str,
    notify: Sequence[str],
    threshold: str = "medium",
    now: datetime | None = None,
) -> IncidentInfo:
    """Create an incident (the scheduler picks it up on its next sync).

    Raises :class:`IncidentError` naming the parameter that is wrong (``every``,
    ``period``, ``notify``…); the CLI shows it as its flag."""
    name = " ".join(name.split())
    if not name:
        raise IncidentError("the incident needs a name")
    if len(name) > 200:
        raise IncidentError("the incident name is longer than 200 characters")
    if bool(every) == bool(cron):
        raise IncidentError.about("give exactly one of {every} or {cron}")
    every_seconds = None
    if every:
        every_seconds = int(parse_duration(every, "every").total_seconds())
        if every_seconds < MIN_INTERVAL:
            raise IncidentError.about("{every} must be at least 1m")
    if cron:
        cron = check_cron(cron)
    if threshold not in RANK:
        *lower, top = Confidence.names()
        raise IncidentError.about(
            f"{{threshold}} {lit(threshold)}: use {', '.join(lower)} or {top}")
    watch = parse_duration(period, "period")
    try:
        notify = [check_recipient(a) for a in notify]
    except SeveralRecipients as exc:
        raise IncidentError.about(f"{{notify}} {esc(str(exc))}: give one per {{notify}}") from None
    except RecipientError as exc:
        raise IncidentError.about(f"{{notify}}: {esc(str(exc))}") from None
    if not notify:
        raise IncidentError.about("give at least one {notify} address")
    if not datasets:
        raise IncidentError.about("give at least one {datasets}")
    if not sources:
        raise IncidentError.about("give at least one {sources}")
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = Incident(
            name=name,
            datasets=_unique(datasets),
            sources=_unique(sources),
            every_seconds=every_seconds,
            cron=cron,
            threshold=threshold,
            notify=_unique(notify),
            state="open",
            created_at=now,
            ends_at=now + watch,
        )
        session.add(row)
        session.flush()
        audit.append(
            session,
            "incident.open",
            {"incident": row.id, "datasets": row.datasets, "sources": row.sources},
        )
        return IncidentInfo.of(row)


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values))


def list_incidents(db: Database, *, state: str | None = None) -> list[IncidentInfo]:
    with db.session() as session:
        counts: dict[int, int] = {
            incident_id: count
            for incident_id, count in session.execute(
                select(IncidentFinding.incident_id, func.count()).group_by(
                    IncidentFinding.incident_id
                )
            )
        }
        stmt = select(Incident).order_by(Incident.id)
        if state:
            stmt = stmt.where(Incident.state == state)
        rows = list(session.scalars(stmt))
        last = _last_runs(session, [r.id for r in rows])
        nexts = next_runs(session)
        return [
            IncidentInfo.of(r, counts.get(r.id, 0), last.get(r.id), nexts.get(r.id)) for r in rows
        ]


def _last_runs(session: Session, incident_ids: list[int]) -> dict[int, tuple[int, str, str | None]]:
    """Id, status and error of each incident's latest scan run."""
    if not incident_ids:
        return {}
    latest = (
        select(func.max(ScanRun.id))
        .where(ScanRun.incident_id.in_(incident_ids))
        .group_by(ScanRun.incident_id)
    )
    rows = session.execute(
        select(ScanRun.incident_id, ScanRun.id, ScanRun.status, ScanRun.error).where(
            ScanRun.id.in_(latest)
        )
    )
    return {
        incident_id: (run_id, status, error)
        for incident_id, run_id, status, error in rows
        if incident_id is not None
    }


def get_incident(db: Database, incident_id: int) -> IncidentInfo:
    with db.session() as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise IncidentError(f"no incident {incident_id} (see `leakprint incident list`)")
        count = (
            session.scalar(
                select(func.count())
                .select_from(IncidentFinding)
                .where(IncidentFinding.incident_id == incident_id)
            )
            or 0
        )
        return IncidentInfo.of(
            row,
            count,
            _last_runs(session, [incident_id]).get(incident_id),
            next_runs(session).get(incident_id),
        )


def close_incident(
    db: Database, incident_id: int, *, reason: str = "closed", now: datetime | None = None
) -> IncidentInfo:
    """Close an incident; the scheduler drops its job at its next sync."""
    with db.session() as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise IncidentError(f"no incident {incident_id} (see `leakprint incident list`)")
        if row.state != "closed":
            row.state = "closed"
            row.closed_at = now or datetime.now(UTC)
            audit.append(session, "incident.close", {"incident": incident_id, "reason": reason})
    return get_incident(db, incident_id)


def close_expired(db: Database, now: datetime | None = None) -> list[int]:
    """Close every open incident whose watch period is over; returns their ids."""
    now = now or datetime.now(UTC)
    closed: list[int] = []
    with db.session() as session:
        for row in session.scalars(
            select(Incident).where(Incident.state == "open", Incident.ends_at <= now)
        ):
            row.state, row.closed_at = "closed", now
            audit.append(
                session, "incident.close", {"incident": row.id, "reason": "watch period over"}
            )
            closed.append(row.id)
    return closed


def link_changes(db: Database, incident_id: int, changes: Sequence[FindingChange]) -> int:
    """Link findings to the incident and queue alerts; returns the number of new alerts.

    A finding below the incident's threshold is linked but not alerted. One alert per
    (incident, finding, record count): the same content again queues nothing, a grown
    finding queues one update.
    """
    latest: dict[int, FindingChange] = {}
    for change in changes:
        seen = latest.get(change.finding_id)
        if seen is None or change.record_count >= seen.record_count:
            latest[change.finding_id] = change
    queued = 0
    with db.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return 0
        for change in latest.values():
            if session.get(IncidentFinding, (incident_id, change.finding_id)) is None:
                session.add(IncidentFinding(incident_id=incident_id, finding_id=change.finding_id))
            if not at_least(change.confidence, incident.threshold):
                continue
            alerted = session.scalar(
                select(func.max(AlertRow.record_count)).where(
                    AlertRow.incident_id == incident_id, AlertRow.finding_id == change.finding_id
                )
            )
            if alerted is not None and change.record_count <= alerted:
                continue  # the same content again: nothing new to say
            session.add(
                AlertRow(
                    incident_id=incident_id,
                    finding_id=change.finding_id,
                    record_count=change.record_count,
                    previous_record_count=alerted,
                    is_update=alerted is not None,
                    status="pending",
                    attempts=0,
                )
            )
            queued += 1
        session.flush()
    return queued
