"""Scan notices render to a one-line subject, text and escaped HTML, from scan facts only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts import ScanNoticeContext, render_scan_notice, to_email

AT = datetime(2026, 11, 28, 6, 0, 5, tzinfo=UTC)


def notice(**overrides: object) -> ScanNoticeContext:
    values: dict[str, object] = {
        "kind": "scan_failed",
        "incident_name": "leak-2026-11",
        "incident_id": 3,
        "scan_run_id": 12,
        "status": "failed",
        "at": AT,
        "sources": ("example-paste", "forum"),
        "reason": "crawl exited with status 1: ValueError",
    }
    values.update(overrides)
    # Ignored below: the values are typed loosely so that a test may override any of them.
    return ScanNoticeContext(**values)  # type: ignore[arg-type]


def test_failed_notice() -> None:
    message = render_scan_notice(
        notice(log_file="logs/scan-12.log"), ["soc@example.jp"], "leakprint@example.jp"
    )
    assert message.subject == (
        "[leakprint] SCAN FAILED: incident 3: leak-2026-11 is not being watched (scan run 12)"
    )
    for body in (message.text, message.html):
        assert "crawl exited with status 1: ValueError" in body
        assert "example-paste, forum" in body
        assert "2026-11-28T06:00:05Z" in body
        assert "leakprint incident show 3" in body
        assert "logs/scan-12.log" in body
    assert message.headers == {"X-Leakprint-Incident-Id": "3", "X-Leakprint-Scan-Run-Id": "12"}
    assert message.recipients == ("soc@example.jp",)


def test_recovered_notice() -> None:
    since = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    ctx = notice(kind="scan_recovered", status="ok", blind_since=since, failed_scans=4)
    message = render_scan_notice(ctx, "soc@example.jp")
    assert message.subject == "[leakprint] SCANS WORK AGAIN: incident 3: leak-2026-11 (scan run 12)"
    assert "Blind since:  2026-11-27T18:00:00Z" in message.text
    assert "Failed scans: 4" in message.text
    assert "Reason" not in message.text


def test_names_cannot_inject_headers_or_markup() -> None:
    ctx = notice(incident_name="a\r\nBcc: x@evil.test <script>", reason="<b>x</b>")
    message = render_scan_notice(ctx, ["soc@example.jp"])
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<b>x</b>" not in message.html
    email = to_email(message)
    assert email["Bcc"] is None


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scan notice kind"):
        notice(kind="scan_paused")
