"""Alert content: what a finding alert says, rendered to text + HTML, and its MIME form.

Everything here is shape-only by construction: the caller hands in counts, field
kinds, pseudonymous record references and an already shape-only snippet, never a
customer value. The templates add nothing but wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

ALERT_ID_HEADER = "X-Leakprint-Alert-Id"
MAX_LISTED_RECORDS = 50

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class RecordSummary:
    """One matched customer record, by its operator-side pseudonymous reference."""

    ref: str
    confidence: str
    fields: tuple[str, ...]
    # Why it has its level (kinds tied on and the chance of a coincidence), no value.
    why: str = ""


@dataclass(frozen=True)
class AlertContext:
    """Everything an alert about one finding may say. No raw customer values."""

    incident_name: str
    incident_id: int
    dataset: str
    source: str
    url: str
    first_seen: datetime
    confidence: str
    bulk: bool
    record_counts: dict[str, int] = field(hash=False)
    fields: tuple[str, ...]
    records: tuple[RecordSummary, ...]
    snippet: str
    finding_id: int
    #: Every confidence level, highest first: the application's ``Confidence``
    #: (alerts imports nothing of leakprint, so it is handed the levels).
    levels: tuple[str, ...]
    is_update: bool = False
    previous_record_count: int | None = None
    see_more_command: str = ""
    #: Canary records in the finding (synthetic records minted for one contractor;
    #: never counted as customers).
    canaries: int = 0
    #: Likely source of the leak, one line per top candidate (names of contractors,
    #: verdict, guilt; never a value), most likely first.
    likely_source: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.confidence not in self.levels:
            raise ValueError(f"unknown confidence {self.confidence!r}")
        if not self.see_more_command:
            object.__setattr__(
                self, "see_more_command", f"leakprint findings show {self.finding_id}"
            )

    @property
    def host(self) -> str:
        """The URL's host name, or the source name when the URL has none (a local file)."""
        try:
            host = urlsplit(self.url).hostname
        except ValueError:
            host = None
        return host or self.source

    @property
    def total_records(self) -> int:
        """Distinct records in the finding (the sum over confidences)."""
        return sum(self.record_counts.values()) if self.record_counts else len(self.records)

    @property
    def best_record_level(self) -> str | None:
        """The highest level among the finding's records."""
        counts = self.record_counts or {
            c: sum(1 for r in self.records if r.confidence == c) for c in self.levels
        }
        return next((c for c in self.levels if counts.get(c)), None)

    @property
    def raised_by_bulk(self) -> bool:
        """The finding's level is above every record's: SPEC 4.5 raised it (a bulk list).
        Heading and record list then say so, rather than disagree (issue 18)."""
        best = self.best_record_level
        return (
            self.bulk
            and best is not None
            and self.levels.index(self.confidence) < self.levels.index(best)
        )

    @property
    def level_breakdown(self) -> str:
        """Records per level, e.g. ``150 medium, 2 low``."""
        counts = self.record_counts or {
            c: sum(1 for r in self.records if r.confidence == c) for c in self.levels
        }
        return ", ".join(f"{counts[c]} {c}" for c in self.levels if counts.get(c))

    @property
    def growth(self) -> int | None:
        """New records since the previous alert about this finding, if there was one."""
        if self.previous_record_count is None:
            return None
        return self.total_records - self.previous_record_count


@dataclass(frozen=True)
class AlertMessage:
    """A rendered alert, ready for any `Notifier`."""

    subject: str
    text: str
    html: str
    recipients: tuple[str, ...]
    sender: str | None = None
    headers: dict[str, str] = field(default_factory=dict, hash=False)


def _one_line(value: str) -> str:
    # Incident names come from the CLI; a CR/LF in a Subject header is header injection.
    return " ".join(value.split())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def alert_subject(ctx: AlertContext) -> str:
    """The Subject line, e.g. `[leakprint] HIGH: 37 customer records at paste.example (…)`."""
    what = _plural(ctx.total_records, "customer record")
    if ctx.canaries and not ctx.total_records:
        what = _plural(ctx.canaries, "canary record")
    elif ctx.canaries:
        what += f" and {_plural(ctx.canaries, 'canary')}"
    if ctx.raised_by_bulk:
        # The records' own levels in the heading too: "HIGH" over a list of medium
        # records would read as high records (issue 18).
        what = f"bulk list of {what} ({ctx.level_breakdown})"
    growth = ctx.growth
    if ctx.is_update and growth is not None:
        what += f" ({growth:+d} {'record' if abs(growth) == 1 else 'records'})"
    prefix = "UPDATE: " if ctx.is_update else ""
    incident = f"incident {ctx.incident_id}: {ctx.incident_name}"
    return _one_line(
        f"[leakprint] {prefix}{ctx.confidence.upper()}: {what} at {ctx.host} ({incident})"
    )


