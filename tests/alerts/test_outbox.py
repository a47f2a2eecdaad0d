from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts import (
    ALERT_ID_HEADER,
    AlertMessage,
    DeliveryReport,
    MemoryOutbox,
    RecordingNotifier,
    RetryPolicy,
    SmtpNotifier,
    deliver_pending,
    render_alert,
)
from tests.alerts.factories import make_context
from tests.alerts.smtp_sink import SmtpSink

NOW = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
RCPT = ("soc@example.jp",)


def message() -> AlertMessage:
    return render_alert(make_context(), RCPT, sender="lp@example.jp")


def test_retry_policy_doubles_and_caps() -> None:
    policy = RetryPolicy()
    delays = [policy.next_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert policy.next_delay(10_000) == timedelta(hours=1)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_sent_alert_is_marked_sent_and_stamped_with_its_id() -> None:
    outbox, notifier = MemoryOutbox(), RecordingNotifier()
    alert_id = outbox.add(message(), now=NOW)
    assert deliver_pending(outbox, notifier, now=NOW) == DeliveryReport(sent=1)
    entry = outbox.entries[alert_id]
    assert (entry.status, entry.attempts, entry.sent_at) == ("sent", 1, NOW)
    assert notifier.messages[0].headers[ALERT_ID_HEADER] == str(alert_id)
    assert deliver_pending(outbox, notifier, now=NOW + timedelta(days=1)) == DeliveryReport()
    assert len(notifier.messages) == 1


def test_an_existing_alert_id_header_is_kept() -> None:
    outbox, notifier = MemoryOutbox(), RecordingNotifier()
    base = message()
    outbox.add(AlertMessage(**{**base.__dict__, "headers": {ALERT_ID_HEADER: "app-7"}}), now=NOW)
    deliver_pending(outbox, notifier, now=NOW)
    assert notifier.messages[0].headers[ALERT_ID_HEADER] == "app-7"


def test_transient_failure_is_retried_after_the_back_off() -> None:
    outbox, notifier = MemoryOutbox(), RecordingNotifier()
    alert_id = outbox.add(message(), now=NOW)
    notifier.fail_next(2, reason="421 try later")

    assert deliver_pending(outbox, notifier, now=NOW) == DeliveryReport(retried=1)
    entry = outbox.entries[alert_id]
    assert entry.next_attempt_at == NOW + timedelta(seconds=30)
    assert (entry.status, entry.attempts, entry.last_error) == ("pending", 1, "421 try later")

    # Not due yet: nothing is attempted.
    assert deliver_pending(outbox, notifier, now=NOW + timedelta(seconds=29)) == DeliveryReport()
    assert notifier.attempts == 1

    later = NOW + timedelta(seconds=30)
    assert deliver_pending(outbox, notifier, now=later) == DeliveryReport(retried=1)
    assert entry.next_attempt_at == later + timedelta(seconds=60)

    assert deliver_pending(outbox, notifier, now=entry.next_attempt_at) == DeliveryReport(sent=1)
    assert (entry.status, entry.attempts) == ("sent", 3)
    assert len(notifier.messages) == 1


def test_permanent_failure_is_given_up_at_once() -> None:
    outbox, notifier = MemoryOutbox(), RecordingNotifier()
    alert_id = outbox.add(message(), now=NOW)
    notifier.fail_next(1, permanent=True, reason="all recipients refused")
    assert deliver_pending(outbox, notifier, now=NOW) == DeliveryReport(failed=1)
    entry = outbox.entries[alert_id]
    assert (entry.status, entry.attempts, entry.last_error) == (
        "failed",
        1,
        "all recipients refused",
    )
    assert deliver_pending(outbox, notifier, now=NOW + timedelta(days=1)) == DeliveryReport()


def test_given_up_after_max_attempts() -> None:
    outbox, notifier = MemoryOutbox(), RecordingNotifier()
    alert_id = outbox.add(message(), now=NOW)
    notifier.fail_next(100)
    policy = RetryPolicy(max_attempts=4)
    now, reports = NOW, []
    for _ in range(6):
        reports.append(deliver_pending(outbox, notifier, now=now, policy=policy))
        now += timedelta(hours=2)
    assert [r.retried for r in reports] == [1, 1, 1, 0, 0, 0]
    assert [r.failed for r in reports] == [0, 0, 0, 1, 0, 0]
    entry = outbox.entries[alert_id]
    assert (entry.status, entry.attempts) == ("failed", 4)
    assert notifier.attempts == 4


def test_limit_and_oldest_first() -> None:
    outbox, notifier = MemoryOutbox(), RecordingNotifier()
    ids = [outbox.add(message(), now=NOW + timedelta(seconds=s)) for s in (2, 1, 3)]
    report = deliver_pending(outbox, notifier, now=NOW + timedelta(seconds=5), limit=2)
    assert report == DeliveryReport(sent=2)
    sent = [m.headers[ALERT_ID_HEADER] for m in notifier.messages]
    assert sent == [str(ids[1]), str(ids[0])]


def test_a_crashing_notifier_does_not_wedge_the_outbox() -> None:
    class Crashing:
        def send(self, message: AlertMessage) -> None:
            raise RuntimeError("bug")

    outbox = MemoryOutbox()
    first = outbox.add(message(), now=NOW)
    second = outbox.add(message(), now=NOW)
    assert deliver_pending(outbox, Crashing(), now=NOW) == DeliveryReport(retried=2)
    assert outbox.entries[first].last_error == "unexpected RuntimeError"
    assert outbox.entries[second].status == "pending"


def test_smtp_down_then_back_on_the_same_port_delivers_exactly_once(
    smtp_plain: SmtpSink,
) -> None:
    outbox = MemoryOutbox()
    alert_id = outbox.add(message(), now=NOW)
    notifier = SmtpNotifier(smtp_plain.config())

    smtp_plain.stop()
    assert deliver_pending(outbox, notifier, now=NOW) == DeliveryReport(retried=1)
    entry = outbox.entries[alert_id]
    assert entry.next_attempt_at == NOW + RetryPolicy().next_delay(1)
    assert entry.last_error is not None and "refused" in entry.last_error.lower()

    second = entry.next_attempt_at
    assert deliver_pending(outbox, notifier, now=second) == DeliveryReport(retried=1)
    assert entry.attempts == 2
    assert entry.next_attempt_at == second + RetryPolicy().next_delay(2)

    smtp_plain.start()
    # Back up, but the alert is not due yet: still waiting, not re-sent early.
    assert deliver_pending(outbox, notifier, now=second) == DeliveryReport()
    assert smtp_plain.messages == []

    third = entry.next_attempt_at
    assert deliver_pending(outbox, notifier, now=third) == DeliveryReport(sent=1)
    assert deliver_pending(outbox, notifier, now=third + timedelta(days=1)) == DeliveryReport()
    assert entry.status == "sent"
    assert len(smtp_plain.messages) == 1
    received = smtp_plain.messages[0].message
    assert received[ALERT_ID_HEADER] == str(alert_id)
    assert received["Message-ID"] == f"<leakprint-alert.{alert_id}@example.jp>"


def test_smtp_down_for_good_ends_failed(smtp_plain: SmtpSink) -> None:
    outbox = MemoryOutbox()
    alert_id = outbox.add(message(), now=NOW)
    notifier = SmtpNotifier(smtp_plain.config())
    smtp_plain.stop()
    policy = RetryPolicy(max_attempts=3)
    now = NOW
    for _ in range(5):
        deliver_pending(outbox, notifier, now=now, policy=policy)
        now += policy.max_delay
    entry = outbox.entries[alert_id]
    assert (entry.status, entry.attempts) == ("failed", 3)
    assert entry.history == ["retry", "retry", "failed"]
