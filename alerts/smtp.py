"""SMTP delivery with the standard library: plain, STARTTLS or implicit TLS, optional AUTH."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field, replace
from typing import Literal

from alerts.message import AlertMessage, to_email
from alerts.notifier import DeliveryError
from alerts.recipients import RecipientError, SeveralRecipients, target_of

log = logging.getLogger(__name__)

TlsMode = Literal["none", "starttls", "tls"]
_MAX_REASON = 200
MAILBOX = re.compile(r"^[^@\s]+@[^@\s]+$")
_LIST_SEPARATORS = re.compile(r"[,;<>\s]")


def check_mailbox(recipient: str) -> str:
    """The stored form of a ``mailto:`` recipient (the bare address); `RecipientError`
    with a one-line reason when it is not one e-mail address.

    >>> check_mailbox("mailto:soc@example.jp")
    'soc@example.jp'
    """
    address = target_of(recipient)
    if _LIST_SEPARATORS.search(address):
        # "a@b,c" would reach two mailboxes (or one that does not exist): refuse it.
        raise SeveralRecipients(f"{recipient!r} holds several addresses")
    if "?" in address and recipient.strip()[:7].lower() == "mailto:":
        raise RecipientError(f"{recipient!r}: mailto: parameters (?subject=…) are not supported")
    if not MAILBOX.match(address):
        raise RecipientError(f"not an e-mail address: {recipient!r}")
    return address


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to hand alerts to a mail server. `repr` never shows the password."""

    host: str
    port: int = 25
    tls: TlsMode = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "leakprint@localhost"
    timeout: float = 30.0
    ca_file: str | None = None
    verify: bool = True

    def __post_init__(self) -> None:
        if self.tls not in ("none", "starttls", "tls"):
            raise ValueError(f"SMTP tls must be none, starttls or tls, not {self.tls!r}")

    def ssl_context(self) -> ssl.SSLContext:
        """Client TLS context: system CAs or `ca_file`; certificate checks unless `verify=False`."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        detail = f"{error.smtp_code} {text}"
    else:
        detail = str(error) or type(error).__name__
    line = " ".join(f"{type(error).__name__}: {detail}".split())
    return line[:_MAX_REASON]


class SmtpNotifier:
    """Delivers alerts over SMTP, one connection per message.

    Every failure surfaces as a one-line `DeliveryError` that never quotes the message.
    """

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def send(self, message: AlertMessage) -> None:
        """Deliver `message`; raise `DeliveryError` if the server did not accept it."""
        if not message.recipients:
            raise DeliveryError("no recipients", permanent=True)
        if message.sender is None:
            message = replace(message, sender=self.config.sender)
        try:
            email = to_email(message)
        except ValueError as error:
            raise DeliveryError(f"cannot build the e-mail: {error}", permanent=True) from None
        where = f"{self.config.host}:{self.config.port}"
        try:
            with self._connect() as smtp:
                if self.config.tls == "starttls":
                    smtp.starttls(context=self.config.ssl_context())
                if self.config.username is not None:
                    smtp.login(self.config.username, self.config.password or "")
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryError(
                f"{where}: all {len(codes)} recipient(s) refused ({', '.join(map(str, codes))})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except UnicodeError:
            # smtplib sends credentials as ASCII; the codec error would quote the password.
            raise DeliveryError(f"{where}: credentials or addresses are not ASCII") from None
        except (smtplib.SMTPException, OSError) as error:
            # ssl.SSLError and socket timeouts are OSErrors too.
            raise DeliveryError(f"{where}: {_reason(error)}") from None
        if refused:
            # Delivered to the others; a retry would send them a duplicate.
            log.warning(
                "SMTP %s refused %d of %d recipients", where, len(refused), len(message.recipients)
            )

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.tls == "tls":
            return smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=config.ssl_context()
            )
        return smtplib.SMTP(config.host, config.port, timeout=config.timeout)
