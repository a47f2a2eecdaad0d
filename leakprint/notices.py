"""Scan notices in the outbox: one e-mail when an incident's scans start failing, one
when they work again.

A streak is the run of consecutive failed (or killed) scan runs of one incident.
The first scan run of a streak that is seen gets a ``scan_failed`` alert; the first
good run after a streak that was notified gets a ``scan_recovered`` alert. Alerts
are unique per (incident, kind, scan run), so looking twice queues nothing twice,
and a streak that started while nobody looked (a crawl whose parent was killed
closes its own run) is notified at its next failed run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from alerts import NoticeKind, ScanNoticeContext
from leakprint.db import AlertRow, Database, Incident, ScanRun
from leakprint.runstate import BLIND, RunStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FAILED: NoticeKind = "scan_failed"
RECOVERED: NoticeKind = "scan_recovered"


def _last_good_run(session: Session, incident_id: int, before: int) -> int:
    """The incident's last good scan run before run ``before`` (0 if none): a streak of
    failed runs, if any, comes after it."""
    return (
        session.scalar(
            select(func.max(ScanRun.id)).where(
                ScanRun.incident_id == incident_id,
                ScanRun.id < before,
                ScanRun.status.not_in((*BLIND, RunStatus.RUNNING.value)),
            )
        )
        or 0
    )


def _notices(session: Session, incident_id: int, kind: NoticeKind, *where: Any) -> int:
    """How many notices of ``kind`` the incident has, among those matching ``where``."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.incident_id == incident_id, AlertRow.kind == kind, *where)
        )
        or 0
    )


def note_scan_health(db: Database, incident_id: int) -> NoticeKind | None:
    """Queue a scan notice if the incident's latest finished scan run calls for one;
    returns the kind queued, if any."""
    with db.session() as session:
        latest = session.scalars(
            select(ScanRun)
            .where(ScanRun.incident_id == incident_id,
                   ScanRun.status != RunStatus.RUNNING.value)
            .order_by(ScanRun.id.desc())
            .limit(1)
        ).first()
        if latest is None:
            return None
        good_before = _last_good_run(session, incident_id, latest.id)
        notified = _notices(session, incident_id, FAILED, AlertRow.scan_run_id > good_before)
        if latest.status in BLIND:
            # A streak with no failure notice yet gets one (it cannot hold this run's).
            kind: NoticeKind | None = None if notified else FAILED
        elif notified and not _notices(
            session, incident_id, RECOVERED, AlertRow.scan_run_id == latest.id
        ):
            kind = RECOVERED
        else:
            kind = None
        if kind is None:
            return None
        session.add(
            AlertRow(
                incident_id=incident_id,
                kind=kind,
                scan_run_id=latest.id,
                record_count=0,
                is_update=False,
                status="pending",
                attempts=0,
            )
        )
    return kind


def notice_context(
    session: Session, row: AlertRow, logs: Path | None = None
) -> ScanNoticeContext | None:
    """What the notice ``row`` says, from its incident and scan runs as they are now
    (``logs``: the deployment's scan-log folder, to name the failed scan's log)."""
    incident = session.get(Incident, row.incident_id)
    run = session.get(ScanRun, row.scan_run_id) if row.scan_run_id is not None else None
    if incident is None or run is None:
        return None
    blind_since = None
    failed = 1
    if row.kind == RECOVERED:
        good_before = _last_good_run(session, row.incident_id, run.id)
        streak = session.scalars(
            select(ScanRun)
            .where(
                ScanRun.incident_id == row.incident_id,
                ScanRun.id > good_before,
                ScanRun.id < run.id,
                ScanRun.status.in_(BLIND),
            )
            .order_by(ScanRun.id)
        ).all()
        failed = len(streak)
        blind_since = streak[0].started_at if streak else None
    has_log = logs is not None and (logs / f"scan-{run.id}.log").is_file()
    return ScanNoticeContext(
        kind=FAILED if row.kind == FAILED else RECOVERED,
        incident_name=incident.name,
        incident_id=incident.id,
        scan_run_id=run.id,
        status=run.status,
        at=run.finished_at or run.started_at,
        sources=tuple(run.sources or incident.sources),
        reason=run.error or "",
        log_file=f"logs/scan-{run.id}.log" if has_log else "",
        blind_since=blind_since,
        failed_scans=failed,
    )
