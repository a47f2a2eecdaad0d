"""The `Notifier` protocol, its error, and an in-memory notifier for tests and dry runs."""

from __future__ import annotations

from typing import Protocol

from alerts.message import AlertMessage


class DeliveryError(Exception):
    """A message could not be delivered.

    `permanent` means retrying the same message cannot help (every recipient was
    refused with a 5xx, or the message itself cannot be built). Everything else,
    including a refused login, is transient: a configuration fix or a server that
    comes back lets the retries succeed.
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Notifier(Protocol):
    """Anything that delivers an `AlertMessage`.

    `send` returns only once the message has been handed over; it raises
    `DeliveryError` otherwise. Example::

        notifier = SmtpNotifier(SmtpConfig(host="mail.example", tls="starttls"))
        notifier.send(render_alert(ctx, ["soc@example.jp"]))
    """

    def send(self, message: AlertMessage) -> None: ...


class RecordingNotifier:
    """Keeps every message it is given in `messages`; can be told to fail the next N sends."""

    def __init__(self) -> None:
        self.messages: list[AlertMessage] = []
        self.attempts = 0
        self._failures_left = 0
        self._permanent = False
        self._reason = ""

    def fail_next(
        self, count: int = 1, *, permanent: bool = False, reason: str = "simulated failure"
    ) -> None:
        """Make the next `count` calls to `send` raise `DeliveryError`."""
        self._failures_left = count
        self._permanent = permanent
        self._reason = reason

    def send(self, message: AlertMessage) -> None:
        """Record `message`, or raise `DeliveryError` while failures are pending."""
        self.attempts += 1
        if self._failures_left > 0:
            self._failures_left -= 1
            raise DeliveryError(self._reason, permanent=self._permanent)
        self.messages.append(message)
