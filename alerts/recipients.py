"""Recipients by scheme, and the notifier that hands each scheme's share to its channel.

A recipient is ``mailto:soc@example.jp`` or, as before schemes existed, the bare
address ``soc@example.jp`` (which means ``mailto:``); a channel reached by URL is
written with its URL (``https://hooks.example.jp/…``). The canonical form that is
stored keeps e-mail addresses bare, so recipients stored before this module existed
are read unchanged.

Example::

    notifier = RoutingNotifier({"mailto": SmtpNotifier(config)})
    notifier.send(render_alert(ctx, ["soc@example.jp", "mailto:cert@example.jp"]))
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlsplit

from alerts.message import AlertMessage
from alerts.notifier import DeliveryError, Notifier

log = logging.getLogger(__name__)

DEFAULT_SCHEME = "mailto"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


class RecipientError(ValueError):
    """A recipient its channel cannot take; the message is one line."""


class SeveralRecipients(RecipientError):
    """One recipient string that holds several (``a@b, c@d``)."""


def shown(recipient: str) -> str:
    """``recipient`` as listings and messages show it: an e-mail address as it is, a
    URL (a webhook) by its scheme and host only. A webhook's path often holds its
    secret token, so it stays in the database and is never printed."""
    text = recipient.strip()
    m = _SCHEME.match(text)
    if m is None or not text[m.end():].startswith("//"):
        return text
    parts = urlsplit(text)
    rest = parts.path not in ("", "/") or parts.query or parts.fragment
    return host_of(text) + ("/…" if rest else "")


def host_of(url: str) -> str:
    """``https://host`` of a webhook URL: what errors and listings may show of it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}"


def scheme_of(recipient: str) -> str:
    """The scheme that delivers to ``recipient`` (lower case), ``mailto`` for a bare address.

    Only ``mailto:`` and URL-style ``scheme://`` prefixes count as schemes: a bare
    address whose local part holds a colon (``x:y@example.jp``) stays an address.
    """
    text = recipient.strip()
    m = _SCHEME.match(text)
    if m is None:
        return DEFAULT_SCHEME
    scheme = m.group(1).lower()
    if scheme == DEFAULT_SCHEME or text[m.end():].startswith("//"):
        return scheme
    return DEFAULT_SCHEME


def target_of(recipient: str) -> str:
    """What the channel delivers to: the bare address for ``mailto``, else the recipient."""
    text = recipient.strip()
    if scheme_of(text) == DEFAULT_SCHEME and text[:7].lower() == "mailto:":
        return text[7:]
    return text


class RoutingNotifier:
    """A `Notifier` that splits a message's recipients by scheme and sends each share
    through that scheme's notifier (with the recipients that notifier understands).

    A transient failure of any channel fails the whole send, so the outbox retries it:
    delivery is at least once, and the stable alert id lets a recipient recognise a
    duplicate. A channel refusing permanently while another delivered is logged and
    not retried (a retry would only duplicate the delivered share), as SMTP does for
    partly refused recipients; when every channel refused permanently, so does the send.
    """

    def __init__(self, notifiers: Mapping[str, Notifier]) -> None:
        self.notifiers = dict(notifiers)

    def send(self, message: AlertMessage) -> None:
        """Deliver every share of ``message``; raise `DeliveryError` as described above."""
        if not message.recipients:
            raise DeliveryError("no recipients", permanent=True)
        shares: dict[str, list[str]] = {}
        for recipient in message.recipients:
            shares.setdefault(scheme_of(recipient), []).append(target_of(recipient))
        failures: list[DeliveryError] = []
        for scheme, targets in shares.items():
            notifier = self.notifiers.get(scheme)
            try:
                if notifier is None:
                    raise DeliveryError(f"no notifier for {scheme}: recipients", permanent=True)
                notifier.send(replace(message, recipients=tuple(targets)))
            except DeliveryError as error:
                failures.append(error)
        if not failures:
            return
        reason = "; ".join(f.reason for f in failures)
        if len(failures) == len(shares) or any(not f.permanent for f in failures):
            raise DeliveryError(reason, permanent=all(f.permanent for f in failures))
        log.warning("%d of %d channels refused an alert for good: %s",
                    len(failures), len(shares), reason)
