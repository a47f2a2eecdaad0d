"""Incidents: what to watch after a leak, and the alerts their findings raise.

A finding is linked to every incident whose scan produced it. The outbox gets one
alert per (incident, finding, record count): the first time a finding reaches the
incident's threshold, and again only when it grows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from leakprint import audit
from leakprint.db import AlertRow, Database, Incident, IncidentFinding
from leakprint.findings import FindingChange, at_least

DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MIN_INTERVAL = 60


class IncidentError(Exception):
    """A one-line, user-facing incident problem."""


def parse_duration(text: str, what: str) -> timedelta:
    """``30m``, ``6h``, ``90d``, ``2w`` or ``45s``."""
    m = DURATION.match(text.strip())
    if not m:
        raise IncidentError(f"{what} {text!r}: use a number and s, m, h, d or w (e.g. 30m, 90d)")
    return timedelta(seconds=int(m.group(1)) * SECONDS[m.group(2)])


@dataclass(frozen=True)
class IncidentInfo:
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

    @classmethod
    def of(cls, row: Incident, findings: int = 0) -> IncidentInfo:
        return cls(row.id, row.name, list(row.datasets), list(row.sources), row.every_seconds,
                   row.cron, row.threshold, list(row.notify), row.state, row.created_at,
                   row.ends_at, row.closed_at, row.last_scan_at, findings)

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
            "id": self.id, "name": self.name, "datasets": self.datasets, "sources": self.sources,
            "every_seconds": self.every_seconds, "cron": self.cron, "threshold": self.threshold,
            "notify": self.notify, "state": self.state, "created_at": self.created_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "last_scan_at": self.last_scan_at.isoformat() if self.last_scan_at else None,
            "findings": self.findings,
        }


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def open_incident(
    db: Database, *, name: str, datasets: Sequence[str], sources: Sequence[str],
    every: str | None, cron: str | None, period: str, notify: Sequence[str],
    threshold: str = "medium", now: datetime | None = None,
) -> IncidentInfo:
    """Create an incident (the scheduler picks it up on its next sync)."""
    if bool(every) == bool(cron):
        raise IncidentError("give exactly one of --every or --cron")
    every_seconds = None
    if every:
        every_seconds = int(parse_duration(every, "--every").total_seconds())
        if every_seconds < MIN_INTERVAL:
            raise IncidentError("--every must be at least 1m")
    if cron:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(cron, timezone="UTC")
        except ValueError as exc:
            raise IncidentError(f"--cron {cron!r}: {exc}") from None
    bad = [a for a in notify if not EMAIL.match(a)]
    if bad:
        raise IncidentError(f"--notify {bad[0]!r} is not an e-mail address")
    if not datasets:
        raise IncidentError("give at least one --dataset")
    if not sources:
        raise IncidentError("give at least one --source")
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = Incident(name=name, datasets=list(datasets), sources=list(sources),
                       every_seconds=every_seconds, cron=cron, threshold=threshold,
                       notify=list(notify), state="open", created_at=now,
                       ends_at=now + parse_duration(period, "--for"))
        session.add(row)
        session.flush()
        audit.append(session, "incident.open", {"incident": row.id, "datasets": list(datasets),
                                                "sources": list(sources)})
        return IncidentInfo.of(row)


def list_incidents(db: Database, *, state: str | None = None) -> list[IncidentInfo]:
    with db.session() as session:
        counts = dict(session.execute(
            select(IncidentFinding.incident_id, func.count())
            .group_by(IncidentFinding.incident_id)).tuples().all())
        stmt = select(Incident).order_by(Incident.id)
        if state:
            stmt = stmt.where(Incident.state == state)
        return [IncidentInfo.of(r, counts.get(r.id, 0)) for r in session.scalars(stmt)]


def get_incident(db: Database, incident_id: int) -> IncidentInfo:
    for info in list_incidents(db):
        if info.id == incident_id:
            return info
    raise IncidentError(f"no incident {incident_id} (see `leakprint incident list`)")


def close_incident(db: Database, incident_id: int, *, reason: str = "closed") -> IncidentInfo:
    with db.session() as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise IncidentError(f"no incident {incident_id}")
        if row.state != "closed":
            row.state = "closed"
            row.closed_at = datetime.now(UTC)
            audit.append(session, "incident.close", {"incident": incident_id, "reason": reason})
    return get_incident(db, incident_id)


def link_changes(db: Database, incident_id: int, changes: Sequence[FindingChange]) -> int:
    """Link findings to the incident and queue alerts; returns the number of new alerts."""
    queued = 0
    with db.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return 0
        for change in changes:
            if session.get(IncidentFinding, (incident_id, change.finding_id)) is None:
                session.add(IncidentFinding(incident_id=incident_id,
                                            finding_id=change.finding_id))
            if not at_least(change.confidence, incident.threshold):
                continue
            alerted = session.scalar(
                select(func.max(AlertRow.record_count)).where(
                    AlertRow.incident_id == incident_id,
                    AlertRow.finding_id == change.finding_id))
            if alerted is not None and change.record_count <= alerted:
                continue  # the same content again: nothing new to say
            session.add(AlertRow(
                incident_id=incident_id, finding_id=change.finding_id,
                record_count=change.record_count, previous_record_count=alerted,
                is_update=alerted is not None, status="pending", attempts=0))
            queued += 1
        session.flush()
    return queued
