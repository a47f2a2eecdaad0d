"""The alert outbox in the database, seen by ``alerts.deliver_pending``.

Messages are rendered at delivery time from the finding as it is then, so a retried
alert carries the current counts; nothing rendered is stored.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from alerts import (
    ALERT_ID_HEADER,
    AlertContext,
    AlertMessage,
    DeliveryReport,
    Notifier,
    PendingAlert,
    RecordSummary,
    RetryPolicy,
    deliver_pending,
    render_alert,
    render_scan_notice,
)
from leakprint.attribution import DEFAULT_P
from leakprint.channels import notifier_for, smtp_config
from leakprint.config import Settings
from leakprint.contractors.attribute import attribute_findings
from leakprint.db import AlertRow, Database, Finding, Incident
from leakprint.findings import display_fields, record_why
from leakprint.notices import notice_context
from matchers.companion import is_canary_ref
from matchers.confidence import RANK, Confidence

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# SMTP down must mean alerts wait, not vanish: back off up to 30 minutes and keep
# trying for about a day before an alert is marked failed (`alerts send --retry-failed`).
APP_RETRY = RetryPolicy(max_attempts=60, max_delay=timedelta(minutes=30))
# Alerts claimed per delivery run, and how long a claimed alert stays out of other
# senders' way: at least the time the whole batch may take with a slow server.
BATCH = 20
MAX_BATCHES = 50
LEASE = timedelta(minutes=10)


def alert_context(row: AlertRow, finding: Finding, incident: Incident,
                  likely_source: tuple[str, ...] = ()) -> AlertContext:
    """What the alert about ``finding`` says; canaries are counted apart, never as
    customers (SPEC 14)."""
    records = sorted((r for r in finding.records if not is_canary_ref(r.record_ref)),
                     key=lambda r: (-RANK[r.confidence], r.record_ref))
    canaries = sum(1 for r in finding.records if is_canary_ref(r.record_ref))
    counts = Counter(r.confidence for r in records)
    return AlertContext(
        incident_name=incident.name,
        incident_id=incident.id,
        dataset=finding.dataset,
        source=finding.document.source or "on-demand",
        url=finding.document.url,
        first_seen=finding.first_seen,
        confidence=finding.confidence,
        bulk=finding.bulk,
        record_counts=dict(counts),
        fields=display_fields(finding.fields),
        records=tuple(
            RecordSummary(
                r.record_ref,
                r.confidence,
                display_fields(r.fields),
                record_why(r),
            )
            for r in records
        ),
        snippet=finding.snippet,
        finding_id=finding.id,
        levels=tuple(level.value for level in Confidence.descending()),
        is_update=row.is_update,
        previous_record_count=row.previous_record_count,
        canaries=canaries,
        likely_source=likely_source,
    )


def source_lines(item: dict[str, Any], top: int = 3) -> tuple[str, ...]:
    """The e-mail's "likely source" lines: the verdict, then the top candidates and
    every contractor whose canary is present (names, counts and guilt only)."""
    cands = item["candidates"]
    if not cands:
        return ()
    shown = [c for i, c in enumerate(cands) if i < top or c["canaries"]]
    lines = [f"verdict: {item['verdict'].upper()}"]
    for n, c in enumerate(shown, 1):
        canary = f", {c['canaries']} of its canaries present" if c["canaries"] else ""
        lines.append(f"{n}. {' > '.join(c['chain'])} ({c['contract']}): guilt "
                     f"{c['guilt']:.2f}, held {c['held']} of {item['records']} leaked "
                     f"records{canary}")
    return tuple(lines)


@dataclass
class DbOutbox:
    """``alerts.OutboxStore`` over the ``alerts`` table.

    ``due`` claims each alert it returns by moving its ``next_attempt_at`` a lease
    ahead (a compare-and-set on the old value), so two senders at once (``serve`` and
    ``alerts send``, or the scan job and the alert job) never send the same alert
    twice; an alert whose sender died is tried again when the lease runs out.
    """

    db: Database
    sender: str | None = None
    lease: timedelta = LEASE
    logs: Path | None = None  # scan logs, named in scan notices
    attribution_p: float = DEFAULT_P  # [attribution] p of the guilty-agent model

    def due(self, now: datetime, limit: int) -> list[PendingAlert]:
        with self.db.session() as session:
            candidates = session.execute(
                select(AlertRow.id, AlertRow.next_attempt_at)
                .where(AlertRow.status == "pending", AlertRow.next_attempt_at <= now)
                .order_by(AlertRow.next_attempt_at, AlertRow.id)
                .limit(limit)
            ).all()
        due: list[PendingAlert] = []
        for alert_id, next_attempt_at in candidates:
            if not self._claim(alert_id, next_attempt_at, now + self.lease):
                continue  # another sender took it
            with self.db.session() as session:
                row = session.get(AlertRow, alert_id)
                message = self._render(session, row) if row is not None else None
                if row is None or message is None:
                    continue
                message.headers[ALERT_ID_HEADER] = str(row.id)
                due.append(PendingAlert(row.id, message, row.attempts))
        return due

    def _render(self, session: Session, row: AlertRow) -> AlertMessage | None:
        incident = session.get(Incident, row.incident_id)
        if incident is None:
            return None
        if row.kind != "finding":
            notice = notice_context(session, row, self.logs)
            return (
                render_scan_notice(notice, incident.notify, self.sender)
                if notice is not None
                else None
            )
        finding = session.scalars(
            select(Finding)
            .where(Finding.id == row.finding_id)
            .options(selectinload(Finding.records), selectinload(Finding.document))
        ).first()
        if finding is None:
            return None
        item = attribute_findings(session, [finding], self.attribution_p)[0]
        return render_alert(alert_context(row, finding, incident, source_lines(item)),
                            incident.notify, self.sender)

    def _claim(self, alert_id: int, seen: datetime, until: datetime) -> bool:
        with self.db.session() as session:
            result = session.execute(
                update(AlertRow)
                .where(
                    AlertRow.id == alert_id,
                    AlertRow.status == "pending",
                    AlertRow.next_attempt_at == seen,
                )
                .values(next_attempt_at=until)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def mark_sent(self, alert_id: int, now: datetime) -> None:
        with self.db.session() as session:
            row = session.get(AlertRow, alert_id)
            if row is not None:
                row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
                row.last_error = None

    def mark_retry(
        self, alert_id: int, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        with self.db.session() as session:
            row = session.get(AlertRow, alert_id)
            if row is not None:
                row.attempts, row.next_attempt_at, row.last_error = attempts, next_attempt_at, error

    def mark_failed(self, alert_id: int, attempts: int, error: str) -> None:
        with self.db.session() as session:
            row = session.get(AlertRow, alert_id)
            if row is not None:
                row.status, row.attempts, row.last_error = "failed", attempts, error


# One delivery run at a time in this process (the scan job and the alert job share it);
# the lease in DbOutbox covers other processes.
_SENDING = threading.Lock()


def send_pending(
    settings: Settings,
    db: Database,
    *,
    notifier: Notifier | None = None,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
) -> DeliveryReport:
    """Deliver every alert that is due (the notifier defaults to the deployment's
    channels, ``leakprint.channels``: SMTP for e-mail recipients)."""
    notifier = notifier or notifier_for(settings)
    lease = max(LEASE, 2 * BATCH * timedelta(seconds=settings.smtp.timeout))
    store = DbOutbox(db, settings.smtp.sender, lease, settings.home / "logs",
                     settings.attribution_p)
    now = now or datetime.now(UTC)
    sent = retried = failed = 0
    with _SENDING:
        for _ in range(MAX_BATCHES):  # a long backlog goes out batch by batch
            report = deliver_pending(
                store, notifier, now=now, policy=policy or APP_RETRY, limit=BATCH
            )
            sent, retried, failed = (
                sent + report.sent,
                retried + report.retried,
                failed + report.failed,
            )
            if report.sent + report.retried + report.failed < BATCH:
                break
    return DeliveryReport(sent=sent, retried=retried, failed=failed)


#: The keys of each alert of ``list_alerts``, in order: the columns of an (empty) listing.
ALERT_COLUMNS = ("id", "incident", "kind", "finding", "scan_run", "record_count",
                 "previous_record_count", "update", "status", "attempts", "last_error",
                 "created_at", "next_attempt_at", "sent_at")


def list_alerts(db: Database) -> list[dict[str, Any]]:
    """The outbox for ``alerts list``: status, attempts and last error, never content.

    ``kind`` is ``finding`` (with ``finding`` and ``record_count``) or a scan notice,
    ``scan_failed`` / ``scan_recovered`` (with ``scan_run``)."""
    with db.session() as session:
        rows = session.scalars(select(AlertRow).order_by(AlertRow.id)).all()
        return [
            {
                "id": r.id,
                "incident": r.incident_id,
                "kind": r.kind,
                "finding": r.finding_id,
                "scan_run": r.scan_run_id,
                "record_count": r.record_count,
                "previous_record_count": r.previous_record_count,
                "update": r.is_update,
                "status": r.status,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "created_at": r.created_at.isoformat(),
                "next_attempt_at": r.next_attempt_at.isoformat() if r.status == "pending" else None,
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            }
            for r in rows
        ]


def requeue_failed(db: Database, now: datetime | None = None) -> int:
    """Put alerts that gave up back in the queue (after a long SMTP outage)."""
    now = now or datetime.now(UTC)
    with db.session() as session:
        rows = session.scalars(select(AlertRow).where(AlertRow.status == "failed")).all()
        for row in rows:
            row.status, row.attempts, row.next_attempt_at = "pending", 0, now
        return len(rows)


__all__ = [
    "ALERT_COLUMNS",
    "APP_RETRY",
    "AlertMessage",
    "DbOutbox",
    "alert_context",
    "list_alerts",
    "requeue_failed",
    "send_pending",
    "smtp_config",
]
