"""The notification channels of this deployment: recipient scheme → check and notifier.

An incident's ``--notify`` recipients are checked here when it is opened, and the
outbox delivers through `notifier_for`, which routes each recipient to its scheme's
notifier: ``mailto:`` (and bare addresses) over SMTP (`leakprint.channels.mailto`),
``https://`` to webhooks through the deployment's address policy
(`leakprint.channels.https`). Adding a channel is one module in this package that
declares ``CHANNEL = Channel(scheme, check, build)``: the package finds it. Its
notifier class lives in that module, or under ``alerts/`` when it needs nothing of
the application (as SMTP and webhooks); see ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib
import pkgutil

from alerts import Notifier
from alerts.recipients import RecipientError, RoutingNotifier, scheme_of
from leakprint.channels.base import Channel
from leakprint.channels.mailto import smtp_config
from leakprint.config import Settings


def _discover() -> dict[str, Channel]:
    """The ``CHANNEL`` of every module of this package that declares one."""
    found: dict[str, Channel] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        channel = getattr(importlib.import_module(f"{__name__}.{info.name}"), "CHANNEL", None)
        if isinstance(channel, Channel):
            found[channel.scheme] = channel
    return found


CHANNELS: dict[str, Channel] = _discover()


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


__all__ = ["CHANNELS", "Channel", "check_recipient", "notifier_for", "smtp_config"]