def _template_vars(ctx: AlertContext) -> dict[str, Any]:
    shown = ctx.records[:MAX_LISTED_RECORDS]
    by_confidence = ctx.record_counts or {
        c: sum(1 for r in ctx.records if r.confidence == c) for c in ctx.levels
    }
    counts = [(c, by_confidence.get(c, 0)) for c in ctx.levels]
    return {
        "ctx": ctx,
        "counts": counts,
        "shown_records": shown,
        "more_records": max(ctx.total_records - len(shown), 0),
        "first_seen": _utc_iso(ctx.first_seen),
        "growth": ctx.growth,
    }


def _utc_iso(moment: datetime) -> str:
    # Naive datetimes are taken to be UTC already, as the database stores them.
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _recipients(recipients: Iterable[str]) -> tuple[str, ...]:
    # A lone address passed as a str would otherwise become one recipient per character.
    return (recipients,) if isinstance(recipients, str) else tuple(recipients)


def rendered(
    template: str,
    subject: str,
    variables: dict[str, Any],
    recipients: Iterable[str],
    sender: str | None,
    headers: dict[str, str] | None = None,
) -> AlertMessage:
    """An `AlertMessage` from the text and HTML forms of `template` (``NAME.txt.j2``,
    ``NAME.html.j2``)."""
    return AlertMessage(
        subject=subject,
        text=_env.get_template(f"{template}.txt.j2").render(variables),
        html=_env.get_template(f"{template}.html.j2").render(variables),
        recipients=_recipients(recipients),
        sender=sender,
        headers=headers or {},
    )


def render_alert(
    ctx: AlertContext, recipients: Iterable[str], sender: str | None = None
) -> AlertMessage:
    """Render a finding alert (subject, plain text, HTML) for `recipients`."""
    headers = {
        "X-Leakprint-Incident-Id": str(ctx.incident_id),
        "X-Leakprint-Finding-Id": str(ctx.finding_id),
    }
    return rendered("alert", alert_subject(ctx), _template_vars(ctx), recipients, sender, headers)


def render_test_message(recipients: Iterable[str], sender: str | None = None) -> AlertMessage:
    """The message `leakprint alerts test ADDR` sends to check the SMTP set-up."""
    variables = {"sent_at": _utc_iso(datetime.now(UTC))}
    return rendered("test", "[leakprint] test message", variables, recipients, sender)


_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9.-]")


def _message_id(message: AlertMessage) -> str:
    domain = "leakprint.localhost"
    if message.sender and "@" in message.sender:
        domain = message.sender.rsplit("@", 1)[1].strip("<> ") or domain
    alert_id = message.headers.get(ALERT_ID_HEADER)
    if alert_id is None:
        return make_msgid(domain=domain)
    # Stable across retries, so a duplicate delivered in the at-least-once window is
    # recognisable (and collapsed by clients that thread on Message-ID).
    return f"<leakprint-alert.{_UNSAFE_ID_CHARS.sub('_', alert_id)}@{domain}>"


def to_email(message: AlertMessage, *, now: datetime | None = None) -> EmailMessage:
    """Build a multipart/alternative (text, then HTML) e-mail from `message`.

    Raises ValueError for a header value that cannot be put on the wire (e.g. a line break).
    """
    email = EmailMessage()
    email["Subject"] = _one_line(message.subject)
    if message.sender:
        email["From"] = message.sender
    email["To"] = ", ".join(message.recipients)
    email["Date"] = format_datetime(now or datetime.now(UTC))
    email["Message-ID"] = _message_id(message)
    for name, value in message.headers.items():
        if name.lower() not in {"subject", "from", "to", "date", "message-id"}:
            email[name] = value
    # Quoted-printable keeps ASCII readable on the wire (greppable in tests) and 7-bit safe.
    email.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    email.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return email
