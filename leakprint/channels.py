"""The notification channels of this deployment: recipient scheme → check and notifier.

An incident's ``--notify`` recipients are checked here when it is opened, and the
outbox delivers through `notifier_for`, which routes each recipient to its scheme's
notifier. Adding a channel (say ``https://`` webhooks) is one module under
``alerts/`` with its ``Notifier`` and its check, plus one `Channel` entry below;
see ``docs/architecture.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from alerts import Notifier, SmtpConfig, SmtpNotifier
from alerts.recipients import RecipientError, RoutingNotifier, scheme_of
from alerts.smtp import check_mailbox
from leakprint.config import Settings


@dataclass(frozen=True)
class Channel:
    """One scheme: how its recipients are checked and how its notifier is built."""

    scheme: str
    # The stored form of a recipient, or RecipientError with a one-line reason.
    check: Callable[[str], str]
    build: Callable[[Settings], Notifier]


def smtp_config(settings: Settings) -> SmtpConfig:
    """The ``[smtp]`` settings (and ``LEAKPRINT_SMTP_*``) as the SMTP notifier's config."""
    s = settings.smtp
    return SmtpConfig(
        host=s.host,
        port=s.port,
        tls=s.tls,  # type: ignore[arg-type]
        username=s.user,
        password=s.password,
        sender=s.sender,
        timeout=s.timeout,
        ca_file=s.ca_file,
    )


CHANNELS: dict[str, Channel] = {
    channel.scheme: channel
    for channel in (
        Channel("mailto", check_mailbox, lambda settings: SmtpNotifier(smtp_config(settings))),
    )
}


def check_recipient(recipient: str) -> str:
    """The stored form of ``recipient`` (bare for e-mail), checked by its scheme's channel.

    Raises `RecipientError` (one line) for an unknown scheme or a recipient its
    channel refuses.
    """
    channel = CHANNELS.get(scheme_of(recipient))
    if channel is None:
        known = ", ".join(f"{s}:" for s in sorted(CHANNELS))
        raise RecipientError(
            f"no notifier for {scheme_of(recipient)}: recipients such as {recipient!r} "
            f"(known: {known})"
        )
    return channel.check(recipient)


def notifier_for(settings: Settings) -> Notifier:
    """The notifier the outbox delivers through: each recipient to its scheme's channel."""
    return RoutingNotifier({scheme: c.build(settings) for scheme, c in CHANNELS.items()})
