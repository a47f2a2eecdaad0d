"""Alerts: render a finding, or a notice that an incident's scans fail, into an e-mail;
deliver it through the channel of each recipient's scheme (SMTP for ``mailto:``);
retry through an outbox.

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
from alerts.recipients import RecipientError, RoutingNotifier, scheme_of, target_of
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
    "RecipientError",
    "RecordSummary",
    "RecordingNotifier",
    "RetryPolicy",
    "RoutingNotifier",
    "ScanNoticeContext",
    "SmtpConfig",
    "SmtpNotifier",
    "alert_subject",
    "deliver_pending",
    "render_alert",
    "render_scan_notice",
    "render_test_message",
    "scheme_of",
    "target_of",
    "to_email",
]
