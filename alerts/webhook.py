"""``https://`` webhook delivery: the alert's subject and plain text as one JSON POST.

The body holds exactly what the e-mail says (shape-only by construction: counts,
field kinds, record references, the redacted URL), never more. The HTTP request
itself is the application's (`Post`), so the application decides which addresses
may be reached. A webhook URL often carries its secret in the path: errors and logs
name the host only.

Example::

    notifier = WebhookNotifier(post)
    notifier.send(render_alert(ctx, ["https://hooks.example.jp/T0/B1/xyz"]))
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from alerts.message import ALERT_ID_HEADER, AlertMessage
from alerts.notifier import DeliveryError
from alerts.recipients import RecipientError, SeveralRecipients, host_of

log = logging.getLogger(__name__)

# POST ``body`` to ``url`` with ``headers``; the HTTP status, or DeliveryError when no
# answer came (address refused: permanent; connection, TLS, timeout: transient).
Post = Callable[[str, bytes, Mapping[str, str]], int]
# Statuses a retry may cure; every other 4xx means the hook will not take this message.
RETRYABLE = frozenset({408, 425, 429})


def check_webhook(recipient: str) -> str:
    """The stored form of an ``https://`` recipient; `RecipientError` (one line) unless
    it is one https URL with a host and no user name or password in it."""
    url = recipient.strip()
    if any(c.isspace() for c in url) or "," in url:
        raise SeveralRecipients(f"{host_of(url)}/… holds several URLs or spaces")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise RecipientError(f"{host_of(url)}/…: not a valid URL") from None
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise RecipientError("a webhook is an https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise RecipientError(f"{host_of(url)}: no user name or password in a webhook URL")
    return url


def webhook_body(message: AlertMessage) -> bytes:
    """The JSON the hook receives: subject, text and the alert id (no HTML, no sender)."""
    return json.dumps(
        {"subject": message.subject, "text": message.text,
         "alert_id": message.headers.get(ALERT_ID_HEADER)},
        ensure_ascii=False,
    ).encode("utf-8")


class WebhookNotifier:
    """POSTs each alert to each ``https://`` recipient through the application's `Post`.

    A 2xx answer is delivered; 408, 425, 429 and 5xx are retried; any other status is
    a permanent refusal. With several hooks, one failing fails the send (transient
    wins; the outbox retries, and the alert id lets a hook drop the duplicate).
    """

    def __init__(self, post: Post) -> None:
        self.post = post

    def send(self, message: AlertMessage) -> None:
        """Deliver ``message`` to every recipient URL; raise `DeliveryError` otherwise."""
        if not message.recipients:
            raise DeliveryError("no recipients", permanent=True)
        body = webhook_body(message)
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "leakprint-alerts"}
        failures: list[DeliveryError] = []
        for url in message.recipients:
            try:
                status = self.post(url, body, headers)
            except DeliveryError as error:
                failures.append(error)
                continue
            if not 200 <= status < 300:
                failures.append(DeliveryError(
                    f"{host_of(url)} answered HTTP {status}",
                    permanent=status < 500 and status not in RETRYABLE))
        if failures:
            raise DeliveryError("; ".join(f.reason for f in failures),
                                permanent=all(f.permanent for f in failures))
