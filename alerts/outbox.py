"""Outbox delivery: send what is due, retry with exponential back-off, give up after N tries.

The outbox itself belongs to the application (`OutboxStore`); this module only
decides what happens to each pending alert. `MemoryOutbox` is a store for tests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from alerts.message import ALERT_ID_HEADER, AlertMessage
from alerts.notifier import DeliveryError, Notifier

log = logging.getLogger(__name__)


@dataclass
class PendingAlert:
    """An alert the store says is due; `attempts` counts the attempts made so far."""

    id: int
    message: AlertMessage
    attempts: int


class OutboxStore(Protocol):
    """The application's outbox table, seen from the sender."""

    def due(self, now: datetime, limit: int) -> list[PendingAlert]:
        """Pending alerts whose next attempt is at or before `now`, oldest first."""
        ...

    def mark_sent(self, alert_id: int, now: datetime) -> None: ...

    def mark_retry(
        self, alert_id: int, attempts: int, next_attempt_at: datetime, error: str
    ) -> None: ...

    def mark_failed(self, alert_id: int, attempts: int, error: str) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: `base_delay * factor**(attempts-1)`, capped at `max_delay`.

    No jitter: one sender delivers the outbox sequentially, so alerts retrying at the
    same moment cost nothing, and deterministic delays keep tests exact.
    """

    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.factor < 1:
            raise ValueError("factor must be at least 1")

    def next_delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1 → `base_delay`)."""
        exponent = max(attempts - 1, 0)
        max_seconds = self.max_delay.total_seconds()
        try:
            seconds = self.base_delay.total_seconds() * self.factor**exponent
        except OverflowError:
            seconds = max_seconds
        return timedelta(seconds=min(seconds, max_seconds))


@dataclass(frozen=True)
class DeliveryReport:
    """What one `deliver_pending` run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver_pending(
    store: OutboxStore,
    notifier: Notifier,
    *,
    now: datetime,
    policy: RetryPolicy = RetryPolicy(),
    limit: int = 100,
) -> DeliveryReport:
    """Try every alert that is due at `now`, at most `limit` of them, and record the outcome.

    Example::

        report = deliver_pending(outbox, SmtpNotifier(config), now=datetime.now(UTC))
    """
    sent = retried = failed = 0
    for pending in store.due(now, limit):
        message = pending.message
        if ALERT_ID_HEADER not in message.headers:
            message = replace(
                message, headers={**message.headers, ALERT_ID_HEADER: str(pending.id)}
            )
        attempts = pending.attempts + 1
        try:
            notifier.send(message)
        except DeliveryError as error:
            reason, permanent = error.reason, error.permanent
        except Exception as error:
            # A bug in one notifier call must not wedge the outbox: the alert is retried
            # and, if it keeps failing, given up like any other.
            log.exception("notifier crashed on alert %d", pending.id)
            reason, permanent = f"unexpected {type(error).__name__}", False
        else:
            # At-least-once window: SMTP has no idempotency, so a crash between the
            # server's 250 and this write re-sends the alert on the next run. The stable
            # Message-ID / X-Leakprint-Alert-Id lets recipients recognise the duplicate.
            store.mark_sent(pending.id, now)
            sent += 1
            continue
        if permanent or attempts >= policy.max_attempts:
            store.mark_failed(pending.id, attempts, reason)
            failed += 1
            log.warning("alert %d given up after %d attempt(s): %s", pending.id, attempts, reason)
        else:
            store.mark_retry(pending.id, attempts, now + policy.next_delay(attempts), reason)
            retried += 1
            log.info("alert %d attempt %d failed, will retry: %s", pending.id, attempts, reason)
    return DeliveryReport(sent=sent, retried=retried, failed=failed)


OutboxStatus = Literal["pending", "sent", "failed"]


@dataclass
class OutboxEntry:
    """One row of `MemoryOutbox`."""

    id: int
    message: AlertMessage
    next_attempt_at: datetime
    status: OutboxStatus = "pending"
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    history: list[str] = field(default_factory=list)


class MemoryOutbox:
    """An in-memory `OutboxStore` for tests and dry runs."""

    def __init__(self) -> None:
        self.entries: dict[int, OutboxEntry] = {}
        self._next_id = 1

    def add(self, message: AlertMessage, *, now: datetime) -> int:
        """Queue `message` for delivery from `now`; returns its id."""
        alert_id = self._next_id
        self._next_id += 1
        self.entries[alert_id] = OutboxEntry(alert_id, message, next_attempt_at=now)
        return alert_id

    def due(self, now: datetime, limit: int) -> list[PendingAlert]:
        ready = sorted(
            (
                e
                for e in self.entries.values()
                if e.status == "pending" and e.next_attempt_at <= now
            ),
            key=lambda e: (e.next_attempt_at, e.id),
        )
        return [PendingAlert(e.id, e.message, e.attempts) for e in ready[:limit]]

    def mark_sent(self, alert_id: int, now: datetime) -> None:
        entry = self.entries[alert_id]
        entry.status, entry.sent_at = "sent", now
        entry.attempts += 1
        entry.history.append("sent")

    def mark_retry(
        self, alert_id: int, attempts: int, next_attempt_at: datetime, error: str
    ) -> None:
        entry = self.entries[alert_id]
        entry.attempts, entry.next_attempt_at, entry.last_error = attempts, next_attempt_at, error
        entry.history.append("retry")

    def mark_failed(self, alert_id: int, attempts: int, error: str) -> None:
        entry = self.entries[alert_id]
        entry.status, entry.attempts, entry.last_error = "failed", attempts, error
        entry.history.append("failed")
