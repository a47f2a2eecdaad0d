"""Scan notices: an incident's watch has gone blind (its scans fail), or works again.

A finding alert says what was found; a notice says that nothing *can* be found for
now. Without one, a responder waiting for alerts cannot tell a quiet watch from a
broken one. Notices carry the scan run, its status and the stored reason (an
exception type or a crawl's exit status, never page text) and are sent whatever the
incident's threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from alerts.message import AlertMessage, _one_line, _utc_iso, rendered

NoticeKind = Literal["scan_failed", "scan_recovered"]
NOTICE_KINDS: tuple[NoticeKind, ...] = ("scan_failed", "scan_recovered")


@dataclass(frozen=True)
class ScanNoticeContext:
    """Everything a scan notice may say: the incident and the scan runs, no page text."""

    kind: NoticeKind
    incident_name: str
    incident_id: int
    scan_run_id: int
    status: str  # the scan run's: failed | killed, or ok | partial once recovered
    at: datetime  # when the run ended
    sources: tuple[str, ...]
    reason: str = ""
    log_file: str = ""  # the scan's log, relative to the leakprint folder, if there is one
    blind_since: datetime | None = None  # start of the first failed scan of the streak
    failed_scans: int = 1  # scans in the streak that failed

    def __post_init__(self) -> None:
        if self.kind not in NOTICE_KINDS:
            raise ValueError(f"unknown scan notice kind {self.kind!r}")

    @property
    def see_more_command(self) -> str:
        return f"leakprint incident show {self.incident_id}"


def notice_subject(ctx: ScanNoticeContext) -> str:
    """The Subject line, e.g. `[leakprint] SCAN FAILED: incident 3 (leak) is not watched …`."""
    incident = f"incident {ctx.incident_id}: {ctx.incident_name}"
    if ctx.kind == "scan_failed":
        text = (
            f"[leakprint] SCAN FAILED: {incident} is not being watched (scan run {ctx.scan_run_id})"
        )
    else:
        text = f"[leakprint] SCANS WORK AGAIN: {incident} (scan run {ctx.scan_run_id})"
    return _one_line(text)


def render_scan_notice(
    ctx: ScanNoticeContext, recipients: Iterable[str], sender: str | None = None
) -> AlertMessage:
    """Render a scan notice (subject, plain text, HTML) for `recipients`."""
    variables = {
        "ctx": ctx,
        "at": _utc_iso(ctx.at),
        "blind_since": _utc_iso(ctx.blind_since) if ctx.blind_since else "",
    }
    headers = {
        "X-Leakprint-Incident-Id": str(ctx.incident_id),
        "X-Leakprint-Scan-Run-Id": str(ctx.scan_run_id),
    }
    return rendered("scan_notice", notice_subject(ctx), variables, recipients, sender, headers)
