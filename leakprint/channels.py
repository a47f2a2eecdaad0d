"""The notification channels of this deployment: recipient scheme → check and notifier.

An incident's ``--notify`` recipients are checked here when it is opened, and the
outbox delivers through `notifier_for`, which routes each recipient to its scheme's
notifier: ``mailto:`` (and bare addresses) over SMTP, ``https://`` to webhooks through
the deployment's address policy. Adding a channel is one module under ``alerts/`` with
its ``Notifier`` and its check, plus one `Channel` entry below; see
``docs/architecture.md``.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from alerts import DeliveryError, Notifier, SmtpConfig, SmtpNotifier
from alerts.recipients import RecipientError, RoutingNotifier, scheme_of
from alerts.smtp import check_mailbox
from alerts.webhook import WebhookNotifier, check_webhook
from crawler.addressguard import AddressPolicy
from leakprint import guardedhttp
from leakprint.config import ConfigError, Settings
from leakprint.netpolicy import address_policy

WEBHOOK_CA_ENV = "LEAKPRINT_WEBHOOK_CA_FILE"


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


@dataclass
class GuardedPost:
    """The webhooks' `alerts.webhook.Post`: ``leakprint.guardedhttp.post`` with every
    destination address checked against the deployment's address policy (``[crawl]``,
    as for crawls) and the server's certificate against the system CAs or ``ca_file``.
    Policy and TLS context are read at the first webhook, so a deployment without one
    never needs them."""

    settings: Settings
    ca_file: str | None = None
    timeout: float = 15.0

    @cached_property
    def policy(self) -> AddressPolicy:
        return address_policy(self.settings)

    @cached_property
    def context(self) -> ssl.SSLContext:
        cafile = None if self.ca_file is None else str(self.settings.home / self.ca_file)
        return ssl.create_default_context(cafile=cafile)

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        try:
            return guardedhttp.post(url, self.policy, body, headers=dict(headers),
                                    timeout=self.timeout, context=self.context)
        except guardedhttp.FetchRefused as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        except guardedhttp.FetchFailed as exc:
            raise DeliveryError(str(exc)) from None


def webhook_notifier(settings: Settings) -> WebhookNotifier:
    """The ``https://`` channel: ``[webhook]`` ``ca_file`` (or ``LEAKPRINT_WEBHOOK_CA_FILE``)
    and ``timeout`` (seconds, default 15)."""
    table = settings.raw.get("webhook", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{settings.config_path}: [webhook] must be a table")
    ca_file = os.environ.get(WEBHOOK_CA_ENV) or table.get("ca_file")
    timeout = table.get("timeout", 15.0)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ConfigError(f"{settings.config_path}: webhook.timeout: a number of seconds")
    return WebhookNotifier(GuardedPost(settings, None if ca_file is None else str(ca_file),
                                       float(timeout)))


CHANNELS: dict[str, Channel] = {
    channel.scheme: channel
    for channel in (
        Channel("mailto", check_mailbox, lambda settings: SmtpNotifier(smtp_config(settings))),
        Channel("https", check_webhook, webhook_notifier),
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
