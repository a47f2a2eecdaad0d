"""The alert outbox in the database, seen by ``alerts.deliver_pending``.

Messages are rendered at delivery time from the finding as it is then, so a retried
alert carries the current counts; nothing rendered is stored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from alerts import (
    AlertContext,
    AlertMessage,
    DeliveryReport,
    Notifier,
    PendingAlert,
    RecordSummary,
    RetryPolicy,
    SmtpConfig,
    SmtpNotifier,
    deliver_pending,
    render_alert,
)
from leakprint.config import Settings
from leakprint.db import AlertRow, Database, Finding, Incident
from leakprint.findings import CONFIDENCE_ORDER

MAX_REFS = 50
# SMTP down must mean alerts wait, not vanish: back off up to 30 minutes and keep
# trying for about a day before an alert is marked failed (`alerts send --retry-failed`).
APP_RETRY = RetryPolicy(max_attempts=60, max_delay=timedelta(minutes=30))


def smtp_config(settings: Settings) -> SmtpConfig:
    s = settings.smtp
    return SmtpConfig(host=s.host, port=s.port, tls=s.tls,  # type: ignore[arg-type]
                      username=s.user, password=s.password, sender=s.sender,
                      timeout=s.timeout, ca_file=s.ca_file)


def alert_context(row: AlertRow, finding: Finding, incident: Incident) -> AlertContext:
    records = sorted(finding.records,
                     key=lambda r: (-CONFIDENCE_ORDER[r.confidence], r.record_ref))
    counts = Counter(r.confidence for r in records)
    return AlertContext(
        incident_name=incident.name, incident_id=incident.id, dataset=finding.dataset,
        source=finding.document.source or "on-demand", url=finding.document.url,
        first_seen=finding.first_seen, confidence=finding.confidence,  # type: ignore[arg-type]
        bulk=finding.bulk, record_counts=dict(counts), fields=tuple(finding.fields),
        records=tuple(RecordSummary(r.record_ref, r.confidence,  # type: ignore[arg-type]
                                    tuple(r.fields)) for r in records),
        snippet=finding.snippet, finding_id=finding.id, is_update=row.is_update,
        previous_record_count=row.previous_record_count,
    )


@dataclass
class DbOutbox:
    """``alerts.OutboxStore`` over the ``alerts`` table."""

    db: Database
    sender: str | None = None

    def due(self, now: datetime, limit: int) -> list[PendingAlert]:
        with self.db.session() as session:
            rows = session.scalars(
                select(AlertRow).where(AlertRow.status == "pending",
                                       AlertRow.next_attempt_at <= now)
                .order_by(AlertRow.id).limit(limit)).all()
            due: list[PendingAlert] = []
            for row in rows:
                finding = session.scalars(
                    select(Finding).where(Finding.id == row.finding_id)
                    .options(selectinload(Finding.records), selectinload(Finding.document))
                ).one()
                incident = session.get(Incident, row.incident_id)
                assert incident is not None
                message = render_alert(alert_context(row, finding, incident),
                                       incident.notify, self.sender)
                message.headers["X-Leakprint-Alert-Id"] = str(row.id)
                due.append(PendingAlert(row.id, message, row.attempts))
            return due

    def mark_sent(self, alert_id: int, now: datetime) -> None:
        with self.db.session() as session:
            row = session.get(AlertRow, alert_id)
            if row is not None:
                row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
                row.last_error = None

    def mark_retry(self, alert_id: int, attempts: int, next_attempt_at: datetime,
                   error: str) -> None:
        with self.db.session() as session:
            row = session.get(AlertRow, alert_id)
            if row is not None:
                row.attempts, row.next_attempt_at, row.last_error = attempts, next_attempt_at, error

    def mark_failed(self, alert_id: int, attempts: int, error: str) -> None:
        with self.db.session() as session:
            row = session.get(AlertRow, alert_id)
            if row is not None:
                row.status, row.attempts, row.last_error = "failed", attempts, error


def send_pending(settings: Settings, db: Database, *, notifier: Notifier | None = None,
                 policy: RetryPolicy | None = None, now: datetime | None = None) -> DeliveryReport:
    """Deliver every alert that is due (the notifier defaults to SMTP from the settings)."""
    notifier = notifier or SmtpNotifier(smtp_config(settings))
    return deliver_pending(DbOutbox(db, settings.smtp.sender), notifier,
                           now=now or datetime.now(UTC), policy=policy or APP_RETRY)


def list_alerts(db: Database) -> list[dict[str, Any]]:
    with db.session() as session:
        rows = session.scalars(select(AlertRow).order_by(AlertRow.id)).all()
        return [{
            "id": r.id, "incident": r.incident_id, "finding": r.finding_id,
            "record_count": r.record_count, "update": r.is_update, "status": r.status,
            "attempts": r.attempts, "last_error": r.last_error,
            "created_at": r.created_at.isoformat(),
            "next_attempt_at": r.next_attempt_at.isoformat() if r.status == "pending" else None,
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
        } for r in rows]


__all__ = ["AlertMessage", "DbOutbox", "alert_context", "list_alerts", "send_pending",
           "smtp_config"]


def requeue_failed(db: Database) -> int:
    """Put alerts that gave up back in the queue (after a long SMTP outage)."""
    now = datetime.now(UTC)
    with db.session() as session:
        rows = session.scalars(select(AlertRow).where(AlertRow.status == "failed")).all()
        for row in rows:
            row.status, row.attempts, row.next_attempt_at = "pending", 0, now
        return len(rows)
