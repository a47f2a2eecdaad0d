"""``mailto:`` recipients (and bare e-mail addresses): alerts by SMTP, ``[smtp]``."""

from __future__ import annotations

from alerts import SmtpConfig, SmtpNotifier
from alerts.smtp import check_mailbox
from leakprint.channels.base import Channel
from leakprint.config import Settings


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


CHANNEL = Channel("mailto", check_mailbox, lambda settings: SmtpNotifier(smtp_config(settings)))
