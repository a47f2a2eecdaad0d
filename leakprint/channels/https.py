"""``https://`` recipients: alerts as a JSON POST to a webhook, ``[webhook]``, through
the deployment's address policy (``[crawl]``, as for crawls)."""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from alerts import DeliveryError
from alerts.webhook import WebhookNotifier, check_webhook
from crawler.addressguard import AddressPolicy
from leakprint import guardedhttp
from leakprint.channels.base import Channel
from leakprint.config import ConfigError, Settings
from leakprint.netpolicy import address_policy

WEBHOOK_CA_ENV = "LEAKPRINT_WEBHOOK_CA_FILE"


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


CHANNEL = Channel("https", check_webhook, webhook_notifier)
