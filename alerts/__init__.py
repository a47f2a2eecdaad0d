"""Alerts: render a finding, or a notice that an incident's scans fail, into an e-mail;
deliver it over SMTP; retry through an outbox.

Imports nothing else of leakprint; the application supplies an `OutboxStore`.
"""

from alerts.message import (
    ALERT_ID_HEADER,
    AlertContext,
    AlertMessage,
    RecordSummary,
    alert_subject,
    render_alert,
    render_test_message,
    to_email,
)
from alerts.notifier import DeliveryError, Notifier, RecordingNotifier
from alerts.outbox import (
    DeliveryReport,
    MemoryOutbox,
    OutboxEntry,
    OutboxStore,
    PendingAlert,
    RetryPolicy,
    deliver_pending,
)
from alerts.scannotice import NoticeKind, ScanNoticeContext, render_scan_notice
from alerts.smtp import SmtpConfig, SmtpNotifier

__all__ = [
    "ALERT_ID_HEADER",
    "AlertContext",
    "AlertMessage",
    "DeliveryError",
    "DeliveryReport",
    "MemoryOutbox",
    "NoticeKind",
    "Notifier",
    "OutboxEntry",
    "OutboxStore",
    "PendingAlert",
    "RecordSummary",
    "RecordingNotifier",
    "RetryPolicy",
    "ScanNoticeContext",
    "SmtpConfig",
    "SmtpNotifier",
    "alert_subject",
    "deliver_pending",
    "render_alert",
    "render_scan_notice",
    "render_test_message",
    "to_email",
]
